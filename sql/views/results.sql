-- Every run with its machine, model, stack and measurements on one wide row.
-- grain: run_id
-- One row per run (run_id): one stack measured on one model on one machine.
-- This view computes every key once; the other views compare runs by these columns only.
-- Columns:
--   run_id, machine_id, machine_key, machine (machines.name), model_id, model (as written),
--   model_key (canonical: lower-case letters and digits; runs are compared by machine_id + model_key),
--   model_label (the model's name as published, "OxfordNet [Model-A]"; NULL when not given);
--   device: the machine's devices in file order, joined with ", ", "2 x Nvidia Titan X" when a
--     device's quantity is above 1; NULL when the machine lists no devices;
--   device_memory_bytes: sum of memory_bytes * quantity (quantity 1 when not given), in bytes;
--     NULL when any device's memory is unknown (a partial sum would understate it);
--   batch_size (images per minibatch), input_shape ("3x224x224"), both NULL when not given;
--   framework, framework_version (free text as written), libraries ("cuDNN R4" as written, NULL:
--   none listed), precision ("fp16", "fp32", NULL: not given), label (the stack's published name);
--   date: when the run was measured, "2016-02-28" or a year "2015" (the run's own `date`, else its
--     model's; NULL: not given);
--   framework_key: lower(framework), how frameworks match;
--   version_known: false when the version is written "unknown" (any case): not published;
--   precision_key: lower(precision), 'fp32' when none is given (every framework's default);
--   libraries_known: false when the entry has no `libraries` key (which libraries ran is not
--     known); `libraries = []` is known: none (a native stack, the framework's own kernels);
--   libraries_key: the library set as a comparable key: each library as "name version" in lower
--     case, a leading R dropped from the version ("R4" = "4"), sorted, joined with " + ";
--     '' for `libraries = []`; NULL when not known: no `libraries` key, or a library whose
--     version is missing or "unknown" (two unknown versions are not known to be the same);
--   libraries_shown: the libraries for reading, as written, an "unknown" version left out
--     ("cuDNN R4", "fbfft"); '' for none; NULL when no `libraries` key;
--   stack: readable stack: framework, its version when known, " + " libraries, then
--     " (native)" for `libraries = []` and the precision when given, in one parenthesis:
--     "Torch 07/03/2016 + cuDNN 4", "Torch + cuDNN R4 (fp16)", "Caffe (native)",
--     "neon (fp16)". Unique within a machine and model except for runs whose keys differ only in
--     an unpublished version ("unknown" vs "Unknown") or a library version ("fbfft unknown" vs
--     "fbfft"); run_id tells them apart;
--   base_stack: stack without the precision (compares fp16 with fp32 of one stack);
--   stack_id: the stack's identity, computed at ingest (runs.stack_id): framework and version
--     case-folded (a version "unknown" in any case is not published), the library set normalised as
--     libraries_key is (an "unknown" library version = none given), precision as precision_key. Every
--     view groups, pairs and partitions by it; `stack` is only its display ("Torch"/"unknown" and
--     "Torch"/"Unknown" are one stack; "Torch"/"1 2" and "Torch 1"/"2" show alike but are two);
--   base_stack_id: the same without the precision (base_stack's identity);
--   config_id: the run's natural key without its date (runs.config_id): the same configuration
--     measured on other days has other run_ids and this config_id (two states of a comparison pair on it);
--   forward_ms, backward_ms: milliseconds per minibatch as written;
--   total_ms: the reported total when the run gives one (published totals are rounded on their
--     own, while convnet-benchmarks truncates forward and backward: the published total is the
--     more exact number), else forward_ms + backward_ms when both are known, else NULL;
--   total_is_reported: true when total_ms is the reported total;
--   reported_total_ms: the `total` as written, NULL when not reported;
--   summed_total_ms: forward_ms + backward_ms, NULL unless both are known (data_quality compares
--     it with the reported total);
--   resolution_ms: the step of the numbers total_ms comes from, as written: 1 for whole
--     milliseconds, 0.1 for one decimal, ...; for a sum, the coarser of forward and backward.
--     Two totals closer than this cannot be told apart;
--   memory_bytes (bytes, rounded to whole bytes), memory_mb (memory_bytes / 1e6, decimal MB);
--   source (sources.path, as given to the ingest), line (where the run's entry starts there).
-- Missing measurements stay NULL, never 0.
WITH measured AS (
    SELECT run_id,
           max(CASE WHEN metric = 'forward_ms' THEN value END) AS forward_ms,
           max(CASE WHEN metric = 'backward_ms' THEN value END) AS backward_ms,
           max(CASE WHEN metric = 'total_ms' THEN value END) AS reported_total_ms,
           max(CASE WHEN metric = 'memory_bytes' THEN value END) AS memory_value,
           max(CASE WHEN metric = 'forward_ms' THEN step END) AS forward_step,
           max(CASE WHEN metric = 'backward_ms' THEN step END) AS backward_step,
           max(CASE WHEN metric = 'total_ms' THEN step END) AS total_step
    FROM (
        -- the step of a time as written: 1 for "71", 0.01 for "80.96"; NULL for an exponent form
        SELECT run_id, metric, value,
               CASE WHEN metric NOT IN ('forward_ms', 'backward_ms', 'total_ms') OR strpos(written, 'e') > 0
                    THEN NULL
                    WHEN strpos(written, '.') = 0 THEN 1.0
                    ELSE power(10.0, -(length(written) - strpos(written, '.')))
               END AS step
        FROM measurements
    ) AS m
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
),
libs AS (
    SELECT run_id,
           string_agg(lower(name) || coalesce(' ' || lower(norm_version), ''), ' + '
                      ORDER BY lower(name), lower(norm_version)) AS libraries_key,
           string_agg(name || coalesce(' ' || shown_version, ''), ' + ' ORDER BY position) AS libraries_shown,
           count(*) - count(norm_version) AS unknown_versions
    FROM (
        SELECT run_id, position, name,
               CASE WHEN version IS NULL OR lower(version) = 'unknown' THEN NULL
                    WHEN regexp_matches(version, '^[Rr][0-9]') THEN substr(version, 2)
                    ELSE version END AS norm_version,
               CASE WHEN lower(version) <> 'unknown' THEN version END AS shown_version
        FROM run_libraries
    ) AS l
    GROUP BY run_id
),
keyed AS (
    SELECT r.run_id,
           r.machine_id,
           ma.machine_key,
           ma.name AS machine,
           d.device,
           d.device_memory_bytes,
           r.model_id,
           mo.name AS model,
           mo.model_key,
           mo.label AS model_label,
           mo.batch_size,
           mo.input_shape,
           f.name AS framework,
           f.version AS framework_version,
           r.libraries,
           r.precision,
           r.label,
           r.stack_id,
           r.base_stack_id,
           r.config_id,
           coalesce(r.date, mo.date) AS date,
           lower(f.name) AS framework_key,
           lower(f.version) <> 'unknown' AS version_known,
           lower(coalesce(r.precision, 'fp32')) AS precision_key,
           r.has_libraries AS libraries_known,
           CASE WHEN NOT r.has_libraries THEN NULL
                WHEN l.run_id IS NULL THEN ''
                WHEN l.unknown_versions = 0 THEN l.libraries_key END AS libraries_key,
           CASE WHEN r.has_libraries THEN coalesce(l.libraries_shown, '') END AS libraries_shown,
           f.name || CASE WHEN lower(f.version) <> 'unknown' THEN ' ' || f.version ELSE '' END
               || CASE WHEN l.libraries_shown IS NOT NULL THEN ' + ' || l.libraries_shown ELSE '' END
               AS stack_name,
           CASE WHEN r.has_libraries AND l.run_id IS NULL THEN 'native' END AS native,
           me.forward_ms,
           me.backward_ms,
           me.reported_total_ms,
           me.forward_ms + me.backward_ms AS summed_total_ms,
           CASE WHEN me.reported_total_ms IS NOT NULL THEN me.total_step
                ELSE greatest(me.forward_step, me.backward_step) END AS resolution_ms,
           me.memory_value,
           s.path AS source,
           r.line
    FROM runs AS r
    JOIN machines AS ma ON ma.machine_id = r.machine_id
    JOIN models AS mo ON mo.model_id = r.model_id
    JOIN frameworks AS f ON f.framework_id = r.framework_id
    JOIN sources AS s ON s.source_id = r.source_id
    LEFT JOIN measured AS me ON me.run_id = r.run_id
    LEFT JOIN device_list AS d ON d.machine_id = r.machine_id
    LEFT JOIN libs AS l ON l.run_id = r.run_id
)
SELECT run_id,
       machine_id,
       machine_key,
       machine,
       device,
       device_memory_bytes,
       model_id,
       model,
       model_key,
       model_label,
       batch_size,
       input_shape,
       framework,
       framework_version,
       libraries,
       precision,
       label,
       date,
       framework_key,
       version_known,
       precision_key,
       libraries_known,
       libraries_key,
       libraries_shown,
       stack_name || CASE WHEN native IS NOT NULL AND precision IS NOT NULL
                          THEN ' (' || native || ', ' || precision || ')'
                          WHEN native IS NOT NULL THEN ' (' || native || ')'
                          WHEN precision IS NOT NULL THEN ' (' || precision || ')'
                          ELSE '' END AS stack,
       stack_name || CASE WHEN native IS NOT NULL THEN ' (' || native || ')' ELSE '' END AS base_stack,
       stack_id,
       base_stack_id,
       config_id,
       forward_ms,
       backward_ms,
       coalesce(reported_total_ms, summed_total_ms) AS total_ms,
       reported_total_ms IS NOT NULL AS total_is_reported,
       reported_total_ms,
       summed_total_ms,
       CASE WHEN coalesce(reported_total_ms, summed_total_ms) IS NOT NULL THEN resolution_ms END AS resolution_ms,
       CAST(round(memory_value) AS BIGINT) AS memory_bytes,
       round(memory_value) / 1e6 AS memory_mb,
       source,
       line
FROM keyed
