"""The CI gate (``.ci/lint``, run by ``.ci/run`` before the tests) rejects what it is there to reject.

The project's own configuration (``pyproject.toml``) is applied to a planted module in a temporary
directory: each planted error is one the project's settings catch (a rule from its selection, its
formatting, mypy's strict mode), and a clean module passes the same three commands, so a failure
here is the planted error and not the set-up. The gate script itself runs against stand-in tools
on ``PATH`` that record their arguments and exit as told.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"

CLEAN = '"""A clean module."""\n\n\ndef double(value: int) -> int:\n    return 2 * value\n'

# what each command is, and a module that only that command rejects under the project's settings
PLANTED = {
    # B006: flake8-bugbear, in the project's [tool.ruff.lint] select
    "lint": (
        ("ruff", "check", "--no-cache"),
        '"""Planted."""\n\n\ndef add(item: int, items: list[int] = []) -> list[int]:\n    return [*items, item]\n',
        "B006",
    ),
    "format": (("ruff", "format", "--check", "--no-cache"), '"""Planted."""\n\nVALUES = [1,2,3]\n', "reformatted"),
    # no-untyped-def: only mypy's strict mode reports a function without annotations
    "mypy": (("mypy",), '"""Planted."""\n\n\ndef double(value):\n    return 2 * value\n', "[no-untyped-def]"),
}


def _check(step: str, module: Path) -> subprocess.CompletedProcess[str]:
    command, _, _ = PLANTED[step]
    tool, *arguments = command
    if tool == "ruff":
        options = ["--config", str(CONFIG)]
    else:
        options = ["--config-file", str(CONFIG), "--cache-dir", str(module.parent.parent / ".mypy_cache")]
    return subprocess.run(
        [sys.executable, "-m", tool, *arguments, *options, str(module)],
        capture_output=True,
        text=True,
        cwd=module.parent,
        timeout=120,
    )


@pytest.mark.parametrize("step", list(PLANTED))
def test_the_projects_settings_reject_a_planted_error_and_pass_a_clean_module(step: str, tmp_path: Path) -> None:
    clean = tmp_path / "clean" / "module.py"
    planted = tmp_path / "planted" / "module.py"
    for path, text in ((clean, CLEAN), (planted, PLANTED[step][1])):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")

    passed = _check(step, clean)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    failed = _check(step, planted)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert PLANTED[step][2] in failed.stdout + failed.stderr
    assert planted.read_text(encoding="utf-8") == PLANTED[step][1]  # checked, never rewritten


def _stand_ins(bin_dir: Path, log: Path, failing: str | None) -> dict[str, str]:
    """``ruff`` and ``mypy`` scripts that append their argv to ``log`` and exit 3 when named ``failing``."""
    bin_dir.mkdir()
    for tool in ("ruff", "mypy"):
        script = bin_dir / tool
        code = 3 if tool == failing else 0
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\necho "{tool} says no" >&2\nexit {code}\n')
        script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize(
    ("failing", "ran"),
    [
        (None, ["ruff check .", "ruff format --check .", "mypy"]),
        ("ruff", ["ruff check ."]),
        ("mypy", ["ruff check .", "ruff format --check .", "mypy"]),
    ],
)
def test_the_lint_gate_runs_its_steps_in_order_and_stops_at_the_first_failure(
    failing: str | None, ran: list[str], tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    log.touch()
    env = _stand_ins(tmp_path / "bin", log, failing)
    gate = subprocess.run([str(ROOT / ".ci" / "lint")], capture_output=True, text=True, env=env, timeout=60)
    assert [line.rstrip() for line in log.read_text().splitlines()] == ran
    if failing is None:
        assert gate.returncode == 0, gate.stderr
        assert "lint gate: passed" in gate.stderr
    else:
        assert gate.returncode == 3, gate.stderr
        assert f"lint gate FAILED: '{ran[-1]}' exited 3" in gate.stderr


def test_ci_runs_the_lint_gate_and_then_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r'pip install -e "\.\[test\]" && \.venv/bin/(pytest[^`\n]*)', readme)
    assert found, "the README's test command"
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-2:] == [".ci/lint", found.group(1)]
