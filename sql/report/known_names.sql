-- One row per name a filter can use: kind (machine, model or framework) and the name, sorted.
-- Machines show as "key (name)", models and frameworks by name as written.
SELECT DISTINCT 'machine' AS kind, machine_key || ' (' || name || ')' AS name
FROM machines
UNION
SELECT DISTINCT 'model', name
FROM models
UNION
SELECT DISTINCT 'framework', name
FROM frameworks
ORDER BY kind, lower(name), name
