"""The page's filter (sioproxy/web/static/filter.js) agrees with ``show --filter``.

Runs the JavaScript under node (installed for the interop peers) on the rows of
a recording and compares the selected seqs, and the error column and reason,
with ``sioproxy.inspect.filters`` for the same expressions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sioproxy.inspect.filters import FilterSyntaxError, compile_filter
from sioproxy.recording import read_recording
from sioproxy.web.report import load_rows
from tests.web.recgen import three_clients, write

FILTER_JS = Path(__file__).resolve().parents[2] / "sioproxy" / "web" / "static" / "filter.js"
EXPRESSIONS = [
    "event:chat",
    "nsp:/ event:*",
    'type:ack or event:"chat"',
    "conn:c2 -dir:s2c",
    "(event:chat or type:connect) not nsp:/admin*",
    "kind:open",
    "id:1",
    "transport:websocket and dir:c2s",
    'raw:*"hi all"*',
    "raw:2",
    "KIND:close",
    "fate:*",
    "event:CHAT",
    'event:"c*"',
    # errors
    "",
    "event:",
    "nope:x",
    "(event:a",
    "event:a)",
    "dir:up",
    'raw:"x',
    "a or",
    "or event:x",
    "event:x and",
    "not",
    "chat",
    "kind:pakcet",
]
SCRIPT = """
const f = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.exprs.map((e) => {
  try { const p = f.compileFilter(e); return {seqs: input.rows.filter(p).map((r) => r.seq)}; }
  catch (err) { return {column: err.column, reason: err.reason}; }
});
process.stdout.write(JSON.stringify(out));
"""


def python_side(expr: str, entries: list, rows: list) -> dict:  # type: ignore[type-arg]
    try:
        f = compile_filter(expr)
    except FilterSyntaxError as exc:
        reason = str(exc).split(": ", 1)[1].rsplit(" at column", 1)[0]
        return {"column": exc.column, "reason": reason}
    return {"seqs": [e.seq for e in entries if f.matches(e)]}


def test_js_filter_selects_and_fails_exactly_like_python(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run `make peers`")
    recording = read_recording(write(tmp_path / "r.jsonl", three_clients().text()))
    rows = load_rows([("r", recording)]).rows
    data = json.dumps({"exprs": EXPRESSIONS, "rows": rows})
    result = subprocess.run(
        [node, "-e", SCRIPT, str(FILTER_JS)],
        input=data,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    js = json.loads(result.stdout)
    for expr, got in zip(EXPRESSIONS, js, strict=True):
        assert got == python_side(expr, list(recording.entries), rows), expr
