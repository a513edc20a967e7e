-- Fragment (the SELECT that ends a WITH list): the rows of the report's per-model tables, shared by
-- sql/report/rankings.sql (no baseline: `best` and `tested` are empty, so DuckDB plans neither the macro
-- baseline_runs nor the view comparisons) and sql/report/baseline_rankings.sql (`--baseline`). It reads
-- `scoped` (the view rankings in the scope's include_flagged), `best` (the baseline's best run per
-- machine and model: the macro baseline_runs) and `tested` (the runs compared with it on their samples:
-- run_id, ratio, mark). Columns and their meaning: rankings.sql's header.
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
