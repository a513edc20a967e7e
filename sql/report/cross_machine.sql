-- The report's cross-machine section in one pass over the view cross_machine (each run against the
-- fastest comparable run on any other machine; total_ratio = other_total_ms / total_ms, above 1:
-- this run is faster), keeping the runs of the machines, models and frameworks reported (the other
-- run can be on any machine). Two parts, told apart by `part`:
-- part 1, one row per machine with like-for-like comparisons (cross_machine.like_for_like: the same
--   framework, precision and known library set; the only rows that compare machines):
--   machine_key, runs_compared, faster (runs with total_ratio above 1 and not a tie), ties (runs
--   whose totals are within their resolution: cross_machine.total_tie), geomean_ratio (geometric
--   mean of total_ratio: above 1, this machine is faster), and best_* / worst_*: the run with the
--   highest / lowest ratio (ties: model_key, stack, run_id) with its model, stack,
--   other_machine_key and ratio;
-- part 2, the first `limit` runs, like-for-like first, then by model and stack: like_for_like,
--   model, stack_key, machine_key, stack, total_ms, other_machine_key, other_stack, other_total_ms,
--   total_ratio, total_tie.
-- Both parts carry total_rows (every run compared, before the limit) and like_rows (those that
-- are like for like); `place` orders each part.
-- Scope: in_scope (sql/report/scope.sql). Parameter: max_rows (BIGINT): the most part-2 rows.
WITH f AS (SELECT $max_rows::BIGINT AS max_rows),
c AS MATERIALIZED (
    SELECT c.*,
           row_number() OVER (PARTITION BY c.machine_id, c.like_for_like
                              ORDER BY c.total_ratio DESC NULLS LAST, c.model_key, c.stack, c.run_id) AS best,
           row_number() OVER (PARTITION BY c.machine_id, c.like_for_like
                              ORDER BY c.total_ratio ASC NULLS LAST, c.model_key, c.stack, c.run_id) AS worst
    FROM cross_machine AS c
    WHERE in_scope(c.machine_id, c.model_key, lower(c.framework))
),
per_machine AS (
    SELECT 1 AS part,
           row_number() OVER (ORDER BY machine_key, machine_id) AS place,
           machine_key,
           count(*) AS runs_compared,
           count(*) FILTER (WHERE total_ratio > 1 AND NOT total_tie) AS faster,
           count(*) FILTER (WHERE total_tie) AS ties,
           exp(avg(ln(total_ratio)) FILTER (WHERE total_ratio > 0)) AS geomean_ratio,
           max(CASE WHEN best = 1 THEN model END) AS best_model,
           max(CASE WHEN best = 1 THEN stack END) AS best_stack,
           max(CASE WHEN best = 1 THEN other_machine_key END) AS best_other_machine_key,
           max(CASE WHEN best = 1 THEN total_ratio END) AS best_ratio,
           max(CASE WHEN worst = 1 THEN model END) AS worst_model,
           max(CASE WHEN worst = 1 THEN stack END) AS worst_stack,
           max(CASE WHEN worst = 1 THEN other_machine_key END) AS worst_other_machine_key,
           max(CASE WHEN worst = 1 THEN total_ratio END) AS worst_ratio
    FROM c
    WHERE like_for_like
    GROUP BY machine_id, machine_key
),
listed AS (
    SELECT 2 AS part,
           row_number() OVER (ORDER BY like_for_like DESC, model_key, stack_key, machine_key,
                                       other_machine_key, stack, other_stack, run_id, other_run_id) AS place,
           *
    FROM (
        SELECT c.model_key, c.like_for_like, c.run_id, c.other_run_id, c.model, c.stack_key,
               c.machine_key, c.stack, c.total_ms, c.other_machine_key, c.other_stack, c.other_total_ms,
               c.total_ratio, c.total_tie
        FROM c
        ORDER BY c.like_for_like DESC, c.model_key, c.stack_key, c.machine_key, c.other_machine_key,
                 c.stack, c.other_stack, c.run_id, c.other_run_id
        LIMIT (SELECT max_rows FROM f)
    ) AS first_rows
)
SELECT part, place, machine_key, runs_compared, faster, ties, geomean_ratio,
       best_model, best_stack, best_other_machine_key, best_ratio,
       worst_model, worst_stack, worst_other_machine_key, worst_ratio,
       NULL::BOOLEAN AS like_for_like, NULL AS model, NULL AS stack_key, NULL AS stack,
       NULL::DOUBLE AS total_ms, NULL AS other_machine_key, NULL AS other_stack,
       NULL::DOUBLE AS other_total_ms, NULL::DOUBLE AS total_ratio, NULL::BOOLEAN AS total_tie,
       (SELECT count(*) FROM c) AS total_rows,
       (SELECT count(*) FROM c WHERE like_for_like) AS like_rows
FROM per_machine
UNION ALL
SELECT part, place, machine_key, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       like_for_like, model, stack_key, stack,
       total_ms, other_machine_key, other_stack,
       other_total_ms, total_ratio, total_tie,
       (SELECT count(*) FROM c),
       (SELECT count(*) FROM c WHERE like_for_like)
FROM listed
ORDER BY part, place
