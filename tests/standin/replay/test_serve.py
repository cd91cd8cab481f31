"""The replay service behind the stand-in server: timers injected, exit when all is played."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sioproxy.recording.model import OpenEvent
from sioproxy.standin.replay import ReplayOptions
from sioproxy.standin.replay.serve import ReplayService
from sioproxy.types import Generation

from .factory import RecordingBuilder, sio


@dataclass
class FakeConnection:
    label: str
    transport: str = "websocket"
    generation: Generation = Generation.EIO4
    sid: str = "live-sid"
    query: tuple[tuple[str, str], ...] = ()
    sent: list[Any] = field(default_factory=list)
    closed: bool = False

    def send(self, packet: Any, text: str | None = None) -> None:
        self.sent.append(packet)

    def close(self) -> None:
        self.closed = True


class Timer:
    def cancel(self) -> None:
        pass


def service_for(builder: RecordingBuilder, done: list[bool]) -> ReplayService:
    def schedule(delay: float, fn: Callable[[], None]) -> Timer:
        fn()  # speed 0: everything is due at once
        return Timer()

    return ReplayService(
        builder.build(),
        ReplayOptions(speed=0),
        clock=lambda: 0.0,
        schedule=schedule,
        log=lambda _line: None,
        on_all_done=lambda: done.append(True),
    )


def test_all_done_fires_when_the_only_other_recorded_connection_is_empty() -> None:
    builder = RecordingBuilder(Generation.EIO4).open("c1").c("40").s('40{"sid":"a"}')
    builder.entries.append(
        OpenEvent(
            seq=len(builder.entries) + 1,
            conn="c2",
            t=1.0,
            generation=Generation.EIO4,
            transport=builder.entries[0].transport,  # type: ignore[attr-defined]
            sid="late",
            request=builder.entries[0].request,  # type: ignore[attr-defined]
        )
    )
    done: list[bool] = []
    service = service_for(builder, done)
    conn = FakeConnection("live1")
    app = service.app_factory(conn)  # type: ignore[arg-type]
    app.on_open(conn)  # type: ignore[arg-type]
    assert done == []
    app.on_packet(conn, sio("40"))  # type: ignore[arg-type]
    assert len(conn.sent) == 1
    assert done == [True], "c2 has nothing to play: the replay is complete"


def test_all_done_waits_for_a_recorded_connection_with_packets() -> None:
    builder = RecordingBuilder(Generation.EIO4).open("c1").c("40").s('40{"sid":"a"}')
    builder.open("c2").c("40").s('40{"sid":"b"}')
    done: list[bool] = []
    service = service_for(builder, done)
    conn = FakeConnection("live1")
    app = service.app_factory(conn)  # type: ignore[arg-type]
    app.on_open(conn)  # type: ignore[arg-type]
    app.on_packet(conn, sio("40"))  # type: ignore[arg-type]
    assert done == []


def test_quiet_service_reports_misses_but_builds_no_packet_lines() -> None:
    builder = RecordingBuilder(Generation.EIO4).open("c1").c("40").s('40{"sid":"a"}')
    lines: list[str] = []
    service = ReplayService(
        builder.build(),
        ReplayOptions(speed=0),
        clock=lambda: 0.0,
        schedule=lambda _delay, fn: (fn(), Timer())[1],
        log=lines.append,
        verbose=False,
    )
    conn = FakeConnection("live1")
    app = service.app_factory(conn)  # type: ignore[arg-type]
    app.on_open(conn)  # type: ignore[arg-type]
    app.on_packet(conn, sio("40"))  # type: ignore[arg-type]
    app.on_packet(conn, sio('42["unrecorded"]'))  # type: ignore[arg-type]
    assert not any(" -> " in line or " <- " in line for line in lines), lines
    assert any("replay miss on connection" in line for line in lines)
