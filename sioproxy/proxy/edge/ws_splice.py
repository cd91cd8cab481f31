"""An open relayed WebSocket: frames spliced from one TCP connection to the other.

Layer: transport (Twisted). autobahn does both opening handshakes
(``ws_relay``); once both legs are open their transports are re-pointed at the
two ``SpliceLeg`` objects of a ``WsSplice`` and autobahn is out of the path.
Each read is parsed with ``sioproxy.codec.wsframe``; every message goes past
the observer, and what it leaves unchanged is written on as the very bytes
that arrived (client frames keep their mask: a masked frame is as valid
towards the server), all the frames of one read in one write. A message the
observer replaces is re-framed (masked towards the server). Pings and pongs
travel end to end, like the close handshake: each close frame is passed on as
it came, and the proxy ends the client's TCP connection once the client's leg
has seen a close both ways (it is the server there) and waits for the server
to end the upstream one.

The proxy itself closes (``FrameError``: 1002/1007/1009, an observer failure:
1011, a rule: its code) by sending its own close frame to both peers. A TCP
drop without a close frame drops the other leg too (1006 for the observer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twisted.internet.error import ConnectionLost
from twisted.internet.protocol import ClientFactory, connectionDone
from twisted.python.failure import Failure

from sioproxy.codec import wsframe
from sioproxy.codec.wsframe import BINARY, CLOSE, TEXT, FrameError, FrameReader, encode_frame
from sioproxy.failures import FailureLog
from sioproxy.net.takeover import no_delay, pending_write_bytes, rebind, write_now
from sioproxy.proxy.observer import RelayObserver
from sioproxy.types import Direction

if TYPE_CHECKING:
    from collections.abc import Callable

# Rate-limited: a failing observer fails again on every message (sioproxy.failures).
_failures = FailureLog()
_OBSERVER_FAILED = "sioproxy: the observer failed on a WebSocket message (1011 to both legs)"

C2S = Direction.C2S
S2C = Direction.S2C
ABNORMAL = 1006
INTERNAL_ERROR = 1011
# How long a leg may take to answer our close frame, or the server to end
# TCP after the close handshake, before the connection is aborted.
CLOSE_WAIT = 5.0


class SpliceLeg:
    """One peer's TCP connection: Twisted calls it, it hands everything to the splice."""

    # Thousands of these live at once: no per-instance dict.
    __slots__ = (
        "close_received",
        "close_sent",
        "direction",
        "lost",
        "reader",
        "splice",
        "timer",
        "transport",
    )

    def __init__(self, splice: WsSplice, direction: Direction, transport: Any, limit: int) -> None:
        self.splice = splice
        self.direction = direction  # the way bytes read here travel
        self.transport = transport
        self.reader = FrameReader(from_client=direction is C2S, max_message=limit)
        self.close_received = False
        self.close_sent = False
        self.lost = False
        self.timer: Any = None

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        self.splice.received(self, data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self.splice.leg_lost(self, reason)

    def makeConnection(self, transport: Any) -> None:  # noqa: N802 - never called: rebound
        self.transport = transport

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """A frame made by the proxy: masked towards the server (we are its client)."""
        write_now(self.transport, encode_frame(opcode, payload, masked=self.direction is S2C))

    def reframe(self, payload: bytes, binary: bool) -> bytes:
        """A message the observer made, framed for this leg's peer."""
        return encode_frame(BINARY if binary else TEXT, payload, masked=self.direction is S2C)

    def send_close(self, code: int | None, reason: str) -> None:
        if not self.close_sent and not self.lost:
            self.close_sent = True
            self.send_frame(CLOSE, wsframe.close_payload(code, reason))


class WsSplice:
    """Both legs of one relayed WebSocket after the opening handshakes."""

    __slots__ = (
        "_limit",
        "_observer",
        "_on_done",
        "_passive",
        "_reactor",
        "down",
        "first_close",
        "quiet",
        "up",
        "ws_id",
    )

    def __init__(
        self,
        ws_id: int,
        observer: RelayObserver,
        reactor: Any,
        *,
        limit: int,
        on_done: Callable[[Direction | None, int | None, str | None], None],
    ) -> None:
        self.ws_id = ws_id
        self._observer = observer
        self._reactor = reactor
        self._limit = limit
        self._on_done = on_done
        self._passive = bool(getattr(observer, "passive", False))
        self.down: SpliceLeg
        self.up: SpliceLeg
        self.first_close: tuple[Direction | None, int | None, str | None] | None = None
        self.quiet = 0  # idle checks since the last read (transport/guard.py IdleSweep)

    def start(
        self, down: Any, down_rest: bytes, up: Any, up_rest: bytes, *, up_gone: str | None = None
    ) -> None:
        """Take over the two open connections (``*_rest``: bytes read past the handshake).

        ``up_gone``: the server already ended TCP; what it sent is passed on,
        then the client's leg ends too.
        """
        self.down = self._adopt(C2S, down)
        self.up = self._adopt(S2C, up)
        no_delay(self.down.transport)
        no_delay(self.up.transport)
        if up_gone is None:
            down_transport, up_transport = self.down.transport, self.up.transport
            # Each leg's transport produces for the other's: a peer that reads
            # slowly stops the proxy reading from the other peer.
            down_transport.registerProducer(up_transport, True)
            up_transport.registerProducer(down_transport, True)
            up_transport.resumeProducing()
        if up_rest:
            self.received(self.up, up_rest)
        if up_gone is not None:
            self.leg_lost(self.up, Failure(ConnectionLost(up_gone)))  # type: ignore[no-untyped-call]
        elif down_rest and not self.down.lost:
            self.received(self.down, down_rest)

    def _adopt(self, direction: Direction, proto: Any) -> SpliceLeg:
        transport = proto.transport
        leg = SpliceLeg(self, direction, transport, self._limit)
        rebind(transport, leg)
        _release_client_factory(transport)
        return leg

    # -- the hot path --------------------------------------------------------

    def received(self, leg: SpliceLeg, data: bytes) -> None:
        """Parse a read, let the observer see each message, write on what it passed."""
        self.quiet = 0
        if leg.close_received:
            return  # nothing may follow a close frame
        try:
            buf, events = leg.reader.feed(data)
        except FrameError as err:
            # The whole messages before the bad frame still go through.
            self._relay(leg, err.buffer, err.events)
            if not leg.close_received:
                self._fail(err.close_code, err.reason, culprit=leg)
            return
        self._relay(leg, buf, events)

    def _relay(self, leg: SpliceLeg, buf: bytes, events: list[wsframe.Event]) -> None:
        other = self.up if leg is self.down else self.down
        if self._passive and len(events) == 1:
            # A lone message is someone waiting for an answer: send it first.
            # A read of many (a burst) is observed first and sent in one write:
            # sending first there wakes the receiver while the proxy is still
            # busy, and on a loaded machine the burst as a whole comes slower.
            opcode, payload, start, end, held = events[0]
            if opcode > BINARY or held or start or end != len(buf):
                self._relay_then_observe(leg, other, buf, events)
                return
            # The common read: one whole message and nothing else (no lists).
            if not other.close_sent and not other.lost:
                write_now(other.transport, buf)
            try:
                self._observer.on_ws_message(self.ws_id, leg.direction, payload, opcode == BINARY)
            except Exception as exc:
                _failures.report(_OBSERVER_FAILED, exc)
                self._fail(INTERNAL_ERROR, "proxy error")
            return
        direction, pieces = leg.direction, []
        run_start = run_end = 0
        for opcode, payload, start, end, held in events:
            if opcode <= BINARY:
                try:
                    out = self._observer.on_ws_message(
                        self.ws_id, direction, payload, opcode == BINARY
                    )
                except Exception as exc:
                    _failures.report(_OBSERVER_FAILED, exc)
                    if run_end > run_start:  # what it already passed still goes through
                        pieces.append(buf[run_start:run_end])
                    self._flush(other, pieces)
                    self._fail(INTERNAL_ERROR, "proxy error")
                    return
                if out is not None or held:
                    if run_end > run_start:
                        pieces.append(buf[run_start:run_end])
                    run_start = run_end = end
                    if out is None:
                        pieces.append(held + buf[start:end])
                    else:
                        pieces.extend(other.reframe(made, binary) for made, binary in out)
                    continue
            elif opcode == CLOSE:
                if run_end > run_start:
                    pieces.append(buf[run_start:run_end])
                self._close_frame(leg, other, payload, pieces, buf[start:end])
                return
            if start != run_end:  # a fragment was held in between: start a new run
                if run_end > run_start:
                    pieces.append(buf[run_start:run_end])
                run_start = start
            run_end = end
        if run_end > run_start:
            pieces.append(buf[run_start:run_end])
        self._flush(other, pieces)

    def _relay_then_observe(
        self, leg: SpliceLeg, other: SpliceLeg, buf: bytes, events: list[wsframe.Event]
    ) -> None:
        """For an observer that never rewrites: send the read's frames, then show it them."""
        pieces: list[bytes] = []
        messages: list[tuple[bytes, bool]] = []
        close: wsframe.Event | None = None
        run_start = run_end = 0
        for event in events:
            opcode, payload, start, end, held = event
            if opcode == CLOSE:
                close = event
                break
            if held or start != run_end:
                if run_end > run_start:
                    pieces.append(buf[run_start:run_end])
                if held:
                    pieces.append(held)
                run_start = start
            run_end = end
            if opcode <= BINARY:
                messages.append((payload, opcode == BINARY))
        if run_end > run_start:
            pieces.append(buf[run_start:run_end])
        if close is None:
            self._flush(other, pieces)
        observe, direction, ws_id = self._observer.on_ws_message, leg.direction, self.ws_id
        try:
            for payload, binary in messages:
                observe(ws_id, direction, payload, binary)
        except Exception as exc:
            _failures.report(_OBSERVER_FAILED, exc)
            self._fail(INTERNAL_ERROR, "proxy error")
            return
        if close is not None:
            _, payload, start, end, _ = close
            self._close_frame(leg, other, payload, pieces, buf[start:end])

    def _flush(self, other: SpliceLeg, pieces: list[bytes]) -> None:
        if not pieces or other.close_sent or other.lost:
            return
        write_now(other.transport, pieces[0] if len(pieces) == 1 else b"".join(pieces))

    # -- sending what the observer made up -----------------------------------

    def inject(self, direction: Direction, messages: Sequence[tuple[bytes, bool]]) -> bool:
        target = self.up if direction is C2S else self.down
        if self.first_close is not None or target.close_sent or target.lost:
            return False
        write_now(target.transport, b"".join(target.reframe(data, bin_) for data, bin_ in messages))
        return True

    def close_both(self, code: int, reason: str) -> None:
        if self.first_close is None:
            self._fail(code, reason)

    # -- closing -------------------------------------------------------------

    def _close_frame(
        self, leg: SpliceLeg, other: SpliceLeg, payload: bytes, before: list[bytes], frame: bytes
    ) -> None:
        """``leg``'s peer sent a close frame: pass it on after the frames ``before`` it."""
        try:
            code, reason = wsframe.parse_close(payload)
        except FrameError as err:
            self._flush(other, before)
            self._fail(err.close_code, err.reason, culprit=leg)
            return
        before.append(frame)
        self._flush(other, before)
        leg.close_received = True
        if not other.lost:
            other.close_sent = True
        if self.first_close is None:
            self.first_close = (leg.direction, code, reason)
            self._unwire()
        self._settle(leg)
        self._settle(other)

    def _fail(self, code: int, reason: str, culprit: SpliceLeg | None = None) -> None:
        """The proxy closes: its own close frame to both peers.

        A ``culprit`` broke the framing, so nothing more it sends can be read:
        the rest of its bytes are dropped and its connection is half-closed
        after the close frame (RFC 6455 7.1.7). Closing outright with its
        unread bytes pending would reset the connection, and the peer would
        lose the close frame.
        """
        if self.first_close is None:
            self.first_close = (None, code, reason)
            self._unwire()
        for leg in (self.down, self.up):
            leg.send_close(code, reason)
            if leg is not culprit:
                self._settle(leg)
            elif not leg.lost:
                leg.close_received = True
                half_close = getattr(leg.transport, "loseWriteConnection", None)
                if half_close is not None:
                    half_close()
                leg.timer = self._reactor.callLater(CLOSE_WAIT, leg.transport.abortConnection)

    def _settle(self, leg: SpliceLeg) -> None:
        """End a leg whose close handshake is complete, or give its peer CLOSE_WAIT."""
        if leg.lost:
            return
        if leg.close_sent and leg.close_received and leg.direction is C2S:
            leg.transport.loseConnection()  # we are the client's server: we end TCP
        elif leg.close_sent and leg.timer is None:
            leg.timer = self._reactor.callLater(CLOSE_WAIT, leg.transport.abortConnection)

    def leg_lost(self, leg: SpliceLeg, reason: Failure) -> None:
        leg.lost = True
        if leg.timer is not None and leg.timer.active():
            leg.timer.cancel()
        other = self.down if leg is self.up else self.up
        if self.first_close is None:
            text = f"connection was closed uncleanly ({reason.getErrorMessage()})"
            self.first_close = (leg.direction, ABNORMAL, text)
            self._unwire()
        if not other.lost:
            other.transport.loseConnection()
            return
        initiator, code, why = self.first_close
        self._on_done(initiator, code, why)

    def _unwire(self) -> None:
        """Stop the producer links so a closing leg neither stalls nor keeps the other."""
        for leg in (self.down, self.up):
            transport = leg.transport
            if getattr(transport, "producer", None) is not None:
                transport.unregisterProducer()
            transport.resumeProducing()

    def buffered_bytes(self) -> int:
        """Bytes this connection holds: partial frames plus both write buffers."""
        down, up = self.down, self.up
        held = down.reader.pending + up.reader.pending
        return held + pending_write_bytes(down.transport) + pending_write_bytes(up.transport)


class _SpentFactory(ClientFactory):
    noisy = False


_SPENT_FACTORY = _SpentFactory()


def _release_client_factory(transport: Any) -> None:
    """Let the handshake's client factory go (an autobahn factory holds ~50 options).

    A TCP client connection keeps its connector, and the connector the factory,
    for the connection's whole life; after the handshake nothing needs it, and
    with thousands of connections it is a large share of the proxy's memory.
    """
    connector = getattr(transport, "connector", None)
    if connector is not None:
        connector.factory = _SPENT_FACTORY
