"""``report --html`` without a server: the downloads of the filtered view, and a diff report.

The static page builds the JSONL and the HAR in the browser (static/offline.js,
static/har.js from the pieces of sioproxy/web/har_pieces.py); for the same
filter they must be what ``sioproxy web``'s ``/download.jsonl`` (byte for
byte) and ``/download.har`` (the same JSON document) serve for that file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy
from tests.web.recgen import HEADER, Lines, three_clients, write
from tests.web.test_web_cli import run

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "inspect" / "data"
WAIT = 20.0  # bound on waiting for a server answer; never a speed check
# Recordings of every transport and generation the HAR export knows, and a filter set.
SOURCES = [
    "eio4_session.jsonl",
    "eio3_session.jsonl",
    "legacy_session.jsonl",
    "rules_session.jsonl",
    "appended",  # two sessions in one file, as record --append writes them
]
FILTERS = [
    "",
    "dir:c2s",
    "dir:s2c",
    "type:event or kind:close",
    "kind:upgrade or dir:s2c",
    "-type:event",
]


def later_session() -> Lines:
    """A second session of three_clients' file: its header, then seqs 21 and on."""
    rec = Lines()
    rec.seq = 20
    rec.out = [{**HEADER, "created": "2026-12-01T10:05:00.000Z"}]
    rec.open("c4", 0.0)
    rec.sio("c4", 0.01, "c2s", "event", ["chat", "later"], ack_id=3)
    rec.sio("c4", 0.02, "s2c", "ack", ["ok"], ack_id=3, ack_of=22)
    rec.close("c4", 0.03)
    return rec


def report(source: Path, out: Path, *more: str) -> str:
    done = run("report", *more, str(source), "--html", str(out))
    assert done.returncode == 0, done.stderr
    return out.as_uri()


def served(url: str, form: str, expr: str, show_all: bool) -> str:
    query = f"filter={quote(expr)}&all={int(show_all)}"
    with urlopen(f"{url}/download.{form}?{query}", timeout=WAIT) as response:
        return str(response.read().decode("utf-8"))


def set_view(page: Any, expr: str, show_all: bool) -> None:
    page.fill("#filter", expr)
    if page.is_checked("#show-all") != show_all:
        page.click("#show-all")
    assert page.evaluate("window.sioInspector.viewOptions()") == {
        "filter": expr,
        "showAll": show_all,
    }


@pytest.mark.parametrize("name", SOURCES)
def test_static_downloads_equal_the_servers_for_the_same_filter(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy], name: str
) -> None:
    source = tmp_path / name
    if name == "appended":
        source.write_text(three_clients().text() + later_session().text(), encoding="utf-8")
    else:
        shutil.copy(DATA / name, source)
    inspector.goto(report(source, tmp_path / "r.html"))
    inspector.wait_for_selector("#downloads:not([hidden])")
    proc = start_sioproxy(["web", str(source), "--listen", "127.0.0.1:0"])
    processes.append(proc)
    for show_all in (False, True):
        for expr in FILTERS:
            set_view(inspector, expr, show_all)
            jsonl = inspector.evaluate("window.sioOffline.jsonl()")
            assert jsonl == served(proc.url, "jsonl", expr, show_all), (expr, show_all)
            har = json.loads(inspector.evaluate("window.sioOffline.har()"))
            assert har == json.loads(served(proc.url, "har", expr, show_all)), (expr, show_all)
    entries = json.loads(served(proc.url, "har", "", True))["log"]["entries"]
    assert entries  # the comparison above was not between empty documents


def test_static_download_links_save_the_filtered_view(inspector: Any, tmp_path: Path) -> None:
    source = write(tmp_path / "chat.jsonl", three_clients().text())
    inspector.goto(report(source, tmp_path / "chat.html"))
    inspector.fill("#filter", "event:chat")
    inspector.wait_for_function("window.sioInspector.shown() == 4")
    with inspector.expect_download(timeout=WAIT * 1000) as info:
        inspector.click("#download-jsonl")
    saved = tmp_path / "view.jsonl"
    info.value.save_as(str(saved))
    assert info.value.suggested_filename == "sioproxy-view.jsonl"
    shown = run("show", str(saved), "--color", "never", "--filter", "event:chat")
    assert [line.split()[0] for line in shown.stdout.splitlines()] == ["#10", "#11", "#12", "#13"]
    header = json.loads(saved.read_text(encoding="utf-8").splitlines()[0])
    assert header["meta"]["web_download"] == {"filter": "event:chat", "show_all": False}
    with inspector.expect_download(timeout=WAIT * 1000) as info:
        inspector.click("#download-har")
    har_file = tmp_path / "view.har"
    info.value.save_as(str(har_file))
    frames = [
        m
        for e in json.loads(har_file.read_text(encoding="utf-8"))["log"]["entries"]
        for m in e.get("_webSocketMessages", [])
    ]
    assert len(frames) == 4
    assert all('"chat"' in m["data"] for m in frames)
