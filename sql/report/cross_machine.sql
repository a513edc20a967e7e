-- One row per pair of runs in the report's cross-machine section, from the view cross_machine: the
-- same model and a comparable stack on two machines (both among the machines reported), the total
-- time on each and total_ratio = other_total_ms / total_ms (above 1: the first machine is faster).
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT ?::BIGINT[] AS machine_ids, ?::VARCHAR[] AS model_keys, ?::VARCHAR[] AS frameworks)
SELECT c.model, c.stack_key, c.libraries_match, c.machine_key, c.other_machine_key, c.stack,
       c.other_stack, c.total_ms, c.other_total_ms, c.total_ratio
FROM cross_machine AS c
JOIN results AS r ON r.run_id = c.run_id
CROSS JOIN f
WHERE (f.machine_ids IS NULL
       OR (list_contains(f.machine_ids, r.machine_id)
           AND c.other_machine_key IN (SELECT machine_key FROM machines
                                       WHERE list_contains(f.machine_ids, machine_id))))
  AND (f.model_keys IS NULL OR list_contains(f.model_keys, c.model_key))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(r.framework)))
ORDER BY c.model_key, c.libraries_match DESC, c.stack_key, c.machine_key, c.other_machine_key,
         c.stack, c.other_stack, c.run_id, c.other_run_id
