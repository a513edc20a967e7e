-- The baseline framework's best run on each machine and model, for `report --baseline`.
-- The one definition of "the baseline": the report's ranking and its comparison with samples
-- both read it (sql/report/rankings.sql).
-- baseline_runs(baseline_framework, with_flagged): baseline_framework is a framework name, matched
-- case-insensitively ('caffe'); with_flagged as the view rankings' include_flagged (false: a run
-- with an error-level data-quality finding is never the baseline; true: it can be).
-- One row per (machine_id, model_key) where the framework has a ranked run (rankings.rank not
-- NULL): the one with the lowest total_ms; equal totals go to the first in source and line order,
-- then the lower run_id.
-- Columns: machine_id, model_key, baseline_run_id, baseline_stack, baseline_total_ms,
--   baseline_resolution_ms (the resolution of its total as written).
-- Use: SELECT * FROM baseline_runs('caffe', false) ORDER BY machine_id, model_key;
CREATE MACRO baseline_runs(baseline_framework, with_flagged) AS TABLE
SELECT r.machine_id, r.model_key, r.run_id AS baseline_run_id, r.stack AS baseline_stack,
       r.total_ms AS baseline_total_ms, r.resolution_ms AS baseline_resolution_ms
FROM rankings AS r
WHERE r.framework_key = lower(baseline_framework) AND r.include_flagged = with_flagged AND r.rank IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY r.machine_id, r.model_key
                           ORDER BY r.total_ms, r.source, r.line, r.run_id) = 1;
