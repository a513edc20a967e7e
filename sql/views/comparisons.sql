-- Two runs on the same machine and model compared per metric: ratio, interval, Mann-Whitney p-value, mark.
-- grain: baseline_run_id, contender_run_id, metric
-- One row per ordered pair of distinct runs on the same machine_id and model_key (the default matching
-- rule; the compare(...) macro matches across machines and files) and per metric: forward_ms,
-- backward_ms, total_ms (from samples when the runs have them) and memory_bytes (never sampled).
-- The verdict uses a factor of 1.10 and alpha = 0.01, as `dlbench compare` does by default
-- (compare(baseline, contender, metric, factor, alpha) takes others). Columns:
--   machine_id, machine_key, model_key, model, metric, baseline_run_id, baseline_stack,
--   contender_run_id, contender_stack;
--   baseline_value, contender_value: the median of the run's samples (run_stats) when it has any,
--     else the number it reports (results: forward_ms, backward_ms, total_ms, memory_bytes);
--   baseline_n, contender_n: samples (NULL: none);
--   ratio: contender_value / baseline_value (above 1: the contender is slower or bigger);
--   ratio_low, ratio_high: the contender's median interval over the baseline's (run_stats, 95% each,
--     so the ratio interval covers at least 90%); NULL when either side has fewer than 6 samples;
--   u: the Mann-Whitney U of the contender (pairs of samples where the contender's is larger, ties
--     count 1/2), u_sigma: its standard deviation with the tie correction; p_value: two-sided, by the
--     normal approximation with continuity correction, as scipy.stats.mannwhitneyu(contender,
--     baseline, method="asymptotic"); NULL unless both sides have at least 2 samples;
--   status: tested, no samples (either side has none: ratio only, no p-value), too few samples (a
--     side has 1), not measured (a side lacks the number);
--   mark (as asv compare): '+' slower: ratio > factor and p < alpha; '-' faster: ratio < 1/factor and
--     p < alpha; '~' beyond the factor but not significant (or not testable); ' ' within the factor;
--     'x' the baseline lacks the number; '!' the contender lacks it;
--   geomean_ratio, geomean_low, geomean_high, geomean_models: the geometric mean of the ratios over
--     the models this pair of stacks shares on the machine, per metric, and its interval (see
--     sql/fragments/compare_stats.sql, the statistics this view shares with compare(...)); stacks
--     are told apart by their stack_id (results), not by their display strings.
WITH metrics AS (
    SELECT 'forward_ms' AS metric
    UNION ALL SELECT 'backward_ms'
    UNION ALL SELECT 'total_ms'
    UNION ALL SELECT 'memory_bytes'
),
pairs AS (
    SELECT 0 AS baseline_state, b.run_id AS baseline_run_id,
           0 AS contender_state, c.run_id AS contender_run_id, m.metric,
           CAST(1.10 AS DOUBLE) AS factor, CAST(0.01 AS DOUBLE) AS alpha  -- doubles on every engine (Spark reads 1.10 as a decimal)
    FROM results AS b
    JOIN results AS c ON c.machine_id = b.machine_id AND c.model_key = b.model_key AND c.run_id <> b.run_id
    CROSS JOIN metrics AS m
),
-- include: fragments/compare_one_state.sql
-- include: fragments/compare_stats.sql
SELECT s.baseline_machine_id AS machine_id,
       s.baseline_machine_key AS machine_key,
       s.model_key,
       s.model,
       s.metric,
       s.baseline_run_id,
       s.baseline_stack,
       s.contender_run_id,
       s.contender_stack,
       s.baseline_value,
       s.contender_value,
       s.baseline_n,
       s.contender_n,
       s.ratio,
       s.ratio_low,
       s.ratio_high,
       s.u,
       s.u_sigma,
       s.p_value,
       s.status,
       s.mark,
       s.geomean_ratio,
       s.geomean_low,
       s.geomean_high,
       s.geomean_models
FROM summarized AS s
