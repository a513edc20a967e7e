-- Suspicious measurements: each finding as a code, a severity and the numbers behind it.
-- One row per finding: a run (run_id) and a check it fails; a run can fail several checks.
-- The view gives codes and numbers, no sentences: the report words them.
-- Columns: check (code, below), severity ('error' or 'note', below), machine_id, machine,
--   model_key, model, stack, run_id, source (file), line (of the run); the numbers, NULL where a
--   check has none: forward_ms, backward_ms, reported_total_ms, summed_total_ms (forward +
--   backward), difference_ms (|reported total - summed total|), memory_mb, device_memory_mb
--   (decimal MB), runs_with_memory (other runs of the machine and model that report memory),
--   models_same_memory (models on which the stack reports that same memory); for
--   repeated_timings the earlier run it repeats: other_run_id, other_model, other_source,
--   other_line.
-- Severity: an 'error' makes the run's numbers untrustworthy: rankings, wins, speedups and
-- geometric means leave the run out by default (view run_flags; `report --include-flagged` puts
-- it back) and the report marks it wherever it appears. A 'note' is worth knowing but leaves the
-- run's times usable.
-- Checks:
--   repeated_timings (error): the same forward AND backward (and the same total when both report
--     one) as a run of the same stack on a different model of the same machine, which is more
--     likely a copied row than a measurement; the later run (by source path, then line) is
--     flagged, and other_* name the earlier one;
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
WITH stack_memory AS (
    SELECT machine_id, stack,
           count(*) AS stack_runs,
           count(memory_bytes) AS stack_runs_with_memory,
           count(DISTINCT model_key) AS stack_models,
           min(memory_bytes) AS stack_min_memory,
           max(memory_bytes) AS stack_max_memory
    FROM results
    GROUP BY machine_id, stack
),
r AS (
    SELECT results.*,
           count(memory_bytes) OVER (PARTITION BY results.machine_id, model_key) AS runs_with_memory,
           sm.stack_runs, sm.stack_runs_with_memory, sm.stack_models, sm.stack_min_memory, sm.stack_max_memory
    FROM results
    JOIN stack_memory AS sm ON sm.machine_id = results.machine_id AND sm.stack = results.stack
),
findings AS (
    SELECT 'missing_memory' AS "check", 'note' AS severity, run_id,
           CAST(runs_with_memory AS BIGINT) AS runs_with_memory, CAST(NULL AS BIGINT) AS models_same_memory,
           CAST(NULL AS BIGINT) AS other_run_id
    FROM r
    WHERE memory_bytes IS NULL AND runs_with_memory > 0
    UNION ALL
    SELECT 'total_mismatch', 'note', run_id, NULL, NULL, NULL
    FROM r
    WHERE abs(reported_total_ms - summed_total_ms) > 1
    UNION ALL
    SELECT 'repeated_timings', 'error', a.run_id, NULL, NULL, b.run_id
    FROM r AS a
    JOIN r AS b
      ON b.machine_id = a.machine_id
     AND b.stack = a.stack
     AND b.forward_ms = a.forward_ms
     AND b.backward_ms = a.backward_ms
     AND b.model_key <> a.model_key
    WHERE (a.reported_total_ms IS NULL OR b.reported_total_ms IS NULL
           OR a.reported_total_ms = b.reported_total_ms)
      AND (b.source < a.source OR (b.source = a.source AND b.line < a.line))
    UNION ALL
    SELECT 'memory_above_device', 'error', run_id, NULL, NULL, NULL
    FROM r
    WHERE memory_bytes > device_memory_bytes
    UNION ALL
    SELECT 'memory_reservation', 'note', run_id, NULL, CAST(stack_models AS BIGINT), NULL
    FROM r
    WHERE stack_models >= 2
      AND stack_runs_with_memory = stack_runs
      AND stack_min_memory = stack_max_memory
      AND memory_bytes >= 0.9 * device_memory_bytes
      AND memory_bytes <= device_memory_bytes
)
SELECT f."check",
       f.severity,
       a.machine_id,
       a.machine,
       a.model_key,
       a.model,
       a.stack,
       a.run_id,
       a.source,
       a.line,
       a.forward_ms,
       a.backward_ms,
       a.reported_total_ms,
       a.summed_total_ms,
       abs(a.reported_total_ms - a.summed_total_ms) AS difference_ms,
       a.memory_mb,
       a.device_memory_bytes / 1e6 AS device_memory_mb,
       f.runs_with_memory,
       f.models_same_memory,
       f.other_run_id,
       b.model AS other_model,
       b.source AS other_source,
       b.line AS other_line
FROM findings AS f
JOIN r AS a ON a.run_id = f.run_id
LEFT JOIN r AS b ON b.run_id = f.other_run_id
