"""Property tests for the EIO3/4 and SIO v4/v5 codec.

Round trips ``decode(encode(p)) == p`` for every packet type and both
versions, and the decoder contract: any str/bytes either decodes or raises
``DecodeError``; nothing else escapes (docs/architecture.md#errors).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sioproxy.codec import binary, engineio, handshake, payload, placeholders, sio_dict, socketio
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.socketio import RESERVED_EVENTS, SioPacket, SioType
from sioproxy.errors import DecodeError

FUZZ = settings(
    max_examples=int(os.environ.get("SIOPROXY_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ---------------------------------------------------------------- strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values that may hold buffers anywhere (nested binary placeholders).
binary_values = st.recursive(
    json_scalars | st.binary(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
namespaces = st.just("/") | st.text(max_size=12).filter(lambda s: "," not in s).map(
    lambda s: "/" + s
)
ack_ids = st.none() | st.integers(min_value=0, max_value=10**40)
dicts = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


def event_names(revision: int) -> st.SearchStrategy[Any]:
    names = st.text(max_size=12)
    if revision == 5:
        names = names.filter(lambda s: s not in RESERVED_EVENTS)
    return (
        names
        | st.integers(min_value=-(10**6), max_value=10**6)
        | st.floats(allow_nan=False, allow_infinity=False)
    )


@st.composite
def sio_packets(draw: st.DrawFn, revision: int) -> SioPacket:
    ptype = draw(st.sampled_from(SioType))
    nsp, pid = draw(namespaces), draw(ack_ids)
    if ptype is SioType.CONNECT:
        data = draw(st.none() | dicts)
    elif ptype is SioType.DISCONNECT:
        data = None
    elif ptype is SioType.EVENT:
        data = draw(
            st.none()
            | st.tuples(event_names(revision), st.lists(json_values, max_size=4)).map(
                lambda t: [t[0], *t[1]]
            )
        )
    elif ptype is SioType.ACK:
        data = draw(st.none() | st.lists(json_values, max_size=4))
    elif ptype is SioType.CONNECT_ERROR:
        data = draw(st.none() | st.text(max_size=20) | dicts)
    else:
        args = draw(st.lists(binary_values, max_size=4))
        if ptype is SioType.BINARY_EVENT:
            args = [draw(event_names(revision)), *args]
        data, atts = placeholders.deconstruct(args)
        if len(atts) > socketio.MAX_ATTACHMENTS:
            data, atts = placeholders.deconstruct(args[:1])
        return SioPacket(type=ptype, nsp=nsp, id=pid, data=data, attachments=atts)
    return SioPacket(type=ptype, nsp=nsp, id=pid, data=data)


@st.composite
def eio_packets(draw: st.DrawFn, version: int) -> EioPacket:
    ptype = draw(st.sampled_from(EioType))
    if ptype is EioType.MESSAGE or version == 3:
        data = draw(st.none() | st.text(min_size=1) | st.binary())
    else:
        data = draw(st.none() | st.text(min_size=1))
    return EioPacket(type=ptype, data=data)


# ---------------------------------------------------------------- round trips


@FUZZ
@given(st.data(), st.sampled_from([4, 5]))
def test_sio_round_trip(data: st.DataObject, revision: int) -> None:
    packet = data.draw(sio_packets(revision))
    parts = socketio.encode_sio(packet)
    decoder = binary.SioDecoder(revision)
    results = [decoder.feed(part) for part in parts]
    assert results[:-1] == [None] * (len(parts) - 1)
    got = results[-1]
    assert got == packet
    assert got is not None
    assert got.raw == parts[0]
    assert socketio.encode_sio(got) == parts  # unchanged: the same text
    assert sio_dict.sio_from_dict(sio_dict.sio_to_dict(got, revision), revision) == packet


@FUZZ
@given(st.data(), st.sampled_from([3, 4]), st.booleans())
def test_eio_round_trip(data: st.DataObject, version: int, b64: bool) -> None:
    packet = data.draw(eio_packets(version))
    assert engineio.decode_eio(engineio.encode_eio(packet, version, b64=b64), version) == packet
    form = engineio.eio_to_dict(packet, version)
    back = engineio.eio_from_dict(form, version)
    if "sio" in form:  # the parsed packet: an id's leading zeros go ("000" -> "00"), as in node
        revision = 4 if version == 3 else 5
        assert isinstance(back.data, str)
        assert isinstance(packet.data, str)
        assert back.type is packet.type
        assert socketio.decode_sio(back.data, revision) == socketio.decode_sio(
            packet.data, revision
        )
    else:
        assert back == packet


@FUZZ
@given(st.data(), st.sampled_from([(3, False), (3, True), (4, False)]))
def test_payload_round_trip(data: st.DataObject, mode: tuple[int, bool]) -> None:
    version, binary_framing = mode
    packets = data.draw(st.lists(eio_packets(version), max_size=6))
    if version == 4:
        # v4 assumes the record separator never occurs in data (E.2).
        packets = [p for p in packets if not (isinstance(p.data, str) and "\x1e" in p.data)]
        # An empty v4 body is a parse error for engine.io-parser (B.5.1), not "no packets".
        packets = packets or [EioPacket(type=EioType.NOOP)]
    body = payload.encode_payload(packets, version, binary=binary_framing)
    content_type = "application/octet-stream" if binary_framing else None
    assert payload.decode_payload(body, version, content_type=content_type) == packets


@FUZZ
@given(st.text().filter(lambda s: "\\\n" not in s), st.integers(min_value=0, max_value=10**12))
def test_jsonp_round_trip(text: str, index: int) -> None:
    assert payload.decode_jsonp_post(payload.encode_jsonp_post(text)) == text
    assert payload.decode_jsonp_response(payload.encode_jsonp_response(index, text)) == (
        index,
        text,
    )


@FUZZ
@given(
    st.builds(
        handshake.OpenInfo,
        sid=st.text(),
        upgrades=st.lists(st.text(max_size=10), max_size=3).map(tuple),
        ping_interval=st.integers(0, 10**9),
        ping_timeout=st.integers(0, 10**9),
        max_payload=st.none() | st.integers(0, 10**9),
        extra=st.dictionaries(
            st.text(max_size=8).filter(
                lambda k: k not in {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
            ),
            json_values,
            max_size=3,
        ),
    )
)
def test_open_round_trip(info: handshake.OpenInfo) -> None:
    text = handshake.encode_open(info)
    got = handshake.decode_open(text)
    assert got == info
    assert handshake.encode_open(got) == text


# ---------------------------------------------------------------- decoder contract

ADVERSARIAL = "0123456789-/,:[]{}\"'\\ _placeholdernumtrueb4AQID=\x1e\x00\x01\xff€🎉?"
adversarial_text = st.text(alphabet=ADVERSARIAL, max_size=60)
any_text = st.text() | adversarial_text
any_bytes = (
    st.binary()
    | adversarial_text.map(lambda s: s.encode("utf-8"))
    | st.lists(st.sampled_from([0, 1, 2, 4, 9, 0xFF, 0x34, 0x32]), max_size=30).map(bytes)
)


def only_decode_errors(func: Any, *args: Any, **kwargs: Any) -> None:
    try:
        func(*args, **kwargs)
    except DecodeError as exc:
        message = str(exc)
    else:
        return
    assert message.startswith(("eio", "sio", "jsonp"))  # names the protocol


@FUZZ
@given(any_text | any_bytes, st.sampled_from([3, 4]))
def test_decode_eio_contract(frame: str | bytes, version: int) -> None:
    only_decode_errors(engineio.decode_eio, frame, version)


@FUZZ
@given(
    any_bytes,
    st.sampled_from([3, 4]),
    st.sampled_from([None, "application/octet-stream", "text/plain"]),
)
def test_decode_payload_contract(body: bytes, version: int, content_type: str | None) -> None:
    only_decode_errors(payload.decode_payload, body, version, content_type=content_type)


@FUZZ
@given(any_bytes | any_text.map(lambda s: f'___eio[1]("{s}");'.encode()))
def test_jsonp_contract(body: bytes) -> None:
    only_decode_errors(payload.decode_jsonp_response, body)
    only_decode_errors(payload.decode_jsonp_post, body)
    only_decode_errors(payload.decode_jsonp_post, b"d=" + body)


@FUZZ
@given(any_text | json_values.map(lambda v: __import__("json").dumps(v)))
def test_decode_open_contract(text: str) -> None:
    only_decode_errors(handshake.decode_open, text)


@FUZZ
@given(any_text, st.sampled_from([4, 5]))
def test_decode_sio_contract(text: str, revision: int) -> None:
    only_decode_errors(socketio.decode_sio, text, revision)


@FUZZ
@given(st.lists(any_text | any_bytes, max_size=8), st.sampled_from([4, 5]))
def test_sio_decoder_contract(frames: list[str | bytes], revision: int) -> None:
    decoder = binary.SioDecoder(revision)
    for frame in frames:
        only_decode_errors(decoder.feed, frame)
        assert decoder.pending >= 0


def test_deep_nesting_everywhere() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    for func, arg in [
        (lambda s: socketio.decode_sio("2" + s, 5), deep),
        (handshake.decode_open, deep),
        (lambda s: payload.decode_jsonp_response(f"___eio[1]({s});".encode()), deep),
        (lambda s: binary.SioDecoder(5).feed("51-" + s), deep),
    ]:
        only_decode_errors(func, arg)
