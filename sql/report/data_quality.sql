-- One row per data-quality finding in the report, from the view data_quality: its code, severity
-- and numbers (the report words them), errors first. A finding is left out only when it names a
-- machine, model or run that the filters leave out.
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks)
SELECT q."check", q.severity, q.run_id, m.machine_key, q.model, q.stack, q.forward_ms, q.backward_ms,
       q.reported_total_ms, q.summed_total_ms, q.difference_ms, q.memory_mb, q.device_memory_mb,
       q.runs_with_memory, q.models_same_memory, q.other_model, q.other_source, q.other_line,
       q.source, q.line
FROM data_quality AS q
LEFT JOIN machines AS m ON m.machine_id = q.machine_id
CROSS JOIN f
WHERE (f.machine_ids IS NULL OR q.machine_id IS NULL OR list_contains(f.machine_ids, q.machine_id))
  AND (f.model_keys IS NULL OR q.model_key IS NULL OR list_contains(f.model_keys, q.model_key))
  AND (f.frameworks IS NULL OR q.run_id IS NULL
       OR q.run_id IN (SELECT run_id FROM results WHERE list_contains(f.frameworks, lower(framework))))
ORDER BY q.severity, q."check", q.source, q.line, m.machine_key, q.model, q.stack
