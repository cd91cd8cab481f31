"""python-socketio 5 (EIO4, SIO v5) clients against the stand-in with an echo app.

Real client, real sockets on 127.0.0.1: the blocking client runs in a thread
(``deferToThread``) while the reactor serves. Waits are bounded by the
client's own timeouts; nothing asserts on timing.
"""

from __future__ import annotations

import queue
from typing import Any

import pytest
import pytest_twisted
import socketio
from twisted.internet import defer, task, threads

from sioproxy.codec.socketio import SioType
from sioproxy.standin.edge.site import listen_standin
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Generation
from tests.standin.sessions.echo import Recorder, echo_factory

WAIT = 10


def scenario(url: str, transports: list[str]) -> dict[str, Any]:
    """Connect to / and /admin, echo events, acks and binary both ways, then leave."""
    sio = socketio.Client(reconnection=False)
    events: queue.Queue[tuple[str, str, Any]] = queue.Queue()
    for ns in ("/", "/admin"):
        sio.on("echo", lambda *a, ns=ns: events.put((ns, "echo", list(a))), namespace=ns)
    sio.connect(url, transports=transports, namespaces=["/", "/admin"], wait_timeout=WAIT)
    try:
        out: dict[str, Any] = {"transport": sio.transport()}
        sio.emit("echo", ("héllo 😀", 42))
        out["echo"] = events.get(timeout=WAIT)
        out["ack"] = sio.call("echo", "x", timeout=WAIT)
        out["admin_ack"] = sio.call("echo", {"k": [1, None]}, namespace="/admin", timeout=WAIT)
        out["admin_echo"] = [events.get(timeout=WAIT) for _ in range(2)]
        out["bin_ack"] = sio.call("echo", (b"\x01\x02\x03", {"n": b"\xff"}), timeout=WAIT)
        out["bin_echo"] = events.get(timeout=WAIT)
        out["final_transport"] = sio.transport()
    finally:
        sio.disconnect()
    return out


@pytest.mark.parametrize(
    ("transports", "expected"),
    [
        (["websocket"], "websocket"),
        (["polling"], "polling"),
        (["polling", "websocket"], "websocket"),
    ],
    ids=["websocket", "polling", "upgrade"],
)
@pytest_twisted.ensureDeferred
async def test_python_socketio5_client_round_trip(
    reactor: Any, transports: list[str], expected: str
) -> None:
    recorder = Recorder()
    config = StandInConfig(generation=Generation.EIO4)
    port, site = await listen_standin(reactor, "127.0.0.1:0", config, echo_factory(recorder))
    try:
        url = f"http://127.0.0.1:{port.getHost().port}"
        out = await threads.deferToThread(scenario, url, transports)
    finally:
        await port.stopListening()
    assert out["echo"] == ("/", "echo", ["héllo 😀", 42])
    assert out["ack"] == "x"
    assert out["admin_ack"] == {"k": [1, None]}
    assert out["admin_echo"][1] == ("/admin", "echo", [{"k": [1, None]}])
    assert out["bin_ack"] == (b"\x01\x02\x03", {"n": b"\xff"})
    assert out["bin_echo"] == ("/", "echo", [b"\x01\x02\x03", {"n": b"\xff"}])
    assert out["final_transport"] == expected
    # the app saw both CONNECTs and the reassembled binary event
    kinds = [(p.type, p.nsp) for _, p in recorder.packets]
    assert (SioType.CONNECT, "/") in kinds
    assert (SioType.CONNECT, "/admin") in kinds
    binary = [p for _, p in recorder.packets if p.type is SioType.BINARY_EVENT]
    assert binary[0].resolved == ["echo", b"\x01\x02\x03", {"n": b"\xff"}]
    assert len(recorder.opened) == 1
    assert await until(reactor, lambda: not site.server.sessions)
    # python-socketio sends "1" before closing, but over WebSocket the close frame
    # can win the race; either way the session ends exactly once.
    [(_, reason)] = recorder.closed
    assert reason in ("client close", "transport close")


async def until(reactor: Any, condition: Any, tries: int = 500) -> bool:
    """Let the reactor run until ``condition()`` holds, at most ``tries`` turns."""
    for _ in range(tries):
        if condition():
            return True
        await task.deferLater(reactor, 0.01, lambda: None)
    return bool(condition())


@pytest_twisted.ensureDeferred
async def test_concurrent_clients_get_their_own_sessions_and_are_cleaned_up(
    reactor: Any,
) -> None:
    recorder = Recorder()
    config = StandInConfig(generation=Generation.EIO4)
    port, site = await listen_standin(reactor, "127.0.0.1:0", config, echo_factory(recorder))
    modes = [["websocket"], ["polling"], ["polling", "websocket"]] * 2
    try:
        url = f"http://127.0.0.1:{port.getHost().port}"
        runs = [threads.deferToThread(scenario, url, mode) for mode in modes]
        outs = await defer.gatherResults(runs, consumeErrors=True)
    finally:
        await port.stopListening()
    assert [out["ack"] for out in outs] == ["x"] * len(modes)
    sids = {conn.sid for conn in recorder.opened}
    assert len(sids) == len(modes)
    assert all(len(sid) == 20 for sid in sids)
    assert await until(reactor, lambda: not site.server.sessions)
    assert len(recorder.closed) == len(modes)
