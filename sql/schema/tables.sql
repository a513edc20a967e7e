-- The warehouse tables. Ids are stable: each is a 52-bit hash of the row's
-- natural key, so ingesting the same files again gives the same ids and a saved
-- query keeps working. Units are in the column names; *_text columns keep a
-- value exactly as written in the TOML (NULL when it was written as a number).
-- Sizes: KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024.
-- Keys are not declared as constraints: rows are streamed in while files are
-- read, and index upkeep would cost more than the parse. The checks before the
-- load guarantee them (a run given twice is an input error), and
-- tests/test_schema.py checks every key and relationship.

-- One row per input file ingested. Grain: source_id (hash of the path as given).
CREATE TABLE sources (
    source_id     BIGINT NOT NULL,
    path          VARCHAR NOT NULL,      -- as given on the command line
    abs_path      VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,      -- of the file's bytes; refresh compares it
    size_bytes    BIGINT NOT NULL,
    ingested_at   TIMESTAMP NOT NULL,    -- UTC
    machines      INTEGER NOT NULL,      -- machine sections in this file
    models        INTEGER NOT NULL,
    runs          INTEGER NOT NULL,
    measurements  INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    extra         JSON,                  -- top-level keys that are not machine tables
    -- the file's stat when it was read, so that refresh can skip the sha256 of a file that was not
    -- touched since (size_bytes, mtime_ns, ctime_ns and inode all equal); NULL when unsure (the
    -- file was written less than 2 s before it was read): refresh then always compares its sha256
    mtime_ns      BIGINT,
    ctime_ns      BIGINT,
    inode         BIGINT                 -- as a signed 64-bit number (Spark reads no unsigned one)
);

-- One row per machine key ([nvidia-titan-x]); a machine defined the same way in
-- several files is one row (source_id: the first file, in path order).
CREATE TABLE machines (
    machine_id        BIGINT NOT NULL,
    machine_key       VARCHAR NOT NULL,   -- the TOML table key
    name              VARCHAR NOT NULL,
    type              VARCHAR,                   -- "GPU" or "CPU" as written
    host_os           VARCHAR,
    host_cpu          VARCHAR,
    host_cores        INTEGER,
    host_cores_text   VARCHAR,
    host_cache_bytes  BIGINT,
    host_cache_text   VARCHAR,
    host_ram_bytes    BIGINT,
    host_ram_text     VARCHAR,
    has_host          BOOLEAN NOT NULL,          -- a [<machine>.host] table was written
    has_devices       BOOLEAN NOT NULL,          -- a devices array was written
    host_extra        JSON,
    extra             JSON,
    source_id         BIGINT NOT NULL,
    line              INTEGER NOT NULL,          -- of the [<machine>] header
    host_line         INTEGER
);

-- Which files define which machines (a machine may be in several files).
-- Grain: (source_id, machine_id).
CREATE TABLE source_machines (
    source_id          BIGINT NOT NULL,
    machine_id         BIGINT NOT NULL,
    line               INTEGER NOT NULL,
    definition_sha256  VARCHAR NOT NULL,  -- of name, type, host, devices: must agree across files
    has_models         BOOLEAN NOT NULL   -- a models array was written in this file (maybe empty)
);

-- The machine sections of a big file that was read section by section, so that
-- a re-ingest reads only the sections that changed. Grain: (source_id, machine_key).
CREATE TABLE source_sections (
    source_id    BIGINT NOT NULL,
    machine_key  VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,   -- of the section's text
    first_line   INTEGER NOT NULL,   -- of the [machine_key] header
    line_count   INTEGER NOT NULL
);

-- One row per [[<machine>.devices]] entry. Grain: (machine_id, position).
CREATE TABLE devices (
    device_id                     BIGINT NOT NULL,
    machine_id                    BIGINT NOT NULL,
    position                      INTEGER NOT NULL,   -- 0-based, in file order
    name                          VARCHAR,
    memory_bytes                  BIGINT,
    memory_text                   VARCHAR,
    cores                         INTEGER,
    cores_text                    VARCHAR,
    memory_bandwidth_bytes_per_s  BIGINT,
    memory_bandwidth_text         VARCHAR,            -- key spelled memory_bandwith in the TOML
    quantity                      INTEGER,
    quantity_text                 VARCHAR,
    extra                         JSON,
    line                          INTEGER NOT NULL
);

