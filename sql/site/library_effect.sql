-- One row per pair of runs on the site's library-effect page, from the view library_effect: one
-- framework version and precision with two library sets on one machine and model; total_speedup
-- is the other run's total / this run's (above 1: `libraries` is faster), and its geometric mean
-- over the models that have the pair. Scope: in_scope (sql/report/scope.sql).
SELECT m.machine_key, e.machine_id, e.model, e.framework, e.framework_version, e.precision, e.libraries,
       e.other_libraries, e.total_ms, e.other_total_ms, e.forward_speedup, e.backward_speedup,
       e.total_speedup, e.geomean_total_speedup, e.models_compared
FROM library_effect AS e
JOIN machines AS m ON m.machine_id = e.machine_id
WHERE in_scope(e.machine_id, e.model_key, lower(e.framework))
ORDER BY m.machine_key, lower(e.framework), e.framework_version, e.precision NULLS FIRST,
         e.libraries NULLS FIRST, e.other_libraries NULLS FIRST, e.model_key, e.run_id, e.other_run_id
