"""Every example in docs/packets.md (v4/v5 part), checked against the codec directly.

An example is a ``console`` block line ``$ sioproxy decode --protocol eio3|eio4
[--payload] [--json-arg] [--eio-only] ARG`` followed by the exact JSON line the CLI prints
(``json.dumps(..., ensure_ascii=False)``).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from sioproxy.codec.engineio import decode_eio, eio_to_dict
from sioproxy.codec.payload import decode_payload, payload_to_dicts

DOC = Path(__file__).resolve().parents[2] / "docs" / "packets.md"


def examples(text: str) -> list[tuple[str, str]]:
    """(command line, expected output) pairs of every console block."""
    found: list[tuple[str, str]] = []
    in_console = False
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if in_console and line.startswith("$ "):
            found.append((line[2:], lines[i + 1]))
    return found


def run_decode(command: str) -> str:
    """What ``sioproxy decode`` prints for ``command``, computed with the codec."""
    argv = shlex.split(command)
    assert argv[:2] == ["sioproxy", "decode"], f"unchecked command: {command}"
    args = argv[2:]
    version = {"eio3": 3, "eio4": 4}[args[args.index("--protocol") + 1]]
    # --eio-only shows the message text as data, which is what eio_to_dict
    # shows for text that is no Socket.IO packet (the examples using it).
    flags = {a for a in args if a in ("--payload", "--json-arg", "--eio-only")}
    rest = [
        a
        for i, a in enumerate(args)
        if a not in flags and a != "--protocol" and args[i - 1] != "--protocol"
    ]
    assert len(rest) == 1, f"one argument expected in: {command}"
    arg = json.loads(rest[0]) if "--json-arg" in flags else rest[0]
    out: Any
    if "--payload" in flags:
        out = payload_to_dicts(decode_payload(arg.encode("utf-8"), version), version)
    else:
        out = eio_to_dict(decode_eio(arg, version), version)
    return json.dumps(out, ensure_ascii=False)


MODERN_MARKER = "<!-- modern section: see below -->"


def _modern_part() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(MODERN_MARKER) :]


EXAMPLES = examples(_modern_part())


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_example(command: str, expected: str) -> None:
    assert run_decode(command) == expected
