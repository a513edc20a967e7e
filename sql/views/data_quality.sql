-- Suspicious measurements, each with the reason it looks wrong and where it was written.
-- One row per finding: a run (run_id) and a check it fails; a run can fail several checks.
-- Columns: check (short code, below), machine_id, machine, model_key, model, stack, run_id,
--   detail (a sentence with the numbers, in ms and decimal MB), source (file), line (of the run).
-- Checks:
--   missing_memory: no memory given while at least one other run of the same machine and model
--     reports memory (a source that publishes no memory at all, like convnet-benchmarks, is not
--     flagged run by run: there is nothing missing from it);
--   total_mismatch: the reported total differs from forward + backward by more than 1 ms
--     (published numbers are rounded one by one, so 1 ms is rounding; results.total_ms uses the sum);
--   repeated_timings: the same forward AND backward (and the same total when both report one) as
--     a run of the same stack on a different model of the same machine, which is more likely a
--     copied row than a measurement; the later run (by source path, then line) is flagged, and
--     the detail names the earlier one;
--   memory_above_device: the run's memory is above the machine's device memory
--     (results.device_memory_bytes, the sum over its devices).
WITH r AS (
    SELECT results.*,
           CASE WHEN forward_ms = round(forward_ms) THEN CAST(CAST(forward_ms AS BIGINT) AS VARCHAR)
                ELSE CAST(round(forward_ms, 3) AS VARCHAR) END AS forward_text,
           CASE WHEN backward_ms = round(backward_ms) THEN CAST(CAST(backward_ms AS BIGINT) AS VARCHAR)
                ELSE CAST(round(backward_ms, 3) AS VARCHAR) END AS backward_text,
           CASE WHEN reported_total_ms = round(reported_total_ms)
                THEN CAST(CAST(reported_total_ms AS BIGINT) AS VARCHAR)
                ELSE CAST(round(reported_total_ms, 3) AS VARCHAR) END AS reported_total_text,
           count(memory_bytes) OVER (PARTITION BY machine_id, model_key) AS runs_with_memory
    FROM results
),
missing_memory AS (
    SELECT 'missing_memory' AS "check", machine_id, machine, model_key, model, stack, run_id,
           'no memory given, while ' || CAST(runs_with_memory AS VARCHAR)
               || CASE WHEN runs_with_memory = 1 THEN ' other run of ' ELSE ' other runs of ' END
               || model || ' on this machine report it' AS detail,
           source, line
    FROM r
    WHERE memory_bytes IS NULL AND runs_with_memory > 0
),
total_mismatch AS (
    SELECT 'total_mismatch' AS "check", machine_id, machine, model_key, model, stack, run_id,
           'reported total ' || reported_total_text || ' ms differs from forward ' || forward_text
               || ' ms + backward ' || backward_text || ' ms = '
               || CASE WHEN forward_ms + backward_ms = round(forward_ms + backward_ms)
                       THEN CAST(CAST(forward_ms + backward_ms AS BIGINT) AS VARCHAR)
                       ELSE CAST(round(forward_ms + backward_ms, 3) AS VARCHAR) END
               || ' ms by '
               || CASE WHEN abs(reported_total_ms - forward_ms - backward_ms)
                            = round(abs(reported_total_ms - forward_ms - backward_ms))
                       THEN CAST(CAST(abs(reported_total_ms - forward_ms - backward_ms) AS BIGINT) AS VARCHAR)
                       ELSE CAST(round(abs(reported_total_ms - forward_ms - backward_ms), 3) AS VARCHAR) END
               || ' ms' AS detail,
           source, line
    FROM r
    WHERE abs(reported_total_ms - (forward_ms + backward_ms)) > 1
),
repeated_timings AS (
    SELECT 'repeated_timings' AS "check", a.machine_id, a.machine, a.model_key, a.model, a.stack, a.run_id,
           'forward ' || a.forward_text || ' ms, backward ' || a.backward_text || ' ms'
               || coalesce(' and total ' || a.reported_total_text || ' ms', '')
               || ' are the same as in its ' || b.model || ' run (' || b.source || ' line '
               || CAST(b.line AS VARCHAR) || ')' AS detail,
           a.source, a.line
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
),
memory_above_device AS (
    SELECT 'memory_above_device' AS "check", machine_id, machine, model_key, model, stack, run_id,
           'memory '
               || CASE WHEN memory_mb = round(memory_mb) THEN CAST(CAST(memory_mb AS BIGINT) AS VARCHAR)
                       ELSE CAST(round(memory_mb, 3) AS VARCHAR) END
               || ' MB is above the machine''s device memory of '
               || CASE WHEN device_memory_bytes / 1e6 = round(device_memory_bytes / 1e6)
                       THEN CAST(CAST(device_memory_bytes / 1e6 AS BIGINT) AS VARCHAR)
                       ELSE CAST(round(device_memory_bytes / 1e6, 3) AS VARCHAR) END
               || ' MB' AS detail,
           source, line
    FROM r
    WHERE memory_bytes > device_memory_bytes
)
SELECT * FROM missing_memory
UNION ALL
SELECT * FROM total_mismatch
UNION ALL
SELECT * FROM repeated_timings
UNION ALL
SELECT * FROM memory_above_device
