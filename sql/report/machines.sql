-- One row per machine in the report and on the site: its key, name, type, host CPU, devices
-- ("1 × Nvidia Titan X (12GB)"), and how many models and runs it has, in the order of the first
-- file that defines it, then its line there.
-- Scope: in_scope (sql/report/scope.sql), by machine.
WITH device_list AS (
    SELECT machine_id,
           string_agg(coalesce(quantity::VARCHAR || ' × ', '') || coalesce(name, 'unnamed device')
                      || coalesce(' (' || memory_text || ')', ''), ', ' ORDER BY position) AS devices
    FROM devices
    GROUP BY machine_id
),
counted AS (
    SELECT machine_id, count(DISTINCT model_key) AS models, count(*) AS runs
    FROM results
    GROUP BY machine_id
)
SELECT m.machine_id, m.machine_key, m.name, m.type, m.host_cpu, d.devices,
       coalesce(c.models, 0) AS models, coalesce(c.runs, 0) AS runs
FROM machines AS m
JOIN sources AS s USING (source_id)
LEFT JOIN device_list AS d USING (machine_id)
LEFT JOIN counted AS c USING (machine_id)
WHERE in_scope(m.machine_id, NULL, NULL)
ORDER BY s.path, m.line, m.machine_key
