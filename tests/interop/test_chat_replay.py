"""Causal replay of a multi-client chat (node socket.io 4 and python-socketio 5, tests/peers/chat).

Three real clients are recorded through ``sioproxy record``: carol alone in
room r2 (and in "/admin"), then alice and bob in room r1, where alice says
"hi" once bob has joined and bob says "yo" once he has heard alice. The
server is stopped and the same clients run against ``sioproxy replay``: each
must see what it saw live, in the same causal order (bob hears "hi" only
after alice said it), whether the clients connect in the recorded order or
reversed, and over websocket or polling. No packet may be released by
``--max-wait``. A client doing a subset (carol without "/admin") still gets
its replies.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sioproxy.replay_client.drift import DRIFT_KINDS
from tests.interop.peers import NODE, PEERS_DIR, REPO, PeerError, _read_first_line, start_server
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.replay_client.helpers import CommandRun, drift_items, replay_client

pytestmark = pytest.mark.interop

CHAT = PEERS_DIR / "chat"
# Each chat server with its client; socket.io 2 has no auth and speaks first
# (its "40"), so its replays assign live clients by their handshake query.
SERVERS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "chat-node-sio4": (CHAT / "client4.js", ()),
    "chat-py-sio5": (CHAT / "client4.js", ()),
    "chat-node-sio2": (CHAT / "client2.js", ("--assign", "query:name")),
    "chat-node-sio09": (CHAT / "client09.js", ("--assign", "query:name")),
}
READY = 20.0
RUN = 30.0

CAROL = ["--name", "carol", "--query", "name=carol", "--room", "r2", "--say", "alone", "--admin"]
ALICE = ["--name", "alice", "--query", "name=alice", "--room", "r1", "--wait-joined", "1"]
ALICE += ["--say", "hi", "--until", "bob:yo"]
BOB = ["--name", "bob", "--query", "name=bob", "--room", "r1", "--after", "alice:hi"]
BOB += ["--say", "yo"]


@dataclass
class Client:
    name: str
    process: subprocess.Popen[bytes]

    def ready(self) -> None:
        """Wait (bounded) for the client's ``ready`` line: it has joined its room."""
        line = _read_first_line(self.process, READY).decode()
        if line != "ready":
            raise PeerError(f"{self.name}: expected 'ready', got {line!r}")

    def transcript(self) -> dict[str, Any]:
        try:
            out, err = self.process.communicate(timeout=RUN)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(RUN)
            raise PeerError(f"{self.name} did not finish") from None
        if self.process.returncode != 0:
            raise PeerError(f"{self.name} exited {self.process.returncode}: {err.decode()}")
        result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(RUN)


def start_client(client: Path, url: str, args: list[str], transport: str = "websocket") -> Client:
    cmd = [NODE, str(client), "--url", url, "--transport", transport, *args]
    process = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    )
    return Client(args[1], process)


