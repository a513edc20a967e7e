-- One row per framework version on a machine and model on the site's version page, from the view
-- version_progress: versions in order, each version's total (ms; its fastest run) and
-- speedup_vs_previous = previous total / this total (above 1: this version is faster).
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks)
SELECT m.machine_key, v.machine_id, v.model_key, v.model, v.framework, v.framework_version, v.stack,
       v.version_order, v.previous_version, v.previous_total_ms, v.total_ms, v.speedup_vs_previous
FROM version_progress AS v
JOIN machines AS m ON m.machine_id = v.machine_id
CROSS JOIN f
WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, v.machine_id))
  AND (f.model_keys IS NULL OR list_contains(f.model_keys, v.model_key))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(v.framework)))
ORDER BY m.machine_key, v.model_key, lower(v.framework), v.version_order
