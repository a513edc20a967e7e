-- One row per value a `dlbench compare` selector key can take in this warehouse: key (those of
-- seeds/compare_selector_keys.csv) and value as listed, sorted; for the message that says what exists
-- when a selector names nothing. Versions show as "framework version".
WITH
-- include: fragments/selector_values.sql
listed AS (SELECT DISTINCT v.key, v.shown AS value FROM selector_values AS v WHERE v.shown IS NOT NULL)
SELECT l.key, l.value FROM listed AS l ORDER BY l.key, l.value
