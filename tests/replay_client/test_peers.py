"""replay-client and diff against real servers, for every protocol generation.

A scenario is recorded through ``sioproxy record`` with a real peer client and
server (tests/peers), then the recording's client side is replayed against a
live server: the same server gives no drift (exit 0); a drift server
(tests/replay_client/peers/drift_server.js) with another ack result, a missing
event or an extra event gives drift (exit 1) naming the packet with its diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import run_client
from tests.replay_client.helpers import (
    drift_items,
    record_scenario,
    replay_client,
    start_drift_server,
)

pytestmark = pytest.mark.interop

# (server impl, client impl, recorded mode, replay transports)
SAME_SERVER = [
    pytest.param("node-sio4", "node-sio4", "websocket", ["websocket", "polling"], id="eio4-node"),
    pytest.param("node-sio4", "node-sio4", "upgrade", ["upgrade"], id="eio4-node-upgrade"),
    pytest.param("py-sio5", "py-sio5", "upgrade", ["upgrade", "polling"], id="eio4-python"),
    pytest.param("node-sio2", "node-sio2", "polling", ["polling", "websocket"], id="eio3-node"),
    pytest.param("node-sio2", "node-sio2", "upgrade", ["upgrade"], id="eio3-node-upgrade"),
    pytest.param("py-sio4", "py-sio4", "polling", ["polling", "websocket"], id="eio3-python"),
    pytest.param("node-sio09", "node-sio09", "xhr-polling", ["xhr-polling", "websocket"], id="0.9"),
]


@pytest.mark.parametrize(("server", "client", "mode", "replays"), SAME_SERVER)
def test_replay_against_the_same_server_has_no_drift(
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
        report = tmp_path / f"report-{transport}.json"
        run = replay_client(
            "replay-client", recording, live.url, "--transport", transport, report=report
        )
        assert run.status == 0, run.stdout + run.stderr
        assert run.report is not None
        assert run.report["drift_count"] == 0
        (conn,) = run.report["connections"]
        assert conn["transport"] == ("websocket" if transport == "upgrade" else transport)
        assert conn["sent"] >= 12
        assert conn["received"] >= 12
        assert conn["end"] == "client close"
        assert "drift: none" in run.stdout


# -- drift -------------------------------------------------------------------------------

GENERATIONS = {
    "eio4": ("sio4", "node-sio4", "node-sio4", "websocket", "/data/1"),
    "eio3": ("sio2", "node-sio2", "node-sio2", "polling", "/data/1"),
    "0.9": ("sio09", "node-sio09", "node-sio09", "xhr-polling", "/args/1"),
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One recording per generation, made against the real scenario server."""
    from tests.interop.peers import start_server

    out: dict[str, Path] = {}
    for generation, (_, server_impl, client, mode, _) in GENERATIONS.items():
        server = start_server(server_impl)
        try:
            path = tmp_path_factory.mktemp(generation.replace(".", "")) / "session.jsonl"
            record_scenario(server.url, client, mode, path)
            out[generation] = path
        finally:
            server.stop()
    return out


@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_changed_ack_result_is_drift(
    recordings: dict[str, Path], tmp_path: Path, generation: str
) -> None:
    impl, _, _, _, pointer = GENERATIONS[generation]
    server = start_drift_server(impl, "ack")
    try:
        run = replay_client("diff", recordings[generation], server.url, report=tmp_path / "r.json")
    finally:
        server.stop()
    assert run.status == 1, run.stdout + run.stderr
    assert run.report is not None
    items = drift_items(run.report)
    assert {i["kind"] for i in items} == {"changed"}
    # ack_me on "/" (x, sync) and on "/chat": every one changed, nothing else.
    assert {i["event"] for i in items} == {"ack of ack_me"}
    assert len(items) == 3
    first = items[0]
    assert first["differences"] == [
        {"pointer": pointer, "kind": "changed", "recorded": "ack", "live": "ACK-CHANGED"}
    ]
    assert f"CHANGED seq {first['seq']}" in run.stdout
    assert f'{pointer}: recorded "ack" != live "ACK-CHANGED"' in run.stdout
    assert "packets:" not in run.stdout  # diff prints the report only


@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_missing_event_is_drift(
    recordings: dict[str, Path], tmp_path: Path, generation: str
) -> None:
    impl = GENERATIONS[generation][0]
    server = start_drift_server(impl, "missing")
    try:
        run = replay_client(
            "replay-client",
            recordings[generation],
            server.url,
            "--timeout",
            "0.5",
            report=tmp_path / "r.json",
        )
    finally:
        server.stop()
    assert run.status == 1, run.stdout + run.stderr
    assert run.report is not None
    items = drift_items(run.report)
    assert {(i["kind"], i["event"]) for i in items} == {("missing", "event echo")}
    root = "" if generation == "0.9" else "/"
    assert {i["namespace"] for i in items} == {root, "/chat"}
    assert all(i["seq"] > 0 and "recorded" in i for i in items)
    assert "MISSING seq" in run.stdout


