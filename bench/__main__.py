"""``python -m bench``: run every benchmark and write the markdown report."""

from bench.run import main

raise SystemExit(main())
