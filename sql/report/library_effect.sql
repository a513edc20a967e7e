-- One row per pair of runs in the report's library-effect section, from the view library_effect:
-- the same framework, version and precision with two library sets on one machine and model;
-- speedups are the other run's time / this run's time (above 1: `libraries` is faster).
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks)
SELECT m.machine_key, e.model, e.framework, e.framework_version, e.precision, e.libraries,
       e.other_libraries, e.forward_speedup, e.backward_speedup, e.total_speedup, e.flagged,
       e.geomean_total_speedup, e.models_compared
FROM library_effect AS e
JOIN machines AS m ON m.machine_id = e.machine_id
CROSS JOIN f
WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, e.machine_id))
  AND (f.model_keys IS NULL OR list_contains(f.model_keys, e.model_key))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(e.framework)))
ORDER BY m.machine_key, lower(e.framework), e.framework_version, e.precision NULLS FIRST,
         e.libraries_key, e.other_libraries_key, e.model_key, e.run_id, e.other_run_id
