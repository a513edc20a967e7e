-- How each stack fares on one machine, twice: leaving flagged runs out, and with them.
-- One row per machine, stack and scope (machine_id, stack, include_flagged as in `rankings`:
-- false, the default, leaves out runs with an error-level data-quality finding and memory that is
-- a reservation; true counts every run). framework_summary is the include_flagged = false half.
-- A stack is counted once per model: results.stack is unique within a machine and model.
-- Columns: machine_id, machine, stack, framework, framework_version, libraries, precision,
--   include_flagged;
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
           CASE WHEN r.include_flagged THEN m.memory_ratio_with_reserved ELSE m.memory_ratio END AS memory_ratio
    FROM rankings AS r
    LEFT JOIN memory_comparison AS m ON m.run_id = r.run_id
),
-- one scan with window functions (no self-join, so the plan stays small on any engine): how many
-- stacks of the machine have a ranked run, and how many of them ranked on each model
numbered AS (
    SELECT per_run.*,
           dense_rank() OVER (PARTITION BY machine_id, include_flagged
                              ORDER BY CASE WHEN rank IS NOT NULL THEN stack END) AS stack_number,
           max(CASE WHEN rank IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY machine_id, include_flagged)
               AS has_unranked,
           count(rank) OVER (PARTITION BY machine_id, include_flagged, model_key) AS model_stacks
    FROM per_run
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
       machine,
       stack,
       framework,
       framework_version,
       libraries,
       precision,
       include_flagged,
       count(CASE WHEN rank IS NOT NULL THEN 1 END) AS models_measured,
       count(CASE WHEN flagged THEN 1 END) AS flagged_models,
       string_agg(CASE WHEN flagged THEN model END, ', ' ORDER BY model_key) AS flagged_model_names,
       count(CASE WHEN rank = 1 THEN 1 END) AS wins,
       exp(avg(CASE WHEN slowdown > 0 THEN ln(slowdown) END)) AS geomean_slowdown,
       count(CASE WHEN on_common_model THEN 1 END) AS common_models,
       string_agg(CASE WHEN on_common_model THEN model END, ', ' ORDER BY model_key) AS common_model_names,
       exp(avg(CASE WHEN slowdown > 0 AND on_common_model THEN ln(slowdown) END)) AS geomean_slowdown_common,
       avg(memory_ratio) AS mean_memory_ratio
FROM marked
GROUP BY machine_id, machine, stack, framework, framework_version, libraries, precision, include_flagged
