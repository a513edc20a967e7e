-- One row per run shown on the site's model pages, from relative_to_fastest: its rank by total
-- time on its machine and model (1 = fastest over every run there, also those the filters leave
-- out; NULL when its total is unknown), slowdown (total / the fastest total), times (ms), memory
-- (decimal MB) with memory_ratio (memory / the leanest run's, memory_comparison) and
-- device_memory_share, images_per_s (throughput; NULL without a batch size), the published label,
-- flags (the error-level data-quality codes it fails, from relative_to_fastest, comma-separated; NULL:
-- none: such a run has no rank and is never the fastest), source and line.
-- Ordered by model, machine (its first file and line), rank.
-- Scope: in_scope (sql/report/scope.sql).
SELECT r.model_key, r.machine_id, r.run_id, r.rank, r.stack, r.framework, r.label,
       r.forward_ms, r.backward_ms, r.total_ms, r.reported_total_ms, r.slowdown,
       r.memory_mb, mc.memory_ratio, mc.device_memory_share, r.batch_size, t.images_per_s,
       r.flags, r.source, r.line
FROM relative_to_fastest AS r
JOIN machines AS ma ON ma.machine_id = r.machine_id
JOIN sources AS s ON s.source_id = ma.source_id
LEFT JOIN memory_comparison AS mc ON mc.run_id = r.run_id
LEFT JOIN throughput AS t ON t.run_id = r.run_id
WHERE in_scope(r.machine_id, r.model_key, lower(r.framework))
ORDER BY r.model_key, s.path, ma.line, ma.machine_key, r.rank NULLS LAST, r.source, r.line, r.run_id
