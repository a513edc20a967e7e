-- How each stack fares on one machine over the models it ran, flagged runs left out.
-- grain: machine_id, stack_id
-- One row per stack and machine (machine_id, stack_id): the include_flagged = false half of the view
-- `stack_scores` (runs with an error-level data-quality finding, and memory that is a reservation,
-- are left out). Columns, as `stack_scores` defines them: machine_id, machine, stack_id, stack, framework,
-- framework_version, libraries, precision; models_measured, flagged_models, flagged_model_names,
-- wins (models where it ranks 1); geomean_slowdown (geometric mean of
-- relative_to_fastest.slowdown over its own models: a model the stack did not run counts neither
-- for nor against it, so stacks with different models are not comparable on it); common_models,
-- common_model_names (the models every stack of the machine measured) and
-- geomean_slowdown_common (over those models only: the number to compare stacks by);
-- mean_memory_ratio (mean of memory_comparison.memory_ratio, reservations left out; NULL when
-- its memory is never known).
SELECT machine_id,
       machine,
       stack_id,
       stack,
       framework,
       framework_version,
       libraries,
       precision,
       models_measured,
       flagged_models,
       flagged_model_names,
       wins,
       geomean_slowdown,
       common_models,
       common_model_names,
       geomean_slowdown_common,
       mean_memory_ratio
FROM stack_scores
WHERE NOT include_flagged
