"""Contracts from recordings of the real peers of every generation (tests/peers).

Each pairing runs the interop scenario through ``sioproxy record``; the document
``sioproxy spec`` writes must have the scenario's channels, operations and
replies, be accepted by the official AsyncAPI 3.0 schema and parser, and the
recording must pass ``sioproxy check`` against its own document. A server whose
ack payload changes type (drift_server.py) gives violations at the right pointer.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sioproxy.contracts import load_document
from tests.contracts.helpers import node_check, sioproxy
from tests.interop.peers import REPO, RunningServer, _read_first_line, run_client, start_server
from tests.interop.sioproxy_proc import record_args, start_sioproxy

pytestmark = pytest.mark.interop

PAIRS = [
    ("node-sio4", "node-sio4", "websocket"),
    ("node-sio2", "node-sio2", "upgrade"),
    ("node-sio09", "node-sio09", "xhr-polling"),
    ("py-sio5", "py-sio5", "websocket"),
    ("py-sio4", "py-sio4", "polling"),
    ("py-legacy09", "gevent09", "websocket"),
]

# The scenario (tests/peers/README.md): operation id -> has a reply (an ack).
COMMON = {
    "send.root.event.echo": False,
    "send.root.event.ack_me": True,
    "send.root.event.ask_me": False,
    "receive.root.event.echo": False,
    "receive.root.event.question": True,  # the server asks, the client acks
    "receive.root.event.answer_received": False,
    "send.chat.event.echo": False,
    "send.chat.event.ack_me": True,
    "send.chat.event.bye": True,
    "receive.chat.event.echo": False,
}
MODERN = COMMON | {"send.root.event.bin_echo": True, "receive.root.event.bin": False}
LEGACY = COMMON | {
    "send.root.message": False,
    "send.root.json": False,
    "receive.root.message": False,
    "receive.root.json": False,
}
# python-socketio's client sends an (empty) auth object with every CONNECT.
EXPECTED = {
    "node-sio4": MODERN,
    "node-sio2": MODERN,
    "node-sio09": LEGACY,
    "py-sio5": MODERN | {"send.root.connect": False, "send.chat.connect": False},
    "py-sio4": MODERN,
    "gevent09": LEGACY,
}


def _record(server: RunningServer, client: str, mode: str, out: Path) -> None:
    proxy = start_sioproxy(record_args(server.url, out))
    try:
        run_client(client, proxy.url, mode)
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """server name -> (recording, its inferred document), each pairing recorded once."""
    folder = tmp_path_factory.mktemp("peers")
    found = {}
    for client, server_name, mode in PAIRS:
        rec, doc = folder / f"{server_name}.jsonl", folder / f"{server_name}.yaml"
        server = start_server(server_name)
        try:
            _record(server, client, mode, rec)
        finally:
            server.stop()
        assert sioproxy("spec", rec, "--out", doc) == 0
        found[server_name] = (rec, doc)
    return found


@pytest.mark.parametrize("server", list(EXPECTED))
def test_operations_and_replies_match_the_scenario(
    recorded: dict[str, tuple[Path, Path]], server: str
) -> None:
    doc = load_document(str(recorded[server][1]))
    ops = {op_id: "reply" in op for op_id, op in doc["operations"].items()}
    assert ops == EXPECTED[server]
    assert sorted(c["address"] for c in doc["channels"].values()) == ["/", "/chat"]
    messages = doc["components"]["messages"]
    ack_me = messages["send.root.event.ack_me.reply"]["payload"]["prefixItems"]
    assert ack_me == [{"type": "string"}, {"type": "string"}]
    echo = messages["send.root.event.echo"]["payload"]["prefixItems"]
    assert [item["type"] for item in echo] == ["string", "integer", "object"]
    if "receive.root.event.bin" in ops:
        bin_args = messages["receive.root.event.bin"]["payload"]["prefixItems"]
        assert bin_args[0] == {"type": "string", "format": "binary"}
        assert bin_args[1]["properties"]["nested"] == {"type": "string", "format": "binary"}


def test_documents_are_valid_asyncapi(recorded: dict[str, tuple[Path, Path]]) -> None:
    docs = [doc for _rec, doc in recorded.values()]
    done = node_check(*docs)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok ") == len(docs)


@pytest.mark.parametrize("server", list(EXPECTED))
def test_a_recording_passes_its_own_spec(
    recorded: dict[str, tuple[Path, Path]], server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, doc = recorded[server]
    capsys.readouterr()
    assert sioproxy("check", rec, "--spec", doc) == 0
    assert capsys.readouterr().out == ""


@pytest.fixture
def drift_server() -> Iterator[RunningServer]:
    script = REPO / "tests" / "contracts" / "drift_server.py"
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    server = RunningServer("drift", process, 0, Path("/dev/null"))
    try:
        port = int(_read_first_line(process, 20.0).split()[1])
        server.port, server.url = port, f"http://127.0.0.1:{port}"
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # aiohttp may wait on a held long-poll
                process.kill()
                process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_a_server_whose_payload_changes_type_gives_violations(
    recorded: dict[str, tuple[Path, Path]],
    drift_server: RunningServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = tmp_path / "drift.jsonl"
    _record(drift_server, "py-sio5", "websocket", rec)
    capsys.readouterr()
    assert sioproxy("check", rec, "--spec", recorded["py-sio5"][1]) == 1
    out = capsys.readouterr().out.splitlines()
    reports = [line for line in out if not line.startswith("  ")]
    # ack_me is acked three times: "x" on / and /chat, "sync" on /.
    assert len(reports) == 3, out
    assert all(" ack of ack_me  43" in line for line in reports), reports
    problems = [line.strip() for line in out if line.startswith("  /")]
    assert problems == [
        '/0: expected string, got integer 1 (schema: type: "string")',
        '/0: expected string, got integer 1 (schema: type: "string")',
        '/0: expected string, got integer 4 (schema: type: "string")',
    ]
