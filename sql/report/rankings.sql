-- One row per run in the report's per-model tables and the site's model pages, from the view
-- rankings in the scope (the temporary table `scope`, sql/report/scope.sql; include_flagged false:
-- runs with an error-level data-quality finding get no rank and no speedup and are never the
-- fastest; true: every run is ranked). Its rank by total time on its machine and model (1 =
-- fastest, over every run there, also those the filters leave out; equal totals share a rank; NULL
-- when its total is unknown or it is left out), its times (reported_total_ms: the total the source
-- gives, NULL: none) and memory with memory_ratio and device_memory_share (memory_comparison), the
-- published label, whether its version is known, its date, its flags, slowdown (total / the fastest
-- total), images per second from throughput (NULL when the batch size is not known) and its
-- speedup: fastest_total_ms / total_ms, or with a baseline framework (sql/report/baseline_rankings.sql,
-- the same rows: sql/fragments/ranking_rows.sql), against the baseline's best run on the same machine
-- and model (the macro baseline_runs, the one definition of it; NULL when the baseline did not run the
-- model): 1 / the view comparisons' total_ms ratio (the medians of the
-- total-time samples, as `dlbench compare`) where both runs have samples (`tested`), else
-- baseline_total_ms / total_ms. `tie` says that the numbers as written cannot tell the run from the
-- one it is compared with (within tie_resolution_ms; never for a tested pair); baseline_mark is the
-- comparison's mark (blank for the baseline's run itself, NULL when not tested).
WITH scoped AS (
    SELECT r.*
    FROM rankings AS r
    JOIN scope AS f ON r.include_flagged = f.include_flagged
),
best AS (
    -- no baseline: no row (a constant filter, so the plan has no baseline_runs)
    SELECT NULL::BIGINT AS machine_id, NULL::VARCHAR AS model_key, NULL::BIGINT AS baseline_run_id,
           NULL::DOUBLE AS baseline_total_ms, NULL::DOUBLE AS baseline_resolution_ms
    WHERE false
),
tested AS (
    SELECT NULL::BIGINT AS run_id, NULL::DOUBLE AS ratio, NULL::VARCHAR AS mark
    WHERE false
),
-- include: fragments/ranking_rows.sql
