"""The ack table of one replayed connection: ack-id correlation in both directions.

Layer: pure (replay). Imports the codec and ``script``; never twisted.

docs/protocol.md#d3: the sender of a request allocates its id, the receiver echoes
it, and ids are scoped to (connection, namespace, direction).

* The live client asks (its emit carries id *x* where the recording had *y*):
  ``bind_client`` remembers x for the recorded request, and the recorded
  server ack is sent with x (``client_id``).
* The replayed server asks (a recorded server event with id *y*): the replay
  plays the id allocator, so it keeps *y* unless that id is still waiting for
  an answer in the same namespace (then it takes the next free one);
  ``send_server`` returns the id to send and ``answer_server`` finds the
  recorded request again when the client's ack comes back with that id.

``outgoing`` applies all of it to a recorded server packet about to be sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from sioproxy.codec.legacy import ID_LIMIT, LegacyPacket, LegacyType, head_text, with_ack_id
from sioproxy.codec.packets import Packet, answer_id
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.recording.script import Script, asks_ack, namespace


@dataclass(slots=True)
class AckTable:
    """Ids of one connection. Requests are named by their script step index."""

    _client_ids: dict[int, int] = field(default_factory=dict)
    _outstanding: dict[tuple[str, int], int] = field(default_factory=dict)
    _sent_ids: dict[int, int] = field(default_factory=dict)
    _highest: dict[str, int] = field(default_factory=dict)

    # -- requests of the live client ------------------------------------------

    def bind_client(self, request: int, live_id: int) -> None:
        """The live client's request matched recorded step ``request`` and carries ``live_id``."""
        self._client_ids[request] = live_id

    def client_id(self, request: int) -> int | None:
        """The live id to answer recorded request ``request`` with, if it was matched."""
        return self._client_ids.get(request)

    # -- requests of the replayed server --------------------------------------

    def send_server(self, namespace: str, recorded_id: int, request: int) -> int:
        """The id to send recorded server request ``request`` with; remembers it."""
        sent = recorded_id
        if (namespace, sent) in self._outstanding:
            sent = max(self._highest.get(namespace, 0), recorded_id) + 1
            while (namespace, sent) in self._outstanding:
                sent += 1
        self._outstanding[(namespace, sent)] = request
        self._sent_ids[request] = sent
        self._highest[namespace] = max(self._highest.get(namespace, 0), sent)
        return sent

    def answer_server(self, namespace: str, live_id: int) -> int | None:
        """The recorded request a client ack with ``live_id`` answers (once), or None."""
        return self._outstanding.pop((namespace, live_id), None)

    def sent_id(self, request: int) -> int | None:
        return self._sent_ids.get(request)

    @property
    def pending(self) -> int:
        """Server requests sent and not answered yet (for metrics)."""
        return len(self._outstanding)

    def waiting_ids(self, namespace: str) -> list[int]:
        return sorted(i for ns, i in self._outstanding if ns == namespace)


# -- rewriting recorded packets (docs/protocol.md#d3) ----------------------------


def with_answer_id(packet: Packet, live_id: int) -> Packet:
    if answer_id(packet) == live_id:
        return packet
    if isinstance(packet, LegacyPacket):
        return with_ack_id(packet, live_id)
    return dataclasses.replace(packet, id=live_id, raw=None)


def spliced_id(packet: SioPacket, text: str, live_id: int) -> SioPacket | None:
    """``packet`` with ack id ``live_id``, its text the recorded one with the id digits swapped.

    ``text`` must be exactly ``packet``'s text (``Step.text``). The recorded
    arguments keep their bytes, as an unchanged packet's do, instead of being
    encoded again. None when the id digits cannot be found where C.3 puts
    them (``<type>[<nsp>,]<id><data>``), e.g. a binary header.
    """
    if packet.id is None or packet.attachment_count is not None or live_id < 0:
        return None
    start = 1
    if text.startswith("/", 1):
        comma = text.find(",", 1)
        if comma < 0:
            return None
        start = comma + 1
    digits = str(packet.id)
    end = start + len(digits)
    after = text[end : end + 1]
    if text[start:end] != digits or (after and after in "0123456789"):
        return None  # not the id's digits (or a leading zero: not ours to rewrite)
    raw = text[:start] + str(live_id) + text[end:]
    return dataclasses.replace(packet, id=live_id, raw=raw)


def spliced_legacy_id(packet: LegacyPacket, text: str, live_id: int) -> LegacyPacket | None:
    """``with_ack_id(packet, live_id)``, its text the recorded one with the ack id swapped.

    ``text`` must be exactly ``packet``'s text (``Step.text``). Only when the
    text before the data is node's own encoding of it, since the rewritten
    packet is re-encoded in node's form (``encode_packet``); None otherwise,
    or when ``packet`` is no ack with an ack id.
    """
    data = packet.data
    if data is None or packet.ack_id is None or live_id < 0 or live_id >= ID_LIMIT:
        return None
    head = len(text) - len(data)
    if text[:head] != head_text(packet) + packet.endpoint + ":":
        return None
    fresh = with_ack_id(packet, live_id)
    return dataclasses.replace(fresh, raw=text[:head] + (fresh.data or ""))


def empty_ack(packet: Packet) -> Packet:
    """An ack without data for ``packet``'s id: ``6::<ep>:<id>`` or ACK ``[]`` (A.10, C.5)."""
    assert packet.id is not None
    if isinstance(packet, LegacyPacket):
        return LegacyPacket(type=LegacyType.ACK, endpoint=packet.endpoint, data=str(packet.id))
    return SioPacket(type=SioType.ACK, nsp=packet.nsp, id=packet.id, data=[])


def outgoing(
    script: Script,
    index: int,
    acks: AckTable,
    notes: list[str],
    fresh_ids: Callable[[Packet], Packet],
) -> tuple[Packet, str | None] | None:
    """Recorded server step ``index`` as it must go out now, and its exact text if unchanged.

    An ack takes the id the live client asked with (None, with a note, when
    the client did not ask); a request takes the id ``send_server`` gives; a
    CONNECT reply the fresh sid (and pid) ``fresh_ids`` gives (session_ids.py).
    """
    step = script.steps[index]
    packet, text = step.packet, step.text
    request = script.answers.get(index)
    if request is not None:
        live_id = acks.client_id(request)
        if live_id is None:
            notes.append(
                f"seq {step.seq}: not sent, the live client did not ask for an ack"
                f" where the recording did (seq {script.steps[request].seq})"
            )
            return None
        if answer_id(packet) == live_id:
            return packet, text
        if text is not None:
            spliced = (
                spliced_id(packet, text, live_id)
                if isinstance(packet, SioPacket)
                else spliced_legacy_id(packet, text, live_id)
            )
            if spliced is not None:
                return spliced, spliced.raw
        return with_answer_id(packet, live_id), None
    if asks_ack(packet) and packet.id is not None:
        sent = acks.send_server(namespace(packet), packet.id, index)
        if sent != packet.id:
            packet, text = dataclasses.replace(packet, id=sent, raw=None), None
    fresh = fresh_ids(packet)
    return fresh, text if fresh is packet else None
