-- Fragment (a SELECT): the rows of the compare(...) macro and of dlbench compare's two states, from
-- `summarized` (compare_stats.sql) and `unpaired` (the rows of state_results of the baseline runs
-- that nothing pairs with, and the `metric` asked for: each a row with mark '!').
SELECT s.baseline_machine_key, s.contender_machine_key, s.model_key, s.model, s.metric,
       s.baseline_run_id, s.baseline_stack, s.baseline_source,
       s.contender_run_id, s.contender_stack, s.contender_source,
       s.baseline_value, s.contender_value, s.baseline_n, s.contender_n,
       s.ratio, s.ratio_low, s.ratio_high, s.u, s.u_sigma, s.p_value, s.status, s.mark,
       s.geomean_ratio, s.geomean_low, s.geomean_high, s.geomean_models,
       s.baseline_stack_id, s.contender_stack_id
FROM summarized AS s
UNION ALL
SELECT b.machine_key, NULL, b.model_key, b.model, b.metric,
       b.run_id, b.stack, b.source,
       NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, 'missing in the contender', '!',
       NULL, NULL, NULL, NULL,
       b.stack_id, NULL
FROM unpaired AS b
