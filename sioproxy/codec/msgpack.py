"""MessagePack, the subset socket.io-msgpack-parser's peers write (docs/protocol.md#c9).

Layer: pure codec. Standard library, ``sioproxy.errors`` and
``sioproxy.codec.limits`` only; never twisted.

Written here rather than taken from the ``msgpack`` package: the proxy needs
its own limits (nesting depth, lengths checked against the bytes really
present before anything is allocated), one error type (``DecodeError``) for
every bad input, and the encoder choices of notepack.io (the library behind
socket.io-msgpack-parser), none of which a general library gives. Values map
to what JSON can hold, plus ``bytes``:

* nil, booleans, integers, floats, strings, arrays and maps as usual; a map
  key must be a string (a JSON object's key);
* bin and notepack's ArrayBuffer (ext type 0) as ``bytes``;
* notepack's ``undefined`` (fixext 1, type 0) as ``UNDEFINED``: a map entry
  holding it is left out, an array item becomes ``None``, as
  ``JSON.stringify`` does;
* NaN and infinities, other ext types (a ``Date`` included) are refused:
  the JSON dict form cannot hold them.

``encode_msgpack`` writes what notepack.io writes for the same JavaScript
value: the shortest integer form, integral floats as integers (JavaScript
has one number type), other floats as float 64, the shortest string, bin,
array and map headers.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Final

from sioproxy.codec.limits import MAX_JSON_DEPTH
from sioproxy.errors import DecodeError, EncodeError

__all__ = ["UNDEFINED", "decode_msgpack", "encode_msgpack"]

_PROTOCOL: Final = "msgpack"


class _Undefined:
    """notepack's JavaScript ``undefined`` (only inside the decoder's results)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()

