"""The page's downloads: the filtered view as a JSONL recording and as HAR.

The filter typed in the box goes to the server, which selects with
``show --filter``'s own code; the JSONL file must read back with ``sioproxy
show`` (and start ``sioproxy replay``), and the HAR must be ``export --har``'s
document of the same selection.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from sioproxy.inspect.filters import FilterSyntaxError
from sioproxy.recording import read_recording
from sioproxy.web.download import jsonl_text, select
from tests.interop.conftest import ServerFactory, peer_server  # noqa: F401 - fixture
from tests.interop.peers import run_client
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy
from tests.web.recgen import three_clients, write

REPO = Path(__file__).resolve().parents[2]
WAIT = 20.0  # bound on waiting for a condition; never a speed check


def sioproxy(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def shown_seqs(path: Path, *options: str) -> list[int]:
    out = sioproxy("show", str(path), "--color", "never", *options)
    return [int(line.split()[0].lstrip("#")) for line in out.splitlines() if line.startswith("#")]


def download(page: Any, link: str, tmp_path: Path, name: str) -> Path:
    """Click a download link; the saved file (Playwright's download API)."""
    with page.expect_download(timeout=WAIT * 1000) as info:
        page.click(link)
    target = tmp_path / name
    info.value.save_as(str(target))
    return target


def test_select_keeps_each_connection_open_and_reads_back(tmp_path: Path) -> None:
    source = write(tmp_path / "chat.jsonl", three_clients().text())
    recording = read_recording(source)
    picked = select(recording, "event:chat -dir:c2s")
    out = write(tmp_path / "picked.jsonl", jsonl_text(picked))
    again = read_recording(out)
    chats = shown_seqs(source, "--filter", "event:chat -dir:c2s")
    opens = [e.seq for e in recording.entries if e.kind == "open"]
    assert [e.seq for e in again.entries] == sorted(chats + opens)
    assert again.header.meta["web_download"] == {"filter": "event:chat -dir:c2s", "show_all": False}
    assert again.header.redactions == recording.header.redactions
    with pytest.raises(FilterSyntaxError):
        select(recording, "event:")


def test_typed_filter_downloads_as_jsonl_and_har(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    source = write(tmp_path / "chat.jsonl", three_clients().text())
    proc = start_sioproxy(["web", str(source), "--listen", "127.0.0.1:0"])
    processes.append(proc)
    inspector.goto(proc.url)
    inspector.wait_for_selector('#list .row[data-seq="20"]')
    inspector.fill("#filter", "event:chat or kind:close")
    inspector.wait_for_function("window.sioInspector.shown() == 7")
    jsonl = download(inspector, "#download-jsonl", tmp_path, "view.jsonl")
    want = shown_seqs(source, "--filter", "event:chat or kind:close")
    opens = shown_seqs(source, "--filter", "kind:open")
    assert shown_seqs(jsonl) == sorted(want + opens)  # `sioproxy show` reads it
    assert shown_seqs(jsonl, "--filter", "event:chat or kind:close") == want
    header = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])
    assert header["kind"] == "header"
    assert header["meta"]["web_download"]["filter"] == "event:chat or kind:close"

    har_file = download(inspector, "#download-har", tmp_path, "view.har")
    har = json.loads(har_file.read_text(encoding="utf-8"))
    frames = [m for e in har["log"]["entries"] for m in e.get("_webSocketMessages", [])]
    assert frames, har
    assert all('"chat"' in m["data"] for m in frames)
    assert len(frames) == len(want) - 3  # the three closes are no frames
    exported = tmp_path / "all.har"
    sioproxy("export", str(jsonl), "--har", str(exported))
    assert (
        json.loads(exported.read_text(encoding="utf-8"))["log"]["entries"] == har["log"]["entries"]
    )


def test_a_bad_filter_is_refused_with_its_column(
    tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    source = write(tmp_path / "chat.jsonl", three_clients().text())
    proc = start_sioproxy(["web", str(source), "--listen", "127.0.0.1:0"])
    processes.append(proc)
    with pytest.raises(HTTPError) as refused:
        urlopen(f"{proc.url}/download.jsonl?filter=event%3A", timeout=WAIT)
    assert refused.value.code == 400
    assert "column" in refused.value.read().decode("utf-8")


def test_live_proxy_view_downloads_a_recording_replay_accepts(
    inspector: Any,
    tmp_path: Path,
    processes: list[RunningSioproxy],
    peer_server: ServerFactory,  # noqa: F811
) -> None:
    server = peer_server("node-sio4")
    proc = start_sioproxy(
        ["proxy", "--listen", "127.0.0.1:0", "--upstream", server.url, "--web", "127.0.0.1:0"]
    )
    processes.append(proc)
    web = next(line for line in wait_lines(proc, 2) if line.startswith("sioproxy web on "))
    inspector.goto(web.split()[-1])
    inspector.wait_for_function("document.getElementById('status').textContent.includes('live')")
    run_client("node-sio4", proc.url, "websocket")
    # Every connection the client opened has closed on the page: nothing more is coming.
    inspector.wait_for_function(
        "(() => { const d = window.sioInspector.data();"
        " const n = (k) => d.filter((r) => r.kind === k).length;"
        " return n('open') > 0 && n('open') === n('close'); })()",
        timeout=WAIT * 1000,
    )
    inspector.fill("#filter", "event:echo")
    inspector.wait_for_function("window.sioInspector.shown() >= 2")
    jsonl = download(inspector, "#download-jsonl", tmp_path, "live.jsonl")
    seqs = shown_seqs(jsonl)  # show reads it: header, the open, the echo events
    live = inspector.evaluate("window.sioInspector.data()")
    echoes = [r["seq"] for r in live if r.get("event") == "echo"]
    opens = [r["seq"] for r in live if r["kind"] == "open"]
    assert seqs == sorted(echoes + opens)
    replay = start_sioproxy(["replay", str(jsonl), "--listen", "127.0.0.1:0"])
    processes.append(replay)  # it started: replay accepted the file


def wait_lines(proc: RunningSioproxy, count: int) -> list[str]:
    import time

    deadline = time.monotonic() + WAIT
    while len(proc.lines) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(proc.lines)
