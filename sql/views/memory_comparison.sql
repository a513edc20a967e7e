-- Each run's memory against the leanest run (least memory) of its machine and model.
-- One row per run whose memory is known; runs with no memory are left out here (they are listed
-- by data_quality as missing_memory when other runs of their machine and model report memory).
-- Columns: machine_id, machine, model_key, model, run_id, stack;
--   memory_bytes (bytes), memory_mb (memory_bytes / 1e6);
--   memory_rank: 1 = leanest on its machine and model, ties broken by stack, then run_id;
--   leanest_stack, leanest_memory_mb: the rank-1 run (decimal MB);
--   memory_ratio: memory_bytes / the leanest run's memory_bytes (1 for the leanest);
--   device_memory_bytes: the machine's device memory (bytes), NULL when unknown;
--   device_memory_share: memory_bytes / device_memory_bytes (0.5 = half of the device memory),
--     NULL when the device memory is unknown.
WITH ranked AS (
    SELECT r.machine_id, r.machine, r.model_key, r.model, r.run_id, r.stack,
           r.memory_bytes, r.memory_mb, r.device_memory_bytes,
           row_number() OVER (PARTITION BY r.machine_id, r.model_key
                              ORDER BY r.memory_bytes, r.stack, r.run_id) AS memory_rank
    FROM results AS r
    WHERE r.memory_bytes IS NOT NULL
),
leanest AS (
    SELECT machine_id, model_key, stack AS leanest_stack, memory_bytes AS leanest_memory_bytes
    FROM ranked
    WHERE memory_rank = 1
)
SELECT ranked.machine_id,
       ranked.machine,
       ranked.model_key,
       ranked.model,
       ranked.run_id,
       ranked.stack,
       ranked.memory_bytes,
       ranked.memory_mb,
       ranked.memory_rank,
       leanest.leanest_stack,
       leanest.leanest_memory_bytes / 1e6 AS leanest_memory_mb,
       ranked.memory_bytes / nullif(leanest.leanest_memory_bytes, 0) AS memory_ratio,
       ranked.device_memory_bytes,
       ranked.memory_bytes / nullif(ranked.device_memory_bytes, 0) AS device_memory_share
FROM ranked
JOIN leanest
  ON leanest.machine_id = ranked.machine_id
 AND leanest.model_key = ranked.model_key
