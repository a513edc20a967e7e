-- Every run against every other run on the same machine and model: how many times faster it is.
-- grain: run_id, other_run_id
-- One row per ordered pair of distinct runs (run_id, other_run_id) with the same machine_id and
-- model_key; each unordered pair appears twice, once from each side.
-- Columns: machine_id, machine, model_key, model (this run's model as written), run_id, stack_id, stack,
--   other_run_id, other_stack_id, other_stack (stack_id: results.stack_id, the identity to pair by);
--   forward_speedup, backward_speedup, total_speedup: the other run's time / this run's time
--     (a ratio, no unit; above 1 means this run is faster), NULL when either time is unknown;
--     total_ms is the reported total where a run gives one (results.total_ms);
--   total_tie: true when the two totals are within the coarser of their resolution_ms (the
--     numbers as written cannot tell them apart), NULL when either total is unknown;
--   memory_ratio: this run's memory / the other run's memory (below 1: this run needs less),
--     NULL when either memory is unknown;
--   flagged, other_flagged: run_flags.flagged of each run (an error-level data-quality finding:
--     leave such pairs out of any ranking or average).
-- Runs are never compared across machines.
SELECT a.machine_id,
       a.machine,
       a.model_key,
       a.model,
       a.run_id,
       a.stack_id,
       a.stack,
       b.run_id AS other_run_id,
       b.stack_id AS other_stack_id,
       b.stack AS other_stack,
       b.forward_ms / nullif(a.forward_ms, 0) AS forward_speedup,
       b.backward_ms / nullif(a.backward_ms, 0) AS backward_speedup,
       b.total_ms / nullif(a.total_ms, 0) AS total_speedup,
       abs(b.total_ms - a.total_ms) <= greatest(a.resolution_ms, b.resolution_ms) AS total_tie,
       a.memory_bytes / nullif(b.memory_bytes, 0) AS memory_ratio,
       fa.flagged,
       fb.flagged AS other_flagged
FROM results AS a
JOIN results AS b
  ON b.machine_id = a.machine_id
 AND b.model_key = a.model_key
 AND b.run_id <> a.run_id
JOIN run_flags AS fa ON fa.run_id = a.run_id
JOIN run_flags AS fb ON fb.run_id = b.run_id
