"""The MessagePack codec against notepack.io, the library socket.io-msgpack-parser uses.

node encodes a set of values with notepack.io (tests/peers/node_modules); the
decoder must read each back and the encoder must write the very same bytes.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from sioproxy.codec.msgpack import decode_msgpack, encode_msgpack
from sioproxy.errors import DecodeError, EncodeError
from tests.interop.peers import PEERS_DIR

# JavaScript expressions and the Python value each one decodes to.
VALUES = [
    ("0", 0),
    ("127", 127),
    ("128", 128),
    ("255", 255),
    ("256", 256),
    ("65535", 65535),
    ("65536", 65536),
    ("4294967295", 4294967295),
    ("4294967296", 4294967296),
    ("-1", -1),
    ("-32", -32),
    ("-33", -33),
    ("-128", -128),
    ("-129", -129),
    ("-32768", -32768),
    ("-32769", -32769),
    ("-2147483648", -2147483648),
    ("-2147483649", -2147483649),
    ("1.5", 1.5),
    ("-0.1", -0.1),
    ("2.5e-8", 2.5e-8),
    ("1e15", 10**15),
    ("null", None),
    ("true", True),
    ("false", False),
    ("''", ""),
    ("'héllo wörld 😀'", "héllo wörld 😀"),
    ("'x'.repeat(31)", "x" * 31),
    ("'x'.repeat(32)", "x" * 32),
    ("'x'.repeat(255)", "x" * 255),
    ("'x'.repeat(256)", "x" * 256),
    ("'x'.repeat(65536)", "x" * 65536),
    ("[]", []),
    ("[1, [2, [3]], {a: null}]", [1, [2, [3]], {"a": None}]),
    ("Array.from({length: 16}, (_, i) => i)", list(range(16))),
    ("Array.from({length: 70000}, () => 1)", [1] * 70000),
    ("{}", {}),
    (
        "Object.fromEntries(Array.from({length: 16}, (_, i) => ['k' + i, i]))",
        {f"k{i}": i for i in range(16)},
    ),
    ("Buffer.from([1, 2, 3, 255])", b"\x01\x02\x03\xff"),
    ("Buffer.alloc(256)", bytes(256)),
    ("Buffer.alloc(65536)", bytes(65536)),
    (
        "{type: 2, data: ['bin', Buffer.from([1]), {nested: Buffer.from([2])}], nsp: '/'}",
        {"type": 2, "data": ["bin", b"\x01", {"nested": b"\x02"}], "nsp": "/"},
    ),
]
# Decoded but not written back the same: undefined is left out (or null in an
# array), an ArrayBuffer is plain bytes.
DECODE_ONLY = [
    ("{a: 1, b: undefined}", {"a": 1}),
    ("[1, undefined]", [1, None]),
    ("new Uint8Array([7, 8]).buffer", b"\x07\x08"),
]


def notepack(expressions: list[str]) -> list[bytes]:
    script = (
        f"const np = require({json.dumps(str(PEERS_DIR / 'node_modules' / 'notepack.io'))});"
        f"for (const v of [{','.join(expressions)}])"
        " console.log(np.encode(v).toString('hex'));"
    )
    out = subprocess.run(
        ["node", "-e", script], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return [bytes.fromhex(line) for line in out.split()]


def test_decodes_and_encodes_what_notepack_writes() -> None:
    encoded = notepack([js for js, _ in VALUES])
    for (js, value), wire in zip(VALUES, encoded, strict=True):
        assert decode_msgpack(wire) == value, js
        assert encode_msgpack(value) == wire, js


def test_reads_notepack_undefined_and_arraybuffer() -> None:
    encoded = notepack([js for js, _ in DECODE_ONLY])
    for (js, value), wire in zip(DECODE_ONLY, encoded, strict=True):
        assert decode_msgpack(wire) == value, js


def test_integral_floats_are_written_as_javascript_numbers() -> None:
    assert encode_msgpack(2.0) == encode_msgpack(2) == b"\x02"


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (b"", "needs 1 bytes"),
        (b"\x01\x02", "1 trailing bytes"),
        (b"\xc1", "unknown prefix byte 0xc1"),
        (b"\xdd\xff\xff\xff\xff", "announces 4294967295 items"),
        (b"\xdf\x7f\xff\xff\xff", "announces"),
        (b"\xc6\xff\xff\xff\xff", "needs 4294967295 bytes"),
        (b"\x81\x01\x02", "map key int is not a string"),
        (b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", "NaN or infinity"),
        (b"\xd7\x00" + bytes(8), "a Date"),
        (b"\xd4\x05\x00", "ext type 5"),
        (b"\x91" * 300 + b"\xc0", "nested deeper than 256"),
    ],
)
def test_bad_input_is_a_decode_error(wire: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_msgpack(wire)


def test_unencodable_values_are_an_encode_error() -> None:
    for value in (float("nan"), {1: 2}, object(), 2**64):
        with pytest.raises(EncodeError):
            encode_msgpack(value)


def test_mutated_packets_only_ever_raise_decode_error() -> None:
    """A bounded, seeded stand-in for ``make fuzz``'s msgpack target."""
    import random

    from tests.fuzz.targets import msgpack as target

    seeds = [p.read_bytes() for p in sorted((PEERS_DIR.parent / "fuzz/seeds/msgpack").iterdir())]
    rng = random.Random(22)
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(data))
            match rng.randrange(3):
                case 0:
                    data[where] = rng.randrange(256)
                case 1:
                    del data[where:]
                case _:
                    data[where:where] = bytes([rng.randrange(256)])
            if not data:
                data = bytearray(b"\x01")
        target(bytes(data))
