-- The runs one stack selector picks against those another picks, model by model: ratio, p-value, mark.
-- compare(baseline, contender [, metric_name := 'total_ms', factor := 1.10, alpha := 0.01]), with the
-- statistics of the view `comparisons` (the same SQL: sql/fragments/compare_stats.sql).
-- A selector is 'key=value,key=value' (every term must hold; case-insensitive; * in a value is a
-- wildcard) with the keys of sql/seeds/compare_selector_keys.csv: framework, version, libraries,
-- precision (none: not given), machine (key or name), model (name or canonical key), source (the
-- file as ingested), stack (as results.stack); what each matches is sql/fragments/selector_values.sql.
-- Matching rule: a baseline run and a contender run pair up when they are on the same model
-- (model_key) and are distinct runs, and, unless a selector names the dimension (the seed's column
-- `frees`), on the same machine, with the same precision (precision_key), and with the same stack
-- (base_stack_id: framework, version, libraries; all three may differ once either selector names one
-- of them). The source never has to agree.
-- So compare('framework=torch,version=2.13', 'framework=torch,version=2.14') pairs runs of one
-- machine and precision, and compare('machine=box-a', 'machine=box-b') one stack on two machines.
-- One row per pair and the metric asked for (forward_ms, backward_ms, total_ms or memory_bytes),
-- and one row with mark '!' (status 'missing in the contender') for each baseline run no contender
-- run pairs with. Columns as `comparisons`, with baseline_machine_key and contender_machine_key
-- instead of machine_id and machine_key, and baseline_source, contender_source, and
-- baseline_stack_id, contender_stack_id (the stacks' identities, results.stack_id).
-- Use: SELECT * FROM compare('framework=jax', 'framework=torch') ORDER BY ratio DESC;
CREATE MACRO compare(baseline, contender, metric_name := 'total_ms', factor := 1.10, alpha := 0.01) AS TABLE
WITH
-- include: fragments/compare_one_state.sql
-- include: fragments/selector_values.sql
selector_keys AS (
    -- include: seeds/compare_selector_keys.csv
),
selectors AS (
    SELECT 'baseline' AS side, lower(baseline) AS sel
    UNION ALL
    SELECT 'contender' AS side, lower(contender) AS sel
),
terms AS (
    -- each selector's key=value terms, lower case, with the dimension the key frees from pairing;
    -- a term without a value or of an unknown key names nothing
    SELECT DISTINCT t.side, t.key, t.value, k.frees
    FROM (SELECT s.side, trim(split_part(u.term, '=', 1)) AS key,
                 trim(substr(u.term, strpos(u.term, '=') + 1)) AS value
          FROM selectors AS s, unnest(string_split(s.sel, ',')) AS u(term)
          WHERE contains(u.term, '=')) AS t
    JOIN selector_keys AS k ON k.key = t.key
    WHERE t.value <> ''
),
needed AS (
    -- how many terms a run must hold to be picked by a side; a selector without any key=value term
    -- picks nothing
    SELECT s.side, contains(s.sel, '=') AS any_term, count(t.key) AS terms
    FROM selectors AS s
    LEFT JOIN terms AS t ON t.side = s.side
    GROUP BY s.side, s.sel
),
held AS (
    -- per side and run, how many of the side's terms the run holds
    SELECT t.side, v.run_id, count(DISTINCT t.key || '=' || t.value) AS terms
    FROM terms AS t
    JOIN selector_values AS v
      ON v.key = t.key
     AND (lower(v.value) = t.value
          OR (contains(t.value, '*') AND lower(v.value) LIKE replace(t.value, '*', '%'))
          OR v.value_key = regexp_replace(t.value, '[^0-9a-z]+', '', 'g'))
    GROUP BY t.side, v.run_id
),
named AS (
    SELECT bool_or(t.frees = 'machine') AS machine, bool_or(t.frees = 'precision') AS precision,
           bool_or(t.frees = 'stack') AS stack
    FROM terms AS t
),
chosen AS (
    -- the picked runs with their matching keys: a dimension a selector names matches anything
    SELECT r.*, n.side,
           CASE WHEN x.machine THEN 0 ELSE r.machine_id END AS machine_match,
           CASE WHEN x.precision THEN '' ELSE r.precision_key END AS precision_match,
           CASE WHEN x.stack THEN 0 ELSE r.base_stack_id END AS stack_match
    FROM state_results AS r
    JOIN needed AS n ON n.any_term
    LEFT JOIN held AS h ON h.side = n.side AND h.run_id = r.run_id
    CROSS JOIN named AS x
    WHERE coalesce(h.terms, 0) = n.terms
),
pairs AS (
    SELECT b.state AS baseline_state, b.run_id AS baseline_run_id,
           c.state AS contender_state, c.run_id AS contender_run_id, metric_name AS metric,
           CAST(factor AS DOUBLE) AS factor, CAST(alpha AS DOUBLE) AS alpha
    FROM chosen AS b
    JOIN chosen AS c
      ON c.model_key = b.model_key AND c.machine_match = b.machine_match
     AND c.precision_match = b.precision_match AND c.stack_match = b.stack_match
    WHERE b.side = 'baseline' AND c.side = 'contender' AND c.run_id <> b.run_id
),
unpaired AS (
    SELECT b.*, metric_name AS metric
    FROM chosen AS b
    WHERE b.side = 'baseline' AND b.run_id NOT IN (SELECT p.baseline_run_id FROM pairs AS p)
),
-- include: fragments/compare_stats.sql
-- include: fragments/compare_rows.sql
;
