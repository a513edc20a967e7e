-- One row per framework version on a machine and model on the site's version page, from the view
-- version_progress: versions in order, each version's total (ms; its fastest run) and
-- speedup_vs_previous = previous total / this total (above 1: this version is faster).
-- Scope: in_scope (sql/report/scope.sql).
SELECT m.machine_key, v.machine_id, v.model_key, v.model, v.framework, v.framework_version, v.stack,
       v.version_order, v.previous_version, v.previous_total_ms, v.total_ms, v.speedup_vs_previous
FROM version_progress AS v
JOIN machines AS m ON m.machine_id = v.machine_id
WHERE in_scope(v.machine_id, v.model_key, lower(v.framework))
ORDER BY m.machine_key, v.model_key, lower(v.framework), v.version_order
