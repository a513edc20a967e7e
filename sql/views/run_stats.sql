-- Summary statistics of a run's raw samples per metric: n, median with its 95% interval, mean, spread.
-- grain: run_id, metric
-- One row per run and metric (forward_ms, backward_ms, total_ms) that has samples (view run_samples);
-- all values in milliseconds per minibatch. Columns:
--   run_id, metric, n (samples), median_ms, mean_ms, stddev_ms (sample standard deviation, n - 1;
--   NULL for one sample), min_ms, max_ms, q1_ms, q3_ms (quartiles by linear interpolation between
--   order statistics: numpy's default, DuckDB's quantile_cont), iqr_ms (q3 - q1);
--   median_ci_low_ms, median_ci_high_ms: a distribution-free confidence interval of the median from
--   order statistics: [x(k), x(n+1-k)] with k the largest rank such that P(B <= k-1) <= 0.025 for
--   B ~ Binomial(n, 1/2), so the interval covers the median with probability at least 95%;
--   median_ci_coverage: that probability exactly, 1 - 2 P(B <= k-1). NULL for fewer than 6 samples
--   (even x(1) to x(n) covers less than 95%: 1 - 2^(1-n)).
-- The binomial probabilities are summed from log C(n, j) = sum of ln((n-i+1)/i), i = 1..j, by window
-- sums over the ranks of each sample count in use (not per run), so the view needs no special
-- functions and runs on any engine. The sort keys are never NULL; NULLS FIRST is said so that
-- engines whose default differs (BigQuery) need no translation.
WITH ranked AS (
    SELECT run_id, metric, value_ms,
           row_number() OVER (PARTITION BY run_id, metric ORDER BY value_ms NULLS FIRST, iteration NULLS FIRST) AS r,
           count(*) OVER (PARTITION BY run_id, metric) AS n
    FROM run_samples
),
sizes AS (
    -- the binomial tables depend on the sample count alone: (n, r), r = 1..n, once per n in use
    -- (the ranks taken from the iteration numbers, 1 to the most samples of any run)
    SELECT c.n, i.r
    FROM (SELECT DISTINCT count(*) AS n FROM run_samples GROUP BY run_id, metric) AS c
    JOIN (SELECT DISTINCT iteration AS r FROM samples) AS i ON i.r <= c.n
),
binomial AS (
    -- pmf: P(B = r) = C(n, r) / 2^n
    SELECT n, r,
           exp(sum(ln(CAST(n - r + 1 AS DOUBLE) / r)) OVER (
                   PARTITION BY n ORDER BY r NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               - n * ln(2.0)) AS pmf
    FROM sizes
),
cumulative AS (
    -- below: P(B <= r - 1) = P(B = 0) + P(B = 1) + ... + P(B = r - 1)
    SELECT n, r,
           exp(-n * ln(2.0)) + coalesce(sum(pmf) OVER (
               PARTITION BY n ORDER BY r NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below
    FROM binomial
),
interval_ranks AS (
    -- k per sample count, with the interval's exact coverage; no row when even k = 1 fails (n < 6)
    SELECT c.n, c.r AS k, 1 - 2 * c.below AS coverage
    FROM cumulative AS c
    JOIN (SELECT n, max(CASE WHEN below <= 0.025 THEN r END) AS k FROM cumulative GROUP BY n) AS m
      ON m.n = c.n AND m.k = c.r
),
summary AS (
    SELECT x.run_id, x.metric,
           max(x.n) AS n,
           avg(x.value_ms) AS mean_ms,
           stddev_samp(x.value_ms) AS stddev_ms,
           min(x.value_ms) AS min_ms,
           max(x.value_ms) AS max_ms,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.25) + 1 THEN x.value_ms END) AS q1_lo,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.25) + 2 THEN x.value_ms END) AS q1_hi,
           max((x.n - 1) * 0.25 - floor((x.n - 1) * 0.25)) AS q1_frac,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.5) + 1 THEN x.value_ms END) AS q2_lo,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.5) + 2 THEN x.value_ms END) AS q2_hi,
           max((x.n - 1) * 0.5 - floor((x.n - 1) * 0.5)) AS q2_frac,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.75) + 1 THEN x.value_ms END) AS q3_lo,
           max(CASE WHEN x.r = floor((x.n - 1) * 0.75) + 2 THEN x.value_ms END) AS q3_hi,
           max((x.n - 1) * 0.75 - floor((x.n - 1) * 0.75)) AS q3_frac,
           max(CASE WHEN x.r = i.k THEN x.value_ms END) AS median_ci_low_ms,
           max(CASE WHEN x.r = x.n + 1 - i.k THEN x.value_ms END) AS median_ci_high_ms,
           max(i.coverage) AS median_ci_coverage
    FROM ranked AS x
    LEFT JOIN interval_ranks AS i ON i.n = x.n
    GROUP BY x.run_id, x.metric
)
SELECT run_id,
       metric,
       n,
       q2_lo + q2_frac * (coalesce(q2_hi, q2_lo) - q2_lo) AS median_ms,
       mean_ms,
       stddev_ms,
       min_ms,
       max_ms,
       q1_lo + q1_frac * (coalesce(q1_hi, q1_lo) - q1_lo) AS q1_ms,
       q3_lo + q3_frac * (coalesce(q3_hi, q3_lo) - q3_lo) AS q3_ms,
       (q3_lo + q3_frac * (coalesce(q3_hi, q3_lo) - q3_lo)) - (q1_lo + q1_frac * (coalesce(q1_hi, q1_lo) - q1_lo)) AS iqr_ms,
       median_ci_low_ms,
       median_ci_high_ms,
       median_ci_coverage
FROM summary
