"""Every peer pairing runs the scenario directly (no proxy) and must print the transcript
expected for its generation, over the transport it was asked for.

The expected transcripts are written out here as data, so a peer that misbehaves (or a
scenario script that drifts) fails. Servers are started once per module.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import PEERS, PeerError, final_transport, run_client, start_server

pytestmark = pytest.mark.interop

ECHO = ["héllo wörld 😀", 42, {"k": [True, None]}]
BIN = {"$bytes": "010203ff"}

CHAT = [
    ["connect"],
    ["event", "echo", ECHO],
    ["ack", "ack_me", ["x", "ack"]],
    ["leave"],
    ["connect"],
    ["event", "echo", ["again"]],
    ["ack", "bye", []],
]
MODERN: dict[str, Any] = {
    "/": [
        ["connect"],
        ["event", "echo", ECHO],
        ["ack", "ack_me", ["x", "ack"]],
        ["event", "question", ["what?"]],
        ["event", "answer_received", ["answer", "🎉"]],
        ["event", "bin", [BIN, {"nested": BIN}]],
        ["ack", "bin_echo", [{"$bytes": "ff030201"}]],
        ["ack", "ack_me", ["sync", "ack"]],
    ],
    "/chat": CHAT,
}
LEGACY: dict[str, Any] = {
    "/": [
        ["connect"],
        ["event", "echo", ECHO],
        ["ack", "ack_me", ["x", "ack"]],
        ["event", "question", ["what?"]],
        ["event", "answer_received", ["answer", "🎉"]],
        ["message", "plain ünïcode 😀"],
        ["json", {"a": [1, 2]}],
        ["ack", "ack_me", ["sync", "ack"]],
    ],
    "/chat": CHAT,
}
JSONP: dict[str, Any] = {
    "/": [["connect"], ["event", "echo", ECHO], ["ack", "ack_me", ["x", "ack"]]],
}
EXPECTED = {"eio4": MODERN, "eio3": MODERN, "0.9": LEGACY}

# (client, server) pairs; each runs in every transport mode its client has.
PAIRINGS = [
    ("node-sio4", "node-sio4"),
    ("py-sio5", "py-sio5"),
    ("py-sio5", "node-sio4"),
    ("node-sio4", "py-sio5"),
    ("node-sio3", "node-sio3"),
    ("node-sio3", "node-sio4"),
    ("node-sio4", "node-sio3"),
    ("py-sio5", "node-sio3"),
    ("node-sio2", "node-sio2"),
    ("node-sio2", "py-sio4"),
    ("py-sio4", "node-sio2"),
    ("py-sio4", "py-sio4"),
    ("node-sio09", "node-sio09"),
    ("py-legacy09", "node-sio09"),
    ("py-jsonp", "node-sio09"),
    ("py-jsonp", "node-sio2"),
]
CASES = [
    pytest.param(client, server, mode, id=f"{client}-x-{server}-{mode}")
    for client, server in PAIRINGS
    for mode in PEERS[client].transports
]


def expected_namespaces(client: str, server: str) -> dict[str, Any]:
    if client == "py-jsonp":
        return JSONP
    return EXPECTED[PEERS[server].generation]


def test_pairings_speak_the_same_generation() -> None:
    for client, server in PAIRINGS:
        assert PEERS[server].generation in PEERS[client].generations, (client, server)


@pytest.mark.parametrize(("client", "server", "mode"), CASES)
def test_scenario_direct(
    shared_peer_server: ServerFactory, client: str, server: str, mode: str
) -> None:
    running = shared_peer_server(server)
    transcript = run_client(client, running.url, mode)
    assert transcript == {
        "transport": final_transport(mode),
        "namespaces": expected_namespaces(client, server),
    }


@pytest.mark.parametrize(
    ("client", "server", "mode"),
    [
        ("node-sio4", "py-sio5", "polling"),
        ("py-sio4", "node-sio2", "websocket"),
        ("node-sio09", "node-sio09", "xhr-polling"),
        ("py-legacy09", "node-sio09", "websocket"),
        ("py-jsonp", "node-sio2", "jsonp-polling"),
    ],
)
def test_variant_flags(
    shared_peer_server: ServerFactory, client: str, server: str, mode: str
) -> None:
    """--extra-ack-first adds only the warmup ack; --echo-text changes only the first echo."""
    url = shared_peer_server(server).url
    transcript = run_client(client, url, mode, extra_ack_first=True, echo_text="changed ✓")
    want = copy.deepcopy(expected_namespaces(client, server))
    want["/"][1] = ["event", "echo", ["changed ✓", *ECHO[1:]]]
    assert transcript == {
        "transport": final_transport(mode),
        "namespaces": want,
        "warmup": ["warmup", "ack"],
    }


def test_server_reports_port_and_stops(peer_server: ServerFactory) -> None:
    server = peer_server("node-sio4")
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.running()
    server.stop()
    assert not server.running()
    assert server.process.returncode is not None


def test_client_failure_raises_with_stderr(peer_server: ServerFactory) -> None:
    server = peer_server("node-sio4")
    url = server.url
    server.stop()  # nothing listens on that port any more
    with pytest.raises(PeerError, match=r"node-sio4 client exited [1-9]"):
        run_client("node-sio4", url, "websocket")


def test_unknown_peer_and_mode_are_refused() -> None:
    with pytest.raises(PeerError, match="unknown peer"):
        start_server("no-such-peer")
    with pytest.raises(PeerError, match="no transport mode"):
        run_client("node-sio09", "http://127.0.0.1:9", "upgrade")
