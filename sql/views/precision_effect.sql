-- What half precision does to one stack: its fp16 run against its fp32 run on the same model.
-- grain: fp16_run_id, fp32_run_id
-- One row per pair of runs with the same machine_id, model_key and base stack (framework name,
-- version and libraries: results.base_stack_id, shown as base_stack) where one run is fp16 and the other fp32
-- (results.precision_key: case-insensitive, and a run that gives no precision counts as fp32, the
-- default of every framework in the data, so a stack that marks only its fp16 run still pairs).
-- Columns: machine_id, machine, model_key, model, base_stack_id, stack (base_stack: without precision), fp16_run_id,
--   fp32_run_id, fp32_precision (as written: "fp32" or NULL), fp32_total_ms, fp16_total_ms (ms,
--   results.total_ms: the reported total where one is given, else forward + backward);
--   total_speedup: fp32_total_ms / fp16_total_ms (above 1: fp16 is faster);
--   summed_total_speedup: the same on forward + backward (results.summed_total_ms), which differs
--     from total_speedup where the published total is rounded on its own;
--   forward_speedup, backward_speedup: the same for forward_ms and backward_ms (below 1: fp16 is
--     slower on that pass);
--   fp16_slower: the passes on which fp16 is slower than fp32, "forward", "backward" or
--     "forward, backward" (NULL: none);
--   flagged: either run has an error-level data-quality finding (run_flags);
--   geomean_total_speedup: geometric mean of total_speedup over the models of this machine and
--     stack, flagged pairs left out (a window over machine, base_stack_id and fp32_precision);
--     models_compared: how many.
WITH r AS (
    SELECT results.*, f.flagged
    FROM results
    JOIN run_flags AS f ON f.run_id = results.run_id
),
pairs AS (
    SELECT h.machine_id,
           h.machine,
           h.model_key,
           h.model,
           h.base_stack_id,
           h.base_stack AS stack,
           h.run_id AS fp16_run_id,
           s.run_id AS fp32_run_id,
           s.precision AS fp32_precision,
           s.total_ms AS fp32_total_ms,
           h.total_ms AS fp16_total_ms,
           s.total_ms / nullif(h.total_ms, 0) AS total_speedup,
           s.summed_total_ms / nullif(h.summed_total_ms, 0) AS summed_total_speedup,
           s.forward_ms / nullif(h.forward_ms, 0) AS forward_speedup,
           s.backward_ms / nullif(h.backward_ms, 0) AS backward_speedup,
           nullif(CASE WHEN h.forward_ms > s.forward_ms THEN 'forward' ELSE '' END
                  || CASE WHEN h.forward_ms > s.forward_ms AND h.backward_ms > s.backward_ms
                          THEN ', ' ELSE '' END
                  || CASE WHEN h.backward_ms > s.backward_ms THEN 'backward' ELSE '' END, '') AS fp16_slower,
           h.flagged OR s.flagged AS flagged
    FROM r AS h
    JOIN r AS s
      ON s.machine_id = h.machine_id
     AND s.model_key = h.model_key
     AND s.base_stack_id = h.base_stack_id
    WHERE h.precision_key = 'fp16'
      AND s.precision_key = 'fp32'
)
SELECT pairs.*,
       exp(avg(CASE WHEN total_speedup > 0 AND NOT flagged THEN ln(total_speedup) END) OVER w)
           AS geomean_total_speedup,
       count(CASE WHEN NOT flagged THEN total_speedup END) OVER w AS models_compared
FROM pairs
WINDOW w AS (PARTITION BY machine_id, base_stack_id, coalesce(fp32_precision, ''))
