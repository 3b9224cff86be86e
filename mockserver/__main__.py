"""``python -m mockserver``: the same as the ``suno-mock`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
