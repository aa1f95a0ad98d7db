"""`python -m hingecheck` is the same as the `hingecheck` command."""

from .cli import main

raise SystemExit(main())