@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_extra_event_is_drift(recordings: dict[str, Path], tmp_path: Path, generation: str) -> None:
    impl = GENERATIONS[generation][0]
    server = start_drift_server(impl, "extra")
    try:
        run = replay_client("diff", recordings[generation], server.url, report=tmp_path / "r.json")
    finally:
        server.stop()
    assert run.status == 1, run.stdout + run.stderr
    assert run.report is not None
    items = drift_items(run.report)
    assert {(i["kind"], i["event"]) for i in items} == {("unexpected", "event surprise")}
    assert all("surprise" in i["live"] and "seq" not in i for i in items)
    assert "UNEXPECTED live only" in run.stdout


def test_same_drift_server_without_drift_is_clean(
    recordings: dict[str, Path], tmp_path: Path
) -> None:
    # The drift server in mode "none" is the scenario server: the drift above is its own.
    server = start_drift_server("sio4", "none")
    try:
        run = replay_client("diff", recordings["eio4"], server.url)
    finally:
        server.stop()
    assert run.status == 0, run.stdout + run.stderr


# -- ack ids the live server picks --------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "client"), [("node-sio4", "node-sio4"), ("node-sio2", "node-sio2")]
)
def test_server_requests_answered_under_live_ids(
    peer_server: ServerFactory, tmp_path: Path, server: str, client: str
) -> None:
    # node counts server ack ids per namespace for all clients (docs/protocol.md#d2):
    # the recording's "question" has id 0; after two other clients it is 2 live.
    live = peer_server(server)
    recording = tmp_path / "session.jsonl"
    record_scenario(live.url, client, "websocket", recording)
    run_client(client, live.url, "websocket")
    run = replay_client("replay-client", recording, live.url, report=tmp_path / "r.json")
    assert run.status == 0, run.stdout + run.stderr
    assert run.report is not None
    (conn,) = run.report["connections"]
    assert conn["ack_remaps"] == [
        {"namespace": "/", "event": "event question", "recorded": 0, "live": 2}
    ]
    # answer_received only comes when the server got our answer under its own id.
    assert conn["drift"] == []
    assert "answered live as 2" in run.stdout


# -- load, usage ----------------------------------------------------------------------------


def test_many_clients_with_progress_and_summary(peer_server: ServerFactory, tmp_path: Path) -> None:
    live = peer_server("node-sio4")
    recording = tmp_path / "session.jsonl"
    record_scenario(live.url, "node-sio4", "polling", recording)
    single = replay_client("replay-client", recording, live.url, report=tmp_path / "one.json")
    run = replay_client(
        "replay-client", recording, live.url, "--clients", "4", report=tmp_path / "four.json"
    )
    assert single.status == 0
    assert run.status == 0, run.stdout + run.stderr
    assert single.report is not None
    assert run.report is not None
    stats, one = run.report["stats"], single.report["stats"]
    assert stats["clients"] == 4
    assert stats["connections"] == 4
    assert stats["sent"] == 4 * one["sent"]
    assert stats["received"] == 4 * one["received"]
    assert stats["ack_round_trips"] == 4 * one["ack_round_trips"] > 0
    assert stats["ack_rtt_seconds"]["p50"] <= stats["ack_rtt_seconds"]["p99"]
    assert sorted(c["client"] for c in run.report["connections"]) == [1, 2, 3, 4]
    assert "ack round trips: " in run.stdout
    assert "clients 4/4 done" in run.stderr.splitlines()[-1]
    assert "packets: " in run.stdout


def test_unreachable_target_is_exit_2(tmp_path: Path, recordings: dict[str, Path]) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = replay_client(
        "diff", recordings["eio4"], f"http://127.0.0.1:{port}", "--connect-timeout", "2"
    )
    assert run.status == 2
    # No drift report (every recorded packet would be "missing"): one line on stderr.
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"sioproxy diff: upstream unreachable: http://127.0.0.1:{port}: ")
    assert "refused" in lines[0]


def test_bad_usage_is_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    run = replay_client("diff", missing, "http://127.0.0.1:9")
    assert run.status == 2
    assert "nope.jsonl" in run.stderr


def test_timed_playback_without_gaps_waits_for_namespace_connects(
    recordings: dict[str, Path], peer_server: ServerFactory, tmp_path: Path
) -> None:
    """--speed 0 still waits for each namespace's CONNECT answer: socket.io 4 closes a
    connection whose namespace packets come first (before the fix: 5 sent, 0 received).

    The scenario's later re-join of /chat right after leaving it still trips socket.io 4
    at --speed 0 (no answer to wait for after a DISCONNECT), so the tail is not checked.
    """
    live = peer_server(GENERATIONS["eio4"][1])
    report = tmp_path / "report.json"
    run = replay_client(
        "replay-client", recordings["eio4"], live.url, "--speed", "0", report=report
    )
    assert run.report is not None, run.stdout + run.stderr
    (conn,) = run.report["connections"]
    assert conn["sent"] >= 12, run.stdout
    assert conn["received"] >= 5, run.stdout
