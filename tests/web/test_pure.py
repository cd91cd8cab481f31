"""The web inspector's pure parts, without a browser: rows, ring, sequence SVG, report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sioproxy.recording import Redactor, read_recording
from sioproxy.web.lines import entry_line, page_line
from sioproxy.web.offline import offline_scripts
from sioproxy.web.report import build_report, load_rows
from sioproxy.web.ring import Ring, same_line
from sioproxy.web.rows import line_row
from sioproxy.web.sequence import GAP_SECONDS, MAX_ROWS, sequence_svg
from tests.web.recgen import Lines, many_packets, three_clients, write


def loaded(tmp_path: Path, rec: Lines):  # type: ignore[no-untyped-def]
    path = write(tmp_path / "r.jsonl", rec.text())
    return load_rows([("r.jsonl", read_recording(path))])


def test_rows_use_the_log_schema_and_describe_fields(tmp_path: Path) -> None:
    rows = loaded(tmp_path, three_clients()).rows
    request = next(r for r in rows if r["seq"] == 10)
    for key in ("time", "kind", "seq", "conn", "dir", "transport", "nsp", "type", "event", "id"):
        assert key in request  # docs/logging.md, kind "packet"
    assert (request["event"], request["args"], request["id"]) == ("chat", ["hi all"], 1)
    assert next(r for r in rows if r["seq"] == 14)["ack_of"] == 10
    assert next(r for r in rows if r["seq"] == 15)["heartbeat"] is True
    close = next(r for r in rows if r["kind"] == "close")
    assert (close["by"], close["reason"]) == ("c2s", "websocket closed (1000)")


def test_rows_escape_controls_and_are_redacted(tmp_path: Path) -> None:
    rec = Lines()
    rec.open("c1", 0.0)
    rec.sio("c1", 0.1, "c2s", "event", ["evil\x1b[2J\u202e", {"password": "hunter2-secret"}])
    recording = read_recording(write(tmp_path / "r.jsonl", rec.text()))
    redact = Redactor.from_summary(recording.header.redactions).redact_output
    line = entry_line(recording.entries[1], redact).decode("utf-8")
    assert "\x1b" not in line
    assert "\u202e" not in line
    assert "\\u001b[2J\\u202e" in line
    assert "hunter2-secret" not in line
    assert "[REDACTED" in line
    assert line_row(line)["event"] == "evil\x1b[2J\u202e"  # JSON escapes read back exactly


def test_ring_keeps_the_last_n_and_counts_what_a_reader_missed() -> None:
    encoded: list[int] = []
    ring = Ring(3, lambda item: (encoded.append(item), b'{"n":%d}' % item)[1])
    for n in range(5):
        ring.append(n)
    assert encoded == []  # nothing is encoded until a page asks
    rows, missed = ring.since(0)
    assert [i for i, _ in rows] == [3, 4, 5]
    assert missed == 2
    assert ring.evicted == 2
    assert len(ring) == 3
    rows, missed = ring.since(4)
    assert [text for _, text in rows] == [b'{"n":4}']
    assert missed == 0
    assert ring.since(5) == ([], 0)
    assert ring.since(3, limit=1)[0] == [(4, b'{"n":3}')]
    assert encoded == [2, 3, 4]  # each once
    assert ring.get(1) is None
    assert ring.get(5) == b'{"n":4}'


def test_ring_listeners_hear_every_append() -> None:
    ring = Ring(2, same_line)
    heard: list[int] = []
    stop = ring.listen(heard.append)
    ring.append("a")
    stop()
    ring.append("b")
    assert heard == [1]
    with pytest.raises(ValueError, match="capacity"):
        Ring(0, same_line)


def test_sequence_svg_is_xml_with_lanes_arrows_and_a_compressed_gap(tmp_path: Path) -> None:
    svg = sequence_svg(loaded(tmp_path, three_clients()).rows, title="t <&>")
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert [g.get("data-conn") for g in root.iterfind("s:g[@class='lane']", ns)] == [
        "c1",
        "c2",
        "c3",
        "server",
    ]
    msgs = root.findall("s:g", ns)
    assert sum(1 for g in msgs if (g.get("class") or "").startswith("msg")) == 13
    gaps = root.findall("s:text[@class='gap']", ns)
    assert len(gaps) == 1
    assert "5.0 s" in (gaps[0].text or "")
    assert GAP_SECONDS < 5
    height = float(root.get("height") or 0)
    assert height < 1000  # 5 seconds of nothing take one small break, not 5 s of page


def test_sequence_svg_escapes_recorded_text_and_stops_at_max_rows(tmp_path: Path) -> None:
    rec = Lines()
    rec.open("c1", 0.0)
    rec.sio("c1", 0.1, "c2s", "event", ['</svg><script>alert(1)</script>"\x1b', 1])
    svg = sequence_svg(loaded(tmp_path, rec).rows)
    ET.fromstring(svg)  # still well-formed
    assert "<script>" not in svg
    assert "\x1b" not in svg
    rows = [
        {"kind": "packet", "seq": n, "conn": "c1", "dir": "c2s", "t": 0}
        for n in range(MAX_ROWS + 5)
    ]
    assert f"first {MAX_ROWS} of {MAX_ROWS + 5} rows drawn" in sequence_svg(rows)


def test_report_embeds_data_that_cannot_close_its_script(tmp_path: Path) -> None:
    rec = Lines()
    rec.open("c1", 0.0)
    rec.sio("c1", 0.1, "c2s", "event", ["x</script><script>alert(1)</script>", "<!--"])
    page = build_report(loaded(tmp_path, rec))
    data = re.search(r'<script type="application/json" id="sio-data">(.*?)</script>', page, re.S)
    assert data is not None
    assert "<" not in data.group(1)
    lines = json.loads(data.group(1))["lines"]  # recording entries: rows.js makes the rows
    assert lines[1]["packet"]["sio"]["data"][0] == "x</script><script>alert(1)</script>"
    assert "static/" not in page  # CSS and JS are inline: the file needs no server
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "").replace(
        "http://127.0.0.1:3000", ""
    )


def test_a_packet_note_reaches_its_row(tmp_path: Path) -> None:
    # --spec violations are recorded as the packet's note (docs/contracts.md):
    # the page shows them, from the recording and live alike.
    rec = Lines()
    rec.open("c1", 0.0)
    seq = rec.sio("c1", 0.1, "c2s", "event", ["chat", 5])
    rec.out[-1]["note"] = "spec violation: /1: expected string, got integer 5"
    row = next(r for r in loaded(tmp_path, rec).rows if r["seq"] == seq)
    assert row["note"] == "spec violation: /1: expected string, got integer 5"


def test_page_line_escapes_what_the_recorder_left_raw() -> None:
    # The recorder's lines keep non-ASCII as it is: bidi controls, C1 and DEL included.
    raw = '{"a":"x\u202e\x7f\x85\u2066\u061c","b":"d\u00e9j\u00e0 \u2019 \u20ac"}\n'.encode()
    line = page_line(raw)
    escaped = '{"a":"x\\u202e\\u007f\\u0085\\u2066\\u061c","b":"d\u00e9j\u00e0 \u2019 \u20ac"}'
    assert line == escaped.encode()
    assert json.loads(line) == json.loads(raw)  # the same value, escaped
    clean = '{"b":"d\u00e9j\u00e0 \u2019"}\n'.encode()
    assert page_line(clean) == clean[:-1]  # nothing to escape: the same bytes
    assert page_line('["\u061c"]'.encode()) == b'["\\u061c"]'  # one lead byte alone


def test_packet_lookup_bisects_a_file_with_sessions_and_a_torn_tail(tmp_path: Path) -> None:
    from sioproxy.web.packets import SCAN, find_in_file
    from tests.web.recgen import HEADER, many_packets

    lines = list(many_packets(3000))
    # A later session's header (record --append) in the middle, a torn line at the end.
    middle = len(lines) // 2
    lines.insert(middle, json.dumps(HEADER) + "\n")
    path = tmp_path / "big.jsonl"
    path.write_text("".join(lines) + '{"seq": 3002, "kind": "pack', encoding="utf-8")
    assert path.stat().st_size > 8 * SCAN  # the lookup bisects, it does not read it all
    for seq in (1, 2, middle - 1, middle, middle + 1, 1500, 2999, 3001):
        entry = find_in_file(path, seq)
        assert entry is not None, seq
        assert entry.seq == seq
    assert find_in_file(path, 3002) is None  # not written in full yet
    assert find_in_file(path, 0) is None
    assert find_in_file(tmp_path / "absent.jsonl", 1) is None


def test_a_recording_export_har_refuses_gets_the_jsonl_download_only(tmp_path: Path) -> None:
    import dataclasses

    from sioproxy.errors import RecordingError
    from sioproxy.inspect.har import export_har
    from sioproxy.web.offline import offline_scripts

    good = read_recording(write(tmp_path / "r.jsonl", three_clients().text()))
    assert set(offline_scripts(good)) == {"sio-source", "sio-har"}
    header = dataclasses.replace(good.header, created="not a time")
    bad = dataclasses.replace(good, header=header)
    with pytest.raises(RecordingError):
        export_har(bad)
    scripts = offline_scripts(bad)
    assert set(scripts) == {"sio-source"}
    assert len(json.loads(scripts["sio-source"])["lines"]) == 20


def test_a_report_is_built_without_garbage_collection(
    tmp_path: Path, gc_collections: list[int]
) -> None:
    # Rows, HAR pieces and the source are acyclic and all kept: a collection
    # only walks them (and a test session's objects) for nothing. 40,000 rows
    # took 8.0 s with the collector on, 5.4 s without (docs/performance.md).
    path = write(tmp_path / "r.jsonl", "".join(many_packets(3_000)))
    recording = read_recording(path)
    gc_collections.clear()
    rows = load_rows([("r.jsonl", recording)])
    scripts = offline_scripts(recording)
    assert gc_collections == []
    assert len(rows.rows) == 3_001
    assert set(scripts) == {"sio-source", "sio-har"}
