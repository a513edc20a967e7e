-- One row per run in the report's per-model tables, from relative_to_fastest: its rank by total time
-- on its machine and model (1 = fastest, over every run there, also those the filters leave out;
-- NULL when its total is unknown), its framework, times and memory, the published label, images per second
-- from throughput (NULL when the batch size is not known) and its speedup: fastest_total_ms /
-- total_ms, or with a baseline framework, that framework's best (lowest) total_ms on the same
-- machine and model / total_ms (NULL when the baseline did not run the model). The speedup_vs
-- macro pairs a run with each baseline run but never with itself, so the best baseline total is
-- taken from results here.
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list), each NULL for all; baseline framework name (VARCHAR, NULL for none).
WITH f AS (
    SELECT ?::BIGINT[] AS machine_ids, ?::VARCHAR[] AS model_keys, ?::VARCHAR[] AS frameworks,
           ?::VARCHAR AS baseline
),
baseline_best AS (
    SELECT r.machine_id, r.model_key, min(r.total_ms) AS baseline_total_ms
    FROM results AS r
    CROSS JOIN f
    WHERE lower(r.framework) = lower(f.baseline)
    GROUP BY r.machine_id, r.model_key
)
SELECT r.machine_id,
       r.model_key,
       r.run_id,
       r.rank,
       r.stack,
       r.framework,
       r.label,
       r.forward_ms,
       r.backward_ms,
       r.total_ms,
       r.memory_mb,
       r.batch_size,
       t.images_per_s,
       CASE WHEN f.baseline IS NULL THEN r.fastest_total_ms / nullif(r.total_ms, 0)
            ELSE b.baseline_total_ms / nullif(r.total_ms, 0) END AS speedup,
       r.source,
       r.line
FROM relative_to_fastest AS r
CROSS JOIN f
LEFT JOIN throughput AS t ON t.run_id = r.run_id
LEFT JOIN baseline_best AS b ON b.machine_id = r.machine_id AND b.model_key = r.model_key
WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, r.machine_id))
  AND (f.model_keys IS NULL OR list_contains(f.model_keys, r.model_key))
  AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(r.framework)))
ORDER BY r.machine_id, r.model_key, r.rank NULLS LAST, r.source, r.line, r.run_id
