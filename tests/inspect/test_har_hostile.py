"""Crafted and mutated HAR files: ``import`` gives one line naming the file, entry and reason.

A HAR file comes from outside; whatever it holds, ``import_har`` either
imports it or raises ``RecordingError`` (the CLI prints it as one line, exit
status 2), never anything else.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sioproxy.errors import RecordingError
from sioproxy.inspect.har import import_har
from sioproxy.recording import RecordingWriter

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
CAPTURES = {
    name: json.loads((DATA / f"chrome_{name}.har").read_text())
    for name in ("websocket", "polling", "legacy")
}


def _sio_entries(har: Any) -> list[dict[str, Any]]:
    return [e for e in har["log"]["entries"] if "socket.io" in e["request"]["url"]]


def _ws_entry(har: Any) -> dict[str, Any]:
    return next(e for e in har["log"]["entries"] if "_webSocketMessages" in e)


def _set_all(key: str, value: Any) -> Callable[[Any], None]:
    def change(har: Any) -> None:
        for entry in _sio_entries(har):
            entry[key] = value

    return change


def _set_request(key: str, value: Any) -> Callable[[Any], None]:
    def change(har: Any) -> None:
        for entry in _sio_entries(har):
            entry["request"][key] = value

    return change


def _set_ws(value: Any) -> Callable[[Any], None]:
    def change(har: Any) -> None:
        _ws_entry(har)["_webSocketMessages"] = value

    return change


# (capture, change, words the one line must hold)
CRAFTED: list[tuple[str, Callable[[Any], None], list[str]]] = [
    ("polling", _set_all("time", "abc"), ["time 'abc' is not a number"]),
    ("polling", _set_all("time", float("nan")), ["not a finite number"]),
    ("polling", _set_request("headers", 5), ["request.headers is not a list"]),
    ("polling", _set_request("headers", [1]), ["request.headers[0] is not an object"]),
    ("polling", _set_all("response", 5), ["response is not an object"]),
    ("websocket", _set_ws([1, 2]), ["WebSocket message 0 is not an object"]),
    ("websocket", _set_ws(5), ["_webSocketMessages is not a list"]),
    ("websocket", _set_all("startedDateTime", "0001-01-01T00:00:00+01:00"), ["startedDateTime"]),
    ("polling", _set_all("startedDateTime", "9999-12-31T23:59:59-01:00"), ["startedDateTime"]),
    ("polling", _set_all("startedDateTime", "9999-12-31T23:59:59.999Z"), ["years 1-9999"]),
    ("polling", _set_all("startedDateTime", 5), ["startedDateTime 5 is not a string"]),
    ("polling", _set_request("url", "http://[::1/socket.io/?EIO=4"), ["request.url", "IPv6"]),
    ("polling", _set_request("url", "http://h:99999/socket.io/?EIO=4"), ["request.url"]),
    ("websocket", _set_all("request", None), ["request is not an object"]),
]


@pytest.mark.parametrize(
    ("capture", "change", "words"), CRAFTED, ids=[str(i) for i in range(len(CRAFTED))]
)
def test_crafted_har_is_a_recording_error(
    capture: str, change: Callable[[Any], None], words: list[str]
) -> None:
    har = copy.deepcopy(CAPTURES[capture])
    change(har)
    with pytest.raises(RecordingError) as info:
        import_har(har, path="crafted.har")
    message = str(info.value)
    assert message.startswith("crafted.har: HAR entry ")
    for word in words:
        assert word in message


def test_crafted_har_on_the_command_line(tmp_path: Path) -> None:
    har = copy.deepcopy(CAPTURES["websocket"])
    _set_ws([1, 2])(har)
    path = tmp_path / "crafted.har"
    path.write_text(json.dumps(har))
    proc = subprocess.run(
        [sys.executable, "-m", "sioproxy", "import", str(path), "--out", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"sioproxy import: {path}: HAR entry 1: WebSocket message 0 is not an object (int)"
    ]


def test_year_1_and_9999_import() -> None:
    for when in ("0001-01-01T00:00:00.000Z", "9999-12-31T23:00:00.000Z"):
        har = copy.deepcopy(CAPTURES["polling"])
        _set_all("startedDateTime", when)(har)
        assert import_har(har, path="old.har").entries


# -- mutation: any value anywhere replaced by any JSON value, or removed -----

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00", "http://[::1/x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _mutate(har: Any, path: tuple[Any, ...], replacement: Any, remove: bool) -> Any:
    if not path:
        return replacement
    parent = har
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return har


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    capture=st.sampled_from(sorted(CAPTURES)),
    picks=st.lists(
        st.tuples(st.integers(min_value=0), _JSON, st.booleans()), min_size=1, max_size=3
    ),
)
def test_mutated_har_raises_only_recording_error(
    capture: str, picks: list[tuple[int, Any, bool]]
) -> None:
    har = copy.deepcopy(CAPTURES[capture])
    for pick, replacement, remove in picks:
        paths = _paths(har)
        har = _mutate(har, paths[pick % len(paths)], replacement, remove)
    try:
        result = import_har(har, path="mutated.har")
    except RecordingError:
        return
    with tempfile.TemporaryDirectory() as folder:
        writer = RecordingWriter.create(os.path.join(folder, "out.jsonl"), result.header)
        for entry in result.entries:
            writer.write(entry)
        writer.close()
        assert writer.failed is None
