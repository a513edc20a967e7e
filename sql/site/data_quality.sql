-- One row per data-quality finding on the site's data-quality page: every column of the view
-- data_quality (a code, its severity and its numbers; the page words them as the report does),
-- the machine's key, and the framework of the run (from results; NULL when the finding names no run). A finding is
-- left out only when it names a machine, model or run that the filters leave out.
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks)
SELECT q.*, m.machine_key, r.framework
FROM data_quality AS q
LEFT JOIN machines AS m ON m.machine_id = q.machine_id
LEFT JOIN results AS r ON r.run_id = q.run_id
CROSS JOIN f
WHERE (f.machine_ids IS NULL OR q.machine_id IS NULL OR list_contains(f.machine_ids, q.machine_id))
  AND (f.model_keys IS NULL OR q.model_key IS NULL OR list_contains(f.model_keys, q.model_key))
  AND (f.frameworks IS NULL OR r.framework IS NULL OR list_contains(f.frameworks, lower(r.framework)))
ORDER BY q.severity, q."check", q.source, q.line, m.machine_key, q.model, q.stack
