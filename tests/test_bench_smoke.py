"""The bench command runs end to end on tiny sizes and writes every report section (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import SECTIONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_bench_smoke_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--loadgen", "python", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = out.read_text()
    for heading in SECTIONS:
        assert heading in report, f"{heading} missing from the report"
    assert "Load generator: **python**" in report
    assert "| 200 | " in report, "the scale table has the tiny size"
