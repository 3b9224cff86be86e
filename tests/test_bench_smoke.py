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
    assert "| wav record-info | 16 |" in report, "the served table has the WAV details cell"
    for row in ("| generate -> replace-section |", "| lyrics |", "| midi (after a separation) |", "| upload-cover |"):
        assert row in report, f"the per-family table lacks {row}"
    assert "| market job" in report or "Market job row skipped" in report
    for row in ("| WAV (convert-to-wav) |", "| stems: split_stem (12) |", "| MP4 (create-music-video) |"):
        assert row in report, f"the file build table lacks {row}"
