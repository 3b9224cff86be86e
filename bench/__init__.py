"""Benchmarks of suno-mockkit: served throughput, in-process flows, contract runs, scale and start-up.

Run everything with ``python -m bench`` (or ``python bench/run.py``); see ``bench/README.md``.
"""
