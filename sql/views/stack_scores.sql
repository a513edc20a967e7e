-- How each stack fares on one machine, twice: leaving flagged runs out, and with them.
-- One row per machine, stack and scope (machine_id, stack, include_flagged as in `rankings`:
-- false, the default, leaves out runs with an error-level data-quality finding and memory that is
-- a reservation; true counts every run). framework_summary is the include_flagged = false half.
-- Columns: machine_id, machine, stack, framework, framework_version, libraries, precision,
--   include_flagged;
--   models_measured: the models of this machine where the stack has a ranked run in the scope;
--   flagged_models: how many of its models have a flagged run (left out when include_flagged is
--     false, counted when true), flagged_model_names: those models, ", "-joined (NULL: none);
--   wins: the models where it ranks 1 (rankings.rank; a shared first place is a win for each);
--   geomean_slowdown: geometric mean, exp(avg(ln(x))), of rankings.slowdown over its own
--     models_measured; stacks that ran different models are not comparable on it;
--   common_models, common_model_names: the models that every stack with a ranked run on this
--     machine measured in the scope (the same for every stack of the machine and scope), their
--     number and names (", "-joined, by model_key);
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
stack_count AS (
    SELECT machine_id, include_flagged, count(DISTINCT stack) AS stacks
    FROM per_run
    WHERE rank IS NOT NULL
    GROUP BY machine_id, include_flagged
),
model_cover AS (
    SELECT machine_id, include_flagged, model_key, min(model) AS model, count(DISTINCT stack) AS stacks
    FROM per_run
    WHERE rank IS NOT NULL
    GROUP BY machine_id, include_flagged, model_key
),
common AS (
    SELECT c.machine_id, c.include_flagged, c.model_key, c.model
    FROM model_cover AS c
    JOIN stack_count AS s ON s.machine_id = c.machine_id AND s.include_flagged = c.include_flagged
    WHERE c.stacks = s.stacks
),
common_list AS (
    SELECT machine_id, include_flagged, count(*) AS common_models,
           string_agg(model, ', ' ORDER BY model_key) AS common_model_names
    FROM common
    GROUP BY machine_id, include_flagged
)
SELECT p.machine_id,
       p.machine,
       p.stack,
       p.framework,
       p.framework_version,
       p.libraries,
       p.precision,
       p.include_flagged,
       count(DISTINCT CASE WHEN p.rank IS NOT NULL THEN p.model_key END) AS models_measured,
       count(DISTINCT CASE WHEN p.flagged THEN p.model_key END) AS flagged_models,
       string_agg(CASE WHEN p.flagged THEN p.model END, ', ' ORDER BY p.model_key) AS flagged_model_names,
       count(DISTINCT CASE WHEN p.rank = 1 THEN p.model_key END) AS wins,
       exp(avg(CASE WHEN p.slowdown > 0 THEN ln(p.slowdown) END)) AS geomean_slowdown,
       coalesce(max(cl.common_models), 0) AS common_models,
       max(cl.common_model_names) AS common_model_names,
       exp(avg(CASE WHEN p.slowdown > 0 AND c.model_key IS NOT NULL THEN ln(p.slowdown) END))
           AS geomean_slowdown_common,
       avg(p.memory_ratio) AS mean_memory_ratio
FROM per_run AS p
LEFT JOIN common AS c
  ON c.machine_id = p.machine_id AND c.include_flagged = p.include_flagged AND c.model_key = p.model_key
LEFT JOIN common_list AS cl
  ON cl.machine_id = p.machine_id AND cl.include_flagged = p.include_flagged
GROUP BY p.machine_id, p.machine, p.stack, p.framework, p.framework_version, p.libraries, p.precision,
         p.include_flagged
