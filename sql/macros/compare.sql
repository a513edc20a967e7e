-- The runs one stack selector picks against those another picks, model by model: ratio, p-value, mark.
-- compare(baseline, contender [, metric_name := 'total_ms', factor := 1.10, alpha := 0.01]), with the
-- statistics of the view `comparisons` (the same SQL: see stats:begin below).
-- A selector is 'key=value,key=value' (every term must hold; case-insensitive; * in a value is a
-- wildcard): framework, version, libraries, precision (none: not given), machine (key or name),
-- model (name or canonical key), source (the file as ingested), stack (as results.stack).
-- Matching rule: a baseline run and a contender run pair up when they are on the same model
-- (model_key) and are distinct runs, and, unless a selector names the dimension, on the same machine,
-- with the same precision, and with the same stack (framework, version, libraries: all three may
-- differ once either selector names one of them). The source never has to agree.
-- So compare('framework=torch,version=2.13', 'framework=torch,version=2.14') pairs runs of one
-- machine and precision, and compare('machine=box-a', 'machine=box-b') one stack on two machines.
-- One row per pair and the metric asked for (forward_ms, backward_ms, total_ms or memory_bytes),
-- and one row with mark '!' (status 'missing in the contender') for each baseline run no contender
-- run pairs with. Columns as `comparisons`, with baseline_machine_key and contender_machine_key
-- instead of machine_id and machine_key, and baseline_source, contender_source.
-- Use: SELECT * FROM compare('framework=jax', 'framework=torch') ORDER BY ratio DESC;
CREATE MACRO compare(baseline, contender, metric_name := 'total_ms', factor := 1.10, alpha := 0.01) AS TABLE
WITH wanted AS (
    -- each selector's value per key (NULL: not named), lower case; a selector without any
    -- key=value term picks nothing
    SELECT s.side, contains(s.sel, '=') AS any_term,
           nullif(trim(regexp_extract(s.sel, ',\s*framework\s*=([^,]*)', 1)), '') AS framework,
           nullif(trim(regexp_extract(s.sel, ',\s*version\s*=([^,]*)', 1)), '') AS version,
           nullif(trim(regexp_extract(s.sel, ',\s*libraries\s*=([^,]*)', 1)), '') AS libraries,
           nullif(trim(regexp_extract(s.sel, ',\s*precision\s*=([^,]*)', 1)), '') AS precision,
           nullif(trim(regexp_extract(s.sel, ',\s*machine\s*=([^,]*)', 1)), '') AS machine,
           nullif(trim(regexp_extract(s.sel, ',\s*model\s*=([^,]*)', 1)), '') AS model,
           nullif(trim(regexp_extract(s.sel, ',\s*source\s*=([^,]*)', 1)), '') AS source,
           nullif(trim(regexp_extract(s.sel, ',\s*stack\s*=([^,]*)', 1)), '') AS stack
    FROM (SELECT 'baseline' AS side, ',' || lower(baseline) AS sel
          UNION ALL
          SELECT 'contender' AS side, ',' || lower(contender) AS sel) AS s
),
named AS (
    SELECT bool_or(w.machine IS NOT NULL) AS machine,
           bool_or(w.precision IS NOT NULL) AS precision,
           bool_or(w.framework IS NOT NULL OR w.version IS NOT NULL OR w.libraries IS NOT NULL
                   OR w.stack IS NOT NULL) AS stack
    FROM wanted AS w
),
chosen AS (
    -- the picked runs with their matching keys: a dimension a selector names matches anything
    SELECT r.*, w.side,
           CASE WHEN n.machine THEN 0 ELSE r.machine_id END AS machine_match,
           CASE WHEN n.precision THEN '' ELSE coalesce(r.precision, chr(0)) END AS precision_match,
           CASE WHEN n.stack THEN ''
                ELSE r.framework || chr(0) || r.framework_version || chr(0) || coalesce(r.libraries, chr(0)) END
               AS stack_match
    FROM results AS r
    JOIN wanted AS w
      ON w.any_term
     AND (w.framework IS NULL OR lower(r.framework) = w.framework OR (contains(w.framework, '*') AND lower(r.framework) LIKE replace(w.framework, '*', '%')))
     AND (w.version IS NULL OR lower(r.framework_version) = w.version OR (contains(w.version, '*') AND lower(r.framework_version) LIKE replace(w.version, '*', '%')))
     AND (w.libraries IS NULL OR lower(coalesce(r.libraries, 'none')) = w.libraries OR (contains(w.libraries, '*') AND lower(coalesce(r.libraries, 'none')) LIKE replace(w.libraries, '*', '%')))
     AND (w.precision IS NULL OR lower(coalesce(r.precision, 'none')) = w.precision OR (contains(w.precision, '*') AND lower(coalesce(r.precision, 'none')) LIKE replace(w.precision, '*', '%')))
     AND ((w.machine IS NULL OR lower(r.machine_key) = w.machine OR (contains(w.machine, '*') AND lower(r.machine_key) LIKE replace(w.machine, '*', '%'))) OR lower(r.machine) = w.machine)
     AND ((w.model IS NULL OR lower(r.model) = w.model OR (contains(w.model, '*') AND lower(r.model) LIKE replace(w.model, '*', '%'))) OR r.model_key = regexp_replace(w.model, '[^0-9a-z]+', '', 'g'))
     AND (w.source IS NULL OR lower(r.source) = w.source OR (contains(w.source, '*') AND lower(r.source) LIKE replace(w.source, '*', '%')))
     AND (w.stack IS NULL OR lower(r.stack) = w.stack OR (contains(w.stack, '*') AND lower(r.stack) LIKE replace(w.stack, '*', '%')))
    CROSS JOIN named AS n
),
pairs AS (
    SELECT b.run_id AS baseline_run_id, c.run_id AS contender_run_id, metric_name AS metric,
           CAST(factor AS DOUBLE) AS factor, CAST(alpha AS DOUBLE) AS alpha
    FROM chosen AS b
    JOIN chosen AS c
      ON c.model_key = b.model_key AND c.machine_match = b.machine_match
     AND c.precision_match = b.precision_match AND c.stack_match = b.stack_match
    WHERE b.side = 'baseline' AND c.side = 'contender' AND c.run_id <> b.run_id
),
-- stats:begin (this block is the same text in sql/views/comparisons.sql and sql/macros/compare.sql;
-- tests/test_compare.py checks that). It reads `pairs` (baseline_run_id, contender_run_id, metric,
-- factor, alpha) and the views results, run_stats and run_samples.
sides AS (
    -- each pair twice, once per run (is_contender 0: the baseline's), so that the run statistics and
    -- samples are read once for both sides
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, 0 AS is_contender, p.baseline_run_id AS run_id
    FROM pairs AS p
    UNION ALL
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, 1 AS is_contender, p.contender_run_id AS run_id
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
    JOIN run_stats AS st ON st.run_id = d.run_id AND st.metric = d.metric  -- runs with samples only
    GROUP BY d.baseline_run_id, d.contender_run_id, d.metric
),
sided AS (
    SELECT p.baseline_run_id, p.contender_run_id, p.metric, p.factor, p.alpha,
           b.machine_id AS baseline_machine_id, b.stack AS baseline_stack,
           c.machine_id AS contender_machine_id, c.stack AS contender_stack,
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
    JOIN results AS b ON b.run_id = p.baseline_run_id
    JOIN results AS c ON c.run_id = p.contender_run_id
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
    JOIN run_samples AS s ON s.run_id = d.run_id AND s.metric = d.metric
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
    WINDOW w AS (PARTITION BY m.baseline_machine_id, m.baseline_stack, m.contender_machine_id, m.contender_stack, m.metric)
)
-- stats:end
SELECT b.machine_key AS baseline_machine_key, c.machine_key AS contender_machine_key,
       b.model_key, b.model, s.metric,
       s.baseline_run_id, s.baseline_stack, b.source AS baseline_source,
       s.contender_run_id, s.contender_stack, c.source AS contender_source,
       s.baseline_value, s.contender_value, s.baseline_n, s.contender_n,
       s.ratio, s.ratio_low, s.ratio_high, s.u, s.u_sigma, s.p_value, s.status, s.mark,
       s.geomean_ratio, s.geomean_low, s.geomean_high, s.geomean_models
FROM summarized AS s
JOIN results AS b ON b.run_id = s.baseline_run_id
JOIN results AS c ON c.run_id = s.contender_run_id
UNION ALL
SELECT b.machine_key, NULL, b.model_key, b.model, metric_name,
       b.run_id, b.stack, b.source,
       NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, 'missing in the contender', '!',
       NULL, NULL, NULL, NULL
FROM chosen AS b
WHERE b.side = 'baseline'
  AND b.run_id NOT IN (SELECT p.baseline_run_id FROM pairs AS p);
