-- How each stack fares on one machine over all the models it ran: wins, mean slowdown and memory.
-- One row per stack and machine (machine_id, stack).
-- Columns: machine_id, machine, stack, framework, framework_version, libraries, precision;
--   models_measured: the models of this machine with a known total time for this stack;
--   wins: the models where it ranks 1 by total time (relative_to_fastest.rank);
--   geomean_slowdown: geometric mean, exp(avg(ln(x))), of relative_to_fastest.slowdown over the
--     models_measured (1 = fastest everywhere; 1.5 = typically 1.5 times the fastest time). A
--     model the stack did not run counts neither for nor against it;
--   mean_memory_ratio: arithmetic mean of memory_comparison.memory_ratio (its memory / the
--     leanest run's memory) over the models where its memory is known; NULL when it never is.
WITH per_run AS (
    SELECT f.machine_id, f.machine, f.model_key, f.stack, f.framework, f.framework_version,
           f.libraries, f.precision, f.total_ms, f.rank, f.slowdown, m.memory_ratio
    FROM relative_to_fastest AS f
    LEFT JOIN memory_comparison AS m ON m.run_id = f.run_id
)
SELECT machine_id,
       machine,
       stack,
       framework,
       framework_version,
       libraries,
       precision,
       count(DISTINCT CASE WHEN total_ms IS NOT NULL THEN model_key END) AS models_measured,
       count(DISTINCT CASE WHEN rank = 1 THEN model_key END) AS wins,
       exp(avg(CASE WHEN slowdown > 0 THEN ln(slowdown) END)) AS geomean_slowdown,
       avg(memory_ratio) AS mean_memory_ratio
FROM per_run
GROUP BY machine_id, machine, stack, framework, framework_version, libraries, precision
