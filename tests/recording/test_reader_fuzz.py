"""Fuzz: whatever a recording file holds, the reader returns or raises RecordingError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sioproxy.errors import RecordingError
from sioproxy.recording.reader import read_recording
from sioproxy.recording.writer import encode_line
from tests.recording.test_model import sample_entries, sample_header

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
VALID = [e.to_json() for e in sample_entries()]
KEYS = sorted({key for obj in VALID for key in obj} | {"kind", "raw_b64", "x"})


@st.composite
def mutated_entry(draw: st.DrawFn) -> dict[str, Any]:
    """A valid entry with a few keys changed, removed or added."""
    obj = dict(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()):
            obj.pop(key, None)
        else:
            obj[key] = draw(JSON)
    return obj


def _as_line(item: Any) -> bytes:
    if isinstance(item, bytes):
        return item
    return json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n"


LINE = st.binary(max_size=40) | JSON | mutated_entry() | st.sampled_from(VALID)


def _read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(data)
        error: RecordingError | None = None
        try:
            read_recording(path)
        except RecordingError as exc:
            error = exc
        assert error is None or str(error).startswith(str(path))


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    _read(data)


@FUZZ
@given(st.lists(LINE, max_size=8), st.booleans())
def test_header_then_arbitrary_lines(lines: list[Any], drop_final_newline: bool) -> None:
    data = encode_line(sample_header().to_json()) + b"".join(_as_line(x) for x in lines)
    if drop_final_newline:
        data = data.rstrip(b"\n")
    _read(data)


@FUZZ
@given(JSON | mutated_entry(), st.lists(st.sampled_from(VALID), max_size=4))
def test_arbitrary_header(header: Any, lines: list[Any]) -> None:
    _read(b"".join(_as_line(x) for x in [header, *lines]))


@FUZZ
@given(st.lists(st.sampled_from(VALID), min_size=1, max_size=10), st.data())
def test_valid_lines_cut_anywhere(lines: list[Any], data: st.DataObject) -> None:
    whole = encode_line(sample_header().to_json()) + b"".join(encode_line(x) for x in lines)
    cut = data.draw(st.integers(min_value=0, max_value=len(whole)))
    _read(whole[:cut])
