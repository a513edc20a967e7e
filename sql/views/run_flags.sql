-- Each run with the data-quality checks it fails and what they mean for the other views.
-- grain: run_id
-- One row per run (run_id), whether or not it fails a check. The checks are defined here, in one
-- scan of `results` with window functions (no self-join, so the views that read this one stay
-- small on any engine); the view data_quality lists the failures one row each, with severities.
-- Columns: run_id;
--   missing_memory: no memory given while runs_with_memory (other runs of the same machine and
--     model that report memory) is above 0;
--   total_mismatch: the reported total differs from forward + backward by more than 1 ms (the
--     tolerance the ingest's check uses, recorded in warehouse_meta as total_tolerance_ms);
--   repeated_timings: the same forward, backward and reported total (both none counts as the
--     same) as an earlier run of the same stack (stack_id) on the same machine (by source path, then line),
--     on another model; other_run_id, other_model, other_source, other_line name that earlier
--     run (NULL when the check passes);
--   memory_above_device: memory above the machine's device memory;
--   memory_reservation: the stack reports memory on every model it ran on the machine (at least
--     two), the same each time, and it is 90% to 100% of the device memory; models_same_memory:
--     how many models (NULL when the check passes);
--   runs_with_memory (see missing_memory);
--   flagged: an error-level check fails (repeated_timings, memory_above_device): rankings, wins,
--     speedups and geometric means leave the run out by default;
--   flags: the error-level codes, joined with ", " (NULL: none); notes: the note-level codes
--     (memory_reservation, total_mismatch, missing_memory) the same way;
--   memory_reserved: memory_reservation, under the name memory ratios use (left out by default).
WITH w AS (
    SELECT run_id, model_key, memory_bytes, device_memory_bytes, forward_ms, backward_ms,
           reported_total_ms, summed_total_ms,
           count(memory_bytes) OVER (PARTITION BY machine_id, model_key) AS runs_with_memory,
           count(*) OVER (PARTITION BY machine_id, stack_id) AS stack_runs,
           count(memory_bytes) OVER (PARTITION BY machine_id, stack_id) AS stack_runs_with_memory,
           min(memory_bytes) OVER (PARTITION BY machine_id, stack_id) AS stack_min_memory,
           max(memory_bytes) OVER (PARTITION BY machine_id, stack_id) AS stack_max_memory,
           row_number() OVER timings AS timing_place,
           first_value(run_id) OVER timings AS first_run_id,
           first_value(model_key) OVER timings AS first_model_key,
           first_value(model) OVER timings AS first_model,
           first_value(source) OVER timings AS first_source,
           first_value(line) OVER timings AS first_line
    FROM results
    WINDOW timings AS (PARTITION BY machine_id, stack_id, forward_ms, backward_ms, reported_total_ms
                       ORDER BY source, line, run_id)
),
checked AS (
    SELECT w.*,
           memory_bytes IS NULL AND runs_with_memory > 0 AS missing_memory,
           coalesce(abs(reported_total_ms - summed_total_ms) > (SELECT CAST(value AS DOUBLE) FROM warehouse_meta
                                                                 WHERE key = 'total_tolerance_ms'), false)
               AS total_mismatch,
           forward_ms IS NOT NULL AND backward_ms IS NOT NULL AND timing_place > 1
               AND first_model_key <> model_key AS repeated_timings,
           coalesce(memory_bytes > device_memory_bytes, false) AS memory_above_device,
           coalesce(stack_runs >= 2 AND stack_runs_with_memory = stack_runs
                    AND stack_min_memory = stack_max_memory
                    AND memory_bytes >= 0.9 * device_memory_bytes
                    AND memory_bytes <= device_memory_bytes, false) AS memory_reservation
    FROM w
)
SELECT run_id,
       missing_memory,
       total_mismatch,
       repeated_timings,
       memory_above_device,
       memory_reservation,
       runs_with_memory,
       CASE WHEN memory_reservation THEN stack_runs END AS models_same_memory,
       CASE WHEN repeated_timings THEN first_run_id END AS other_run_id,
       CASE WHEN repeated_timings THEN first_model END AS other_model,
       CASE WHEN repeated_timings THEN first_source END AS other_source,
       CASE WHEN repeated_timings THEN first_line END AS other_line,
       repeated_timings OR memory_above_device AS flagged,
       nullif(concat_ws(', ', CASE WHEN memory_above_device THEN 'memory_above_device' END,
                        CASE WHEN repeated_timings THEN 'repeated_timings' END), '') AS flags,
       nullif(concat_ws(', ', CASE WHEN memory_reservation THEN 'memory_reservation' END,
                        CASE WHEN missing_memory THEN 'missing_memory' END,
                        CASE WHEN total_mismatch THEN 'total_mismatch' END), '') AS notes,
       memory_reservation AS memory_reserved
FROM checked
