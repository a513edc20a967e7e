-- One row per fp16/fp32 pair on the site's precision page, from the view precision_effect, with
-- the framework of the pair (from results): fp32 and fp16 totals (ms), total_speedup = fp32 total /
-- fp16 total (above 1: fp16 is faster) and its geometric mean over the models of the stack.
-- Scope: in_scope (sql/report/scope.sql).
SELECT m.machine_key, p.machine_id, p.model, p.stack, r.framework, p.fp32_total_ms, p.fp16_total_ms,
       p.forward_speedup, p.backward_speedup, p.total_speedup, p.geomean_total_speedup, p.models_compared
FROM precision_effect AS p
JOIN results AS r ON r.run_id = p.fp16_run_id
JOIN machines AS m ON m.machine_id = p.machine_id
WHERE in_scope(p.machine_id, p.model_key, lower(r.framework))
ORDER BY m.machine_key, p.stack, p.model_key, p.fp16_run_id, p.fp32_run_id
