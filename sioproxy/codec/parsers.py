"""Socket.IO parsers other than the default one (docs/protocol.md#c9, docs/packets.md).

Layer: pure codec; never twisted. A ``WireParser`` turns the data of one
Engine.IO message into one ``SioPacket`` and back. The default parser
(text headers plus binary attachments, ``SioDecoder``) is ``None`` here;
``MSGPACK`` is socket.io-msgpack-parser; ``--parser module:Class`` wraps an
application's own parser in ``DictParser`` (``sioproxy.cli.parser_opt``).

The replay tools speak the parser a recording was made with. A peer
speaking another cannot be understood: its first packet raises
``ParserMismatchError`` with one line saying so (the stand-in's close
reason, the replay client's abort reason).
"""

from __future__ import annotations

from typing import Protocol

from sioproxy.codec.binary import SioDecoder, to_binary_packet
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from sioproxy.codec.socketio import SioPacket, encode_sio
from sioproxy.errors import DecodeError

__all__ = [
    "MSGPACK",
    "MsgpackParser",
    "ParserMismatchError",
    "WireParser",
    "packet_messages",
    "read_message",
    "recorded_parser",
]


class WireParser(Protocol):
    """One Socket.IO packet per Engine.IO message, both ways."""

    #: Recorded as the packet's ``"parser"`` (docs/recording-format.md).
    name: str

    def decode(self, data: str | bytes) -> SioPacket:
        """The packet of one message; ``DecodeError`` when it is not one."""
        ...

    def encode(self, packet: SioPacket) -> list[str | bytes]:
        """The message(s) carrying ``packet``; ``EncodeError`` when it cannot be sent."""
        ...


class MsgpackParser:
    """socket.io-msgpack-parser: one MessagePack map per binary message (C.9)."""

    name = "msgpack"

    def decode(self, data: str | bytes) -> SioPacket:
        if isinstance(data, str):
            raise DecodeError("sio msgpack", "a text message is not a msgpack packet", data[:200])
        return decode_sio_msgpack(data)

    def encode(self, packet: SioPacket) -> list[str | bytes]:
        return [encode_sio_msgpack(packet)]


MSGPACK = MsgpackParser()


def recorded_parser(name: str | None, given: WireParser | None = None) -> WireParser | None:
    """The parser to replay a recording made with parser ``name`` (None: the default).

    ``given`` (``--parser``) wins; a custom parser's name needs it. Raises
    ``ValueError`` with the one line to show when it is missing.
    """
    if given is not None:
        return given
    if name is None or name == MSGPACK.name:
        return None if name is None else MSGPACK
    raise ValueError(f"recorded with the custom parser {name!r}: pass --parser module:Class")


class ParserMismatchError(DecodeError):
    """The live peer speaks another parser than the recording."""


def mismatch_reason(recorded: str | None, live: str | None, peer: str) -> str:
    return (
        f"parser mismatch: the recording speaks {recorded or 'json'}, the {peer} {live or 'json'}"
    )


def read_message(
    decoder: SioDecoder, parser: WireParser | None, data: str | bytes, peer: str = "client"
) -> SioPacket | None:
    """The packet a peer's message completes (None while attachments are due)."""
    if parser is not None:
        try:
            return parser.decode(data)
        except DecodeError as exc:
            if isinstance(data, str) and parser is MSGPACK and _is_default(data):
                raise ParserMismatchError(
                    "sio", mismatch_reason("msgpack", None, peer), data
                ) from exc
            raise
    if isinstance(data, bytes) and decoder.header is None:
        try:
            decode_sio_msgpack(data)
        except DecodeError:
            pass  # not msgpack either: the default decoder says what is wrong
        else:
            raise ParserMismatchError("sio", mismatch_reason(None, "msgpack", peer), data[:200])
    return decoder.feed(data)


def _is_default(text: str) -> bool:
    try:
        SioDecoder(5).feed(text)
    except DecodeError:
        return False
    return True


def packet_messages(packet: SioPacket, parser: WireParser | None) -> list[str | bytes]:
    """The Engine.IO message data that carry ``packet`` in ``parser``'s form."""
    if parser is not None:
        return parser.encode(packet)
    return encode_sio(to_binary_packet(packet))
