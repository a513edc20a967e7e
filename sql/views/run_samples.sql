-- The raw samples of every run, per metric, with a total per iteration.
-- grain: run_id, metric, iteration
-- One row per run, metric and iteration: the `samples` table (forward_ms, backward_ms: one timed
-- iteration each, in the order written) plus total_ms = forward + backward of the same iteration,
-- for every iteration that has both (a run with 20 forward and 15 backward samples has 15 totals).
-- Columns: run_id, metric (forward_ms, backward_ms or total_ms), iteration (1-based), value_ms
-- (milliseconds per minibatch). Runs without samples (published data) have no rows.
SELECT run_id, metric, iteration, value_ms
FROM samples
WHERE metric IN ('forward_ms', 'backward_ms')
UNION ALL
SELECT f.run_id, 'total_ms' AS metric, f.iteration, f.value_ms + b.value_ms AS value_ms
FROM samples AS f
JOIN samples AS b ON b.run_id = f.run_id AND b.iteration = f.iteration
WHERE f.metric = 'forward_ms' AND b.metric = 'backward_ms'
