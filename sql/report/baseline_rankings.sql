-- One row per run in the report's per-model tables with `report --baseline`: the rows of
-- sql/report/rankings.sql (its header says what every column means), with the speedup, tie and mark
-- against the baseline framework's best run (the macro baseline_runs; the scope's baseline_key).
WITH scoped AS (
    SELECT r.*
    FROM rankings AS r
    JOIN scope AS f ON r.include_flagged = f.include_flagged
),
best AS (
    SELECT b.*
    FROM scope AS f, baseline_runs(f.baseline_key, f.include_flagged) AS b
),
tested AS (
    SELECT c.contender_run_id AS run_id, c.ratio, c.mark
    FROM comparisons AS c
    JOIN best AS b ON b.baseline_run_id = c.baseline_run_id
    WHERE c.metric = 'total_ms' AND c.status IN ('tested', 'too few samples')
),
-- include: fragments/ranking_rows.sql
