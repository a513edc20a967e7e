-- Images per second of each run, from its batch size and time per minibatch.
-- grain: run_id
-- One row per run (run_id) whose model has a known batch_size and whose total_ms is known and
-- above 0; runs without a batch size are left out (the seed gives none).
-- Columns: machine_id, machine, model_key, model, stack_id (results.stack_id), stack, run_id, batch_size (images per
--   minibatch), forward_ms, total_ms (ms per minibatch, results.total_ms: forward + backward when
--   both are known);
--   images_per_s: batch_size / (total_ms / 1000), images trained per second (forward + backward);
--   images_per_s_forward: batch_size / (forward_ms / 1000), forward (inference) only; NULL when
--     forward_ms is unknown.
SELECT machine_id,
       machine,
       model_key,
       model,
       stack_id,
       stack,
       run_id,
       batch_size,
       forward_ms,
       total_ms,
       batch_size / (total_ms / 1000) AS images_per_s,
       batch_size / nullif(forward_ms / 1000, 0) AS images_per_s_forward
FROM results
WHERE batch_size IS NOT NULL
  AND total_ms > 0
