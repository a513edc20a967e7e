-- One row per run in the report's per-model tables, from the view rankings in the scope asked for
-- (include_flagged false: runs with an error-level data-quality finding get no rank and no speedup
-- and are never the fastest; true: every run is ranked). Its rank by total time on its machine and
-- model (1 = fastest, over every run there, also those the filters leave out; equal totals share a
-- rank; NULL when its total is unknown or it is left out), its times and memory, the published
-- label, whether its version is known, its date, its flags, images per second from throughput
-- (NULL when the batch size is not known) and its speedup: fastest_total_ms / total_ms, or with a
-- baseline framework, that framework's best (lowest) ranked total_ms on the same machine and model
-- / total_ms (NULL when the baseline did not run the model). `tie` says that the numbers as
-- written cannot tell the run from the one it is compared with (within tie_resolution_ms).
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list), each NULL for all; baseline framework name (VARCHAR, NULL for none); include_flagged
-- (BOOLEAN).
WITH f AS (
    SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks,
           $baseline::VARCHAR AS baseline, $include_flagged::BOOLEAN AS include_flagged
),
scope AS (
    SELECT r.*
    FROM rankings AS r
    CROSS JOIN f
    WHERE r.include_flagged = f.include_flagged
),
baseline_best AS (
    SELECT s.machine_id, s.model_key,
           arg_min(s.total_ms, s.total_ms) AS baseline_total_ms,
           arg_min(s.resolution_ms, s.total_ms) AS baseline_resolution_ms
    FROM scope AS s
    CROSS JOIN f
    WHERE s.framework_key = lower(f.baseline) AND s.rank IS NOT NULL
    GROUP BY s.machine_id, s.model_key
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
       r.total_is_reported,
       r.resolution_ms,
       r.memory_mb,
       r.batch_size,
       t.images_per_s,
       CASE WHEN r.rank IS NULL THEN NULL
            WHEN f.baseline IS NULL THEN r.fastest_total_ms / nullif(r.total_ms, 0)
            ELSE b.baseline_total_ms / nullif(r.total_ms, 0) END AS speedup,
       CASE WHEN r.rank IS NULL THEN NULL
            WHEN f.baseline IS NULL THEN r.ties_fastest AND r.rank > 1
            ELSE abs(r.total_ms - b.baseline_total_ms) <= greatest(r.resolution_ms, b.baseline_resolution_ms)
                 AND r.total_ms <> b.baseline_total_ms END AS tie,
       r.source,
       r.line
FROM scope AS r
CROSS JOIN f
LEFT JOIN throughput AS t ON t.run_id = r.run_id
LEFT JOIN baseline_best AS b ON b.machine_id = r.machine_id AND b.model_key = r.model_key
WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, r.machine_id))
  AND (f.model_keys IS NULL OR list_contains(f.model_keys, r.model_key))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(r.framework)))
ORDER BY r.machine_id, r.model_key, r.rank NULLS LAST, r.total_ms NULLS LAST, r.source, r.line, r.run_id
