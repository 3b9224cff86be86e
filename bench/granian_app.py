"""The mock and the ceiling as module attributes, for granian (``granian --interface asgi bench.granian_app:mock``).

The mock is made as ``suno-mock serve --virtual-clock --seed 1`` makes it, with the same garbage
collector settings (start-up objects frozen, young-generation threshold 50,000), so that only the
HTTP server differs from the uvicorn rows of ``python -m bench --peers``.
"""

from __future__ import annotations

import gc

from bench.baseline import app as ceiling
from mockserver import create_app

__all__ = ["ceiling", "mock"]

mock = create_app("kie", virtual_clock=True, seed=1)
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 10, 10)
