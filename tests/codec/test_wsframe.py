"""RFC 6455 frame reader and encoder (sioproxy.codec.wsframe)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec import wsframe
from sioproxy.codec.wsframe import FrameError, FrameReader, encode_frame

# RFC 6455 section 5.7 examples.
HELLO_UNMASKED = bytes.fromhex("810548656c6c6f")
HELLO_MASKED = bytes.fromhex("818537fa213d7f9f4d5158")
HEL_LO_FRAGMENTS = bytes.fromhex("010348656c") + bytes.fromhex("80026c6f")
PING_UNMASKED = bytes.fromhex("890548656c6c6f")
PONG_MASKED = bytes.fromhex("8a8537fa213d7f9f4d5158")


def server_reader(max_message: int = 1 << 20) -> FrameReader:
    """Reads what a server sends (unmasked frames)."""
    return FrameReader(from_client=False, max_message=max_message)


def client_reader(max_message: int = 1 << 20) -> FrameReader:
    return FrameReader(from_client=True, max_message=max_message)


def messages(reader: FrameReader, data: bytes) -> list[tuple[int, bytes, bytes]]:
    """(opcode, payload, the bytes that re-send it) for each event of one feed."""
    buf, events = reader.feed(data)
    return [(op, payload, held + buf[start:end]) for op, payload, start, end, held in events]


def test_rfc_single_unmasked_text() -> None:
    assert messages(server_reader(), HELLO_UNMASKED) == [(1, b"Hello", HELLO_UNMASKED)]


def test_rfc_single_masked_text_is_unmasked() -> None:
    assert messages(client_reader(), HELLO_MASKED) == [(1, b"Hello", HELLO_MASKED)]


def test_rfc_fragmented_text_is_joined_and_resent_whole() -> None:
    reader = server_reader()
    assert messages(reader, HEL_LO_FRAGMENTS[:5]) == []
    assert reader.pending == 5
    assert messages(reader, HEL_LO_FRAGMENTS[5:]) == [(1, b"Hello", HEL_LO_FRAGMENTS)]
    assert reader.pending == 0


def test_rfc_ping_and_pong() -> None:
    assert messages(server_reader(), PING_UNMASKED) == [(9, b"Hello", PING_UNMASKED)]
    assert messages(client_reader(), PONG_MASKED) == [(10, b"Hello", PONG_MASKED)]


@pytest.mark.parametrize(("size", "head"), [(256, "827e0100"), (65536, "827f0000000000010000")])
def test_rfc_extended_lengths(size: int, head: str) -> None:
    frame = bytes.fromhex(head) + b"\x00" * size
    assert encode_frame(2, b"\x00" * size, masked=False) == frame
    assert messages(server_reader(), frame) == [(2, b"\x00" * size, frame)]


def test_control_frame_between_fragments_comes_out_first() -> None:
    data = HEL_LO_FRAGMENTS[:5] + PING_UNMASKED + HEL_LO_FRAGMENTS[5:]
    got = messages(server_reader(), data)
    assert [(op, payload) for op, payload, _ in got] == [(9, b"Hello"), (1, b"Hello")]
    assert got[1][2] == HEL_LO_FRAGMENTS


def test_byte_at_a_time() -> None:
    stream = HELLO_MASKED + encode_frame(2, b"x" * 300, masked=True) + HELLO_MASKED
    reader = client_reader()
    got = []
    for i in range(len(stream)):
        got += messages(reader, stream[i : i + 1])
    expected = [(1, b"Hello"), (2, b"x" * 300), (1, b"Hello")]
    assert [(op, payload) for op, payload, _ in got] == expected
    assert b"".join(raw for _, _, raw in got) == stream


@pytest.mark.parametrize(
    ("reader", "data", "code", "words"),
    [
        (server_reader(), HELLO_MASKED, 1002, "server frame masked"),
        (client_reader(), HELLO_UNMASKED, 1002, "client frame not masked"),
        (server_reader(), b"\xc1\x00", 1002, "reserved bits"),
        (server_reader(), b"\x83\x00", 1002, "reserved opcode 0x3"),
        (server_reader(), b"\x8b\x00", 1002, "reserved opcode 0xb"),
        (server_reader(), b"\x09\x00", 1002, "control frame fragmented"),
        (server_reader(), b"\x89\x7e\x00\x7e" + b"a" * 126, 1002, "over 125"),
        (server_reader(), b"\x80\x01a", 1002, "continuation without a message"),
        (server_reader(), b"\x01\x01a\x81\x01a", 1002, "new message inside"),
        (server_reader(), b"\x81\x02\xc3\x28", 1007, "not valid UTF-8"),
        (server_reader(), b"\x01\x01\xc3\x80\x01\x28", 1007, "not valid UTF-8"),
        (server_reader(10), b"\x82\x0b", 1009, "over the 10 limit"),
        (server_reader(10), b"\x02\x06aaaaaa\x80\x06bbbbbb", 1009, "over the 10 byte limit"),
    ],
)
def test_violations_name_the_close_code(
    reader: FrameReader, data: bytes, code: int, words: str
) -> None:
    with pytest.raises(FrameError) as caught:
        reader.feed(data)
    assert caught.value.close_code == code
    assert words in str(caught.value)


def test_oversized_frame_refused_on_its_header_alone() -> None:
    with pytest.raises(FrameError, match="1009"):
        server_reader(1000).feed(b"\x82\x7f" + (1 << 40).to_bytes(8, "big"))


def test_close_payload_round_trip_and_checks() -> None:
    body = wsframe.close_payload(4000, "é" * 100)
    assert len(body) <= 125
    code, reason = wsframe.parse_close(body)
    assert code == 4000
    assert set(reason) == {"é"}
    assert wsframe.parse_close(b"") == (None, "")
    assert wsframe.close_payload(None) == b""
    for bad, close_code in [(b"\x03", 1002), (b"\x03\xed", 1002), (b"\x03\xe8\xff", 1007)]:
        with pytest.raises(FrameError) as caught:
            wsframe.parse_close(bad)
        assert caught.value.close_code == close_code


def test_masked_encoding_uses_a_fresh_key() -> None:
    first, second = (encode_frame(1, b"same", masked=True) for _ in range(2))
    assert first[:2] == b"\x81\x84"
    assert first[2:6] != second[2:6]


message_st = st.tuples(st.sampled_from([1, 2]), st.binary(max_size=70_000))


@given(
    frames=st.lists(message_st, min_size=1, max_size=5),
    masked=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=200_000), max_size=6),
)
def test_any_split_gives_back_every_message_and_its_bytes(
    frames: list[tuple[int, bytes]], masked: bool, cuts: list[int]
) -> None:
    sent = [(op, p if op == 2 else p.decode("latin-1").encode()) for op, p in frames]
    stream = b"".join(encode_frame(op, p, masked=masked) for op, p in sent)
    reader = FrameReader(from_client=masked, max_message=1 << 20)
    got: list[tuple[int, bytes, bytes]] = []
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for start, end in itertools.pairwise(points):
        got += messages(reader, stream[start:end])
    assert [(op, payload) for op, payload, _ in got] == sent
    assert b"".join(raw for _, _, raw in got) == stream
    assert reader.pending == 0


@given(payload=st.binary(max_size=2000), key=st.binary(min_size=4, max_size=4))
def test_unmask_matches_the_rfc_definition(payload: bytes, key: bytes) -> None:
    assert wsframe.unmask(payload, key) == bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_error_carries_the_whole_messages_before_the_bad_frame() -> None:
    data = HELLO_UNMASKED + PING_UNMASKED + b"\xc1\x00"
    with pytest.raises(FrameError) as caught:
        server_reader().feed(data)
    err = caught.value
    assert [(op, p, err.buffer[s:e]) for op, p, s, e, _ in err.events] == [
        (1, b"Hello", HELLO_UNMASKED),
        (9, b"Hello", PING_UNMASKED),
    ]


# -- hostile input: many fragments, frames over many reads ---------------------


def fragmented(opcode: int, pieces: list[bytes], *, masked: bool) -> bytes:
    """One message cut into ``pieces`` (continuation frames after the first)."""
    last = len(pieces) - 1
    return b"".join(
        encode_frame(opcode if i == 0 else 0, piece, masked=masked, fin=i == last)
        for i, piece in enumerate(pieces)
    )


def test_message_of_max_fragments_passes_one_more_is_closed_1009() -> None:
    limit = wsframe.MAX_FRAGMENTS
    whole = fragmented(1, [b""] * (limit - 1) + [b"x"], masked=True)
    assert messages(client_reader(), whole) == [(1, b"x", whole)]
    reader = client_reader()
    reader.feed(encode_frame(1, b"", masked=True, fin=False))
    empty = encode_frame(0, b"", masked=True, fin=False)
    for _ in range(limit - 1):  # one empty fragment per read
        reader.feed(empty)
    with pytest.raises(FrameError) as caught:
        reader.feed(empty)
    assert caught.value.close_code == 1009
    assert f"more than {limit} fragments" in str(caught.value)


def test_empty_fragments_keep_the_exact_bytes_and_pending_count() -> None:
    pieces = [b"", b"a", b"", b"", b"bc", b""]
    stream = fragmented(2, pieces, masked=False)
    reader = server_reader()
    got: list[tuple[int, bytes, bytes]] = []
    for i in range(0, len(stream), 2):  # every frame here is 2 or 3 bytes
        got += messages(reader, stream[i : i + 2])
    assert got == [(2, b"abc", stream)]
    assert reader.pending == 0


def test_incomplete_frame_is_held_until_it_is_whole() -> None:
    """Reads of an unfinished frame are kept, not parsed again: nothing comes back."""
    frame = encode_frame(2, bytes(range(256)) * 64, masked=True)
    reads = [frame[i : i + 100] for i in range(0, len(frame), 100)]
    reader = client_reader()
    assert reader.feed(reads[0])[1] == []  # the header is read: 16,392 bytes to come
    for count, part in enumerate(reads[1:-1], 2):
        assert reader.feed(part) == (b"", [])
        assert reader.pending == 100 * count
    assert messages(reader, reads[-1]) == [(2, bytes(range(256)) * 64, frame)]
    assert reader.pending == 0


fragmented_st = st.tuples(
    st.sampled_from([1, 2]), st.lists(st.binary(max_size=300), min_size=1, max_size=8)
)


@given(
    sent=st.lists(fragmented_st, min_size=1, max_size=4),
    masked=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=8),
)
def test_any_split_of_fragmented_messages(
    sent: list[tuple[int, list[bytes]]], masked: bool, cuts: list[int]
) -> None:
    texts = [(op, [p.decode("latin-1").encode() if op == 1 else p for p in ps]) for op, ps in sent]
    stream = b"".join(fragmented(op, ps, masked=masked) for op, ps in texts)
    reader = FrameReader(from_client=masked, max_message=1 << 20)
    got: list[tuple[int, bytes, bytes]] = []
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for start, end in itertools.pairwise(points):
        got += messages(reader, stream[start:end])
    assert [(op, payload) for op, payload, _ in got] == [(op, b"".join(ps)) for op, ps in texts]
    assert b"".join(raw for _, _, raw in got) == stream
    assert reader.pending == 0


@pytest.mark.parametrize("size", [65_535, 65_536, 65_537, 3 * 65_536 + 7, 200_003])
def test_unmask_of_payloads_longer_than_a_chunk_matches_the_rfc_definition(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    key = b"\x01\x80\x7f\xfe"
    assert wsframe.unmask(payload, key) == bytes(b ^ key[i % 4] for i, b in enumerate(payload))


AHEAD = wsframe.UNMASK_AHEAD


def long_payload(size: int, seed: int) -> bytes:
    return bytes((i * 7 + seed) & 0xFF for i in range(256)) * (size // 256) + bytes(size % 256)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(
        st.sampled_from([AHEAD - 1, AHEAD, AHEAD + 13, 2 * AHEAD + 3, 5]), min_size=1, max_size=3
    ),
    fragmented_first=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=12),
    small_reads=st.booleans(),
)
def test_long_masked_frames_unmasked_ahead_read_by_read(
    sizes: list[int], fragmented_first: bool, cuts: list[int], small_reads: bool
) -> None:
    payloads = [long_payload(size, seed) for seed, size in enumerate(sizes)]
    frames = [encode_frame(2, p, masked=True) for p in payloads]
    if fragmented_first:  # a long first fragment, then the rest of the message
        frames[0] = fragmented(2, [payloads[0][:-3], payloads[0][-3:]], masked=True)
    stream = b"".join(frames)
    reader = client_reader(max_message=1 << 22)
    points = {c % (len(stream) + 1) for c in cuts} | {0, len(stream)}
    if small_reads:  # reads ending after the 8-byte length, inside the masking key
        points |= {11, 13}
    got: list[tuple[int, bytes, bytes]] = []
    for start, end in itertools.pairwise(sorted(points)):
        got += messages(reader, stream[start:end])
    assert [payload for _, payload, _ in got] == payloads
    assert b"".join(raw for _, _, raw in got) == stream
    assert reader.pending == 0


def test_a_long_frame_is_unmasked_as_it_arrives_and_counted_pending() -> None:
    payload = long_payload(4 * AHEAD, 1)
    frame = encode_frame(2, payload, masked=True)
    reader = client_reader(max_message=1 << 22)
    cut = len(frame) // 2
    assert messages(reader, frame[:cut]) == []
    # The bytes held, and the half of the payload already unmasked.
    assert reader.pending == cut + (cut - 14)
    assert messages(reader, frame[cut:]) == [(2, payload, frame)]
    assert reader.pending == 0
