-- One row per pair of runs with samples on the same machine and model, compared on total time, from
-- the view comparisons (baseline_stack before contender_stack in name order, so each pair once; two
-- stacks that show alike are ordered by run_id, never both left out):
-- the medians (ms), ratio = contender / baseline with its interval (NULL under 6 samples a side),
-- the Mann-Whitney p-value, asv's mark and the status. Runs without samples (the published data)
-- have no interval or test to show and are left out; the view has them, ratio only.
-- Also the contender's framework (for its colour). Scope: in_scope (sql/report/scope.sql): the
-- machine and model, and a framework filter keeps a pair when either run is of a framework named.
-- Parameter: $max_rows, the most rows to return.
SELECT c.machine_key, c.model, c.baseline_stack, c.contender_stack, r.framework,
       c.baseline_value AS baseline_ms, c.contender_value AS contender_ms, c.baseline_n, c.contender_n,
       c.ratio, c.ratio_low, c.ratio_high, c.p_value, c.mark, c.status
FROM comparisons AS c
JOIN results AS r ON r.run_id = c.contender_run_id
JOIN results AS b ON b.run_id = c.baseline_run_id
WHERE c.metric = 'total_ms' AND c.status IN ('tested', 'too few samples')
  AND in_scope(c.machine_id, c.model_key, NULL)
  AND (in_scope(NULL, NULL, r.framework_key) OR in_scope(NULL, NULL, b.framework_key))
  AND (c.baseline_stack < c.contender_stack
       OR (c.baseline_stack = c.contender_stack AND c.baseline_run_id < c.contender_run_id))
ORDER BY c.machine_key, c.model, c.baseline_stack, c.contender_stack
LIMIT $max_rows
