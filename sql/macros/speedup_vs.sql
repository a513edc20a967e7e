-- Every run against the runs of one framework, or of one stack (the baseline), on the same machine and model.
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
-- Use: SELECT * FROM speedup_vs_stack('Caffe 1.0.0 + cuDNN 3') ORDER BY total_speedup DESC;
-- Both read the view `speedups` (every ordered pair of runs), so the ratios are computed once.
CREATE MACRO speedup_vs(baseline) AS TABLE
SELECT s.machine_id, s.machine, s.model_key, s.model, s.run_id, s.stack,
       s.other_run_id AS baseline_run_id, s.other_stack AS baseline_stack,
       s.total_speedup, s.forward_speedup, s.backward_speedup
FROM speedups AS s
JOIN results AS b ON b.run_id = s.other_run_id
WHERE lower(b.framework) = lower(baseline);

CREATE MACRO speedup_vs_stack(baseline_stack) AS TABLE
SELECT s.machine_id, s.machine, s.model_key, s.model, s.run_id, s.stack,
       s.other_run_id AS baseline_run_id, s.other_stack AS baseline_stack,
       s.total_speedup, s.forward_speedup, s.backward_speedup
FROM speedups AS s
WHERE lower(s.other_stack) = lower(baseline_stack);
