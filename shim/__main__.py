"""`python -m shim` is the `shim` command."""

from shim.operator.cli import main

raise SystemExit(main())
