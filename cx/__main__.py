"""Entry point for ``python -m cx``."""

from cx.cli import main

raise SystemExit(main())
