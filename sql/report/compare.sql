-- The rows of `dlbench compare`: the compare(...) macro for two selectors and a metric, with the
-- verdict thresholds, sorted so that regressions come first: '+', '!', '~', 'x', ' ', '-', then the
-- largest ratio first, then by model, machine and stacks.
-- Parameters: $baseline, $contender (selectors), $metric (its name), $factor, $alpha.
SELECT *
FROM compare($baseline, $contender, metric_name := $metric, factor := $factor, alpha := $alpha)
ORDER BY CASE mark WHEN '+' THEN 0 WHEN '!' THEN 1 WHEN '~' THEN 2 WHEN 'x' THEN 3 WHEN ' ' THEN 4 ELSE 5 END,
         ratio DESC NULLS LAST, model_key, baseline_machine_key, contender_machine_key, baseline_stack,
         contender_stack
