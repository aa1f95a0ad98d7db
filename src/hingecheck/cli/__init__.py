"""The `hingecheck` command: one module per subcommand, each a thin shell over the library."""

from hingecheck.cli.app import main

__all__ = ["main"]
