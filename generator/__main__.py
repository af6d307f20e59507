"""python -m generator → cli.main()."""

from __future__ import annotations

from generator.cli import main

main()
