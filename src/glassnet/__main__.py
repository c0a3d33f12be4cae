"""``python -m glassnet``: the same as the ``glassnet`` command."""

from .cli import main

raise SystemExit(main())
