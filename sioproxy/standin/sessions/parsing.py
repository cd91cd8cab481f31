"""Which Socket.IO parser the stand-in speaks: the recording's (docs/protocol.md#c9).

Layer: pure (stand-in sessions); never twisted. A recording made with
socket.io-msgpack-parser is replayed in MessagePack, one binary message per
packet; any other in the default parser's text (with binary attachments). A
live client speaking the other parser cannot be served: its first packet
ends the session with one line saying so (the replay log's close reason).
"""

from __future__ import annotations

from sioproxy.codec.binary import SioDecoder, to_binary_packet
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from sioproxy.codec.socketio import SioPacket, encode_sio
from sioproxy.errors import DecodeError

MSGPACK = "msgpack"


class ParserMismatchError(DecodeError):
    """The live client speaks another parser than the recording."""


def mismatch_reason(recorded: str | None, live: str | None) -> str:
    return (
        f"parser mismatch: the recording speaks {recorded or 'json'}, the client {live or 'json'}"
    )


def read_client_message(
    decoder: SioDecoder, parser: str | None, data: str | bytes
) -> SioPacket | None:
    """The packet a client message completes (None while attachments are due)."""
    if parser == MSGPACK:
        if isinstance(data, str):
            raise ParserMismatchError("sio", mismatch_reason(MSGPACK, None), data[:200])
        return decode_sio_msgpack(data)
    if isinstance(data, bytes) and decoder.header is None:
        try:
            decode_sio_msgpack(data)
        except DecodeError:
            pass  # not msgpack either: the default decoder says what is wrong
        else:
            raise ParserMismatchError("sio", mismatch_reason(None, MSGPACK), data[:200])
    return decoder.feed(data)


def client_messages(packet: SioPacket, parser: str | None) -> list[str | bytes]:
    """The Engine.IO message data that carry ``packet`` in the recording's parser."""
    if parser == MSGPACK:
        return [encode_sio_msgpack(packet)]
    return encode_sio(to_binary_packet(packet))
