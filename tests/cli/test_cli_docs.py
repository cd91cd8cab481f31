"""Every ``$ sioproxy decode|encode`` example in the packet docs runs as written."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from sioproxy.cli.main import main

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str, list[str]]]:
    found: list[tuple[str, str, list[str]]] = []
    for doc in sorted(DOCS.glob("packets*.md")):
        for block in BLOCK.findall(doc.read_text(encoding="utf-8")):
            command: str | None = None
            expected: list[str] = []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        found.append((doc.name, command, expected))
                    command, expected = line[2:], []
                elif command is not None and line.strip():
                    expected.append(line)
            if command is not None:
                found.append((doc.name, command, expected))
    return [e for e in found if e[1].startswith(("sioproxy decode", "sioproxy encode"))]


EXAMPLES = _examples()


def test_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(
    ("doc", "command", "expected"), EXAMPLES, ids=[e[1][:60] for e in EXAMPLES]
)
def test_doc_example_runs(
    doc: str, command: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = shlex.split(command)[1:]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(expected)
    for got, want in zip(out, expected, strict=True):
        try:
            assert json.loads(got) == json.loads(want)
        except json.JSONDecodeError:
            assert got == want
