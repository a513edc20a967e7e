-- One row per run compared with the baseline framework's best run (lowest total_ms) on its machine
-- and model, for `report --baseline`: the comparisons view's ratio (total_ms: medians of samples
-- where both runs have them, else their totals), mark and status, so that the report and
-- `dlbench compare` never disagree. The baseline's best run itself has ratio 1 and no mark.
-- Ties for the best total go to the first in source and line order; a flagged run (run_flags) is
-- never the baseline, as in rankings.
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), each NULL for all; baseline
-- framework name (VARCHAR, matched case-insensitively).
WITH f AS (
    SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $baseline::VARCHAR AS baseline
),
best AS (
    SELECT machine_id, model_key, run_id AS baseline_run_id
    FROM (SELECT r.machine_id, r.model_key, r.run_id,
                 row_number() OVER (PARTITION BY r.machine_id, r.model_key
                                    ORDER BY r.total_ms, r.source, r.line, r.run_id) AS place
          FROM results AS r
          JOIN run_flags AS fl ON fl.run_id = r.run_id
          CROSS JOIN f
          WHERE lower(r.framework) = lower(f.baseline) AND r.total_ms IS NOT NULL AND NOT fl.flagged
            AND (f.machine_ids IS NULL OR list_contains(f.machine_ids, r.machine_id))
            AND (f.model_keys IS NULL OR list_contains(f.model_keys, r.model_key))) AS ranked
    WHERE place = 1
)
SELECT b.baseline_run_id AS run_id, 1.0 AS ratio, ' ' AS mark, 'baseline' AS status, NULL AS p_value
FROM best AS b
UNION ALL
SELECT c.contender_run_id, c.ratio, c.mark, c.status, c.p_value
FROM comparisons AS c
JOIN best AS b ON b.baseline_run_id = c.baseline_run_id
WHERE c.metric = 'total_ms'
