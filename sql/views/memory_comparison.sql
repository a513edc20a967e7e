-- Each run's memory against the leanest run (least memory) of its machine and model.
-- grain: run_id
-- One row per run whose memory is known; runs with no memory are left out here (they are listed
-- by data_quality as missing_memory when other runs of their machine and model report memory).
-- A memory that is a reservation (data_quality memory_reservation: the same on every model and
-- within 10% of the device memory) says what the framework takes, not what the model needs: such
-- runs get no memory_ratio and are never the leanest; memory_ratio_with_reserved counts them.
-- Columns: machine_id, machine, model_key, model, run_id, stack_id (results.stack_id), stack;
--   memory_bytes (bytes), memory_mb (memory_bytes / 1e6);
--   memory_reserved: true for a reservation (run_flags.memory_reserved);
--   memory_rank: 1 = leanest on its machine and model among the runs that are not reservations,
--     ties broken by stack, then run_id; NULL for a reservation;
--   leanest_stack, leanest_memory_mb: the rank-1 run (decimal MB); NULL when every run there is a reservation;
--   memory_ratio: memory_bytes / the leanest run's memory_bytes (1 for the leanest); NULL for a
--     reservation;
--   memory_ratio_with_reserved: the same against the leanest of all runs, reservations included;
--   device_memory_bytes: the machine's device memory (bytes), NULL when unknown;
--   device_memory_share: memory_bytes / device_memory_bytes (0.5 = half of the device memory),
--     NULL when the device memory is unknown.
WITH known AS (
    SELECT r.machine_id, r.machine, r.model_key, r.model, r.run_id, r.stack_id, r.stack,
           r.memory_bytes, r.memory_mb, r.device_memory_bytes, f.memory_reserved
    FROM results AS r
    JOIN run_flags AS f ON f.run_id = r.run_id
    WHERE r.memory_bytes IS NOT NULL
),
ranked AS (
    -- the leanest run that is not a reservation first on every row of the machine and model:
    -- window functions, not a join
    SELECT known.*,
           CASE WHEN NOT memory_reserved THEN
               row_number() OVER (PARTITION BY machine_id, model_key, memory_reserved
                                  ORDER BY memory_bytes, stack, run_id)
           END AS memory_rank,
           first_value(CASE WHEN NOT memory_reserved THEN stack END) OVER leanest_first AS leanest_stack,
           first_value(CASE WHEN NOT memory_reserved THEN memory_bytes END) OVER leanest_first
               AS leanest_memory_bytes,
           min(memory_bytes) OVER (PARTITION BY machine_id, model_key) AS least_memory_bytes
    FROM known
    WINDOW leanest_first AS (PARTITION BY machine_id, model_key
                             ORDER BY CASE WHEN memory_reserved THEN 1 ELSE 0 END, memory_bytes, stack, run_id)
)
SELECT machine_id,
       machine,
       model_key,
       model,
       run_id,
       stack_id,
       stack,
       memory_bytes,
       memory_mb,
       memory_reserved,
       memory_rank,
       leanest_stack,
       leanest_memory_bytes / 1e6 AS leanest_memory_mb,
       CASE WHEN NOT memory_reserved THEN memory_bytes / nullif(leanest_memory_bytes, 0) END AS memory_ratio,
       memory_bytes / nullif(least_memory_bytes, 0) AS memory_ratio_with_reserved,
       device_memory_bytes,
       memory_bytes / nullif(device_memory_bytes, 0) AS device_memory_share
FROM ranked
