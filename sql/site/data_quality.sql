-- One row per data-quality finding on the site's data-quality page: every column of the view
-- data_quality (a code, its severity and its numbers; the page words them as the report does),
-- the machine's key, and the framework of the run (from results; NULL when the finding names no run). A finding is
-- left out only when it names a machine, model or run that the filters leave out.
-- Scope: in_scope (sql/report/scope.sql).
SELECT q.*, m.machine_key, r.framework
FROM data_quality AS q
LEFT JOIN machines AS m ON m.machine_id = q.machine_id
LEFT JOIN results AS r ON r.run_id = q.run_id
WHERE in_scope(q.machine_id, q.model_key, r.framework_key)
ORDER BY q.severity, q."check", q.source, q.line, m.machine_key, q.model, q.stack
