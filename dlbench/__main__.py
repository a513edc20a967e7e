"""`python -m dlbench` is the `dlbench` command."""
from .cli import app

app(prog_name="dlbench")
