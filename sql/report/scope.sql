-- The scope of a report or a site, once: what the --machine, --model and --framework filters (and
-- --baseline, --include-flagged) resolved to (dlbench.scope.resolve), as the one-row temporary
-- table `scope`, and the macro in_scope(machine_id, model_key, framework_key) by which every query
-- of sql/report and sql/site keeps its rows: true when each value is NULL (the row names no such
-- thing, or the query does not narrow by it) or is one of the scope's (a scope list NULL: all).
-- Columns of scope: machine_ids (BIGINT list), model_keys (VARCHAR list), frameworks (framework_key
-- list, lower case), baseline_key (lower-case framework name, NULL: none), include_flagged.
-- dlbench.scope.apply runs the two statements, the first with the parameters $machine_ids,
-- $model_keys, $frameworks, $baseline and $include_flagged.
CREATE OR REPLACE TEMP TABLE scope AS
SELECT $machine_ids::BIGINT[] AS machine_ids, $model_keys::VARCHAR[] AS model_keys,
       $frameworks::VARCHAR[] AS frameworks, lower($baseline::VARCHAR) AS baseline_key,
       coalesce($include_flagged::BOOLEAN, false) AS include_flagged;

CREATE OR REPLACE TEMP MACRO in_scope(machine_id, model_key, framework_key) AS
    ((SELECT machine_ids FROM temp.scope) IS NULL OR machine_id IS NULL
     OR list_contains((SELECT machine_ids FROM temp.scope), machine_id))
    AND ((SELECT model_keys FROM temp.scope) IS NULL OR model_key IS NULL
         OR list_contains((SELECT model_keys FROM temp.scope), model_key))
    AND ((SELECT frameworks FROM temp.scope) IS NULL OR framework_key IS NULL
         OR list_contains((SELECT frameworks FROM temp.scope), framework_key));
