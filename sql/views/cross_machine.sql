-- Each run against the fastest comparable run on another machine: the same model and stack, two machines' times.
-- One row per run (run_id) that has a comparable run on at least one other machine: the same
-- model_key and a comparable stack. It is compared with the fastest comparable run on any other
-- machine (least total_ms; ties: machine_key, then run_id), so a run on the fastest machine meets
-- the runner-up. Each pair of machines can show up from both sides, each side with its own partner.
-- Comparable stacks: the same framework name (case-insensitive), the same precision (none given
-- counts as fp32) and the same libraries, compared as a set of names and versions, case-
-- insensitive, with a leading R/r dropped from a version ("cuDNN R4" = "cuDNN 4"). The framework
-- version is ignored: sources rarely agree on how to name one ("07/03/2016" against "unknown").
-- When the run's machine has no run of that framework and precision on that model whose libraries
-- match a run on another machine, a run that lists no libraries (no `libraries` key: not known)
-- is compared with the fastest run of that framework and precision on another machine that lists
-- some, and a run that lists some with the fastest that lists none (an empty `libraries = []`
-- says "none" and meets only runs without libraries); libraries_match tells these rows (false)
-- from the others (true). The rule is decided per machine, not per pair of machines: a machine
-- that meets any machine by libraries does not fall back. So convnet-benchmarks' TensorFlow and Caffe, published
-- without libraries, meet the seed's Tensorflow (the faster, cuDNN 4, from the convnet side; both
-- seed runs meet it from the seed side) and Caffe (cuDNN 3), while its "Torch-7 (native)" does
-- not meet the seed's Torch, which meets convnet's "CuDNN[R4]-fp32 (Torch)" by its libraries.
-- Linear in runs: at most one row per run, and no run is joined with every comparable run.
-- Window functions keep each machine's fastest run per comparable stack, then the fastest and
-- second-fastest machine per stack (one row per stack); each run joins that one row.
-- Columns: model_key, model (as written on this run's side), stack_key (readable comparable
--   stack: "Torch + cuDNN 4 (fp32)", or "Tensorflow (fp32), libraries: not listed vs cuDNN 3"),
--   libraries_match, other_machines (how many other machines have a comparable run; the other run
--   is the fastest of theirs), machine_id, machine_key, machine, other_machine_id,
--   other_machine_key, other_machine (names can be equal: the keys tell machines apart), framework
--   (as written on this run's side), run_id, other_run_id, stack, other_stack (results.stack);
--   total_ms, other_total_ms, forward_ms, other_forward_ms, backward_ms, other_backward_ms (ms);
--   total_ratio: other_total_ms / total_ms (above 1: this run is faster than the best elsewhere).
WITH libs AS (
    -- one ordered string_agg (the costly part); the key is this text in lower case
    SELECT run_id,
           string_agg(name || coalesce(' ' || norm_version, ''), ' + '
                      ORDER BY lower(name), lower(norm_version)) AS libraries_shown
    FROM (
        SELECT run_id, name,
               CASE WHEN regexp_matches(version, '^[Rr][0-9]') THEN substr(version, 2)
                    ELSE version END AS norm_version
        FROM run_libraries
    ) AS l
    GROUP BY run_id
),
r AS (
    SELECT res.*,
           lower(res.framework) AS framework_key,
           lower(coalesce(res.precision, 'fp32')) AS precision_key,
           coalesce(lower(libs.libraries_shown), '') AS libraries_key,
           libs.libraries_shown,
           runs.has_libraries,
           -- which runs meet across the libraries rule: 'none listed' meets 'listed'; a run
           -- with an empty libraries array (listed, none) meets only by its libraries
           CASE WHEN NOT runs.has_libraries THEN 'none listed'
                WHEN libs.libraries_shown IS NOT NULL THEN 'listed' END AS pool
    FROM results AS res
    JOIN runs ON runs.run_id = res.run_id
    LEFT JOIN libs ON libs.run_id = res.run_id
),
-- each machine's fastest run per comparable stack (same libraries) and per pool
ranked AS (
    SELECT run_id, machine_id, machine_key, model_key, framework_key, precision_key, libraries_key,
           pool, total_ms,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key,
                                           machine_id
                              ORDER BY total_ms NULLS LAST, run_id) AS in_stack,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, pool, machine_id
                              ORDER BY total_ms NULLS LAST, run_id) AS in_pool
    FROM r
),
stack_places AS (
    SELECT model_key, framework_key, precision_key, libraries_key, machine_id, run_id,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key
                              ORDER BY total_ms NULLS LAST, machine_key, run_id) AS place,
           count(*) OVER (PARTITION BY model_key, framework_key, precision_key, libraries_key) AS machines
    FROM ranked
    WHERE in_stack = 1
),
pool_places AS (
    SELECT model_key, framework_key, precision_key, pool, machine_id, run_id,
           row_number() OVER (PARTITION BY model_key, framework_key, precision_key, pool
                              ORDER BY total_ms NULLS LAST, machine_key, run_id) AS place,
           count(*) OVER (PARTITION BY model_key, framework_key, precision_key, pool) AS machines
    FROM ranked
    WHERE in_pool = 1 AND pool IS NOT NULL
),
-- one row per comparable stack (and per pool): its fastest and second-fastest machine
stack_top AS (
    SELECT model_key, framework_key, precision_key, libraries_key, max(machines) AS machines,
           max(CASE WHEN place = 1 THEN machine_id END) AS first_machine_id,
           max(CASE WHEN place = 1 THEN run_id END) AS first_run_id,
           max(CASE WHEN place = 2 THEN run_id END) AS second_run_id
    FROM stack_places
    WHERE place <= 2
    GROUP BY model_key, framework_key, precision_key, libraries_key
),
pool_top AS (
    SELECT model_key, framework_key, precision_key, pool, max(machines) AS machines,
           max(CASE WHEN place = 1 THEN machine_id END) AS first_machine_id,
           max(CASE WHEN place = 1 THEN run_id END) AS first_run_id,
           max(CASE WHEN place = 2 THEN run_id END) AS second_run_id
    FROM pool_places
    WHERE place <= 2
    GROUP BY model_key, framework_key, precision_key, pool
),
-- per run: its stack's row, and whether its machine meets another by libraries on this
-- framework, precision and model (then the libraries rule does not apply to the machine)
runs_with_stack AS (
    SELECT r.*,
           s.machines AS stack_machines,
           CASE WHEN s.first_machine_id = r.machine_id THEN s.second_run_id
                ELSE s.first_run_id END AS stack_other_run_id,
           max(CASE WHEN s.machines > 1 THEN 1 ELSE 0 END)
               OVER (PARTITION BY r.model_key, r.framework_key, r.precision_key, r.machine_id)
               AS machine_matched,
           max(CASE WHEN r.pool = 'listed' THEN 1 ELSE 0 END)
               OVER (PARTITION BY r.model_key, r.framework_key, r.precision_key, r.machine_id)
               AS machine_has_listed,
           max(CASE WHEN r.pool = 'none listed' THEN 1 ELSE 0 END)
               OVER (PARTITION BY r.model_key, r.framework_key, r.precision_key, r.machine_id)
               AS machine_has_none_listed
    FROM r
    JOIN stack_top AS s
      ON s.model_key = r.model_key
     AND s.framework_key = r.framework_key
     AND s.precision_key = r.precision_key
     AND s.libraries_key = r.libraries_key
),
pairs AS (
    SELECT a.*, true AS libraries_match, a.stack_machines - 1 AS other_machines,
           a.stack_other_run_id AS b_run_id,
           a.framework || coalesce(' + ' || a.libraries_shown, '') || ' (' || a.precision_key || ')'
               AS stack_key
    FROM runs_with_stack AS a
    WHERE a.stack_machines > 1
    UNION ALL
    SELECT a.*, false AS libraries_match,
           p.machines - (CASE WHEN a.pool = 'listed' THEN a.machine_has_none_listed
                              ELSE a.machine_has_listed END) AS other_machines,
           CASE WHEN p.first_machine_id = a.machine_id THEN p.second_run_id
                ELSE p.first_run_id END AS b_run_id,
           a.framework || ' (' || a.precision_key || '), libraries: '
               || CASE WHEN a.pool = 'listed' THEN a.libraries_shown || ' vs not listed'
                       ELSE 'not listed vs ' || b.libraries_shown END
               AS stack_key
    FROM runs_with_stack AS a
    JOIN pool_top AS p
      ON p.model_key = a.model_key
     AND p.framework_key = a.framework_key
     AND p.precision_key = a.precision_key
     AND p.pool = CASE WHEN a.pool = 'listed' THEN 'none listed' ELSE 'listed' END
    LEFT JOIN libs AS b
      ON b.run_id = CASE WHEN p.first_machine_id = a.machine_id THEN p.second_run_id
                         ELSE p.first_run_id END
    WHERE a.machine_matched = 0 AND a.pool IS NOT NULL
)
SELECT p.model_key,
       p.model,
       p.stack_key,
       p.libraries_match,
       p.other_machines,
       p.machine_id,
       p.machine_key,
       p.machine,
       o.machine_id AS other_machine_id,
       o.machine_key AS other_machine_key,
       o.machine AS other_machine,
       p.framework,
       p.run_id,
       o.run_id AS other_run_id,
       p.stack,
       o.stack AS other_stack,
       p.total_ms,
       o.total_ms AS other_total_ms,
       o.total_ms / nullif(p.total_ms, 0) AS total_ratio,
       p.forward_ms,
       o.forward_ms AS other_forward_ms,
       p.backward_ms,
       o.backward_ms AS other_backward_ms
FROM pairs AS p
JOIN results AS o ON o.run_id = p.b_run_id
