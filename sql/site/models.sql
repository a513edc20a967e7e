-- One row per model (model_key, the canonical key) shown on the site: its name as first written
-- (by file path, then position), the batch sizes and inputs given for it (comma-separated when the
-- files disagree), and how many machines and runs measured it; in the order first written.
-- Scope: in_scope (sql/report/scope.sql).
WITH written AS (
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
    WHERE in_scope(r.machine_id, r.model_key, r.framework_key)
    GROUP BY r.model_key
)
SELECT w.model_key, w.name, w.batch_sizes, w.input_shapes, m.machines, m.runs
FROM written AS w
JOIN measured AS m USING (model_key)
ORDER BY w.first_place, w.model_key
