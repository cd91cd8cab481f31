"""``--web`` hands the page the recording's lines, redacted exactly as the recording.

``record --web``: the recorder's own line goes to the ring (``LiveRecorder.tap``).
``proxy --web`` has no recording: its ring makes, when a page reads, the line
the recorder would have written. Both are fed the traffic of
tests/recording/test_live_recorder.py (EIO4 websocket with a CONNECT auth
token, a query token swept from later frames, a password key; EIO3 polling;
0.9) and compared with the file a recorder writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sioproxy.proxy.live import LiveObserver
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.recording.redact import Redactor
from sioproxy.web.live import LiveRows, RecordedLines
from sioproxy.web.ring import Ring
from tests.recording.test_live_recorder import SECRETS, _eio3_polling, _eio4_ws, _legacy_ws

Feed = Callable[[LiveObserver], None]
FEEDS = pytest.mark.parametrize(
    "feed", [_eio4_ws, _eio3_polling, _legacy_ws], ids=["eio4-ws", "eio3-polling", "0.9-ws"]
)


def lines(ring: Ring) -> list[bytes]:
    return [line for _, line in ring.since(0)[0]]


def record_web(tmp_path: Path, feed: Feed) -> tuple[list[bytes], list[bytes]]:
    """(the file's entry lines, the page lines of record --web) for one run."""
    path = tmp_path / "rec.jsonl"
    redactor = Redactor()
    recorder = LiveRecorder.open(str(path), upstream="http://up", redactor=redactor)
    web = RecordedLines(redactor, 1000)
    recorder.tap = web.tap
    obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event])
    feed(obs)
    obs.shutdown()
    recorder.close()
    return path.read_bytes().splitlines()[1:], lines(web.ring)


def proxy_web(feed: Feed) -> list[bytes]:
    rows = LiveRows(Redactor(), 1000, keep_items=True)
    obs = LiveObserver(clock=lambda: 0.25, sinks=[rows.sink])
    feed(obs)
    obs.shutdown()
    return lines(rows.ring)


@FEEDS
def test_record_web_pages_get_the_recorders_lines(tmp_path: Path, feed: Feed) -> None:
    recorded, page = record_web(tmp_path, feed)
    assert len(page) == len(recorded) > 5
    # The same entries; the recorder's bytes themselves for the lines it wrote without
    # redaction (the page escapes bidi and C1 characters, as JSON escapes).
    assert [json.loads(line) for line in page] == [json.loads(line) for line in recorded]
    assert sum(a is b or a == b for a, b in zip(page, recorded, strict=True)) > len(page) // 2


@FEEDS
def test_proxy_web_pages_get_the_line_the_recorder_would_write(tmp_path: Path, feed: Feed) -> None:
    _, record_page = record_web(tmp_path, feed)
    assert proxy_web(feed) == record_page


def test_no_secret_reaches_a_page(tmp_path: Path) -> None:
    for feed in (_eio4_ws, _eio3_polling, _legacy_ws):
        _, page = record_web(tmp_path, feed)
        text = b"\n".join(page + proxy_web(feed))
        for secret in (*SECRETS, "pw-in-json", "nsp-s3cr3t", "legacy-s3cr3t"):
            assert secret.encode() not in text, (feed.__name__, secret)
    assert b"[REDACTED:auth.token]" in b"\n".join(record_web(tmp_path, _eio4_ws)[1])
