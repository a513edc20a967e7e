-- One row per (machine, stack) in the report's framework summary, from the view stack_scores in the
-- scope asked for: models measured, flagged models, wins (rank 1), the models common to every stack
-- of the machine and the geometric-mean slowdown over them, the geometric mean over the stack's own
-- models, and the mean memory ratio; ordered by the geomean over the common models. It covers every
-- model of the machine (a --model filter does not narrow it). The site's front page shows the same
-- rows. Scope: in_scope (sql/report/scope.sql), and its include_flagged.
SELECT s.machine_id, s.stack, s.framework, s.models_measured, s.flagged_models, s.flagged_model_names, s.wins,
       s.common_models, s.common_model_names, s.geomean_slowdown_common, s.geomean_slowdown,
       s.mean_memory_ratio
FROM stack_scores AS s
JOIN scope AS f ON s.include_flagged = f.include_flagged
WHERE in_scope(s.machine_id, NULL, lower(s.framework))
ORDER BY s.machine_id, s.geomean_slowdown_common NULLS LAST, s.geomean_slowdown NULLS LAST, s.wins DESC,
         s.stack, s.models_measured, s.mean_memory_ratio
