-- One row per data-quality finding in the report, from the view data_quality: its code, severity
-- and numbers (the report words them), errors first. A finding is left out only when it names a
-- machine, model or run that the filters leave out.
-- Scope: in_scope (sql/report/scope.sql).
SELECT q."check", q.severity, q.run_id, m.machine_key, q.model, q.stack, q.forward_ms, q.backward_ms,
       q.reported_total_ms, q.summed_total_ms, q.difference_ms, q.memory_mb, q.device_memory_mb,
       q.runs_with_memory, q.models_same_memory, q.other_model, q.other_source, q.other_line,
       q.source, q.line
FROM data_quality AS q
LEFT JOIN machines AS m ON m.machine_id = q.machine_id
LEFT JOIN results AS r ON r.run_id = q.run_id
WHERE in_scope(q.machine_id, q.model_key, r.framework_key)
ORDER BY q.severity, q."check", q.source, q.line, m.machine_key, q.model, q.stack
