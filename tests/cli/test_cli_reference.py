"""docs/cli.md is generated from the parser and kept in step with it."""

from __future__ import annotations

from pathlib import Path

from sioproxy.cli.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m sioproxy.cli.reference > docs/cli.md"
    )


def test_every_command_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for command in (
        "proxy",
        "record",
        "replay",
        "replay-client",
        "diff",
        "show",
        "export",
        "import",
        "merge",
        "decode",
        "encode",
        "locust",
    ):
        assert f"## sioproxy {command}\n" in text
