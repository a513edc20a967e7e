"""TOML in, tables out: the first step of dlbench's data flow.

Installed as `dlbench.ingest`. It reads and checks benchmark TOML files
(`document`, with `locate` for line numbers and `units` for sizes), reads big
files section by section on both cores (`pipeline`), re-reads only what changed
(`incremental`), and streams the rows into a new warehouse file under a lock
(`build`). It knows nothing of views, reports or the CLI: those live in the
`dlbench` package above it, which passes in what a warehouse holds besides its
rows (`build.Catalog`).
"""
