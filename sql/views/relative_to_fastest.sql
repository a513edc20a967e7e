-- Each run against the fastest run (lowest total_ms) of its machine and model, flagged runs left out.
-- grain: run_id
-- One row per run (run_id): the include_flagged = false half of the view `rankings` (runs with an
-- error-level data-quality finding are listed, with flagged = true and no rank or slowdown, and
-- never count as the fastest). Columns: every column of `results`, and
-- include_flagged (always false here), flagged, flags, rank, fastest_run_id, fastest_stack,
-- fastest_total_ms, slowdown, tie_resolution_ms, ties_fastest, as `rankings` defines them: rank 1 = fastest by total_ms (equal totals share a rank), slowdown =
-- total_ms / fastest_total_ms (its inverse is the fastest's speedup in the sense of `speedups`),
-- ties_fastest true when the numbers as written cannot tell this run from the fastest.
-- A run with no total has NULL rank and slowdown; it still shows the fastest run of its machine
-- and model.
SELECT *
FROM rankings
WHERE NOT include_flagged
