"""``replay --verbose``: the pings, pongs and noops the stand-in handles itself are
logged like the proxy logs them; without ``--verbose`` they are not.

The replay service is the app of real (pure) server sessions driven with a fake
clock: an Engine.IO 4 session pinging its client, an Engine.IO 3 session answering
its client's ping, and a 0.9 WebSocket session exchanging heartbeats.
"""

from __future__ import annotations

import re

import pytest

from sioproxy.ops.logfmt import PacketLog
from sioproxy.standin.replay import ReplayOptions
from sioproxy.standin.replay.serve import ReplayService
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.standin.sessions.eio_session import EioSession, PollMode
from sioproxy.standin.sessions.legacy_session import LegacySession
from sioproxy.types import Generation
from tests.standin.replay.factory import RecordingBuilder
from tests.standin.sessions.helpers import FakeClock, advance_to_deadline

STAMP = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} ")


def service(generation: Generation, verbose: bool, lines: list[str]) -> ReplayService:
    builder = RecordingBuilder(generation).open("c1")
    builder = builder.c("1::/chat") if generation is Generation.LEGACY else builder.c("40")
    return ReplayService(
        builder.build(),
        ReplayOptions(speed=0),
        clock=lambda: 0.0,
        schedule=lambda _delay, _fn: None,  # type: ignore[arg-type,return-value]
        log=None,
        packet_log=PacketLog(lines.append, verbose=verbose),
    )


def heartbeat_lines(lines: list[str]) -> list[str]:
    return [STAMP.sub("", line) for line in lines if " open " not in line]


@pytest.mark.parametrize("verbose", [True, False])
def test_eio4_server_ping_and_client_pong(verbose: bool) -> None:
    lines: list[str] = []
    clock = FakeClock()
    config = StandInConfig(generation=Generation.EIO4, ping_interval=25, ping_timeout=5)
    app = service(Generation.EIO4, verbose, lines).app_factory
    session = EioSession(
        sid="s", label="c1", config=config, app_factory=app, clock=clock, transport="polling"
    )
    session.start()
    assert session.poll(1, PollMode()) is not None  # the handshake
    advance_to_deadline(session, clock)  # the server's ping
    session.post(b"3", "text/plain")  # the client's pong
    expected = ["c1 <- polling ping", "c1 -> polling pong"] if verbose else []
    assert heartbeat_lines(lines) == expected


def test_eio3_client_ping_and_server_pong() -> None:
    lines: list[str] = []
    config = StandInConfig(generation=Generation.EIO3, ping_interval=25, ping_timeout=5)
    app = service(Generation.EIO3, True, lines).app_factory
    session = EioSession(
        sid="s", label="c1", config=config, app_factory=app, clock=FakeClock(), transport="polling"
    )
    session.start()
    assert session.poll(1, PollMode()) is not None
    session.post(b"6:2probe", "text/plain")
    assert heartbeat_lines(lines) == ['c1 -> polling ping "probe"', 'c1 <- polling pong "probe"']


def test_legacy_websocket_heartbeats() -> None:
    lines: list[str] = []
    clock = FakeClock()
    config = StandInConfig(generation=Generation.LEGACY, ping_interval=25, heartbeat_timeout=60)
    app = service(Generation.LEGACY, True, lines).app_factory
    session = LegacySession(sid="s", label="c1", config=config, app_factory=app, clock=clock)
    session.start()
    assert session.ws_attach("websocket")
    advance_to_deadline(session, clock)
    session.ws_message("2::")
    assert heartbeat_lines(lines) == [
        "c1 <- websocket '' heartbeat",
        "c1 -> websocket '' heartbeat",
    ]
