"""`python -m hingecheck` is the same as the `hingecheck` command."""

from hingecheck.cli import main

raise SystemExit(main())
