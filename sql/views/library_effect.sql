-- What changing the libraries does to one framework version on one model and machine.
-- grain: run_id, other_run_id
-- Compares runs of the same framework, version and precision with two different library sets.
-- One row per unordered pair of such runs, oriented so that `libraries_key` sorts after
-- `other_libraries_key` as text ("cudnn 4" over "cudnn 3"; none, a native stack, sorts first).
-- Columns: machine_id, machine, model_key, model, framework, framework_version, precision,
--   libraries, other_libraries (as results.libraries_shown: '' for none), libraries_key,
--   other_libraries_key (results.libraries_key), run_id, other_run_id, total_ms, other_total_ms (ms);
--   forward_speedup, backward_speedup, total_speedup: the other run's time / this run's time
--     (above 1: this library set is faster), NULL when either time is unknown;
--   flagged: either run has an error-level data-quality finding (run_flags);
--   geomean_total_speedup: geometric mean of total_speedup over the models where this machine has
--     the pair, flagged pairs left out (a window over machine, framework, version, precision and
--     both library sets);
--   models_compared: how many models that geometric mean is over.
-- Keys from `results`: framework_key, precision_key (none given = fp32), libraries_key (cuDNN
-- "R4" = "4"). A version written "unknown" is left out (two unknown versions are not known to be
-- the same), and so is a run whose libraries are not known (no `libraries` key).
WITH r AS (
    SELECT results.*, f.flagged
    FROM results
    JOIN run_flags AS f ON f.run_id = results.run_id
    WHERE version_known AND libraries_key IS NOT NULL
),
pairs AS (
    SELECT a.machine_id,
           a.machine,
           a.model_key,
           a.model,
           a.framework,
           a.framework_key,
           a.framework_version,
           a.precision,
           a.precision_key,
           a.libraries_shown AS libraries,
           a.libraries_key,
           b.libraries_shown AS other_libraries,
           b.libraries_key AS other_libraries_key,
           a.run_id,
           b.run_id AS other_run_id,
           a.total_ms,
           b.total_ms AS other_total_ms,
           b.forward_ms / nullif(a.forward_ms, 0) AS forward_speedup,
           b.backward_ms / nullif(a.backward_ms, 0) AS backward_speedup,
           b.total_ms / nullif(a.total_ms, 0) AS total_speedup,
           a.flagged OR b.flagged AS flagged
    FROM r AS a
    JOIN r AS b
      ON b.machine_id = a.machine_id
     AND b.model_key = a.model_key
     AND b.framework_key = a.framework_key
     AND b.framework_version = a.framework_version
     AND b.precision_key = a.precision_key
     AND b.libraries_key < a.libraries_key
)
SELECT machine_id,
       machine,
       model_key,
       model,
       framework,
       framework_version,
       precision,
       libraries,
       other_libraries,
       libraries_key,
       other_libraries_key,
       run_id,
       other_run_id,
       total_ms,
       other_total_ms,
       forward_speedup,
       backward_speedup,
       total_speedup,
       flagged,
       exp(avg(CASE WHEN total_speedup > 0 AND NOT flagged THEN ln(total_speedup) END) OVER w)
           AS geomean_total_speedup,
       count(CASE WHEN NOT flagged THEN total_speedup END) OVER w AS models_compared
FROM pairs
WINDOW w AS (PARTITION BY machine_id, framework_key, framework_version, precision_key,
                          libraries_key, other_libraries_key)
