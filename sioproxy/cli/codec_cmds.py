"""``sioproxy decode`` and ``sioproxy encode``: one frame or polling body, for debugging.

Layer: edge over the pure codec (no twisted). The JSON shapes are documented in
docs/packets.md; encoding the output of decode gives the original frame back.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sioproxy.codec import engineio, legacy, legacy_dict, legacy_framing, payload, socketio
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.textsafe import escape_controls
from sioproxy.types import Generation

PROTOCOL_CHOICES = [g.value for g in Generation]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dec = sub.add_parser("decode", help="decode one frame (or a polling body) to JSON")
    dec.add_argument("--protocol", required=True, choices=PROTOCOL_CHOICES)
    dec.add_argument("--payload", action="store_true", help="FRAME is a whole polling body")
    dec.add_argument(
        "--eio-only",
        action="store_true",
        help="eio3/eio4: decode only the Engine.IO layer (message text is shown as data)",
    )
    _add_frame_options(dec, "FRAME", "the wire frame, or - to read stdin")
    dec.set_defaults(handler=run_decode)
    enc = sub.add_parser("encode", help="encode JSON (as printed by decode) to a wire frame")
    enc.add_argument("--protocol", required=True, choices=PROTOCOL_CHOICES)
    _add_frame_options(enc, "JSON", "the JSON text, or - to read stdin")
    enc.set_defaults(handler=run_encode)


def _add_frame_options(parser: argparse.ArgumentParser, metavar: str, help_text: str) -> None:
    parser.add_argument("frame", metavar=metavar, help=help_text)
    parser.add_argument(
        "--json-arg",
        action="store_true",
        help="the argument is a JSON string literal (for frames with \\u001e or \\ufffd)",
    )
    parser.add_argument("--hex", action="store_true", help="decode: the argument is hex bytes")


def _read_argument(args: argparse.Namespace) -> str | bytes:
    text: str = sys.stdin.read() if args.frame == "-" else args.frame
    if args.json_arg:
        loaded = json.loads(text)
        if not isinstance(loaded, str):
            raise DecodeError("cli", "--json-arg needs a JSON string literal", text)
        text = loaded
    if getattr(args, "hex", False):
        try:
            return bytes.fromhex(text.strip())
        except ValueError as exc:
            raise DecodeError("cli", f"not hex: {exc}", text) from None
    return text


def run_decode(args: argparse.Namespace) -> int:
    frame = _read_argument(args)
    generation = Generation(args.protocol)
    result = decode_to_json(frame, generation, as_payload=args.payload, eio_only=args.eio_only)
    # Still JSON with the same value: only control characters become escapes.
    print(escape_controls(json.dumps(result, ensure_ascii=False)))
    return 0


def run_encode(args: argparse.Namespace) -> int:
    text = _read_argument(args)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EncodeError(f"not JSON: {exc}") from None
    out = encode_from_json(obj, Generation(args.protocol))
    if isinstance(out, bytes):
        sys.stdout.write(out.hex() + "\n")
    else:
        sys.stdout.write(out + "\n")
    return 0


def decode_to_json(
    frame: str | bytes, generation: Generation, *, as_payload: bool, eio_only: bool = False
) -> Any:
    """Decode one frame (or a polling body) to the documented JSON shape.

    Both layers must decode: a message whose text is no Socket.IO packet is a
    ``DecodeError`` naming the Socket.IO layer, unless ``eio_only`` (for apps
    that speak Engine.IO without Socket.IO), which shows every message's text
    as ``data``.
    """
    if generation is Generation.LEGACY:
        if eio_only:
            raise DecodeError("cli", "--eio-only is for eio3 and eio4 (0.9 has one layer)", "")
        text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
        if as_payload:
            return [legacy_dict.packet_to_dict(p) for p in legacy_framing.decode_payload(text)]
        return legacy_dict.packet_to_dict(legacy.decode_packet(text))
    version = _eio_version(generation)
    if as_payload:
        body = frame.encode("utf-8") if isinstance(frame, str) else frame
        packets = payload.decode_payload(body, version)
        if eio_only:
            return [_eio_only(p, version) for p in packets]
        # Attachments are folded into their binary packet (docs/packets.md).
        decoded = payload.payload_to_dicts(packets, version)
        for item in decoded:
            _check_sio_layer(item, version)
        return decoded
    packet = engineio.decode_eio(frame, version)
    if eio_only:
        return _eio_only(packet, version)
    return _check_sio_layer(engineio.eio_to_dict(packet, version), version)


def _eio_only(packet: engineio.EioPacket, version: int) -> dict[str, Any]:
    if packet.type is engineio.EioType.MESSAGE and isinstance(packet.data, str) and packet.data:
        return {"eio": "message", "data": packet.data}
    return engineio.eio_to_dict(packet, version)


def _check_sio_layer(item: dict[str, Any], version: int) -> dict[str, Any]:
    """Raise the Socket.IO layer's error for a message shown as undecoded ``data``."""
    text = item.get("data")
    if item.get("eio") == "message" and isinstance(text, str):
        revision = 4 if version == 3 else 5
        try:
            socketio.decode_sio(text, revision)
        except DecodeError as exc:
            layer = f"Socket.IO layer (--eio-only skips it): {exc.protocol}"
            raise DecodeError(layer, exc.reason, exc.data, exc.offset) from None
    return item


def _eio_version(generation: Generation) -> int:
    version = generation.eio_version
    assert version is not None  # only called for the Engine.IO generations
    return version


def encode_from_json(obj: Any, generation: Generation) -> str | bytes:
    """Inverse of :func:`decode_to_json` for one packet (or a list, as a polling body)."""
    if generation is Generation.LEGACY:
        if isinstance(obj, list):
            frames = [legacy.encode_packet(legacy_dict.packet_from_dict(d)) for d in obj]
            return legacy_framing.encode_payload(frames)
        return legacy.encode_packet(legacy_dict.packet_from_dict(obj))
    version = _eio_version(generation)
    if isinstance(obj, list):
        packets = [p for item in obj for p in _eio_packets_from_json(item, version)]
        return payload.encode_payload(packets, version).decode("utf-8")
    packets = _eio_packets_from_json(obj, version)
    if len(packets) != 1:
        raise EncodeError("a binary packet with attachments needs a list (a polling body)")
    return engineio.encode_eio(packets[0], version)


def _eio_packets_from_json(obj: Any, version: int) -> list[engineio.EioPacket]:
    if not isinstance(obj, dict):
        raise EncodeError(f"expected a JSON object, got {type(obj).__name__}")
    return engineio.eio_packets_from_dict(obj, version)
