-- Every run with its machine, model, stack and measurements on one wide row.
-- One row per run (run_id): one stack measured on one model on one machine.
-- Columns:
--   run_id, machine_id, machine_key, machine (machines.name), model_id, model (as written),
--   model_key (canonical: lower-case letters and digits; runs are compared by machine_id + model_key);
--   device: the machine's devices in file order, joined with ", ", "2 x Nvidia Titan X" when a
--     device's quantity is above 1; NULL when the machine lists no devices;
--   device_memory_bytes: sum of memory_bytes * quantity (quantity 1 when not given), in bytes;
--     NULL when any device's memory is unknown (a partial sum would understate it);
--   batch_size (images per minibatch), input_shape ("3x224x224"), both NULL when not given;
--   framework, framework_version (free text as written), libraries ("cuDNN 4", NULL: none listed),
--   precision ("fp16", "fp32", NULL: not given), label (the stack's published name, when given);
--   stack: readable stack, "Torch 07/03/2016 + cuDNN 4", framework and version alone when no
--     libraries, " (fp16)" appended when a precision is given; unique within a machine and model;
--   base_stack: stack without the precision (compares fp16 with fp32 of one stack);
--   forward_ms, backward_ms: milliseconds per minibatch as written;
--   total_ms: forward_ms + backward_ms when both are known, else the reported total; published
--     totals are rounded on their own, so the sum is the consistent number to compare;
--   reported_total_ms: the `total` as written, NULL when not reported;
--   memory_bytes (bytes, rounded to whole bytes), memory_mb (memory_bytes / 1e6, decimal MB);
--   source (sources.path, as given to the ingest), line (where the run's entry starts there).
-- Missing measurements stay NULL, never 0.
WITH measured AS (
    SELECT run_id,
           max(CASE WHEN metric = 'forward_ms' THEN value END) AS forward_ms,
           max(CASE WHEN metric = 'backward_ms' THEN value END) AS backward_ms,
           max(CASE WHEN metric = 'total_ms' THEN value END) AS reported_total_ms,
           max(CASE WHEN metric = 'memory_bytes' THEN value END) AS memory_value
    FROM measurements
    GROUP BY run_id
),
device_list AS (
    SELECT machine_id,
           string_agg(CASE WHEN quantity > 1 THEN CAST(quantity AS VARCHAR) || ' x ' ELSE '' END
                      || coalesce(name, 'unnamed device'), ', ' ORDER BY position) AS device,
           CASE WHEN count(memory_bytes) = count(*)
                THEN CAST(sum(memory_bytes * coalesce(quantity, 1)) AS BIGINT) END AS device_memory_bytes
    FROM devices
    GROUP BY machine_id
)
SELECT r.run_id,
       r.machine_id,
       ma.machine_key,
       ma.name AS machine,
       d.device,
       d.device_memory_bytes,
       r.model_id,
       mo.name AS model,
       mo.model_key,
       mo.batch_size,
       mo.input_shape,
       f.name AS framework,
       f.version AS framework_version,
       r.libraries,
       r.precision,
       r.label,
       f.name || ' ' || f.version || coalesce(' + ' || r.libraries, '')
           || coalesce(' (' || r.precision || ')', '') AS stack,
       f.name || ' ' || f.version || coalesce(' + ' || r.libraries, '') AS base_stack,
       me.forward_ms,
       me.backward_ms,
       CASE WHEN me.forward_ms IS NOT NULL AND me.backward_ms IS NOT NULL
            THEN me.forward_ms + me.backward_ms
            ELSE me.reported_total_ms END AS total_ms,
       me.reported_total_ms,
       CAST(round(me.memory_value) AS BIGINT) AS memory_bytes,
       round(me.memory_value) / 1e6 AS memory_mb,
       s.path AS source,
       r.line
FROM runs AS r
JOIN machines AS ma ON ma.machine_id = r.machine_id
JOIN models AS mo ON mo.model_id = r.model_id
JOIN frameworks AS f ON f.framework_id = r.framework_id
JOIN sources AS s ON s.source_id = r.source_id
LEFT JOIN measured AS me ON me.run_id = r.run_id
LEFT JOIN device_list AS d ON d.machine_id = r.machine_id
