-- Each run with the data-quality findings that decide how the views treat it.
-- One row per run (run_id), whether or not it has a finding.
-- Columns: run_id;
--   flagged: true when the run has an error-level finding (data_quality.severity = 'error'):
--     rankings, wins, speedups and geometric means leave it out by default;
--   flags: its error-level check codes, sorted, joined with ", " ("repeated_timings"); NULL: none;
--   notes: its note-level check codes, the same way; NULL: none;
--   memory_reserved: true when its memory is a reservation (memory_reservation), left out of
--     memory ratios by default.
WITH codes AS (
    SELECT run_id,
           string_agg(CASE WHEN severity = 'error' THEN "check" END, ', ' ORDER BY "check") AS flags,
           string_agg(CASE WHEN severity = 'note' THEN "check" END, ', ' ORDER BY "check") AS notes,
           max(CASE WHEN "check" = 'memory_reservation' THEN 1 ELSE 0 END) AS reserved
    FROM (SELECT DISTINCT run_id, "check", severity FROM data_quality) AS q
    GROUP BY run_id
)
SELECT r.run_id,
       codes.flags IS NOT NULL AS flagged,
       codes.flags,
       codes.notes,
       coalesce(codes.reserved, 0) = 1 AS memory_reserved
FROM results AS r
LEFT JOIN codes ON codes.run_id = r.run_id
