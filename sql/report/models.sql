-- One row per (machine, model_key) in the report: the model's name as first written, the names it
-- was published under where they differ from it (models.label), its batch sizes and inputs when given
-- (comma-separated when the files disagree), in file order.
-- Scope: in_scope (sql/report/scope.sql), by machine and model.
SELECT mo.machine_id,
       mo.model_key,
       arg_min(mo.name, [s.path, lpad(mo.position::VARCHAR, 10, '0')]) AS name,
       nullif(array_to_string(list_sort(list_distinct(list(mo.label) FILTER (WHERE mo.label <> mo.name))), ', '), '')
           AS published_as,
       nullif(array_to_string(list_sort(list_distinct(list(mo.batch_size))), ', '), '') AS batch_sizes,
       nullif(array_to_string(list_sort(list_distinct(list(mo.input_shape))), ', '), '') AS input_shapes
FROM models AS mo
JOIN sources AS s USING (source_id)
WHERE in_scope(mo.machine_id, mo.model_key, NULL)
GROUP BY mo.machine_id, mo.model_key
ORDER BY min([s.path, lpad(mo.position::VARCHAR, 10, '0')]), mo.model_key