-- One row per [[<machine>.models]] section as written in one file. The same
-- model in two files (or twice in one) is two rows with the same model_key;
-- views compare runs by (machine_id, model_key).
CREATE TABLE models (
    model_id         BIGINT NOT NULL,
    machine_id       BIGINT NOT NULL,
    source_id        BIGINT NOT NULL,
    position         INTEGER NOT NULL,   -- 0-based, within the machine in that file
    name             VARCHAR NOT NULL,   -- as written ("AlexNet")
    model_key        VARCHAR NOT NULL,   -- canonical: letters and digits, lower case ("alexnet")
    type             VARCHAR,
    details          VARCHAR,
    batch_size       INTEGER,            -- images per minibatch, when given
    batch_size_text  VARCHAR,
    input_shape      VARCHAR,            -- "3x224x224", key `input` in the TOML
    label            VARCHAR,            -- the model's name as published ("OxfordNet [Model-A]"), when given
    date             VARCHAR,            -- when its runs were measured: "2016-02-28" (a TOML date) or "2015"
                                         -- (a year); NULL: not given. A run's own date wins
    extra            JSON,
    line             INTEGER NOT NULL,
    has_frameworks   BOOLEAN NOT NULL    -- a frameworks array was written (maybe empty)
);

-- One row per framework name and version. Grain: (name, version).
CREATE TABLE frameworks (
    framework_id  BIGINT NOT NULL,
    name          VARCHAR NOT NULL,
    version       VARCHAR NOT NULL    -- free text: "0.2", "07/03/2016"
);

-- One row per framework entry: one stack measured on one model on one machine.
-- Grain: run_id, the hash of the run's natural key (ingest.document.RunKey): machine, workload (model_key and
-- the model's shape keys, batch size, input), mode, threads, date, framework name and version, libraries, precision.
CREATE TABLE runs (
    run_id         BIGINT NOT NULL,
    machine_id     BIGINT NOT NULL,
    model_id       BIGINT NOT NULL,
    framework_id   BIGINT NOT NULL,
    source_id      BIGINT NOT NULL,
    position       INTEGER NOT NULL,   -- 0-based, within its model section
    line           INTEGER NOT NULL,   -- where the entry starts in the source file
    precision      VARCHAR,            -- "fp32", "fp16", ... when given
    label          VARCHAR,            -- the stack's name as published, when given
    libraries      VARCHAR,            -- "cuDNN 4", "cuDNN 4 + cuBLAS 8"; NULL: none listed
    has_libraries  BOOLEAN NOT NULL,   -- a libraries array was written: `libraries = []` says "none",
                                       -- no key says "not known"
    extra          JSON,               -- unknown non-numeric keys of the entry
    date           VARCHAR,            -- when it was measured: "2016-02-28" (a TOML date) or "2015" (a year)
    stack_id       BIGINT NOT NULL,    -- the stack's identity (ingest.document.stack_ids_of): framework and version
                                       -- case-folded ("unknown" = not published), library set, precision
    base_stack_id  BIGINT NOT NULL,    -- the same without the precision (pairs fp16 with fp32)
    config_id      BIGINT NOT NULL     -- the natural key without the date (ingest.document.config_id_of):
                                       -- one configuration measured on several days; two states pair on it
);

-- One row per library entry of a run. Grain: (run_id, position).
CREATE TABLE run_libraries (
    run_id    BIGINT NOT NULL,
    position  INTEGER NOT NULL,
    name      VARCHAR NOT NULL,
    version   VARCHAR,
    extra     JSON,
    line      INTEGER NOT NULL
);

-- One row per number measured in a run (long format). Grain: (run_id, metric).
-- metric: forward_ms, backward_ms, total_ms (the total as reported), memory_bytes,
-- or the key itself for any other number on the entry (unit NULL).
CREATE TABLE measurements (
    run_id   BIGINT NOT NULL,
    metric   VARCHAR NOT NULL,
    key      VARCHAR NOT NULL,   -- the TOML key: forward, backward, total, memory, ...
    value    DOUBLE NOT NULL,    -- in `unit`
    unit     VARCHAR,            -- ms, bytes, or NULL
    written  JSON NOT NULL       -- the value exactly as written: 25, 25.5, "1750MB"
);

-- One row per raw sample: one timed iteration of a run (`forward_samples`,
-- `backward_samples` on a framework entry). Grain: (run_id, metric, iteration).
-- Samples are not measurements: the run's forward_ms/backward_ms measurement is
-- the summary its author gave (the collector writes the median of these).
CREATE TABLE samples (
    run_id     BIGINT NOT NULL,
    metric     VARCHAR NOT NULL,   -- forward_ms or backward_ms
    iteration  INTEGER NOT NULL,   -- 1 for the first timed iteration, in the order written
    value_ms   DOUBLE NOT NULL,
    written    VARCHAR             -- the number as written when it was an integer ("25"); NULL for a float
);

-- One row per warning the ingest reported (errors stop an ingest).
CREATE TABLE ingest_warnings (
    source_id    BIGINT NOT NULL,
    machine_key  VARCHAR,            -- the machine section it is in; NULL: the whole file
    file       VARCHAR NOT NULL,
    line       INTEGER NOT NULL,
    "column"   INTEGER NOT NULL,
    key_path   VARCHAR NOT NULL,
    message    VARCHAR NOT NULL,
    expected   VARCHAR NOT NULL
);

-- Facts about the build itself: key/value.
CREATE TABLE warehouse_meta (
    key    VARCHAR,
    value  VARCHAR NOT NULL
);
