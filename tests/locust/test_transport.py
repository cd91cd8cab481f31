"""The gevent transport (sioproxy/locust/transport.py) against real servers, every generation.

The same scenarios as the Twisted client side (tests/replay_client/test_peers.py):
a session recorded through ``sioproxy record`` with a real peer, played once
through the gevent transport in a monkey-patched subprocess
(tests/locust/play_once.py), for each transport the Twisted tests replay.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import REPO
from tests.interop.test_chat_replay import record_chat
from tests.interop.test_replay import record_session
from tests.locust.helpers import emits_with_ack, play_once, record_clients
from tests.replay_client.helpers import record_scenario, start_drift_server
from tests.replay_client.test_peers import SAME_SERVER

pytestmark = pytest.mark.interop


@pytest.mark.parametrize(("server", "client", "mode", "replays"), SAME_SERVER)
def test_gevent_transport_plays_a_session_without_drift(
    peer_server: ServerFactory,
    tmp_path: Path,
    server: str,
    client: str,
    mode: str,
    replays: list[str],
) -> None:
    live = peer_server(server)
    recording = tmp_path / "session.jsonl"
    record_scenario(live.url, client, mode, recording)
    for transport in replays:
        played = play_once(recording, live.url, transport)
        assert played["twisted"] is False
        (result,) = played["results"]
        assert result["drift"] == [], result
        assert result["transport"] == ("websocket" if transport == "upgrade" else transport)
        assert result["end"] == "client close"
        assert result["sent"] >= 12
        assert result["received"] >= 12
        events = played["events"]
        assert all(e["error"] is None for e in events), events
        emits = [e for e in events if e["type"] == "emit"]
        assert len(emits) == played["emits_with_ack"] == emits_with_ack(recording)
        assert [e["name"] for e in events if e["type"] == "connect"] == [transport]


@pytest.mark.parametrize(
    ("impl", "server", "mode", "pointer"),
    [
        ("sio4", "node-sio4", "websocket", "/data/1"),
        ("sio2", "node-sio2", "polling", "/data/1"),
        ("sio09", "node-sio09", "xhr-polling", "/args/1"),
    ],
)
def test_changed_ack_is_a_failed_emit_naming_the_pointer(
    peer_server: ServerFactory, tmp_path: Path, impl: str, server: str, mode: str, pointer: str
) -> None:
    recording = tmp_path / "session.jsonl"
    record_scenario(peer_server(server).url, server, mode, recording)
    drifting = start_drift_server(impl, "ack")
    try:
        played = play_once(recording, drifting.url)
    finally:
        drifting.stop()
    failed = [e for e in played["events"] if e["error"] is not None]
    assert {(e["type"], e["name"].split()[1]) for e in failed} == {("emit", "ack_me")}
    assert len(failed) == 3  # ack_me twice on the root namespace, once on /chat
    assert all(f'{pointer}: recorded "ack" != live "ACK-CHANGED"' in e["error"] for e in failed)
    assert all(e["error"].startswith("changed seq ") for e in failed)


def test_redacted_values_are_filled_from_secrets(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    # ack_me's first argument is redacted in the recording; the server acks it back.
    live = peer_server("node-sio4")
    recording = tmp_path / "session.jsonl"
    record_clients(
        live.url, "node-sio4", "websocket", recording, extra=("--redact-pointer", "ack_me:/0")
    )
    assert "[REDACTED:ack_me.0]" in recording.read_text("utf-8")

    def failed(*secrets: str) -> list[str]:
        played = play_once(recording, live.url, None, *secrets)
        return sorted(e["error"] for e in played["events"] if e["error"] is not None)

    unfilled = failed()
    assert len(unfilled) == 3  # every ack_me is acked with the placeholder itself
    assert all('live "[REDACTED:ack_me.0]"' in error for error in unfilled)
    # Filled with "x": the two acks of ack_me("x") come back as recorded, ack_me("sync") not.
    (filled,) = failed("ack_me.0=x")
    assert filled.endswith('/data/0: recorded "sync" != live "x"')


def test_a_stale_timer_call_does_not_fire_the_new_arming() -> None:
    # A watchdog that fired just before a ping re-armed it must not end the session.
    done = subprocess.run(
        [sys.executable, "-m", "tests.locust.timer_race"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stdout + done.stderr


def test_a_connection_that_cannot_open_is_a_failed_connect(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    recording = tmp_path / "session.jsonl"
    record_scenario(peer_server("node-sio4").url, "node-sio4", "websocket", recording)
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        played = play_once(recording, f"http://127.0.0.1:{port}")
    (connect,) = [e for e in played["events"] if e["type"] == "connect"]
    assert connect["name"] == "websocket"
    assert connect["error"] is not None
    assert "refused" in connect["error"].lower()
    (result,) = played["results"]
    assert result["sent"] == 0


def test_a_connection_that_never_catches_up_is_released_after_max_wait(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    """A chat played against a server that knows no chat: alice's join is never answered.

    bob's open (recorded after alice's join was answered) waits for her at most
    ``max_wait``, then goes: an ``order`` failure naming the seq and alice's connection.
    """
    chat = record_chat(tmp_path, "chat-node-sio4")
    played = play_once(
        chat.path, peer_server("node-sio4").url, options={"timeout": 1.5, "max_wait": 0.3}
    )
    released = [e for e in played["events"] if e["type"] == "order"]
    assert released, played["events"]
    assert all("sent after --max-wait 0.3 s: " in e["error"] for e in released), released
    assert any("c2 had not played what came before it" in e["error"] for e in released)


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_gevent_transport_reproduces_a_connection_state_recovery(
    peer_server: ServerFactory, tmp_path: Path, mode: str
) -> None:
    """c2 recovers c1's session (tests/interop/test_recovery.py), on a Locust worker too."""
    recording = record_session(tmp_path, "recovery-node-sio4", "recovery-node-sio4", mode)
    live = peer_server("recovery-node-sio4")
    played = play_once(recording, live.url)
    c1, c2 = played["results"]
    assert c1["drift"] == c2["drift"] == [], played["results"]
    (recovery,) = c2["recoveries"]
    assert (recovery["of"], recovery["recorded"], recovery["live"]) == ("c1", True, True)
    assert recovery["sent_pid"] == recovery["reply_pid"]
