-- Fragment (one CTE, followed by a comma): `selector_values`, one row per run of `results`, selector
-- key and value a `dlbench compare` selector term of that key matches (the keys are the seed
-- seeds/compare_selector_keys.csv; a test checks that every key has its values here): run_id, key,
-- value (matched in lower case, `*` a wildcard), shown (how the value is listed when a selector
-- names nothing; NULL: matched but not listed, as the machine's name), value_key (matched by the
-- term's letters and digits in lower case: the model's canonical key; NULL for the other keys).
selector_values AS (
    SELECT r.run_id, v.key, v.value, v.shown, v.value_key
    FROM results AS r,
         LATERAL (VALUES ('framework', r.framework, r.framework, NULL),
                         ('version', r.framework_version, r.framework || ' ' || r.framework_version, NULL),
                         ('libraries', coalesce(r.libraries, 'none'), coalesce(r.libraries, 'none'), NULL),
                         ('precision', coalesce(r.precision, 'none'), coalesce(r.precision, 'none'), NULL),
                         ('machine', r.machine_key, r.machine_key, NULL),
                         ('machine', r.machine, NULL, NULL),
                         ('model', r.model, r.model, r.model_key),
                         ('source', r.source, r.source, NULL),
                         ('stack', r.stack, r.stack, NULL)) AS v(key, value, shown, value_key)
),
