-- How one framework got faster from version to version on the same model and machine.
-- grain: machine_id, model_key, framework_key, framework_version
-- One row per framework version on a machine and model (machine_id, model_key, framework name
-- case-insensitive, framework_version), for frameworks with at least two orderable versions there.
-- When a version has several runs there (other libraries or precision), its fastest run by
-- total_ms stands for it (ties: stack); `stack` and `run_id` name that run.
-- Columns: machine_id, machine, model_key, model, framework, framework_key (results.framework_key),
--   framework_version, stack, run_id;
--   version_order: 1, 2, ... from the oldest version;
--   version_key: the sort key below (text);
--   previous_version, previous_total_ms: the version before it (NULL for the first);
--   total_ms (ms); speedup_vs_previous: previous_total_ms / total_ms (above 1: this version is
--     faster), NULL for the first version or when a total is unknown.
-- Version order:
--   * dates: "MM/YYYY" is a month ("01/2016" = January 2016); "DD/MM/YYYY" is day first, the
--     European order of the seed's authors (autumnai): "07/03/2016" = 7 March 2016, a Torch built
--     with cuDNN 4, which came out in February 2016 (as 3 July it still sorts after "01/2016").
--     Key "d" + YYYYMMDD, day 00 for a month, so a month sorts before its days.
--   * dotted numbers, optionally led by v/V/r/R ("0.7" < "0.7.1" < "0.9" < "0.10"): key "n" +
--     each of the first four parts zero-padded to 10 digits (longer parts are cut: not expected),
--     joined by "."; a version with fewer parts sorts before its extensions. Anything after the
--     number (e.g. "-rc1") and a fifth part only break ties, as text.
--   * dotted numbers sort before dates when one framework has both (not seen in the data).
--   * any other version ("unknown", "master", ...) cannot be placed and is left out.
WITH parsed AS (
    SELECT results.*,
           regexp_extract(framework_version, '^([0-9]{1,2})/[0-9]{4}$', 1) AS my_month,
           regexp_extract(framework_version, '^[0-9]{1,2}/([0-9]{4})$', 1) AS my_year,
           regexp_extract(framework_version, '^([0-9]{1,2})/[0-9]{1,2}/[0-9]{4}$', 1) AS dmy_day,
           regexp_extract(framework_version, '^[0-9]{1,2}/([0-9]{1,2})/[0-9]{4}$', 1) AS dmy_month,
           regexp_extract(framework_version, '^[0-9]{1,2}/[0-9]{1,2}/([0-9]{4})$', 1) AS dmy_year,
           regexp_extract(framework_version, '^[vVrR]?([0-9]+)', 1) AS part1,
           regexp_extract(framework_version, '^[vVrR]?[0-9]+[.]([0-9]+)', 1) AS part2,
           regexp_extract(framework_version, '^[vVrR]?[0-9]+[.][0-9]+[.]([0-9]+)', 1) AS part3,
           regexp_extract(framework_version, '^[vVrR]?[0-9]+[.][0-9]+[.][0-9]+[.]([0-9]+)', 1) AS part4
    FROM results
),
keyed AS (
    SELECT parsed.*,
           CASE
               WHEN my_year <> '' THEN 'd' || my_year || lpad(my_month, 2, '0') || '00'
               WHEN dmy_year <> '' THEN 'd' || dmy_year || lpad(dmy_month, 2, '0') || lpad(dmy_day, 2, '0')
               WHEN part1 <> '' THEN
                   'n' || lpad(part1, 10, '0')
                       || CASE WHEN part2 = '' THEN '' ELSE '.' || lpad(part2, 10, '0') END
                       || CASE WHEN part3 = '' THEN '' ELSE '.' || lpad(part3, 10, '0') END
                       || CASE WHEN part4 = '' THEN '' ELSE '.' || lpad(part4, 10, '0') END
           END AS version_key
    FROM parsed
),
best AS (
    SELECT keyed.*,
           row_number() OVER (PARTITION BY machine_id, model_key, framework_key, framework_version
                              ORDER BY total_ms NULLS LAST, stack, run_id) AS run_rank
    FROM keyed
    WHERE version_key IS NOT NULL
),
ordered AS (
    SELECT best.*,
           row_number() OVER series AS version_order,
           count(*) OVER (PARTITION BY machine_id, model_key, framework_key) AS versions,
           lag(framework_version) OVER series AS previous_version,
           lag(total_ms) OVER series AS previous_total_ms
    FROM best
    WHERE run_rank = 1
    WINDOW series AS (PARTITION BY machine_id, model_key, framework_key
                      ORDER BY version_key, framework_version)
)
SELECT machine_id,
       machine,
       model_key,
       model,
       framework,
       framework_key,
       framework_version,
       stack,
       run_id,
       version_order,
       version_key,
       previous_version,
       previous_total_ms,
       total_ms,
       previous_total_ms / nullif(total_ms, 0) AS speedup_vs_previous
FROM ordered
WHERE versions >= 2
