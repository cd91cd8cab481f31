"""The page's rows (sioproxy/web/static/rows.js) are the rows Python makes (``line_row``).

The page gets recording lines (sioproxy/web/lines.py) and makes each row in
the browser. This runs the JavaScript under node (installed for the interop
peers) over the page lines of real recordings of every generation, and of
entries made to reach every branch of ``describe`` and ``entry_row`` (0.9,
Engine.IO without socket.io, undecoded binary, attachments, every fate, a
raw longer than the detail pane shows, with characters outside the BMP), and
compares each row with :func:`sioproxy.web.rows.line_row` of the same line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sioproxy.recording import Redactor, read_recording
from sioproxy.recording.model import CloseEvent, HttpRequest, UpgradeEvent, entry_from_json
from sioproxy.types import TransportName
from sioproxy.web.lines import entry_line
from sioproxy.web.report import load_rows
from sioproxy.web.rows import RAW_LIMIT, line_row
from tests.web.recgen import three_clients, write

ROOT = Path(__file__).resolve().parents[2]
ROWS_JS = ROOT / "sioproxy" / "web" / "static" / "rows.js"
DATA = ROOT / "tests" / "inspect" / "data"
SCRIPT = """
const rows = require(process.argv[1]);
const lines = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(lines.map((line) => rows.fromLine(JSON.parse(line)))));
"""


def odd_packets() -> list[dict[str, Any]]:
    """Packet entries (as recorded JSON) for the branches real sessions rarely reach."""
    big = "42" + json.dumps(["big", "\U0001f600" * (RAW_LIMIT - 10) + "x" * 20])
    packets: list[dict[str, Any]] = [
        {
            "raw": big,
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["big"]}},
        },
        {"raw": "\U0001f600" * (RAW_LIMIT - 1), "error": "not a packet"},  # long in UTF-16 only
        {
            "raw_b64": "AAEC",
            "attachments_b64": ["AQI=", "AwQ="],
            "packet": {"eio": "message", "binary": "AAEC"},
        },
        {"raw_b64": "AAEC", "error": "binary frame outside a packet"},
        {"raw": "3probe", "packet": {"eio": "pong", "data": "probe"}},
        {"raw": "6", "packet": {"eio": "noop"}},
        {
            "raw": "42[1,2]",
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": [1, 2]}},
        },
        {
            "raw": "42[]",
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": []}},
        },
        {
            "raw": "43/x,5",
            "packet": {"eio": "message", "sio": {"type": "ack", "nsp": "/x", "id": 5}},
        },
        {
            "raw": "44",
            "packet": {
                "eio": "message",
                "sio": {"type": "connect_error", "data": {"message": "no"}},
            },
        },
        {
            "raw": "45-[]",
            "packet": {
                "eio": "message",
                "sio": {
                    "type": "binary_event",
                    "nsp": "/",
                    "data": ["b", {"_placeholder": True, "num": 0}],
                },
            },
        },
        {
            "raw": "7:::1+0",
            "packet": {
                "type": "error",
                "endpoint": "/chat",
                "reason": "unauthorized",
                "advice": "reconnect",
            },
        },
        {"raw": "1::/chat?a=1", "packet": {"type": "connect", "endpoint": "/chat", "qs": "?a=1"}},
        {"raw": "3:1::hi", "packet": {"type": "message", "id": 1, "endpoint": "", "data": "hi"}},
        {"raw": "4:::{}", "packet": {"type": "json", "endpoint": None, "data": {}}},
        {"raw": "5:::{}", "packet": {"type": "event", "endpoint": "", "name": 7, "args": []}},
        {"raw": "8::", "packet": {"type": "noop", "endpoint": ""}},
        {"raw": "0::", "packet": {"type": "disconnect", "endpoint": []}},  # Python's truthiness
        {"raw": "?", "packet": {"endpoint": "/z"}},
        {
            "raw": '42["d"]',
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["d"]}},
            "note": "delayed 0.5 s by rule 'slow'",
        },
        {
            "raw": '42["s"]',
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["s"]}},
            "note": "sent by the proxy",
        },
        {
            "raw": '42["n"]',
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["n"]}},
            "note": "a --spec violation",
        },
        {
            "raw": '42["o"]',
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["o"]}},
            "original": {"raw": '42["p"]'},
        },
        {
            "raw": '42["e\u202e\x1b"]',
            "packet": {
                "eio": "message",
                "sio": {"type": "event", "nsp": "/", "data": ["e\u202e\x1b"]},
            },
            "fate": "delayed",
            "delay": 0.25,
            "rule": "r",
        },
    ]
    return [
        {
            "kind": "packet",
            "seq": 100 + n,
            "conn": "c9",
            "t": 1.5 + n,
            "dir": "s2c" if n % 2 else "c2s",
            "transport": "polling",
        }
        | packet
        for n, packet in enumerate(packets)
    ]


def page_lines(tmp_path: Path) -> list[bytes]:
    files = sorted(DATA.glob("*.jsonl"))
    recordings = [(f.name, read_recording(f)) for f in files]
    recordings.append(
        ("three", read_recording(write(tmp_path / "t.jsonl", three_clients().text())))
    )
    lines = list(load_rows(recordings).lines)
    redact = Redactor().redact_output
    odd = [entry_from_json(obj, path="odd", line=None) for obj in odd_packets()]
    odd += [
        UpgradeEvent(
            seq=200,
            conn="c9",
            t=9.0,
            transport=TransportName.WEBSOCKET,
            request=HttpRequest(method="GET", path="/socket.io/", query="EIO=4", headers=()),
        ),
        CloseEvent(seq=201, conn="c9", t=9.5, reason="transport error", by=None),
    ]
    lines += [entry_line(e, redact, file=3, session=2) for e in odd]
    return lines


def test_js_rows_equal_python_rows(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run `make peers`")
    lines = page_lines(tmp_path)
    result = subprocess.run(
        [node, "-e", SCRIPT, str(ROWS_JS)],
        input=json.dumps([line.decode("utf-8") for line in lines]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    js = json.loads(result.stdout)
    assert len(js) == len(lines) > 60
    for line, got in zip(lines, js, strict=True):
        # Through JSON as the page's rows travel (a float 1.0 and an int 1 are one number).
        want = json.loads(json.dumps(line_row(line)))
        assert got == want, line.decode("utf-8")[:300]
