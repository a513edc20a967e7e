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
-- Checks: the seed quality_checks (sql/seeds/quality_checks.csv) lists each check's code, severity, words
-- and what it tests (its column `tests`); run_flags computes them.
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
