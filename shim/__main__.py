"""`python -m shim` is the `shim` command."""

from shim.cli import main

raise SystemExit(main())
