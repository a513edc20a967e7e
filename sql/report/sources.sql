-- One row per input file of the warehouse: its path as given and its sha256, in path order.
SELECT path, sha256
FROM sources
ORDER BY path
