-- One row per (filter value, thing it names): kind (machine, model or framework), the value as given,
-- the key it resolves to (machine_id, model_key or lower-case framework name) and the name to show;
-- key is NULL when the value names nothing. Case-insensitive: a machine by key or name, a model by
-- name or canonical key (letters and digits, lower case, as the ingest builds model_key), a
-- framework by name.
-- Parameters: $machines, $models, $frameworks: the values given (three VARCHAR lists).
WITH wanted AS (
    SELECT 'machine' AS kind, unnest($machines::VARCHAR[]) AS value
    UNION ALL
    SELECT 'model', unnest($models::VARCHAR[])
    UNION ALL
    SELECT 'framework', unnest($frameworks::VARCHAR[])
),
known AS (
    SELECT 'machine' AS kind, machine_id::VARCHAR AS key, name,
           lower(machine_key) AS match_a, lower(name) AS match_b
    FROM machines
    UNION
    SELECT 'model', model_key, name, model_key, lower(name)
    FROM models
    UNION
    SELECT 'framework', lower(name), name, lower(name), lower(name)
    FROM frameworks
)
SELECT DISTINCT w.kind, w.value, k.key
FROM wanted AS w
LEFT JOIN known AS k
  ON k.kind = w.kind
 AND (lower(w.value) IN (k.match_a, k.match_b)
      OR (w.kind = 'model' AND k.match_a = regexp_replace(lower(w.value), '[^0-9a-z]+', '', 'g')))
ORDER BY w.kind, w.value, k.key
