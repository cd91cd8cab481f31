"""gevent-socketio 0.3.6, the original Socket.IO 0.9 server, as a real interop peer.

Both 0.9 clients (node socket.io-client 0.9.16 and socketIO-client 0.5.7.4), over
websocket and xhr-polling, run the scenario against the gevent server directly,
through ``sioproxy record`` and against ``sioproxy replay`` of that recording with the
gevent server stopped; the transcript must be the same each time. The server runs on
CPython 2.7 (``tests/peers/install_gevent09.sh``, script ``peers/legacy/gevent09_server.py``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from sioproxy.recording import PacketEntry, read_recording
from tests.interop.conftest import ServerFactory
from tests.interop.peers import PEERS, run_client
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.interop.test_direct import LEGACY
from tests.interop.test_proxy import check_recording
from tests.interop.test_replay import record_session, start_replay

pytestmark = pytest.mark.interop

SERVER = "gevent09"

# What the 0.9 clients observe against gevent. It equals node 0.9's transcript: each
# gevent quirk that could show is met by the server script in gevent's own idiom, and
# the test below on the recorded bytes checks that the quirk is really on the wire.
# * Acks (docs/protocol.md#a10): gevent acks a `5:<id>+` event itself AFTER the handler
#   returns, with `list(retval)` for a tuple and `[retval]` otherwise, so `ack_me`
#   returns `(arg, "ack")` and `bye` returns `()`: gevent then writes `6::/chat:<id>`
#   with no `+[...]` (A.6 ack encoding), which the clients show as `[]`. A handler that
#   returned None would make it `+[null]`, shown as `[None]`.
# * Bare-id auto-acks (A.10): gevent sends none, but no scenario client sends a bare id
#   (`send()` / `message()` go out as `3:::` / `4:::`), so nothing waits for one.
# * JSON (A.4.5): gevent writes sorted keys and `\\uXXXX` escapes; the decoded values are
#   the same, so only the wire differs (asserted on the recording below).
# * Payload framing (A.5): this CPython 2.7 is a wide build, so gevent would frame a
#   multi-packet xhr-polling payload holding an emoji in code points, not the UTF-16
#   units the node client counts. The scenario never has two packets queued at once,
#   so gevent always sends bare packets and the bug cannot show here.
# * Namespace leave (A.9): `0::/chat` drops gevent's namespace object without an answer;
#   the re-join `1::/chat` builds a new one and gevent echoes the connect packet.
GEVENT: dict[str, Any] = copy.deepcopy(LEGACY)

CLIENTS = ("node-sio09", "py-legacy09")
CASES = [
    pytest.param(client, mode, id=f"{client}-x-{SERVER}-{mode}")
    for client in CLIENTS
    for mode in PEERS[client].transports
]


def expected(mode: str) -> dict[str, Any]:
    return {"transport": mode, "namespaces": GEVENT}


def test_gevent_peer_is_a_09_server() -> None:
    spec = PEERS[SERVER]
    assert spec.generation == "0.9"
    assert spec.client is None
    assert spec.server is not None
    for client in CLIENTS:
        assert spec.generation in PEERS[client].generations


@pytest.mark.parametrize(("client", "mode"), CASES)
def test_scenario_direct(shared_peer_server: ServerFactory, client: str, mode: str) -> None:
    server = shared_peer_server(SERVER)
    assert run_client(client, server.url, mode) == expected(mode), server.stderr_text()


def test_variant_flags_direct(shared_peer_server: ServerFactory) -> None:
    """--extra-ack-first adds only the warmup ack; --echo-text changes only the first echo."""
    url = shared_peer_server(SERVER).url
    got = run_client("node-sio09", url, "xhr-polling", extra_ack_first=True, echo_text="ça ✓")
    want = copy.deepcopy(GEVENT)
    want["/"][1] = ["event", "echo", ["ça ✓", *want["/"][1][2][1:]]]
    assert got == {"transport": "xhr-polling", "namespaces": want, "warmup": ["warmup", "ack"]}


def _raws(path: Path, direction: str) -> list[str]:
    entries = read_recording(path).entries
    return [str(e.raw) for e in entries if isinstance(e, PacketEntry) and e.dir.value == direction]


# gevent's own bytes (docs/protocol.md#a4-5, A.6, A.10), relayed unchanged by the proxy.
GEVENT_WIRE = [
    # sorted keys, no spaces, ensure_ascii escapes (an emoji as a surrogate pair)
    re.escape(r'5:::{"args":["h\u00e9llo w\u00f6rld \ud83d\ude00",42,{"k":[true,null]}],')
    + re.escape('"name":"echo"}'),
    # the handler's tuple return value as the ack
    r'6:::\d+\+\["x","ack"\]',
    # an empty tuple: no "+" at all
    r"6::/chat:\d+",
    # the server's own request for a data ack: "<id>+"
    r'5:\d+\+::\{"args":\["what\?"\],"name":"question"\}',
    # a message and a json message echoed (json re-serialized without spaces)
    re.escape("3:::plain ünïcode 😀"),  # a message is not JSON: sent as is (UTF-8)
    re.escape('4:::{"a":[1,2]}'),
]


@pytest.mark.parametrize(("client", "mode"), CASES)
def test_scenario_through_record(
    shared_peer_server: ServerFactory, tmp_path: Path, client: str, mode: str
) -> None:
    upstream = shared_peer_server(SERVER)
    out = tmp_path / "session.jsonl"
    proxy = start_sioproxy(record_args(upstream.url, out))
    try:
        transcript = run_client(client, proxy.url, mode)
    finally:
        status = proxy.stop()
    assert status == 0, proxy.stderr_text()
    assert transcript == expected(mode)
    check_recording(out, "0.9")
    s2c = _raws(out, "s2c")
    for pattern in GEVENT_WIRE:
        assert any(re.fullmatch(pattern, raw) for raw in s2c), (pattern, s2c)


@pytest.mark.parametrize(("client", "mode"), CASES)
def test_client_sees_the_same_against_the_replay(tmp_path: Path, client: str, mode: str) -> None:
    recording = record_session(tmp_path, client, SERVER, mode)  # stops the gevent server
    check_recording(recording, "0.9")
    replay = start_replay(recording)
    try:
        transcript = run_client(client, replay.url, mode)
        status = replay.wait()  # --exit-when-done: it ends by itself
    finally:
        replay.stop()
    assert transcript == expected(mode)
    summary = "\n".join(replay.lines)
    assert "0 misses" in summary, summary
    assert status == 0, summary


@pytest.mark.parametrize(("client", "mode"), [CASES[1], CASES[2]])
def test_shifted_client_ack_ids_are_remapped(tmp_path: Path, client: str, mode: str) -> None:
    """One unrecorded acked emit first shifts every later client ack id by one; the
    replay still answers each under the live id (gevent's socket-wide server ids stay)."""
    recording = record_session(tmp_path, client, SERVER, mode)
    replay = start_replay(recording, "--on-miss", "ack-empty")
    try:
        transcript = run_client(client, replay.url, mode, extra_ack_first=True)
    finally:
        replay.stop()
    log = "\n".join(replay.lines)
    assert transcript["namespaces"] == GEVENT, log
    assert transcript["warmup"] == [], "the unrecorded emit got the empty ack"
    assert log.count("replay miss") == 1, log
