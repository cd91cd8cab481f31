"""``sioproxy report --html`` in Chromium: rows, filter, ack links, sequence, 100,000 rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sioproxy.inspect.filters import FilterSyntaxError, compile_filter
from tests.web.conftest import save_shot
from tests.web.recgen import Lines, many_packets, three_clients, write

REPO = Path(__file__).resolve().parents[2]
BIG = 100_000


def sioproxy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def report(tmp_path: Path, recording: Path) -> str:
    out = tmp_path / "report.html"
    sioproxy("report", str(recording), "--html", str(out))
    return out.as_uri()


def rows(page: Any) -> list[tuple[str, str]]:
    return [
        (el.get_attribute("data-seq"), el.get_attribute("data-event"))
        for el in page.query_selector_all("#list .row")
    ]


def wait_rows(page: Any, seqs: list[str]) -> None:
    """Until the list shows exactly these rows (new rows are drawn on the next tick)."""
    page.wait_for_function(
        "want => [...document.querySelectorAll('#list .row')].map(e => e.dataset.seq).join()"
        " == want",
        arg=",".join(seqs),
    )


def test_rows_are_elements_and_the_filter_narrows_them_like_show(
    inspector: Any, tmp_path: Path
) -> None:
    recording = write(tmp_path / "chat.jsonl", three_clients().text())
    inspector.goto(report(tmp_path, recording))
    inspector.wait_for_selector("#list .row")
    shown = sioproxy("show", str(recording), "--color", "never").stdout.splitlines()
    assert len(rows(inspector)) == len(shown) == 19  # the ping is hidden, as in show
    for expr in ("event:chat", "conn:c2 -dir:s2c", "nsp:/admin or type:ack", "kind:close"):
        inspector.fill("#filter", expr)
        want = sioproxy("show", str(recording), "--color", "never", "--filter", expr).stdout
        seqs = [line.split()[0].lstrip("#") for line in want.splitlines()]
        wait_rows(inspector, seqs)
    inspector.fill("#filter", "event:chat")
    wait_rows(inspector, ["10", "11", "12", "13"])
    assert {event for _, event in rows(inspector)} == {"chat"}


@pytest.mark.parametrize("expr", ["event:", "nope:x", "(event:a", "dir:up", 'raw:"x', "a or"])
def test_filter_errors_are_shown_with_their_column(
    inspector: Any, tmp_path: Path, expr: str
) -> None:
    inspector.goto(report(tmp_path, write(tmp_path / "c.jsonl", three_clients().text())))
    inspector.wait_for_selector("#list .row")
    with pytest.raises(FilterSyntaxError) as raised:
        compile_filter(expr)
    inspector.fill("#filter", expr)
    shown = inspector.text_content("#filter-error")
    assert shown
    assert str(raised.value).endswith(shown)
    assert f"at column {raised.value.column}" in shown


def far_ack() -> Lines:
    rec = Lines()
    rec.open("c1", 0.0)
    request = rec.sio("c1", 0.01, "c2s", "event", ["slow", 1], ack_id=7)
    for n in range(600):
        rec.sio("c1", 0.02 + n / 1000, "s2c", "event", ["tick", n])
    rec.sio("c1", 1.0, "s2c", "ack", ["done"], ack_id=7, ack_of=request)
    return rec


def in_view(page: Any, seq: int) -> bool:
    return bool(
        page.evaluate(
            """seq => { const el = document.querySelector(`#list .row[data-seq="${seq}"]`);
            if (!el) return false; const r = el.getBoundingClientRect();
            const box = document.getElementById('list').getBoundingClientRect();
            return r.top >= box.top && r.bottom <= box.bottom; }""",
            seq,
        )
    )


def test_clicking_a_request_scrolls_to_its_ack_and_back(inspector: Any, tmp_path: Path) -> None:
    rec = far_ack()
    inspector.goto(report(tmp_path, write(tmp_path / "ack.jsonl", rec.text())))
    inspector.wait_for_selector('#list .row[data-seq="2"]')
    ack = rec.seq
    assert not in_view(inspector, ack)
    inspector.click('#list .row[data-seq="2"] .link')
    inspector.wait_for_selector(f'#list .row.sel[data-seq="{ack}"]')
    assert in_view(inspector, ack)
    assert "ackid=7" in (inspector.text_content(f'#list .row[data-seq="{ack}"]') or "")
    assert '"ack"' in (inspector.text_content("#detail") or "")  # the detail pane shows it
    inspector.click(f'#list .row[data-seq="{ack}"] .link')
    inspector.wait_for_selector('#list .row.sel[data-seq="2"]')
    assert in_view(inspector, 2)


def test_sequence_picture_of_three_clients(inspector: Any, tmp_path: Path) -> None:
    inspector.goto(report(tmp_path, write(tmp_path / "chat.jsonl", three_clients().text())))
    inspector.click('#list .row[data-seq="10"]')  # the detail pane shows the request
    inspector.wait_for_selector('#detail[data-seq="10"] pre.entry')
    save_shot(inspector, tmp_path, "web-packets.png")
    inspector.click("text=Sequence")
    svg = inspector.wait_for_selector("svg.sequence")
    lanes = [g.get_attribute("data-conn") for g in svg.query_selector_all("g.lane")]
    assert lanes == ["c1", "c2", "c3", "server"]
    arrows = svg.query_selector_all("g.msg")
    assert len(arrows) == 13  # every packet but the ping
    assert len(svg.query_selector_all("g.msg.c2s")) == 5
    broadcast = svg.query_selector_all('g.msg.s2c[data-event="chat"]')
    assert sorted(g.get_attribute("data-conn") for g in broadcast) == ["c1", "c2", "c3"]
    acks = svg.query_selector_all("g.msg.ack")
    assert [g.get_attribute("data-seq") for g in acks] == ["14"]
    link = svg.query_selector_all("path.ack-link")
    assert [(p.get_attribute("data-seq"), p.get_attribute("data-ack-of")) for p in link] == [
        ("14", "10")
    ]
    assert len(svg.query_selector_all("text.gap")) == 1  # the 5 s pause, compressed
    legend = [t.text_content() for t in svg.query_selector_all("text.nsp")]
    assert legend == ["/", "/admin"]
    colours = {
        g.get_attribute("data-nsp"): g.query_selector("line").get_attribute("stroke")
        for g in arrows
    }
    assert colours["/"] != colours["/admin"]
    lives = svg.query_selector_all("g.life")
    assert len(lives) == 6  # three opens, three closes
    assert inspector.get_attribute(".picture a", "download") == "sequence.svg"
    shot = save_shot(inspector, tmp_path, "web-sequence.png", full_page=True)
    assert shot.stat().st_size > 1000


def test_a_100000_packet_recording_scrolls_to_its_last_row(inspector: Any, tmp_path: Path) -> None:
    recording = tmp_path / "big.jsonl"
    with recording.open("w", encoding="utf-8") as out:
        out.writelines(many_packets(BIG))
    inspector.goto(report(tmp_path, recording), timeout=120_000)
    inspector.wait_for_selector("#list .row", timeout=120_000)
    assert inspector.evaluate("window.sioInspector.rows()") == BIG + 1
    # Only what is on screen is in the DOM.
    assert len(rows(inspector)) < 200
    inspector.evaluate("const l = document.getElementById('list'); l.scrollTop = l.scrollHeight")
    last = inspector.wait_for_selector(f'#list .row[data-seq="{BIG + 1}"]', timeout=30_000)
    assert last.get_attribute("data-event") == "tick"
    assert in_view(inspector, BIG + 1)


def only_lane(page: Any, conn: str) -> None:
    """The picture on screen is ``conn``'s alone: its lane, the server's, its packets."""
    page.wait_for_function(
        "conn => (document.querySelector('.picture a') || {}).textContent"
        " === `download chat.jsonl, connection ${conn} as SVG`",
        arg=conn,
    )
    assert page.locator("svg.sequence").count() == 1
    svg = page.query_selector("svg.sequence")
    lanes = [g.get_attribute("data-conn") for g in svg.query_selector_all("g.lane")]
    assert lanes == [conn, "server"]
    msgs = svg.query_selector_all("g.msg")
    assert msgs
    assert {g.get_attribute("data-conn") for g in msgs} == {conn}


def test_sequence_picture_of_one_connection(inspector: Any, tmp_path: Path) -> None:
    inspector.goto(report(tmp_path, write(tmp_path / "chat.jsonl", three_clients().text())))
    inspector.wait_for_selector("#list .row")
    inspector.click("text=Connections")
    inspector.click('#connections-view tr[data-conn="c2"]')  # a connection's row: its picture
    only_lane(inspector, "c2")
    c2 = inspector.locator("svg.sequence g.msg")
    assert c2.count() == 5  # connect, its answer, the broadcast, /admin connect and answer
    assert inspector.get_attribute(".picture a", "download") == "sequence.svg"
    save_shot(inspector, tmp_path, "web-sequence-conn.png", full_page=True)
    inspector.select_option("#seq-conn", "0:c1")
    only_lane(inspector, "c1")
    assert inspector.locator("svg.sequence path.ack-link").count() == 1
    inspector.select_option("#seq-conn", "")  # back to the whole session
    inspector.wait_for_selector('svg.sequence g.lane[data-conn="c3"]')
    assert inspector.locator("svg.sequence g.lane").count() == 4
