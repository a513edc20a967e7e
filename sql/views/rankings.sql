-- Each run ranked on its machine and model twice: leaving flagged runs out, and with them.
-- grain: run_id, include_flagged
-- One row per run (run_id) and scope (include_flagged: false, the default everywhere, leaves out
-- the runs with an error-level data-quality finding; true ranks every run). relative_to_fastest
-- is the include_flagged = false half; the report reads this view for `--include-flagged`.
-- Columns: every column of `results`, and:
--   include_flagged: the scope (see above);
--   flagged, flags: from run_flags (an error-level finding, its codes);
--   rank: 1 = fastest on its machine_id and model_key by total_ms; runs with the same total share
--     a rank (1, 2, 2, 4: a published tie stays a tie); NULL when the total is unknown or the run
--     is flagged and the scope leaves flagged runs out;
--   fastest_run_id, fastest_stack, fastest_total_ms: the fastest ranked run of that machine and
--     model in the scope (ties: stack, then run_id);
--   slowdown: total_ms / fastest_total_ms (1 for the fastest, 2 = twice as slow); NULL when rank is;
--   tie_resolution_ms: the coarser resolution_ms of this run and the fastest (1 for whole ms);
--   ties_fastest: true when this run's total is within tie_resolution_ms of the fastest total:
--     the numbers as written cannot tell the two apart (a 1 ms difference between totals
--     published in whole milliseconds may be rounding); NULL when rank is.
WITH scoped AS (
    SELECT r.*,
           s.include_flagged,
           f.flagged,
           f.flags,
           r.total_ms IS NOT NULL AND (s.include_flagged OR NOT f.flagged) AS ranked
    FROM results AS r
    JOIN run_flags AS f ON f.run_id = r.run_id
    CROSS JOIN (SELECT false AS include_flagged UNION ALL SELECT true AS include_flagged) AS s
),
ranked AS (
    -- the fastest ranked run of the machine and model in the scope, on every row of it (ranked
    -- runs sort first): window functions, not a join, so the plan stays one scan
    SELECT scoped.*,
           CASE WHEN ranked THEN
               rank() OVER (PARTITION BY machine_id, model_key, include_flagged, ranked ORDER BY total_ms)
           END AS rank,
           first_value(CASE WHEN ranked THEN run_id END) OVER fastest_first AS fastest_run_id,
           first_value(CASE WHEN ranked THEN stack END) OVER fastest_first AS fastest_stack,
           first_value(CASE WHEN ranked THEN total_ms END) OVER fastest_first AS fastest_total_ms,
           first_value(CASE WHEN ranked THEN resolution_ms END) OVER fastest_first AS fastest_resolution_ms
    FROM scoped
    WINDOW fastest_first AS (PARTITION BY machine_id, model_key, include_flagged
                             ORDER BY CASE WHEN ranked THEN 0 ELSE 1 END, total_ms, stack, run_id)
)
SELECT ranked.run_id,
       ranked.machine_id,
       ranked.machine_key,
       ranked.machine,
       ranked.device,
       ranked.device_memory_bytes,
       ranked.model_id,
       ranked.model,
       ranked.model_key,
       ranked.model_label,
       ranked.batch_size,
       ranked.input_shape,
       ranked.framework,
       ranked.framework_version,
       ranked.libraries,
       ranked.precision,
       ranked.label,
       ranked.date,
       ranked.framework_key,
       ranked.version_known,
       ranked.precision_key,
       ranked.libraries_known,
       ranked.libraries_key,
       ranked.libraries_shown,
       ranked.stack,
       ranked.base_stack,
       ranked.stack_id,
       ranked.base_stack_id,
       ranked.forward_ms,
       ranked.backward_ms,
       ranked.total_ms,
       ranked.total_is_reported,
       ranked.reported_total_ms,
       ranked.summed_total_ms,
       ranked.resolution_ms,
       ranked.memory_bytes,
       ranked.memory_mb,
       ranked.source,
       ranked.line,
       ranked.include_flagged,
       ranked.flagged,
       ranked.flags,
       ranked.rank,
       ranked.fastest_run_id,
       ranked.fastest_stack,
       ranked.fastest_total_ms,
       CASE WHEN ranked.ranked THEN ranked.total_ms / nullif(ranked.fastest_total_ms, 0) END AS slowdown,
       greatest(ranked.resolution_ms, ranked.fastest_resolution_ms) AS tie_resolution_ms,
       CASE WHEN ranked.ranked THEN
           abs(ranked.total_ms - ranked.fastest_total_ms)
               <= greatest(ranked.resolution_ms, ranked.fastest_resolution_ms)
       END AS ties_fastest
FROM ranked
