-- One row per run in the report's per-model tables and the site's model pages, from the view
-- rankings in the scope (the temporary table `scope`, sql/report/scope.sql; include_flagged false:
-- runs with an error-level data-quality finding get no rank and no speedup and are never the
-- fastest; true: every run is ranked). Its rank by total time on its machine and model (1 =
-- fastest, over every run there, also those the filters leave out; equal totals share a rank; NULL
-- when its total is unknown or it is left out), its times (reported_total_ms: the total the source
-- gives, NULL: none) and memory with memory_ratio and device_memory_share (memory_comparison), the
-- published label, whether its version is known, its date, its flags, slowdown (total / the fastest
-- total), images per second from throughput (NULL when the batch size is not known) and its
-- speedup: fastest_total_ms / total_ms, or with a baseline framework, against the baseline's best
-- run on the same machine and model (the macro baseline_runs, the one definition of it; NULL when
-- the baseline did not run the model): 1 / the view comparisons' total_ms ratio (the medians of the
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
    SELECT b.*
    FROM scope AS f, baseline_runs(f.baseline_key, f.include_flagged) AS b
),
tested AS (
    SELECT c.contender_run_id AS run_id, c.ratio, c.mark
    FROM comparisons AS c
    JOIN best AS b ON b.baseline_run_id = c.baseline_run_id
    WHERE c.metric = 'total_ms' AND c.status IN ('tested', 'too few samples')
)
SELECT r.machine_id,
       r.model_key,
       r.run_id,
       r.rank,
       r.stack,
       r.framework,
       r.label,
       r.version_known,
       r.date,
       r.flagged,
       r.flags,
       r.forward_ms,
       r.backward_ms,
       r.total_ms,
       r.reported_total_ms,
       r.total_is_reported,
       r.resolution_ms,
       r.memory_mb,
       mc.memory_ratio,
       mc.device_memory_share,
       r.batch_size,
       t.images_per_s,
       r.slowdown,
       c.run_id IS NOT NULL AS tested,
       CASE WHEN r.rank IS NULL THEN NULL
            WHEN f.baseline_key IS NULL THEN r.fastest_total_ms / nullif(r.total_ms, 0)
            WHEN c.run_id IS NOT NULL THEN 1 / nullif(c.ratio, 0)
            ELSE b.baseline_total_ms / nullif(r.total_ms, 0) END AS speedup,
       CASE WHEN r.rank IS NULL THEN NULL
            WHEN f.baseline_key IS NULL THEN r.ties_fastest AND r.rank > 1
            WHEN c.run_id IS NOT NULL THEN false
            ELSE abs(r.total_ms - b.baseline_total_ms) <= greatest(r.resolution_ms, b.baseline_resolution_ms)
                 AND r.total_ms <> b.baseline_total_ms END AS tie,
       CASE WHEN r.run_id = b.baseline_run_id THEN '' ELSE trim(c.mark) END AS baseline_mark,
       r.source,
       r.line
FROM scoped AS r
CROSS JOIN scope AS f
LEFT JOIN throughput AS t ON t.run_id = r.run_id
LEFT JOIN memory_comparison AS mc ON mc.run_id = r.run_id
LEFT JOIN best AS b ON b.machine_id = r.machine_id AND b.model_key = r.model_key
LEFT JOIN tested AS c ON c.run_id = r.run_id
WHERE in_scope(r.machine_id, r.model_key, r.framework_key)
ORDER BY r.machine_id, r.model_key, r.rank NULLS LAST, r.total_ms NULLS LAST, r.source, r.line, r.run_id
