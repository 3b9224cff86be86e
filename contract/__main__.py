"""``python -m contract``: the same as the ``suno-contract`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
