"""The pytest plugin replays several clients of one test with causality.

An inner suite has two python-socketio clients in one test, alice and bob, in
a chat room (tests/peers/chat/server_py5.py). It is recorded once (mode once)
with alice connecting first, then replayed with the server stopped and bob
connecting first: bob must hear alice's "hi" only after she said it, because
his copy of the broadcast waits for her live "say" (docs/replay.md, "Causes").
With cross-connection causes turned off (``cause_window=0``) the same replay
sends bob the broadcast as soon as he joined (bob waits 1.5 s before alice
connects, so that this holds on a loaded machine too): the inner test fails,
which shows the order comes from the causes and not from luck.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.peers import RunningServer, start_server
from tests.plugin.inner import install, record_once, run

pytest_plugins = ["pytester"]

TWO_CLIENTS = """
import os
import threading
import time

import pytest
import socketio


def join(url, user, log, heard):
    client = socketio.Client(reconnection=False)

    def said(message):
        log.append(f"{user} heard {message['from']}:{message['text']}")
        heard.set()

    client.on("said", said)
    client.on("confirm", lambda room: {"ok": user, "room": room})
    client.connect(url, auth={"user": user}, transports=["websocket"], wait_timeout=5)
    assert client.call("join", "r1", timeout=5) == {"joined": "r1"}
    return client


@pytest.mark.sioproxy(cause_window=float(os.environ.get("CAUSE_WINDOW", "1")))
def test_two_clients(sioproxy):
    log = []
    heard = {"alice": threading.Event(), "bob": threading.Event()}
    users = ["alice", "bob"] if os.environ.get("ORDER") != "reversed" else ["bob", "alice"]
    clients = {}
    for user in users:
        clients[user] = join(sioproxy.url, user, log, heard[user])
        if user == "bob" and users[0] == "bob":
            # Time for a broadcast copy sent without waiting for its cause to
            # reach bob before alice connects, even on a loaded machine.
            time.sleep(1.5)
    try:
        log.append("alice says hi")
        assert clients["alice"].call("say", "hi", timeout=5) == "ok"
        assert heard["alice"].wait(5)
        assert heard["bob"].wait(5)
    finally:
        for client in clients.values():
            client.disconnect()
    assert log.index("alice says hi") < log.index("bob heard alice:hi"), log
    assert sioproxy.mismatches == []
"""

RECORDING = Path("recordings/test_two/test_two_clients.jsonl")


@pytest.fixture(scope="module")
def chat_server() -> Iterator[RunningServer]:
    server = start_server("chat-py-sio5")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def two_clients_recording(
    tmp_path_factory: pytest.TempPathFactory, chat_server: RunningServer
) -> bytes:
    """The suite recorded once (alice first) against the python-socketio chat server."""
    return record_once(tmp_path_factory, {"test_two": TWO_CLIENTS}, chat_server.url, RECORDING)


@pytest.fixture
def suite(
    pytester: pytest.Pytester, two_clients_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """The suite with its recording in place, replayed with bob connecting first."""
    pytester.makepyfile(test_two=TWO_CLIENTS)
    install(pytester, two_clients_recording, RECORDING)
    monkeypatch.setenv("ORDER", "reversed")
    monkeypatch.delenv("CAUSE_WINDOW", raising=False)
    return pytester


def test_two_clients_in_one_test_replay_in_causal_order(suite: pytest.Pytester) -> None:
    run(suite).assert_outcomes(passed=1)


def test_without_cross_causes_bob_hears_alice_before_she_speaks(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAUSE_WINDOW", "0")
    result = run(suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bob heard alice:hi*alice says hi*"])
