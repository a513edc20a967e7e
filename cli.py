"""`python3 cli.py ...` from a checkout runs the same CLI as the installed `dlbench` command."""
from dlbench.cli import app

if __name__ == "__main__":
    app()
