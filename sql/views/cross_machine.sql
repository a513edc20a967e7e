-- Each run against the fastest comparable run on another machine: the same model and stack, two machines' times.
-- grain: run_id
-- One row per run (run_id) that has a partner on another machine: the same model_key, framework
-- (framework_key) and precision (precision_key, none given = fp32). Framework versions are not
-- compared (sources rarely agree on how to name one: "07/03/2016" against an unpublished one).
--   like_for_like (true): the partner also has the same library set, known on both sides
--     (results.libraries_key: "cuDNN R4" = "cuDNN 4"; `libraries = []`, a native stack, is the
--     known set "none"). Only these rows compare machines: the report's summary uses them alone.
--   like_for_like (false), "software differs": the run's machine has no like-for-like partner for
--     this model, framework and precision on any machine, so the run meets the fastest run of
--     that framework and precision on another machine, whose libraries differ or are not known
--     (Caffe + cuDNN 3 against native Caffe says more about cuDNN than about the machines).
--     Listed for reading, never summarised.
-- The partner is the fastest such run on any other machine (least total_ms; ties: machine_key,
-- then run_id), so a run on the fastest machine meets the runner-up. Runs with an error-level
-- data-quality finding (run_flags.flagged) and runs without a total are left out on both sides.
-- Linear in runs: window functions keep each machine's fastest run per key, then the fastest and
-- second-fastest machine per key (one row per key); each run joins that one row.
-- Columns: model_key, model (as written on this run's side), stack_key (readable: "Torch + cuDNN
--   R4 (fp32)" for like-for-like rows, "Caffe (fp32): cuDNN 3 vs native" or "Tensorflow
--   (fp32): cuDNN 4 vs libraries not known" for the others), like_for_like, other_machines (how
--   many other machines have a partner of that kind; the partner is the fastest of theirs),
--   machine_id, machine_key, machine, other_machine_id, other_machine_key, other_machine (names
--   can be equal: the keys tell machines apart), framework (as written on this run's side),
--   run_id, other_run_id, stack, other_stack (results.stack); total_ms, other_total_ms,
--   forward_ms, other_forward_ms, backward_ms, other_backward_ms (ms, results' columns);
--   total_ratio: other_total_ms / total_ms (above 1: this run is faster than the best elsewhere);
--   total_tie: true when the two totals are within the coarser of their resolution_ms (the
--   numbers as written cannot tell them apart).
WITH r AS (
    SELECT results.*
    FROM results
    JOIN run_flags AS f ON f.run_id = results.run_id
    WHERE NOT f.flagged AND results.total_ms IS NOT NULL
),
-- like for like: each machine's fastest run per comparable stack (known library set)
in_stack AS (
    SELECT run_id, machine_id, machine_key, model_key, framework_key, precision_key, libraries_key, total_ms,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key, machine_id
                              ORDER BY total_ms, run_id) AS n
    FROM r
    WHERE libraries_key IS NOT NULL
),
stack_places AS (
    SELECT model_key, framework_key, precision_key, libraries_key, machine_id, run_id,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key
                              ORDER BY total_ms, machine_key, run_id) AS place,
           count(*) OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key) AS machines
    FROM in_stack
    WHERE n = 1
),
stack_top AS (
    SELECT model_key, framework_key, precision_key, libraries_key, max(machines) AS machines,
           max(CASE WHEN place = 1 THEN machine_id END) AS first_machine_id,
           max(CASE WHEN place = 1 THEN run_id END) AS first_run_id,
           max(CASE WHEN place = 2 THEN run_id END) AS second_run_id
    FROM stack_places
    WHERE place <= 2
    GROUP BY model_key, framework_key, precision_key, libraries_key
),
like_pairs AS (
    SELECT r.run_id, r.machine_id, r.model_key, r.framework_key, r.precision_key,
           true AS like_for_like,
           s.machines - 1 AS other_machines,
           CASE WHEN s.first_machine_id = r.machine_id THEN s.second_run_id ELSE s.first_run_id END
               AS other_run_id,
           s.first_run_id AS key_run_id
    FROM r
    JOIN stack_top AS s
      ON s.model_key = r.model_key
     AND s.framework_key = r.framework_key
     AND s.precision_key = r.precision_key
     AND s.libraries_key = r.libraries_key
    WHERE s.machines > 1
),
matched AS (
    SELECT DISTINCT machine_id, model_key, framework_key, precision_key
    FROM like_pairs
),
-- software differs: each machine's fastest run per model, framework and precision
in_framework AS (
    SELECT run_id, machine_id, machine_key, model_key, framework_key, precision_key, total_ms,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, machine_id
                              ORDER BY total_ms, run_id) AS n
    FROM r
),
framework_places AS (
    SELECT model_key, framework_key, precision_key, machine_id, run_id,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key
                              ORDER BY total_ms, machine_key, run_id) AS place,
           count(*) OVER (PARTITION BY model_key, framework_key, precision_key) AS machines
    FROM in_framework
    WHERE n = 1
),
framework_top AS (
    SELECT model_key, framework_key, precision_key, max(machines) AS machines,
           max(CASE WHEN place = 1 THEN machine_id END) AS first_machine_id,
           max(CASE WHEN place = 1 THEN run_id END) AS first_run_id,
           max(CASE WHEN place = 2 THEN run_id END) AS second_run_id
    FROM framework_places
    WHERE place <= 2
    GROUP BY model_key, framework_key, precision_key
),
differs_pairs AS (
    SELECT r.run_id, r.machine_id, r.model_key, r.framework_key, r.precision_key,
           false AS like_for_like,
           t.machines - 1 AS other_machines,
           CASE WHEN t.first_machine_id = r.machine_id THEN t.second_run_id ELSE t.first_run_id END
               AS other_run_id,
           CAST(NULL AS BIGINT) AS key_run_id
    FROM r
    JOIN framework_top AS t
      ON t.model_key = r.model_key
     AND t.framework_key = r.framework_key
     AND t.precision_key = r.precision_key
    LEFT JOIN matched AS m
      ON m.machine_id = r.machine_id
     AND m.model_key = r.model_key
     AND m.framework_key = r.framework_key
     AND m.precision_key = r.precision_key
    WHERE t.machines > 1
      AND m.machine_id IS NULL
),
pairs AS (
    SELECT * FROM like_pairs
    UNION ALL
    SELECT * FROM differs_pairs
)
SELECT a.model_key,
       a.model,
       CASE WHEN p.like_for_like
            THEN k.framework
                 || CASE WHEN k.libraries_shown = '' THEN ' (native, ' ELSE ' + ' || k.libraries_shown || ' (' END
                 || a.precision_key || ')'
            ELSE a.framework || ' (' || a.precision_key || '): '
                 || CASE WHEN NOT a.libraries_known THEN 'libraries not known'
                         WHEN a.libraries_shown = '' THEN 'native'
                         WHEN a.libraries_key IS NULL THEN a.libraries_shown || ' (version not known)'
                         ELSE a.libraries_shown END
                 || ' vs '
                 || CASE WHEN NOT o.libraries_known THEN 'libraries not known'
                         WHEN o.libraries_shown = '' THEN 'native'
                         WHEN o.libraries_key IS NULL THEN o.libraries_shown || ' (version not known)'
                         ELSE o.libraries_shown END
       END AS stack_key,
       p.like_for_like,
       p.other_machines,
       a.machine_id,
       a.machine_key,
       a.machine,
       o.machine_id AS other_machine_id,
       o.machine_key AS other_machine_key,
       o.machine AS other_machine,
       a.framework,
       a.run_id,
       o.run_id AS other_run_id,
       a.stack,
       o.stack AS other_stack,
       a.total_ms,
       o.total_ms AS other_total_ms,
       o.total_ms / nullif(a.total_ms, 0) AS total_ratio,
       abs(o.total_ms - a.total_ms) <= greatest(a.resolution_ms, o.resolution_ms) AS total_tie,
       a.forward_ms,
       o.forward_ms AS other_forward_ms,
       a.backward_ms,
       o.backward_ms AS other_backward_ms
FROM pairs AS p
JOIN r AS a ON a.run_id = p.run_id
JOIN r AS o ON o.run_id = p.other_run_id
LEFT JOIN r AS k ON k.run_id = p.key_run_id