def run_chat(
    impl: str, url: str, order: list[list[str]], transports: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Start ``impl``'s clients one after the other, each once the previous is ready."""
    clients: list[Client] = []
    script = SERVERS[impl][0]
    try:
        for args in order:
            mode = (transports or {}).get(args[1], "websocket")
            client = start_client(script, url, args, mode)
            clients.append(client)
            client.ready()
        return {c.name: c.transcript() for c in clients}
    finally:
        for client in clients:
            client.stop()


@dataclass(frozen=True)
class Chat:
    """A recorded chat: the file, what each client saw live, and the server that spoke."""

    path: Path
    live: dict[str, dict[str, Any]]
    server: str


def record_chat(tmp_path: Path, impl: str) -> Chat:
    server = start_server(impl)
    out = tmp_path / "chat.jsonl"
    try:
        proxy = start_sioproxy(record_args(server.url, out))
        try:
            carol = run_chat(impl, proxy.url, [CAROL])
            rest = run_chat(impl, proxy.url, [ALICE, BOB])
        finally:
            assert proxy.stop() == 0, proxy.stderr_text()
    finally:
        server.stop()
    return Chat(out, {**carol, **rest}, impl)


def assert_said_after_saying(lines: list[str], user: str, text: str) -> None:
    """In the replay's log, no copy of the broadcast goes out before its sender said it."""
    said = f'"said" [{{"from":"{user}","text":"{text}"}}]'
    copies = [i for i, line in enumerate(lines) if " <- " in line and said in line]
    saying = [
        i
        for i, line in enumerate(lines)
        if " -> " in line and '"say" id=' in line and f'["{text}"]' in line
    ]
    assert len(copies) == 2, "\n".join(lines)
    assert len(saying) == 1, "\n".join(lines)
    assert saying[0] < min(copies), "\n".join(lines)


def start_replay(recording: Path, *extra: str) -> RunningSioproxy:
    args = ["replay", str(recording), "--listen", "127.0.0.1:0", "--exit-when-done"]
    return start_sioproxy([*args, *extra])


@pytest.fixture(scope="module", params=list(SERVERS))
def recorded(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Chat:
    return record_chat(tmp_path_factory.mktemp("chat"), request.param)


def test_the_recording_is_a_conversation(
    recorded: Chat,
) -> None:
    live = recorded.live
    assert live["bob"]["said"] == [["alice", "hi"], ["bob", "yo"]]
    assert live["alice"]["joined"] == ["bob"]
    assert live["carol"]["said"] == [["carol", "alone"]]
    assert live["carol"]["admin"] == [{"user": "carol"}]


ORDERS = {
    "recorded": ([CAROL, ALICE, BOB], None, ()),
    "reversed": ([BOB, ALICE, CAROL], None, ()),
    "reversed, by query": ([BOB, ALICE, CAROL], None, ("--assign", "query:name")),
    "mixed transports": ([BOB, CAROL, ALICE], {"alice": "polling"}, ()),
}


@pytest.mark.parametrize("name", list(ORDERS))
def test_each_client_sees_the_same_in_causal_order(recorded: Chat, name: str) -> None:
    recording, live = recorded.path, recorded.live
    order, transports, assign = ORDERS[name]
    replay = start_replay(recording, "--speed", "0", *assign, *SERVERS[recorded.server][1])
    try:
        seen = run_chat(recorded.server, replay.url, order, transports)
        status = replay.wait()
    finally:
        replay.stop()
    output = "\n".join(replay.lines)
    assert seen == live, output
    assert_said_after_saying(replay.lines, "alice", "hi")
    assert_said_after_saying(replay.lines, "bob", "yo")
    assert "0 misses" in output, output
    assert "--max-wait" not in output, output
    assert status == 0, output


def test_a_subset_client_gets_its_replies(
    recorded: Chat,
) -> None:
    """carol without "/admin": her "/" packets must not wait for the /admin CONNECT.

    ``--match per-event``: in strict order the skipped CONNECT would be a miss.
    """
    recording, live = recorded.path, recorded.live
    extra = SERVERS[recorded.server][1]
    replay = start_replay(recording, "--speed", "0", "--match", "per-event", *extra)
    try:
        seen = run_chat(recorded.server, replay.url, [CAROL[:-1]])
        run_chat(recorded.server, replay.url, [ALICE, BOB])
    finally:
        status = replay.stop(signal.SIGTERM)  # carol's /admin packets are still owed
    output = "\n".join(replay.lines)
    assert seen["carol"] == {**live["carol"], "admin": []}, output
    assert "--max-wait" not in output, output
    assert "not played" in output, output
    assert any("not played" in line and "/admin" in line for line in replay.lines), output
    assert status == 1, output


def diff_chat(recorded: Chat, report: Path, *args: str) -> CommandRun:
    """``sioproxy diff`` of the recording against a fresh chat server."""
    server = start_server(recorded.server)
    try:
        return replay_client("diff", recorded.path, server.url, *args, report=report)
    finally:
        server.stop()


def test_diff_of_the_unchanged_server_is_clean(recorded: Chat, tmp_path: Path) -> None:
    """All recorded connections play at once: each client gets the others' broadcasts."""
    run = diff_chat(recorded, tmp_path / "report.json")
    assert run.report is not None, run.stderr
    assert run.report["counts"] == dict.fromkeys(DRIFT_KINDS, 0), run.stdout
    assert run.report["max_wait_releases"] == 0, run.stdout
    assert run.status == 0, run.stdout + run.stderr


def test_diff_names_a_changed_broadcast(
    recorded: Chat,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_DRIFT", "said")
    run = diff_chat(recorded, tmp_path / "report.json")
    assert run.report is not None, run.stderr
    items = drift_items(run.report)
    # Every copy of every "said" changed (alice's "hi" and bob's "yo" to both, carol's to her).
    assert {(i["kind"], i["event"]) for i in items} == {("changed", "event said")}, run.stdout
    assert len(items) == 5, run.stdout
    text = "/args/0/text" if recorded.server == "chat-node-sio09" else "/data/1/text"
    assert all(d["pointer"] == text for i in items for d in i["differences"])
    assert "CHANGED seq" in run.stdout
    assert run.status == 1, run.stdout + run.stderr
