-- Fragment (CTEs; the last of a WITH list): the statistics of a comparison, shared by the view
-- comparisons, the compare(...) macro and dlbench compare's two states. It reads `pairs`
-- (baseline_state, baseline_run_id, contender_state, contender_run_id, metric, factor, alpha: which
-- runs to compare, on which metric, with which thresholds), `state_results` (runs with their stack_id and base_stack_id, as results gives them),
-- `state_stats` and `state_samples` (run_stats and run_samples with their `state`), and defines
-- `summarized`: one row per pair with both sides' keys, values, ratio, U, p, status, mark and the
-- geometric mean over the models of the pair's stacks.
sides AS (
    -- each pair twice, once per run (is_contender 0: the baseline's), so that the run statistics and
    -- samples are read once for both sides
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, 0 AS is_contender, p.baseline_state AS state,
           p.baseline_run_id AS run_id
    FROM pairs AS p
    UNION ALL
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, 1 AS is_contender, p.contender_state AS state,
           p.contender_run_id AS run_id
    FROM pairs AS p
),
side_stats AS (
    SELECT d.baseline_run_id, d.contender_run_id, d.metric,
           max(CASE WHEN d.is_contender = 0 THEN st.n END) AS baseline_n,
           max(CASE WHEN d.is_contender = 1 THEN st.n END) AS contender_n,
           max(CASE WHEN d.is_contender = 0 THEN st.median_ms END) AS baseline_median,
           max(CASE WHEN d.is_contender = 1 THEN st.median_ms END) AS contender_median,
           max(CASE WHEN d.is_contender = 0 THEN st.median_ci_low_ms END) AS baseline_ci_low,
           max(CASE WHEN d.is_contender = 0 THEN st.median_ci_high_ms END) AS baseline_ci_high,
           max(CASE WHEN d.is_contender = 1 THEN st.median_ci_low_ms END) AS contender_ci_low,
           max(CASE WHEN d.is_contender = 1 THEN st.median_ci_high_ms END) AS contender_ci_high
    FROM sides AS d
    JOIN state_stats AS st  -- runs with samples only
      ON st.state = d.state AND st.run_id = d.run_id AND st.metric = d.metric
    GROUP BY d.baseline_run_id, d.contender_run_id, d.metric
),
sided AS (
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, p.factor, p.alpha,
           b.machine_id AS baseline_machine_id, b.machine_key AS baseline_machine_key, b.model_key, b.model,
           b.stack AS baseline_stack, b.stack_id AS baseline_stack_id, b.source AS baseline_source,
           c.machine_id AS contender_machine_id, c.machine_key AS contender_machine_key,
           c.stack AS contender_stack, c.stack_id AS contender_stack_id, c.source AS contender_source,
           st.baseline_n, st.contender_n,
           st.baseline_ci_low, st.baseline_ci_high, st.contender_ci_low, st.contender_ci_high,
           coalesce(st.baseline_median, CASE p.metric WHEN 'forward_ms' THEN b.forward_ms
                                                      WHEN 'backward_ms' THEN b.backward_ms
                                                      WHEN 'total_ms' THEN b.total_ms
                                                      WHEN 'memory_bytes' THEN b.memory_bytes END) AS baseline_value,
           coalesce(st.contender_median, CASE p.metric WHEN 'forward_ms' THEN c.forward_ms
                                                       WHEN 'backward_ms' THEN c.backward_ms
                                                       WHEN 'total_ms' THEN c.total_ms
                                                       WHEN 'memory_bytes' THEN c.memory_bytes END) AS contender_value
    FROM pairs AS p
    JOIN state_results AS b ON b.state = p.baseline_state AND b.run_id = p.baseline_run_id
    JOIN state_results AS c ON c.state = p.contender_state AND c.run_id = p.contender_run_id
    LEFT JOIN side_stats AS st
      ON st.baseline_run_id = p.baseline_run_id AND st.contender_run_id = p.contender_run_id
     AND st.metric = p.metric
),
pooled AS (
    -- both runs' samples in one list, for the pairs that have at least 2 samples on each side
    SELECT d.baseline_run_id, d.contender_run_id, d.metric, d.is_contender, s.value_ms
    FROM sides AS d
    JOIN side_stats AS st
      ON st.baseline_run_id = d.baseline_run_id AND st.contender_run_id = d.contender_run_id
     AND st.metric = d.metric
    JOIN state_samples AS s ON s.state = d.state AND s.run_id = d.run_id AND s.metric = d.metric
    WHERE st.baseline_n >= 2 AND st.contender_n >= 2
),
tallied AS (
    -- per distinct value of the pooled list: how many samples have it (tied), how many are the contender's
    SELECT o.baseline_run_id, o.contender_run_id, o.metric, o.value_ms,
           count(*) AS tied, sum(o.is_contender) AS contender_tied
    FROM pooled AS o
    GROUP BY o.baseline_run_id, o.contender_run_id, o.metric, o.value_ms
),
ranked AS (
    -- below: how many pooled samples are smaller; a value's tied samples take ranks below + 1 to
    -- below + tied, on average below + (tied + 1) / 2
    SELECT t.baseline_run_id, t.contender_run_id, t.metric, t.tied, t.contender_tied,
           coalesce(sum(t.tied) OVER (PARTITION BY t.baseline_run_id, t.contender_run_id, t.metric
                                      ORDER BY t.value_ms NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               AS below
    FROM tallied AS t
),
rank_sums AS (
    -- contender_rank_sum: the contender's ranks, ties given their average rank;
    -- tie_term: sum over groups of tied values of t^3 - t
    SELECT k.baseline_run_id, k.contender_run_id, k.metric,
           sum(k.contender_tied * (k.below + (k.tied + 1) / 2.0)) AS contender_rank_sum,
           sum(k.tied * k.tied * k.tied - k.tied) AS tie_term
    FROM ranked AS k
    GROUP BY k.baseline_run_id, k.contender_run_id, k.metric
),
tested AS (
    SELECT s.*,
           r.contender_rank_sum - s.contender_n * (s.contender_n + 1) / 2.0 AS u,
           -- in doubles: Spark would keep decimal literals' fixed scale (and lose digits)
           sqrt(CAST(s.baseline_n * s.contender_n AS DOUBLE) / 12
                * ((s.baseline_n + s.contender_n + 1)
                   - CAST(r.tie_term AS DOUBLE)
                     / (CAST(s.baseline_n + s.contender_n AS DOUBLE) * (s.baseline_n + s.contender_n - 1))))
               AS u_sigma,
           s.contender_value / s.baseline_value AS ratio,
           s.contender_ci_low / s.baseline_ci_high AS ratio_low,
           s.contender_ci_high / s.baseline_ci_low AS ratio_high
    FROM sided AS s
    LEFT JOIN rank_sums AS r
      ON r.baseline_run_id = s.baseline_run_id AND r.contender_run_id = s.contender_run_id
     AND r.metric = s.metric
),
standardized AS (
    -- z as scipy.stats.mannwhitneyu (method="asymptotic", use_continuity=True): the larger of the two
    -- U statistics, less its mean n1*n2/2, less 1/2 (continuity), over its tie-corrected sigma
    SELECT t.*,
           CASE WHEN t.u_sigma > 0
                THEN (greatest(t.u, t.baseline_n * t.contender_n - t.u) - t.baseline_n * t.contender_n / 2.0 - 0.5)
                     / t.u_sigma / sqrt(2.0) END AS x
    FROM tested AS t
),
p_values AS (
    -- two-sided p = 2 * (1 - Phi(z)) = erfc(z / sqrt 2), clipped to 1 as scipy does (z <= 0 or
    -- sigma 0: p = 1). erfc(x) for x > 0 by the Chebyshev fit of Numerical Recipes (erfcc, 2nd ed.
    -- section 6.2): fractional error below 1.2e-7 everywhere, so p is within 1.2e-7 * p of scipy's.
    SELECT s.*,
           CASE WHEN s.u IS NULL THEN NULL
                WHEN s.x IS NULL OR s.x <= 0 THEN 1.0
                ELSE (1.0 / (1.0 + 0.5 * s.x)) * exp(-s.x * s.x - 1.26551223 + (1.0 / (1.0 + 0.5 * s.x)) * (1.00002368
                     + (1.0 / (1.0 + 0.5 * s.x)) * (0.37409196 + (1.0 / (1.0 + 0.5 * s.x)) * (0.09678418
                     + (1.0 / (1.0 + 0.5 * s.x)) * (-0.18628806 + (1.0 / (1.0 + 0.5 * s.x)) * (0.27886807
                     + (1.0 / (1.0 + 0.5 * s.x)) * (-1.13520398 + (1.0 / (1.0 + 0.5 * s.x)) * (1.48851587
                     + (1.0 / (1.0 + 0.5 * s.x)) * (-0.82215223 + (1.0 / (1.0 + 0.5 * s.x)) * 0.17087277)))))))))
           END AS p_value
    FROM standardized AS s
),
marked AS (
    SELECT p.*,
           CASE WHEN p.baseline_value IS NULL OR p.contender_value IS NULL THEN 'not measured'
                WHEN p.baseline_n IS NULL OR p.contender_n IS NULL THEN 'no samples'
                WHEN p.baseline_n < 2 OR p.contender_n < 2 THEN 'too few samples'
                ELSE 'tested' END AS status,
           CASE WHEN p.baseline_value IS NULL THEN 'x'
                WHEN p.contender_value IS NULL THEN '!'
                WHEN p.ratio > p.factor AND p.p_value < p.alpha THEN '+'
                WHEN p.ratio < 1.0 / p.factor AND p.p_value < p.alpha THEN '-'
                WHEN p.ratio > p.factor OR p.ratio < 1.0 / p.factor THEN '~'
                ELSE ' ' END AS mark
    FROM p_values AS p
),
summarized AS (
    -- the geometric mean of the ratios over the models of one pair of stacks (per machine of each
    -- side and metric), and its interval: each model's ratio interval taken as a 95% interval on the
    -- log scale, half-widths combined in quadrature, exp(mean ln ratio +- sqrt(sum h^2) / models);
    -- NULL when a model has no interval
    SELECT m.*,
           count(m.ratio) OVER w AS geomean_models,
           exp(avg(ln(m.ratio)) OVER w) AS geomean_ratio,
           CASE WHEN count(m.ratio_low) OVER w = count(m.ratio) OVER w
                THEN exp(avg(ln(m.ratio)) OVER w - sqrt(sum(power((ln(m.ratio_high) - ln(m.ratio_low)) / 2, 2)) OVER w)
                         / count(m.ratio) OVER w) END AS geomean_low,
           CASE WHEN count(m.ratio_low) OVER w = count(m.ratio) OVER w
                THEN exp(avg(ln(m.ratio)) OVER w + sqrt(sum(power((ln(m.ratio_high) - ln(m.ratio_low)) / 2, 2)) OVER w)
                         / count(m.ratio) OVER w) END AS geomean_high
    FROM marked AS m
    WINDOW w AS (PARTITION BY m.baseline_machine_id, m.baseline_stack_id, m.contender_machine_id,
                              m.contender_stack_id, m.metric)
)
