-- One row per data-quality check, from the seed quality_checks: its code, severity, words and
-- meaning, in the order the pages list them (errors first); the report and the site word flags
-- and findings with it.
SELECT "check", severity, words, meaning
FROM quality_checks
ORDER BY position
