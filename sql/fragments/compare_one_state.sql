-- Fragment (CTEs, each followed by a comma): the inputs of compare_stats.sql
-- when both sides of a comparison are runs of this one warehouse: `state_results`, `state_stats`
-- and `state_samples` are the views results, run_stats and run_samples with a column `state`
-- (which warehouse a row is from; a number, cheap to join on; here always 0). dlbench compare's
-- two states (sql/report/compare_states.sql) define them over two attached warehouses instead.
state_results AS (SELECT 0 AS state, r.* FROM results AS r),
state_stats AS (SELECT 0 AS state, st.* FROM run_stats AS st),
state_samples AS (SELECT 0 AS state, s.* FROM run_samples AS s),
