-- Every run against the runs of one framework (the baseline) on the same machine and model.
-- speedup_vs(baseline): baseline is a framework name, matched case-insensitively ('caffe').
-- speedup_vs_stack(baseline_stack): baseline is one results.stack, matched case-insensitively
-- ('Caffe 1.0.0 + cuDNN 3').
-- One row per pair (run_id, baseline_run_id) on the same machine_id and model_key where the
-- second run is the baseline's; a run is not compared with itself, so the baseline's own run
-- appears only against the baseline's other runs (another version, libraries or precision).
-- Columns: machine_id, machine, model_key, model, run_id, stack, baseline_run_id,
--   baseline_stack; total_speedup: the baseline's total_ms / this run's total_ms (above 1: this
--   run is faster than the baseline); forward_speedup, backward_speedup: the same for forward_ms
--   and backward_ms; NULL when either time is unknown.
-- Use: SELECT * FROM speedup_vs('caffe') ORDER BY machine, model, total_speedup DESC;
CREATE MACRO speedup_vs(baseline) AS TABLE
SELECT r.machine_id,
       r.machine,
       r.model_key,
       r.model,
       r.run_id,
       r.stack,
       b.run_id AS baseline_run_id,
       b.stack AS baseline_stack,
       b.total_ms / nullif(r.total_ms, 0) AS total_speedup,
       b.forward_ms / nullif(r.forward_ms, 0) AS forward_speedup,
       b.backward_ms / nullif(r.backward_ms, 0) AS backward_speedup
FROM results AS r
JOIN results AS b
  ON b.machine_id = r.machine_id
 AND b.model_key = r.model_key
 AND b.run_id <> r.run_id
WHERE lower(b.framework) = lower(baseline);

CREATE MACRO speedup_vs_stack(baseline_stack) AS TABLE
SELECT r.machine_id,
       r.machine,
       r.model_key,
       r.model,
       r.run_id,
       r.stack,
       b.run_id AS baseline_run_id,
       b.stack AS baseline_stack,
       b.total_ms / nullif(r.total_ms, 0) AS total_speedup,
       b.forward_ms / nullif(r.forward_ms, 0) AS forward_speedup,
       b.backward_ms / nullif(r.backward_ms, 0) AS backward_speedup
FROM results AS r
JOIN results AS b
  ON b.machine_id = r.machine_id
 AND b.model_key = r.model_key
 AND b.run_id <> r.run_id
WHERE lower(b.stack) = lower(baseline_stack);
