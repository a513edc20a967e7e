-- Fragment (one CTE, followed by a comma): `compared_runs`, the rows of `state_results` with the
-- stack's identity, which comparisons pair and group stacks by (never by the display string
-- `stack`, which two different stacks can share):
--   base_stack_key: framework_key, framework_version and libraries_key (the library set; where it
--     is not known, the libraries as shown, marked so that they never equal a known set);
--   stack_key: base_stack_key and precision_key.
-- This is the one place a comparison says what a stack is (results.stack_id can replace both).
compared_runs AS (
    SELECT k.*, k.base_stack_key || '|' || k.precision_key AS stack_key
    FROM (SELECT r.*,
                 r.framework_key || '|' || r.framework_version || '|'
                 || coalesce(r.libraries_key, '?' || coalesce(r.libraries_shown, '')) AS base_stack_key
          FROM state_results AS r) AS k
),
