-- The rows of `dlbench compare`: the compare(...) macro for two selectors and a metric, with the
-- verdict thresholds, sorted so that regressions come first (the marks' sort_position in
-- seeds/compare_marks.csv: '+', '!', '~', 'x', ' ', '-'), then the largest ratio first, then by
-- model, machine and stacks.
-- Parameters: $baseline, $contender (selectors), $metric (its name), $factor, $alpha.
WITH marks AS (
    -- include: seeds/compare_marks.csv
)
SELECT c.*
FROM compare($baseline, $contender, metric_name := $metric, factor := $factor, alpha := $alpha) AS c
JOIN marks AS m ON m.mark = c.mark
ORDER BY m.sort_position, c.ratio DESC NULLS LAST, c.model_key, c.baseline_machine_key, c.contender_machine_key,
         c.baseline_stack, c.contender_stack
