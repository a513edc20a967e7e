-- The data-quality checks as data: each check's code, severity and the words the report and the site use.
-- One row per check (check): the checks of the view run_flags (a boolean column each, same names),
-- whose findings the view data_quality lists; what each check tests is in data_quality's header.
-- Columns: check (the code), severity ('error': the run's numbers are not a measurement of it, so
--   it is flagged and left out of ranks, speedups, wins and geometric means unless
--   --include-flagged; 'note': worth knowing, the times stay usable), position (the order in which
--   pages list the checks), words (a run's flag in a few words, as a table cell shows it:
--   "repeated timings"), meaning (what a finding says, as the pages' prose and the docs word it).
SELECT c."check", c.severity, c.position, c.words, c.meaning
FROM (VALUES
    ('repeated_timings', 'error', 1, 'repeated timings', 'timings repeated from another model'),
    ('memory_above_device', 'error', 2, 'memory above the device''s', 'memory above the device’s'),
    ('memory_reservation', 'note', 3, 'memory reservation', 'memory that is the framework’s reservation'),
    ('total_mismatch', 'note', 4, 'total mismatch', 'a reported total off by more than 1 ms'),
    ('missing_memory', 'note', 5, 'missing memory', 'a missing memory where the other runs give it')
) AS c("check", severity, position, words, meaning)