# Fixed-size heads: prefix -> (struct format, byte count).
_NUMBERS: Final = {
    0xCA: (">f", 4),
    0xCB: (">d", 8),
    0xCC: (">B", 1),
    0xCD: (">H", 2),
    0xCE: (">I", 4),
    0xCF: (">Q", 8),
    0xD0: (">b", 1),
    0xD1: (">h", 2),
    0xD2: (">i", 4),
    0xD3: (">q", 8),
}
# Length-prefixed heads: prefix -> (kind, bytes in the length field).
_SIZED: Final = {
    0xC4: ("bin", 1),
    0xC5: ("bin", 2),
    0xC6: ("bin", 4),
    0xC7: ("ext", 1),
    0xC8: ("ext", 2),
    0xC9: ("ext", 4),
    0xD9: ("str", 1),
    0xDA: ("str", 2),
    0xDB: ("str", 4),
    0xDC: ("array", 2),
    0xDD: ("array", 4),
    0xDE: ("map", 2),
    0xDF: ("map", 4),
}
_FIXEXT: Final = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def decode_msgpack(data: bytes) -> Any:
    """The one value ``data`` holds; ``DecodeError`` for anything else (trailing bytes too)."""
    reader = _Reader(bytes(data))
    value = reader.value(0)
    if reader.pos != len(reader.data):
        reader.fail(f"{len(reader.data) - reader.pos} trailing bytes")
    if value is UNDEFINED:
        return None
    return value


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, reason: str) -> Any:
        raise DecodeError(_PROTOCOL, reason, self.data[:200], self.pos)

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            self.fail(f"needs {count} bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def value(self, depth: int) -> Any:
        if depth > MAX_JSON_DEPTH:
            self.fail(f"nested deeper than {MAX_JSON_DEPTH} levels")
        prefix = self.take(1)[0]
        if prefix < 0x80:
            return prefix
        if prefix >= 0xE0:
            return prefix - 0x100
        if prefix < 0x90:
            return self.map(prefix & 0x0F, depth)
        if prefix < 0xA0:
            return self.array(prefix & 0x0F, depth)
        if prefix < 0xC0:
            return self.text(prefix & 0x1F)
        return self.head(prefix, depth)

    def head(self, prefix: int, depth: int) -> Any:
        if prefix == 0xC0:
            return None
        if prefix in (0xC2, 0xC3):
            return prefix == 0xC3
        number = _NUMBERS.get(prefix)
        if number is not None:
            fmt, size = number
            value = struct.unpack(fmt, self.take(size))[0]
            if isinstance(value, float) and not math.isfinite(value):
                self.fail("NaN or infinity has no JSON form")
            return value
        sized = _SIZED.get(prefix)
        if sized is not None:
            kind, size = sized
            length = self.uint(size)
            if kind == "bin":
                return self.take(length)
            if kind == "str":
                return self.text(length)
            if kind == "ext":
                return self.ext(prefix, self.take(1)[0], length)
            if kind == "array":
                return self.array(length, depth)
            return self.map(length, depth)
        fixed = _FIXEXT.get(prefix)
        if fixed is not None:
            return self.ext(prefix, self.take(1)[0], fixed)
        return self.fail(f"unknown prefix byte 0x{prefix:02x}")

    def ext(self, prefix: int, ext_type: int, length: int) -> Any:
        body = self.take(length)
        if ext_type != 0:
            self.fail(f"ext type {ext_type} is not supported")
        if prefix == 0xD4:
            return UNDEFINED  # fixext 1 type 0: notepack's undefined
        if prefix in _FIXEXT:
            self.fail(f"fixext 0x{prefix:02x} type 0 (a Date?) has no JSON form")
        return body  # ext 8/16/32 type 0: notepack's ArrayBuffer

    def text(self, length: int) -> str:
        raw = self.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # Buffer.toString('utf8') replaces bad sequences; so does the peer.
            return raw.decode("utf-8", "replace")

    def room_for(self, items: int) -> None:
        # Every item takes at least one byte: a count past what is left is a lie,
        # refused before a list that long is grown.
        if items > len(self.data) - self.pos:
            self.fail(f"announces {items} items, {len(self.data) - self.pos} bytes left")

    def array(self, length: int, depth: int) -> list[Any]:
        self.room_for(length)
        out = [self.value(depth + 1) for _ in range(length)]
        return [None if item is UNDEFINED else item for item in out]

    def map(self, length: int, depth: int) -> dict[str, Any]:
        self.room_for(2 * length)
        out: dict[str, Any] = {}
        for _ in range(length):
            key = self.value(depth + 1)
            if not isinstance(key, str):
                self.fail(f"map key {type(key).__name__} is not a string")
            item = self.value(depth + 1)
            if item is UNDEFINED:
                out.pop(key, None)
            else:
                out[key] = item
        return out


# --------------------------------------------------------------------------- encoding


def encode_msgpack(value: Any) -> bytes:
    """notepack.io's bytes for ``value`` (see the module docstring); ``EncodeError`` otherwise."""
    out = bytearray()
    _encode(out, value, 0)
    return bytes(out)


def _encode(out: bytearray, value: Any, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise EncodeError(f"msgpack: nested deeper than {MAX_JSON_DEPTH} levels")
    if value is None:
        out.append(0xC0)
    elif value is True or value is False:
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, int):
        _integer(out, value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise EncodeError("msgpack: NaN or infinity has no JSON form")
        if value.is_integer() and abs(value) < 2**64:
            _integer(out, int(value))  # JavaScript: 1.0 is 1
        else:
            out += b"\xcb" + struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
        _length(out, len(raw), (0xA0, 0x20), 0xD9, 0xDA, 0xDB)
        out += raw
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        _length(out, len(raw), None, 0xC4, 0xC5, 0xC6)
        out += raw
    elif isinstance(value, (list, tuple)):
        _length(out, len(value), (0x90, 0x10), None, 0xDC, 0xDD)
        for item in value:
            _encode(out, item, depth + 1)
    elif isinstance(value, dict):
        _length(out, len(value), (0x80, 0x10), None, 0xDE, 0xDF)
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodeError(f"msgpack: map key {key!r} is not a string")
            _encode(out, key, depth + 1)
            _encode(out, item, depth + 1)
    else:
        raise EncodeError(f"msgpack: cannot encode {type(value).__name__}")


def _length(
    out: bytearray,
    length: int,
    fix: tuple[int, int] | None,
    one: int | None,
    two: int,
    four: int,
) -> None:
    """The shortest head for ``length``: fix form (base, limit), then 8, 16, 32 bits."""
    if fix is not None and length < fix[1]:
        out.append(fix[0] | length)
    elif one is not None and length < 0x100:
        out += bytes((one, length))
    elif length < 0x10000:
        out.append(two)
        out += length.to_bytes(2, "big")
    elif length < 0x100000000:
        out.append(four)
        out += length.to_bytes(4, "big")
    else:
        raise EncodeError(f"msgpack: length {length} is too large")


def _integer(out: bytearray, value: int) -> None:
    if 0 <= value < 0x80 or -0x20 <= value < 0:
        out += value.to_bytes(1, "big", signed=value < 0)
    elif value >= 0:
        for prefix, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
            if value < 1 << (8 * size):
                out.append(prefix)
                out += value.to_bytes(size, "big")
                return
        raise EncodeError(f"msgpack: integer {value} does not fit 64 bits")
    else:
        for prefix, size in ((0xD0, 1), (0xD1, 2), (0xD2, 4), (0xD3, 8)):
            if value >= -(1 << (8 * size - 1)):
                out.append(prefix)
                out += value.to_bytes(size, "big", signed=True)
                return
        raise EncodeError(f"msgpack: integer {value} does not fit 64 bits")
