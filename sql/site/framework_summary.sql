-- One row per (machine, stack) of the site's front page, from the view framework_summary: models
-- measured, wins (rank 1), geometric-mean slowdown against the fastest (1 = always the fastest)
-- and mean memory ratio, best first. It covers every model of the machine.
-- Parameters: machine_ids (BIGINT list), frameworks (lower-case VARCHAR list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $frameworks::VARCHAR[] AS frameworks)
SELECT s.machine_id, s.stack, s.framework, s.models_measured, s.wins, s.geomean_slowdown,
       s.mean_memory_ratio
FROM framework_summary AS s
CROSS JOIN f
WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, s.machine_id))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(s.framework)))
ORDER BY s.machine_id, s.geomean_slowdown NULLS LAST, s.wins DESC, s.stack
