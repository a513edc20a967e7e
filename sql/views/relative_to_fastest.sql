-- Each run against the fastest run (lowest total_ms) of its machine and model, flagged runs left out.
-- grain: run_id
-- One row per run (run_id): the include_flagged = false half of the view `rankings` (runs with an
-- error-level data-quality finding are listed, with flagged = true and no rank or slowdown, and
-- never count as the fastest). Columns: every column of `results`, and flagged, flags, rank,
-- fastest_run_id, fastest_stack, fastest_total_ms, slowdown, tie_resolution_ms, ties_fastest, as
-- `rankings` defines them: rank 1 = fastest by total_ms (equal totals share a rank), slowdown =
-- total_ms / fastest_total_ms (its inverse is the fastest's speedup in the sense of `speedups`),
-- ties_fastest true when the numbers as written cannot tell this run from the fastest.
-- A run with no total has NULL rank and slowdown; it still shows the fastest run of its machine
-- and model.
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
       stack,
       base_stack,
       stack_id,
       base_stack_id,
       forward_ms,
       backward_ms,
       total_ms,
       total_is_reported,
       reported_total_ms,
       summed_total_ms,
       resolution_ms,
       memory_bytes,
       memory_mb,
       source,
       line,
       flagged,
       flags,
       rank,
       fastest_run_id,
       fastest_stack,
       fastest_total_ms,
       slowdown,
       tie_resolution_ms,
       ties_fastest
FROM rankings
WHERE NOT include_flagged
