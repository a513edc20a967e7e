-- One row per machine in the report: its key, name, host CPU and devices ("1 × Nvidia Titan X (12GB)"),
-- in the order of the first file that defines it, then its line there.
-- Scope: in_scope (sql/report/scope.sql), by machine.
WITH device_list AS (
    SELECT machine_id,
           string_agg(coalesce(quantity::VARCHAR || ' × ', '') || coalesce(name, 'unnamed device')
                      || coalesce(' (' || memory_text || ')', ''), ', ' ORDER BY position) AS devices
    FROM devices
    GROUP BY machine_id
)
SELECT m.machine_id, m.machine_key, m.name, m.host_cpu, d.devices
FROM machines AS m
JOIN sources AS s USING (source_id)
LEFT JOIN device_list AS d USING (machine_id)
WHERE in_scope(m.machine_id, NULL, NULL)
ORDER BY s.path, m.line, m.machine_key
