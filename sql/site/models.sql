-- One row per model (model_key, the canonical key) shown on the site: its name as first written
-- (by file path, then position), the batch sizes and inputs given for it (comma-separated when the
-- files disagree), and how many machines and runs measured it; in the order first written.
-- Parameters: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (lower-case VARCHAR
-- list); NULL: all.
WITH f AS (SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys, $frameworks::VARCHAR[] AS frameworks),
written AS (
    SELECT mo.model_key,
           arg_min(mo.name, [s.path, lpad(mo.position::VARCHAR, 10, '0')]) AS name,
           min([s.path, lpad(mo.position::VARCHAR, 10, '0')]) AS first_place,
           nullif(array_to_string(list_sort(list_distinct(list(mo.batch_size))), ', '), '') AS batch_sizes,
           nullif(array_to_string(list_sort(list_distinct(list(mo.input_shape))), ', '), '') AS input_shapes
    FROM models AS mo
    JOIN sources AS s USING (source_id)
    GROUP BY mo.model_key
),
measured AS (
    SELECT r.model_key, count(DISTINCT r.machine_id) AS machines, count(*) AS runs
    FROM results AS r
    CROSS JOIN f
    WHERE (f.machine_ids IS NULL OR list_contains(f.machine_ids, r.machine_id))
      AND (f.model_keys IS NULL OR list_contains(f.model_keys, r.model_key))
      AND (f.frameworks IS NULL OR list_contains(f.frameworks, lower(r.framework)))
    GROUP BY r.model_key
)
SELECT w.model_key, w.name, w.batch_sizes, w.input_shapes, m.machines, m.runs
FROM written AS w
JOIN measured AS m USING (model_key)
ORDER BY w.first_place, w.model_key
