-- One row per framework name in the warehouse (every one, whatever the filters): the names that
-- get a colour, so that a framework has the same colour on every page.
SELECT DISTINCT name FROM frameworks ORDER BY name
