"""Speaking a recording's Socket.IO parser (docs/protocol.md#c9).

Layer: pure codec; never twisted. The replay tools speak the parser the
recording was made with: socket.io-msgpack-parser (``"msgpack"``, one
binary message per packet) or the default one (``None``: text headers and
binary attachments). A peer speaking the other parser cannot be understood:
its first packet raises ``ParserMismatchError`` with one line saying so (the
stand-in's close reason, the replay client's abort reason).
"""

from __future__ import annotations

from sioproxy.codec.binary import SioDecoder, to_binary_packet
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from sioproxy.codec.socketio import SioPacket, encode_sio
from sioproxy.errors import DecodeError

MSGPACK = "msgpack"


class ParserMismatchError(DecodeError):
    """The live peer speaks another parser than the recording."""


def mismatch_reason(recorded: str | None, live: str | None, peer: str) -> str:
    return (
        f"parser mismatch: the recording speaks {recorded or 'json'}, the {peer} {live or 'json'}"
    )


def read_message(
    decoder: SioDecoder, parser: str | None, data: str | bytes, peer: str = "client"
) -> SioPacket | None:
    """The packet a peer's message completes (None while attachments are due)."""
    if parser == MSGPACK:
        if isinstance(data, str):
            raise ParserMismatchError("sio", mismatch_reason(MSGPACK, None, peer), data[:200])
        return decode_sio_msgpack(data)
    if isinstance(data, bytes) and decoder.header is None:
        try:
            decode_sio_msgpack(data)
        except DecodeError:
            pass  # not msgpack either: the default decoder says what is wrong
        else:
            raise ParserMismatchError("sio", mismatch_reason(None, MSGPACK, peer), data[:200])
    return decoder.feed(data)


def packet_messages(packet: SioPacket, parser: str | None) -> list[str | bytes]:
    """The Engine.IO message data that carry ``packet`` in the recording's parser."""
    if parser == MSGPACK:
        return [encode_sio_msgpack(packet)]
    return encode_sio(to_binary_packet(packet))
