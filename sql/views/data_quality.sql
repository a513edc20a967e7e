-- Suspicious measurements: each finding as a code, a severity and the numbers behind it.
-- grain: run_id, "check"
-- One row per finding: a run (run_id) and a check it fails; a run can fail several checks.
-- The view gives codes and numbers, no sentences: the report words them. The checks themselves
-- are computed in the view run_flags (one boolean column per check, same names).
-- Columns: check (code, below), severity ('error' or 'note', below), machine_id, machine,
--   model_key, model, stack, run_id, source (file), line (of the run); the numbers, NULL where a
--   check has none: forward_ms, backward_ms, reported_total_ms, summed_total_ms (forward +
--   backward), difference_ms (|reported total - summed total|), memory_mb, device_memory_mb
--   (decimal MB), runs_with_memory (other runs of the machine and model that report memory, for
--   missing_memory), models_same_memory (models on which the stack reports that same memory, for
--   memory_reservation); for repeated_timings the earlier run it repeats: other_run_id,
--   other_model, other_source, other_line.
-- Severity: an 'error' makes the run's numbers untrustworthy: rankings, wins, speedups and
-- geometric means leave the run out by default (run_flags.flagged; `report --include-flagged` puts
-- it back) and the report marks it wherever it appears. A 'note' is worth knowing but leaves the
-- run's times usable.
-- Checks:
--   repeated_timings (error): the same forward AND backward (and the same reported total, or none
--     on both) as a run of the same stack on a different model of the same machine, which is more
--     likely a copied row than a measurement; the later run (by source path, then line) is
--     flagged, and other_* name the earliest one;
--   memory_above_device (error): the run's memory is above the machine's device memory
--     (results.device_memory_bytes, the sum over its devices): not a measurement of this machine;
--   memory_reservation (note): the stack reports the same memory on every model it ran on the
--     machine (at least two models, memory on each) and it is within 10% of the device memory
--     (at least 90%, at most 100%): what the framework reserves up front (TensorFlow takes nearly
--     all of the card), not what the model needs. Such runs are left out of memory ratios by
--     default (memory_comparison.memory_ratio);
--   total_mismatch (note): the reported total differs from forward + backward by more than
--     1 ms (published numbers are rounded one by one, so 1 ms is rounding); total_ms uses the
--     reported total, the more exact number where forward and backward are truncated;
--   missing_memory (note): no memory given while at least one other run of the same machine and
--     model reports memory (a source that publishes no memory at all, like convnet-benchmarks, is
--     not flagged run by run: there is nothing missing from it).
-- The codes and severities are the seed quality_checks (sql/seeds), which also holds their words.
SELECT c."check",
       c.severity,
       r.machine_id,
       r.machine,
       r.model_key,
       r.model,
       r.stack,
       r.run_id,
       r.source,
       r.line,
       r.forward_ms,
       r.backward_ms,
       r.reported_total_ms,
       r.summed_total_ms,
       abs(r.reported_total_ms - r.summed_total_ms) AS difference_ms,
       r.memory_mb,
       r.device_memory_bytes / 1e6 AS device_memory_mb,
       CASE WHEN c."check" = 'missing_memory' THEN f.runs_with_memory END AS runs_with_memory,
       CASE WHEN c."check" = 'memory_reservation' THEN f.models_same_memory END AS models_same_memory,
       CASE WHEN c."check" = 'repeated_timings' THEN f.other_run_id END AS other_run_id,
       CASE WHEN c."check" = 'repeated_timings' THEN f.other_model END AS other_model,
       CASE WHEN c."check" = 'repeated_timings' THEN f.other_source END AS other_source,
       CASE WHEN c."check" = 'repeated_timings' THEN f.other_line END AS other_line
FROM run_flags AS f
JOIN results AS r ON r.run_id = f.run_id
CROSS JOIN quality_checks AS c
WHERE (c."check" = 'repeated_timings' AND f.repeated_timings)
   OR (c."check" = 'memory_above_device' AND f.memory_above_device)
   OR (c."check" = 'memory_reservation' AND f.memory_reservation)
   OR (c."check" = 'total_mismatch' AND f.total_mismatch)
   OR (c."check" = 'missing_memory' AND f.missing_memory)
