-- One row per input file of the warehouse, for the report's header and the site's front page: its
-- path as given, sha256, size in bytes, when it was ingested (UTC), and its counts of machines and
-- runs; in path order.
SELECT path, sha256, size_bytes, ingested_at, machines, runs
FROM sources
ORDER BY path
