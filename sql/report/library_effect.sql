-- One row per pair of runs in the report's library-effect section, from the view library_effect:
-- the same framework, version and precision with two library sets on one machine and model;
-- speedups are the other run's time / this run's time (above 1: `libraries` is faster), with both
-- totals (ms). The site's library-effect page shows the same rows.
-- Scope: in_scope (sql/report/scope.sql).
SELECT m.machine_key, e.model, e.framework, e.framework_version, e.precision, e.libraries,
       e.other_libraries, e.total_ms, e.other_total_ms, e.forward_speedup, e.backward_speedup, e.total_speedup, e.flagged,
       e.geomean_total_speedup, e.models_compared
FROM library_effect AS e
JOIN machines AS m ON m.machine_id = e.machine_id
WHERE in_scope(e.machine_id, e.model_key, lower(e.framework))
ORDER BY m.machine_key, lower(e.framework), e.framework_version, e.precision NULLS FIRST,
         e.libraries_key, e.other_libraries_key, e.model_key, e.run_id, e.other_run_id
