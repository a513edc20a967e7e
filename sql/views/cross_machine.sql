-- The same model and a comparable stack measured on two machines: how their times compare.
-- One row per pair of runs on different machines with the same model_key and a comparable stack,
-- each unordered machine pair once: machine_key < other_machine_key.
-- Comparable stacks: the same framework name (case-insensitive), the same precision (none given
-- counts as fp32) and the same libraries, compared as a set of names and versions, case-
-- insensitive, with a leading R/r dropped from a version ("cuDNN R4" = "cuDNN 4"). The framework
-- version is ignored: sources rarely agree on how to name one ("07/03/2016" against "unknown").
-- A run that lists no libraries (no `libraries` key: its libraries are not known) is also
-- compared with the other machine's runs of that framework and precision that do list libraries,
-- but only when the two machines have no run of that framework and precision on that model with
-- the same libraries; libraries_match tells these rows (false) from the others (true). So
-- convnet-benchmarks' TensorFlow and Caffe, published without libraries, meet the seed's
-- Tensorflow (cuDNN 3 and cuDNN 4) and Caffe (cuDNN 3), while its "Torch-7 (native)" does not
-- meet the seed's Torch, which pairs with convnet's "CuDNN[R4]-fp32 (Torch)" by its libraries.
-- Columns: model_key, model (as written on machine_key's side), stack_key (readable comparable
--   stack: "Torch + cuDNN 4 (fp32)", or "Tensorflow (fp32), libraries: not listed vs cuDNN 3"),
--   libraries_match, machine_key, machine, other_machine_key, other_machine (names can be equal:
--   the keys tell machines apart), run_id, other_run_id, stack, other_stack (results.stack);
--   total_ms, other_total_ms, forward_ms, other_forward_ms, backward_ms, other_backward_ms (ms);
--   total_ratio: other_total_ms / total_ms (above 1: this machine is faster).
WITH libs AS (
    SELECT run_id,
           string_agg(lower(name) || coalesce(' ' || lower(norm_version), ''), ' + '
                      ORDER BY lower(name), lower(norm_version)) AS libraries_key,
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
           coalesce(libs.libraries_key, '') AS libraries_key,
           libs.libraries_shown,
           runs.has_libraries
    FROM results AS res
    JOIN runs ON runs.run_id = res.run_id
    LEFT JOIN libs ON libs.run_id = res.run_id
),
same_libraries AS (
    SELECT a.*, b.run_id AS b_run_id, b.machine_id AS b_machine_id, true AS libraries_match,
           a.framework || coalesce(' + ' || a.libraries_shown, '') || ' (' || a.precision_key || ')'
               AS stack_key
    FROM r AS a
    JOIN r AS b
      ON b.model_key = a.model_key
     AND b.framework_key = a.framework_key
     AND b.precision_key = a.precision_key
     AND b.libraries_key = a.libraries_key
     AND b.machine_key > a.machine_key
),
matched AS (
    SELECT DISTINCT machine_id, b_machine_id, model_key, framework_key, precision_key
    FROM same_libraries
),
one_side_listed AS (
    SELECT a.*, b.run_id AS b_run_id, b.machine_id AS b_machine_id, false AS libraries_match,
           a.framework || ' (' || a.precision_key || '), libraries: '
               || CASE WHEN a.has_libraries THEN coalesce(a.libraries_shown, 'none') ELSE 'not listed' END
               || ' vs '
               || CASE WHEN b.has_libraries THEN coalesce(b.libraries_shown, 'none') ELSE 'not listed' END
               AS stack_key
    FROM r AS a
    JOIN r AS b
      ON b.model_key = a.model_key
     AND b.framework_key = a.framework_key
     AND b.precision_key = a.precision_key
     AND b.machine_key > a.machine_key
    LEFT JOIN matched AS m
      ON m.machine_id = a.machine_id
     AND m.b_machine_id = b.machine_id
     AND m.model_key = a.model_key
     AND m.framework_key = a.framework_key
     AND m.precision_key = a.precision_key
    WHERE m.machine_id IS NULL
      AND ((NOT a.has_libraries AND b.libraries_key <> '')
           OR (NOT b.has_libraries AND a.libraries_key <> ''))
),
pairs AS (
    SELECT * FROM same_libraries
    UNION ALL
    SELECT * FROM one_side_listed
)
SELECT p.model_key,
       p.model,
       p.stack_key,
       p.libraries_match,
       p.machine_key,
       p.machine,
       o.machine_key AS other_machine_key,
       o.machine AS other_machine,
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
JOIN r AS o ON o.run_id = p.b_run_id
