"""The scenario of every real peer pairing runs through ``sioproxy record`` with the
same result as directly, and the recording holds every packet with ack links right.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sioproxy.recording import CloseEvent, OpenEvent, PacketEntry, read_recording
from tests.interop.conftest import ServerFactory
from tests.interop.peers import PEERS, final_transport, run_client
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.interop.test_direct import CASES, expected_namespaces

pytestmark = pytest.mark.interop


def _sio(packet: dict[str, Any]) -> dict[str, Any] | None:
    return packet.get("sio") if "eio" in packet else None


def _event_name(entry: PacketEntry) -> str | None:
    packet = dict(entry.packet or {})
    if "eio" in packet:
        sio = _sio(packet)
        if sio and sio["type"] in ("event", "binary_event"):
            return str(sio["data"][0])
        return None
    return str(packet["name"]) if packet.get("type") == "event" else None


def _ack_key(entry: PacketEntry) -> tuple[str, int] | None:
    """(namespace, id) of an ack packet."""
    packet = dict(entry.packet or {})
    if "eio" in packet:
        sio = _sio(packet)
        if sio and sio["type"] in ("ack", "binary_ack"):
            return sio["nsp"], sio["id"]
        return None
    if packet.get("type") == "ack":
        return packet["endpoint"], packet["ackId"]
    return None


def _request_key(entry: PacketEntry) -> tuple[str, int] | None:
    packet = dict(entry.packet or {})
    if "eio" in packet:
        sio = _sio(packet)
        if sio and sio["type"] in ("event", "binary_event") and "id" in sio:
            return sio["nsp"], sio["id"]
        return None
    if packet.get("type") in ("message", "json", "event") and "id" in packet:
        return packet["endpoint"], packet["id"]
    return None


def check_recording(path: Path, generation: str) -> None:
    recording = read_recording(path)
    assert recording.torn_tail is None
    entries = recording.entries
    opens = [e for e in entries if isinstance(e, OpenEvent)]
    assert opens, "no connection was recorded"
    assert {o.generation.value for o in opens} == {generation}
    closes = {e.conn for e in entries if isinstance(e, CloseEvent)}
    assert closes == {o.conn for o in opens}
    packets = [e for e in entries if isinstance(e, PacketEntry)]
    assert [p.error for p in packets if p.error] == []
    by_seq = {p.seq: p for p in packets}
    for packet in packets:
        key = _ack_key(packet)
        if key is None:
            continue
        assert packet.ack_of is not None, f"ack without its request: {packet}"
        request = by_seq[packet.ack_of]
        assert request.dir != packet.dir
        assert _request_key(request) == key
    names = Counter((p.dir.value, _event_name(p)) for p in packets if _event_name(p))
    for name in ("echo", "ack_me", "ask_me"):
        assert names[("c2s", name)] >= 1, name
    for name in ("echo", "question", "answer_received"):
        assert names[("s2c", name)] >= 1, name


@pytest.mark.parametrize(
    ("client", "server", "mode"), [c for c in CASES if c.values[0] != "py-jsonp"]
)
def test_scenario_through_record(
    shared_peer_server: ServerFactory, tmp_path: Path, client: str, server: str, mode: str
) -> None:
    upstream = shared_peer_server(server)
    out = tmp_path / "session.jsonl"
    proxy = start_sioproxy(record_args(upstream.url, out))
    try:
        transcript = run_client(client, proxy.url, mode)
    finally:
        status = proxy.stop()
    assert status == 0, proxy.stderr_text()
    assert transcript == {
        "transport": final_transport(mode),
        "namespaces": expected_namespaces(client, server),
    }
    check_recording(out, PEERS[server].generation)


@pytest.mark.parametrize("server", ["node-sio09", "node-sio2"])
def test_jsonp_through_record(
    shared_peer_server: ServerFactory, tmp_path: Path, server: str
) -> None:
    upstream = shared_peer_server(server)
    out = tmp_path / "session.jsonl"
    proxy = start_sioproxy(record_args(upstream.url, out))
    try:
        transcript = run_client("py-jsonp", proxy.url, "jsonp-polling")
    finally:
        proxy.stop()
    assert transcript == {
        "transport": "jsonp-polling",
        "namespaces": expected_namespaces("py-jsonp", server),
    }
    recording = read_recording(out)
    packets = [e for e in recording.entries if isinstance(e, PacketEntry)]
    assert packets
    assert all(p.error is None for p in packets)
    assert any(_event_name(p) == "echo" and p.dir.value == "c2s" for p in packets)
