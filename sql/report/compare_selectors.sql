-- One row per value a `dlbench compare` selector key can take in this warehouse: key (framework,
-- version, libraries, precision, machine, model, source, stack) and value as written, sorted; for the
-- message that says what exists when a selector names nothing. Versions show as "framework version".
SELECT DISTINCT 'framework' AS key, framework AS value FROM results
UNION SELECT DISTINCT 'version', framework || ' ' || framework_version FROM results
UNION SELECT DISTINCT 'libraries', coalesce(libraries, 'none') FROM results
UNION SELECT DISTINCT 'precision', coalesce(precision, 'none') FROM results
UNION SELECT DISTINCT 'machine', machine_key FROM results
UNION SELECT DISTINCT 'model', model FROM results
UNION SELECT DISTINCT 'source', source FROM results
UNION SELECT DISTINCT 'stack', stack FROM results
ORDER BY key, value
