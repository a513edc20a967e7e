-- What half precision does to one stack: its fp16 run against its fp32 run on the same model.
-- One row per pair of runs with the same machine_id, model_key and base stack (framework name,
-- version and libraries, results.base_stack) where one run is fp16 and the other fp32.
-- Precision is compared case-insensitively; a run that gives no precision counts as fp32 (the
-- default of every framework in the data), so a stack that marks only its fp16 run still pairs.
-- Columns: machine_id, machine, model_key, model, stack (without precision), fp16_run_id,
--   fp32_run_id, fp32_precision (as written: "fp32" or NULL), fp32_total_ms, fp16_total_ms (ms,
--   results.total_ms: forward + backward when both known);
--   total_speedup: fp32_total_ms / fp16_total_ms (above 1: fp16 is faster);
--   forward_speedup, backward_speedup: the same for forward_ms and backward_ms;
--   geomean_total_speedup: geometric mean of total_speedup over the models of this machine and
--     stack (a window over machine, stack and fp32_precision); models_compared: how many.
WITH r AS (
    SELECT results.*, lower(coalesce(precision, 'fp32')) AS precision_key
    FROM results
),
pairs AS (
    SELECT h.machine_id,
           h.machine,
           h.model_key,
           h.model,
           h.base_stack AS stack,
           h.run_id AS fp16_run_id,
           s.run_id AS fp32_run_id,
           s.precision AS fp32_precision,
           s.total_ms AS fp32_total_ms,
           h.total_ms AS fp16_total_ms,
           s.total_ms / nullif(h.total_ms, 0) AS total_speedup,
           s.forward_ms / nullif(h.forward_ms, 0) AS forward_speedup,
           s.backward_ms / nullif(h.backward_ms, 0) AS backward_speedup
    FROM r AS h
    JOIN r AS s
      ON s.machine_id = h.machine_id
     AND s.model_key = h.model_key
     AND s.base_stack = h.base_stack
    WHERE h.precision_key = 'fp16'
      AND s.precision_key = 'fp32'
)
SELECT pairs.*,
       exp(avg(CASE WHEN total_speedup > 0 THEN ln(total_speedup) END) OVER w) AS geomean_total_speedup,
       count(total_speedup) OVER w AS models_compared
FROM pairs
WINDOW w AS (PARTITION BY machine_id, stack, coalesce(fp32_precision, ''))
