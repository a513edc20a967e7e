-- How each stack fares on one machine, twice: leaving flagged runs out, and with them.
-- grain: machine_id, stack_id, include_flagged
-- One row per machine, stack and scope (machine_id, stack_id, include_flagged as in `rankings`:
-- false, the default, leaves out runs with an error-level data-quality finding and memory that is
-- a reservation; true counts every run). framework_summary is the include_flagged = false half.
-- A stack is results.stack_id (its display `stack` may be shared by two stacks, and one stack may
-- be written two ways, "unknown" and "Unknown"); it is counted once per model: its best run there.
-- Columns: machine_id, machine, stack_id, stack, framework, framework_version, libraries, precision
--   (the display columns as written by its first run, by stack and run_id; the same on every row
--   of the stack), include_flagged;
--   models_measured: the models of this machine where the stack has a ranked run in the scope;
--   flagged_models: how many of its models have a flagged run (left out when include_flagged is
--     false, counted when true), flagged_model_names: those models, ", "-joined (NULL: none);
--   wins: the models where it ranks 1 (rankings.rank; a shared first place is a win for each);
--   geomean_slowdown: geometric mean, exp(avg(ln(x))), of rankings.slowdown over its own
--     models_measured; stacks that ran different models are not comparable on it;
--   common_models, common_model_names: the models that every stack with a ranked run on this
--     machine measured in the scope (the same for every such stack of the machine and scope; 0 and
--     NULL for a stack without a ranked run), their number and names (", "-joined, by model_key);
--   geomean_slowdown_common: the geometric mean of slowdown over the common models only: the
--     number to compare stacks by; NULL when there is no common model;
--   mean_memory_ratio: arithmetic mean of memory_comparison.memory_ratio (its memory / the
--     leanest run's memory; reservations left out) over the models where it is known, or of
--     memory_ratio_with_reserved when include_flagged is true; NULL when it never is.
WITH per_run AS (
    SELECT r.*,
           CASE WHEN r.include_flagged THEN m.memory_ratio_with_reserved ELSE m.memory_ratio END AS memory_ratio,
           -- one run per stack and model: the best ranked one; flagged when any of them is
           row_number() OVER (PARTITION BY r.machine_id, r.include_flagged, r.stack_id, r.model_key
                              ORDER BY r.rank NULLS LAST, r.total_ms NULLS LAST, r.run_id) AS nth_run,
           count(CASE WHEN r.flagged THEN 1 END)
               OVER (PARTITION BY r.machine_id, r.include_flagged, r.stack_id, r.model_key) > 0 AS model_flagged
    FROM rankings AS r
    LEFT JOIN memory_comparison AS m ON m.run_id = r.run_id
),
per_model AS (
    SELECT *,
           -- the stack's display as written by one of its runs
           first_value(stack) OVER shown AS shown_stack,
           first_value(framework) OVER shown AS shown_framework,
           first_value(framework_version) OVER shown AS shown_framework_version,
           first_value(libraries) OVER shown AS shown_libraries,
           first_value(precision) OVER shown AS shown_precision
    FROM per_run
    WHERE nth_run = 1
    WINDOW shown AS (PARTITION BY machine_id, include_flagged, stack_id ORDER BY stack, run_id)
),
-- one scan with window functions (no self-join, so the plan stays small on any engine): how many
-- stacks of the machine have a ranked run, and how many of them ranked on each model
numbered AS (
    SELECT per_model.*,
           dense_rank() OVER (PARTITION BY machine_id, include_flagged
                              ORDER BY CASE WHEN rank IS NOT NULL THEN stack_id END) AS stack_number,
           max(CASE WHEN rank IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY machine_id, include_flagged)
               AS has_unranked,
           count(rank) OVER (PARTITION BY machine_id, include_flagged, model_key) AS model_stacks
    FROM per_model
),
marked AS (
    -- a run on a common model: every stack with a ranked run on the machine ranked on the model
    -- (the NULL stack of the unranked runs is one dense_rank group, taken off the count)
    SELECT numbered.*,
           rank IS NOT NULL
               AND model_stacks = max(stack_number) OVER (PARTITION BY machine_id, include_flagged) - has_unranked
               AS on_common_model
    FROM numbered
)
SELECT machine_id,
       max(machine) AS machine,
       stack_id,
       max(shown_stack) AS stack,
       max(shown_framework) AS framework,
       max(shown_framework_version) AS framework_version,
       max(shown_libraries) AS libraries,
       max(shown_precision) AS precision,
       include_flagged,
       count(CASE WHEN rank IS NOT NULL THEN 1 END) AS models_measured,
       count(CASE WHEN model_flagged THEN 1 END) AS flagged_models,
       string_agg(CASE WHEN model_flagged THEN model END, ', ' ORDER BY model_key) AS flagged_model_names,
       count(CASE WHEN rank = 1 THEN 1 END) AS wins,
       exp(avg(CASE WHEN slowdown > 0 THEN ln(slowdown) END)) AS geomean_slowdown,
       count(CASE WHEN on_common_model THEN 1 END) AS common_models,
       string_agg(CASE WHEN on_common_model THEN model END, ', ' ORDER BY model_key) AS common_model_names,
       exp(avg(CASE WHEN slowdown > 0 AND on_common_model THEN ln(slowdown) END)) AS geomean_slowdown_common,
       avg(memory_ratio) AS mean_memory_ratio
FROM marked
GROUP BY machine_id, stack_id, include_flagged
