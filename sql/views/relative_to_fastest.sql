-- Each run against the fastest run (lowest total_ms) of its machine and model.
-- One row per run (run_id), with every column of `results` and:
--   rank: 1 = fastest on its machine_id and model_key by total_ms, ties broken by stack (then
--     run_id), so ranks are 1, 2, 3, ... without gaps; NULL when the run's total is unknown;
--   fastest_stack, fastest_total_ms: the rank-1 run of that machine and model (ms);
--   slowdown: total_ms / fastest_total_ms (a ratio, 1 for the fastest, 2 = twice as slow);
--   speedup_of_fastest: how many times faster the fastest run is than this one, the fastest's
--     time against this run's in the sense of `speedups` (this total / fastest total): by
--     definition the same number as slowdown, for readers who think in speedups.
-- A run with no total (neither forward + backward nor a reported total) has NULL rank, slowdown
-- and speedup_of_fastest; it still shows the fastest run of its machine and model.
WITH ranked AS (
    SELECT r.*,
           CASE WHEN r.total_ms IS NOT NULL THEN
               row_number() OVER (PARTITION BY r.machine_id, r.model_key
                                  ORDER BY r.total_ms NULLS LAST, r.stack, r.run_id)
           END AS rank
    FROM results AS r
),
fastest AS (
    SELECT machine_id, model_key, stack AS fastest_stack, total_ms AS fastest_total_ms
    FROM ranked
    WHERE rank = 1
)
SELECT ranked.*,
       fastest.fastest_stack,
       fastest.fastest_total_ms,
       ranked.total_ms / nullif(fastest.fastest_total_ms, 0) AS slowdown,
       ranked.total_ms / nullif(fastest.fastest_total_ms, 0) AS speedup_of_fastest
FROM ranked
LEFT JOIN fastest
  ON fastest.machine_id = ranked.machine_id
 AND fastest.model_key = ranked.model_key
