"""docs/clients.md: each small client, correct and with one bug, through the tool the docs point its user to."""

from __future__ import annotations

import pytest

from tests.clients.table import CLIENTS, Client, row_line, run_row, table_in_doc


@pytest.mark.parametrize("client", CLIENTS, ids=[c.path.rsplit("/", 1)[1] for c in CLIENTS])
def test_the_correct_client_passes_every_tool_and_the_buggy_one_is_flagged_as_the_docs_say(client: Client) -> None:
    row = run_row(client)  # raises when the correct variant is not clean under every tool that applies
    assert row.correct, "no tool was run on the correct client"
    assert row.flagged, f"{client.name}: the buggy client passed {client.tool}"
    assert client.expected in row.message
    assert row_line(row) in table_in_doc().splitlines(), "docs/clients.md is stale: run python -m tests.clients.table"


def test_the_table_has_one_row_per_client_and_no_other() -> None:
    lines = [line for line in table_in_doc().splitlines() if line.startswith("| ") and "../tests/clients/" in line]
    assert len(lines) == len(CLIENTS)
    assert all(line.startswith(f"| {c.name} ([") for line, c in zip(lines, CLIENTS, strict=True))
