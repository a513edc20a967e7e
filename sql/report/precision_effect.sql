-- One row per fp16/fp32 pair in the report's precision section, from the view precision_effect:
-- the same stack in half and single precision on one machine and model; speedups are fp32 time /
-- fp16 time (above 1: fp16 is faster), on the totals the report ranks by and on forward + backward;
-- the pair's framework (for its colour). The site's precision page shows the same rows.
-- Scope: in_scope (sql/report/scope.sql).
SELECT m.machine_key, e.model, e.stack, r.framework, e.fp32_total_ms, e.fp16_total_ms, e.total_speedup,
       e.summed_total_speedup, e.forward_speedup, e.backward_speedup, e.fp16_slower, e.flagged,
       e.geomean_total_speedup, e.models_compared
FROM precision_effect AS e
JOIN machines AS m ON m.machine_id = e.machine_id
JOIN results AS r ON r.run_id = e.fp16_run_id
WHERE in_scope(e.machine_id, e.model_key, r.framework_key)
ORDER BY m.machine_key, e.stack, e.model_key, e.fp16_run_id, e.fp32_run_id
