"""Helpers for the contract tests: recordings from wire text, the CLI, the node checker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sioproxy.cli.main import main
from sioproxy.recording import Recording, RecordingWriter
from sioproxy.types import Generation
from tests.standin.replay.factory import RecordingBuilder

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tests" / "contracts" / "node"


def write(path: Path, recording: Recording) -> Path:
    writer = RecordingWriter.create(path, recording.header, overwrite=True)
    for entry in recording.entries:
        writer.write(entry)
    writer.close()
    return path


def chat_eio4(count: int = 1) -> RecordingBuilder:
    """A v5 session: auth connect, acked events both ways, a binary event, /admin."""
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c('40{"token":"[REDACTED:token]"}').s('40{"sid":"x"}')
    for n in range(count):
        b.c(f'42{n}["add",{n},2]')
        b.s(f"43{n}[{n + 2}]", ack_of=len(b.entries))
        b.s('42["chat",{"from":"ann","text":"hi","at":"2024-05-01T12:00:00Z"}]')
    b.s('421["are_you_there",{"question":"ping?"}]')
    b.c('431["yes"]', ack_of=len(b.entries))
    b.s('451-["file",{"_placeholder":true,"num":0}]', attachments=(b"\x01\x02",))
    b.c("40/admin,").c('42/admin,["echo",null]')
    return b


def legacy09() -> RecordingBuilder:
    b = RecordingBuilder(Generation.LEGACY).open("c1")
    b.s("1::").c("1::/chat").c("3:::plain").c('4:::{"a":[1,2]}').s('4:::{"a":[3]}')
    b.c('5:1+::{"name":"ack_me","args":["x"]}')
    b.s('6:::1+["x","ack"]', ack_of=len(b.entries))
    b.c('5::/chat:{"name":"echo","args":[1]}')
    return b


def eio3() -> RecordingBuilder:
    b = RecordingBuilder(Generation.EIO3).open("c1")
    b.s("40").c("40/chat?token=[REDACTED:token],").c('42/chat,["echo","a",1]')
    b.c('42/chat,7["bye"]').s("43/chat,7[]", ack_of=len(b.entries))
    return b


def sioproxy(*args: str | Path) -> int:
    return main([str(a) for a in args])


def node_check(*docs: Path) -> subprocess.CompletedProcess[str]:
    """Run tests/contracts/node/check.js: the AsyncAPI 3.0 JSON Schema and parser."""
    assert (NODE_DIR / "node_modules" / "@asyncapi" / "parser").is_dir(), "run `make peers`"
    return subprocess.run(
        ["node", str(NODE_DIR / "check.js"), *map(str, docs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def python() -> str:
    return sys.executable
