-- The rows of `dlbench compare A B` for two files: two states of the same runs, attached as the schemas
-- `baseline` (state 0) and `contender` (state 1), each with dlbench's views over its own tables. A run
-- pairs with the run of the same configuration in the other state (config_id: the hash of its natural
-- key without the date, so that a file collected today pairs with yesterday's); where a state holds one
-- configuration on several dates, its most recent run stands for it (date, then source and line); a
-- baseline configuration the contender lacks is a row with mark '!'. Columns as the compare(...) macro's, sorted
-- as report/compare.sql sorts them. Parameters: $metric (its name), $factor, $alpha.
WITH state_results AS (
    SELECT 0 AS state, r.* FROM baseline.results AS r
    UNION ALL
    SELECT 1 AS state, r.* FROM contender.results AS r
),
state_stats AS (
    SELECT 0 AS state, st.* FROM baseline.run_stats AS st
    UNION ALL
    SELECT 1 AS state, st.* FROM contender.run_stats AS st
),
state_samples AS (
    SELECT 0 AS state, s.* FROM baseline.run_samples AS s
    UNION ALL
    SELECT 1 AS state, s.* FROM contender.run_samples AS s
),
latest AS (
    SELECT r.*
    FROM state_results AS r
    QUALIFY row_number() OVER (PARTITION BY r.state, r.config_id
                               ORDER BY r.date DESC NULLS LAST, r.source, r.line, r.run_id) = 1
),
pairs AS (
    SELECT b.state AS baseline_state, b.run_id AS baseline_run_id,
           c.state AS contender_state, c.run_id AS contender_run_id, CAST($metric AS VARCHAR) AS metric,
           CAST($factor AS DOUBLE) AS factor, CAST($alpha AS DOUBLE) AS alpha
    FROM latest AS b
    JOIN latest AS c ON c.config_id = b.config_id
    WHERE b.state = 0 AND c.state = 1
),
unpaired AS (
    SELECT b.*, CAST($metric AS VARCHAR) AS metric
    FROM latest AS b
    WHERE b.state = 0 AND b.run_id NOT IN (SELECT p.baseline_run_id FROM pairs AS p)
),
marks AS (
    -- include: seeds/compare_marks.csv
),
-- include: fragments/compare_stats.sql
SELECT c.*
FROM (
-- include: fragments/compare_rows.sql
) AS c
JOIN marks AS m ON m.mark = c.mark
ORDER BY m.sort_position, c.ratio DESC NULLS LAST, c.model_key, c.baseline_machine_key, c.contender_machine_key,
         c.baseline_stack, c.contender_stack
