"""Fuzz targets shared by the atheris runners and the regression replay test.

Layer: tests only. Each target takes raw bytes and exercises one decoder the
way a hostile peer (or a damaged file) can reach it. The contract checked is
the one in docs/architecture.md#errors: a decoder returns or raises its documented
error (``DecodeError`` for wire input, ``RecordingError`` for recordings,
``ConfigError`` for rules); anything else escaping is a finding. A decoded
value must also re-encode without anything but ``EncodeError``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable

from sioproxy.codec import (
    binary,
    engineio,
    handshake,
    legacy,
    legacy_dict,
    legacy_framing,
    payload,
    placeholders,
    sio_dict,
    sio_msgpack,
    socketio,
)
from sioproxy.codec.msgpack import decode_msgpack, encode_msgpack
from sioproxy.errors import ConfigError, DecodeError, EncodeError, RecordingError
from sioproxy.pipeline.rules_file import parse_rules
from sioproxy.recording.reader import read_recording

Target = Callable[[bytes], None]


def _text(data: bytes) -> str:
    # Peers reach the text decoders with whatever UTF-8 the transport accepted;
    # surrogateescape keeps every input byte meaningful for the fuzzer.
    return data.decode("utf-8", "surrogateescape")


def _split(data: bytes) -> tuple[int, bytes]:
    """First byte picks a variant, the rest is the input."""
    return (data[0] if data else 0), data[1:]


def legacy_packet(data: bytes) -> None:
    try:
        packet = legacy.decode_packet(_text(data))
    except DecodeError:
        return
    try:
        legacy.encode_packet(packet)
        legacy_dict.packet_to_dict(packet)
    except EncodeError:
        pass


def legacy_framing_target(data: bytes) -> None:
    sel, rest = _split(data)
    text = _text(rest)
    try:
        match sel % 4:
            case 0:
                legacy_framing.decode_payload(text)
            case 1:
                legacy_framing.decode_handshake(text)
            case 2:
                legacy_framing.decode_jsonp_response(text)
            case _:
                legacy_framing.decode_jsonp_post(rest)
    except DecodeError:
        pass


def engineio_frame(data: bytes) -> None:
    sel, rest = _split(data)
    version = 3 if sel & 1 else 4
    frame: str | bytes = rest if sel & 2 else _text(rest)
    try:
        packet = engineio.decode_eio(frame, version)
    except DecodeError:
        return
    try:
        engineio.encode_eio(packet, version)
        engineio.eio_to_dict(packet, version)
    except EncodeError:
        pass


def eio_payload(data: bytes) -> None:
    sel, rest = _split(data)
    version = 3 if sel & 1 else 4
    ctype = (None, "application/octet-stream", "text/plain; charset=UTF-8")[(sel >> 1) % 3]
    try:
        if sel & 8:
            payload.decode_jsonp_response(rest)
            payload.decode_jsonp_post(rest)
            return
        packets = payload.decode_payload(rest, version, content_type=ctype)
    except DecodeError:
        return
    with contextlib.suppress(EncodeError):
        payload.encode_payload(packets, version, binary=version == 3 and bool(sel & 16))


def eio_handshake(data: bytes) -> None:
    try:
        info = handshake.decode_open(_text(data))
    except DecodeError:
        return
    with contextlib.suppress(EncodeError):
        handshake.encode_open(info)


def sio_packet(data: bytes) -> None:
    sel, rest = _split(data)
    revision = 5 if sel & 1 else 4
    try:
        packet = socketio.decode_sio(_text(rest), revision)
    except DecodeError:
        return
    try:
        socketio.encode_sio(packet)
        sio_dict.sio_to_dict(packet, revision)
    except EncodeError:
        pass


def sio_binary(data: bytes) -> None:
    """A stream of messages: 0x00 separates them, a leading 0x01 marks binary ones."""
    sel, rest = _split(data)
    decoder = binary.SioDecoder(5 if sel & 1 else 4)
    for chunk in rest.split(b"\x00"):
        message: str | bytes = chunk[1:] if chunk[:1] == b"\x01" else _text(chunk)
        try:
            packet = decoder.feed(message)
        except DecodeError:
            continue
        if packet is not None:
            try:
                placeholders.reassemble(packet.data, packet.attachments)
                socketio.encode_sio(packet)
            except (DecodeError, EncodeError):
                pass
    assert decoder.pending >= 0


_TMP = tempfile.mkdtemp(
    prefix="sioproxy-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
)
_REC = os.path.join(_TMP, "rec.jsonl")
atexit.register(shutil.rmtree, _TMP, True)


def recording_reader(data: bytes) -> None:
    with open(_REC, "wb") as fh:
        fh.write(data)
    error: RecordingError | None = None
    try:
        read_recording(_REC)
    except RecordingError as exc:
        error = exc
    assert error is None or str(error).startswith(_REC), error


def rules_parser(data: bytes) -> None:
    with contextlib.suppress(ConfigError):
        parse_rules(_text(data).encode("utf-8", "replace").decode("utf-8"))


def msgpack(data: bytes) -> None:
    """The msgpack decoder, then the Socket.IO packet on top of it (first byte odd)."""
    sel, rest = _split(data)
    try:
        if sel & 1:
            packet = sio_msgpack.decode_sio_msgpack(rest)
            shown = sio_dict.sio_to_dict(packet, 5)
            with contextlib.suppress(EncodeError):
                again = sio_msgpack.encode_sio_msgpack(sio_dict.sio_from_dict(shown, 5))
                # socket.io-client's options survive the dict form and the re-encode.
                assert sio_msgpack.decode_sio_msgpack(again).options == packet.options
            return
        value = decode_msgpack(rest)
    except DecodeError:
        return
    with contextlib.suppress(EncodeError):
        encode_msgpack(value)


TARGETS: dict[str, Target] = {
    "legacy_packet": legacy_packet,
    "legacy_framing": legacy_framing_target,
    "engineio_frame": engineio_frame,
    "eio_payload": eio_payload,
    "eio_handshake": eio_handshake,
    "sio_packet": sio_packet,
    "sio_binary": sio_binary,
    "recording_reader": recording_reader,
    "rules_parser": rules_parser,
    "msgpack": msgpack,
}
