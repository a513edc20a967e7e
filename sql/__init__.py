# The SQL of dlbench (schema/, views/, macros/, report/), installed as the package data
# `dlbench.sql` and read with importlib.resources. This file only makes the folder a package.
