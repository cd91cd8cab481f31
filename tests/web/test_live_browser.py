"""``sioproxy web`` and ``record --web`` in Chromium: rows pushed as they come, catch-up, drops.

Real peers (node socket.io 4 server and client, tests/interop) run through
``sioproxy record --web``; the page must show each packet within a second of
the proxy logging it, and a page that goes away must not stop the relay.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from sioproxy.recording import read_recording
from sioproxy.web.report import load_rows
from tests.interop.conftest import ServerFactory, peer_server  # noqa: F401 - fixture
from tests.interop.peers import PeerError, run_client
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.web.conftest import save_shot
from tests.web.recgen import three_clients

WEB_PREFIX = "sioproxy web on "
WAIT = 20.0  # bound on waiting for a process line; never a speed check


def line_starting(proc: RunningSioproxy, prefix: str) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for line in list(proc.lines):
            if line.startswith(prefix):
                return line
        time.sleep(0.02)
    pytest.fail(f"no line starting {prefix!r} in {proc.lines}\n{proc.stderr_text()}")


def start(processes: list[RunningSioproxy], *args: str) -> RunningSioproxy:
    proc = start_sioproxy(list(args))
    processes.append(proc)
    return proc


def sse_ids(url: str, last_event_id: int | None, want: int) -> tuple[list[int], list[str]]:
    """The first ``want`` row ids of /events (and the named events seen on the way)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT)
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    conn.request("GET", "/events", headers=headers)
    response = conn.getresponse()
    assert response.getheader("content-type", "").startswith("text/event-stream")
    ids: list[int] = []
    named: list[str] = []
    while len(ids) < want:
        line = response.readline().decode("utf-8").rstrip("\n")
        if line.startswith("id: "):
            ids.append(int(line[4:]))
        elif line.startswith("event: "):
            named.append(line[7:])
    conn.close()
    return ids, named


def metrics(url: str) -> dict[str, float]:
    with urlopen(f"{url}/metrics", timeout=WAIT) as response:
        text = response.read().decode("utf-8")
    return {
        name: float(value)
        for name, value in (line.split() for line in text.splitlines() if not line.startswith("#"))
    }


def test_web_follows_a_growing_file_and_pushes_new_rows(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    lines = three_clients().text().splitlines(keepends=True)
    recording = tmp_path / "growing.jsonl"
    recording.write_text("".join(lines[:8]), encoding="utf-8")  # header + seq 1..7
    proc = start(
        processes, "web", str(recording), "--listen", "127.0.0.1:0", "--follow-interval", "0.05"
    )
    assert proc.lines == [] or not proc.lines[0].startswith("sioproxy")
    inspector.goto(proc.url)
    inspector.wait_for_selector('#list .row[data-seq="7"]')
    with recording.open("a", encoding="utf-8") as out:
        out.write("".join(lines[8:]))
    inspector.wait_for_selector('#list .row[data-seq="20"]', timeout=1000)
    assert "live" in (inspector.text_content("#status") or "")
    inspector.fill("#filter", "event:chat")
    inspector.wait_for_function("document.querySelectorAll('#list .row').length == 4")


def test_events_catch_up_from_last_event_id_and_count_what_the_ring_lost(
    tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    recording = tmp_path / "r.jsonl"
    recording.write_text(three_clients().text(), encoding="utf-8")  # 20 rows
    proc = start(processes, "web", str(recording), "--listen", "127.0.0.1:0")
    ids, named = sse_ids(proc.url, 15, 5)
    assert ids == [16, 17, 18, 19, 20]
    assert named == []
    small = start(processes, "web", str(recording), "--listen", "127.0.0.1:0", "--web-ring", "5")
    ids, named = sse_ids(small.url, None, 5)
    assert ids == [16, 17, 18, 19, 20]
    assert named == ["dropped"]  # 15 rows were gone before this page asked
    assert metrics(small.url)["sioproxy_web_dropped_total"] == 15
    assert metrics(small.url)["sioproxy_web_evicted_total"] == 15


def run_in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(fn())
        except Exception as exc:  # reported by the test after join
            result.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


def logged_seqs(proc: RunningSioproxy) -> list[int]:
    seqs = []
    for line in list(proc.lines):
        if line.startswith("{"):
            obj = json.loads(line)
            if obj["kind"] in ("packet", "open", "upgrade", "close") and obj["seq"] is not None:
                seqs.append(obj["seq"])
    return seqs


def test_record_web_shows_live_packets_of_a_real_client(
    inspector: Any,
    tmp_path: Path,
    processes: list[RunningSioproxy],
    peer_server: ServerFactory,  # noqa: F811
) -> None:
    server = peer_server("node-sio4")
    out = tmp_path / "live.jsonl"
    proc = start(
        processes,
        *record_args(server.url, out, "--web", "127.0.0.1:0", "--log-format", "json", "-v"),
    )
    web = json.loads(line_starting(proc, "{"))["text"]
    assert web.startswith(WEB_PREFIX)  # the second line, a JSON note in JSON mode
    url = web[len(WEB_PREFIX) :]
    inspector.goto(url)
    inspector.wait_for_function("document.getElementById('status').textContent.includes('live')")
    thread, result = run_in_thread(lambda: run_client("node-sio4", proc.url, "websocket"))
    inspector.wait_for_selector('#list .row[data-kind="packet"]', timeout=WAIT * 1000)
    thread.join(WAIT * 3)
    assert result, "the client did not finish"
    assert not isinstance(result[0], Exception), result
    seqs = logged_seqs(proc)
    assert seqs
    # Each packet the proxy logged is on the page within a second (heartbeats shown too).
    inspector.check("#show-all")
    inspector.evaluate(f"window.sioInspector.scrollToSeq(0, {seqs[-1]})")
    inspector.wait_for_selector(f'#list .row[data-seq="{seqs[-1]}"]', timeout=1000)
    assert set(seqs) <= set(inspector.evaluate("window.sioInspector.seqs()"))
    assert inspector.locator('#list .row[data-event="echo"]').count() >= 1
    save_shot(inspector, tmp_path, "web-live.png")
    assert metrics(url)["sioproxy_web_pages"] == 1
    # The live rows have the fields the recording's rows have: the filter selects alike.
    live = {row["seq"]: row for row in inspector.evaluate("window.sioInspector.data()")}
    proc.stop()
    recorded = load_rows([("live", read_recording(out))]).rows
    keys = ("kind", "conn", "dir", "transport", "nsp", "type", "event", "id", "ack_of", "raw")
    keys += ("heartbeat", "fate", "rule", "attachments")
    for row in recorded:
        assert {k: live[row["seq"]].get(k) for k in keys} == {k: row.get(k) for k in keys}


def test_closing_the_browser_mid_stream_leaves_the_proxy_relaying(
    inspector: Any,
    tmp_path: Path,
    processes: list[RunningSioproxy],
    peer_server: ServerFactory,  # noqa: F811
) -> None:
    server = peer_server("node-sio4")
    proc = start(processes, *record_args(server.url, tmp_path / "r.jsonl", "--web", "127.0.0.1:0"))
    url = line_starting(proc, WEB_PREFIX)[len(WEB_PREFIX) :]
    inspector.goto(url)
    thread, result = run_in_thread(lambda: run_client("node-sio4", proc.url, "websocket"))
    inspector.wait_for_selector('#list .row[data-kind="packet"]', timeout=WAIT * 1000)
    inspector.context.close()  # the browser goes away while the client is still talking
    thread.join(WAIT * 3)
    assert result, "the client did not finish"
    assert not isinstance(result[0], Exception), result
    again = run_client("node-sio4", proc.url, "websocket")  # and the next client is relayed
    assert again
    deadline = time.monotonic() + WAIT
    while metrics(url)["sioproxy_web_pages"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metrics(url)["sioproxy_web_pages"] == 0
    assert proc.process.poll() is None


def steps(path: Path) -> Iterator[int]:
    from sioproxy.recording import read_recording
    from sioproxy.recording.script import build_script

    recording = read_recording(path)
    for conn in recording.connections():
        for step in build_script(recording, conn).steps:
            yield step.entry.seq


def test_replay_web_marks_played_packets_and_shows_a_miss(
    inspector: Any,
    tmp_path: Path,
    processes: list[RunningSioproxy],
    peer_server: ServerFactory,  # noqa: F811
) -> None:
    server = peer_server("node-sio4")
    out = tmp_path / "rec.jsonl"
    recorder = start(processes, *record_args(server.url, out))
    run_client("node-sio4", recorder.url, "websocket")
    recorder.stop()
    replay = start(
        processes,
        *["replay", str(out), "--listen", "127.0.0.1:0", "--loop", "--web", "127.0.0.1:0"],
    )
    url = line_starting(replay, WEB_PREFIX)[len(WEB_PREFIX) :]
    inspector.goto(url)
    inspector.wait_for_selector("#list .row .mark.unplayed")
    assert inspector.locator("#list .row .mark.played").count() == 0
    run_client("node-sio4", replay.url, "websocket")
    inspector.wait_for_function(
        "document.querySelectorAll('#list .row .mark.unplayed, #list .row .mark.waiting')"
        ".length == 0"
    )
    played = inspector.locator("#list .row .mark.played").count()
    assert played > 10
    assert played == sum(1 for _ in steps(out))
    save_shot(inspector, tmp_path, "web-replay.png")
    with pytest.raises(PeerError, match=r"exited|timed out"):
        run_client("node-sio4", replay.url, "websocket", echo_text="not what was recorded")
    inspector.wait_for_function("document.getElementById('status').textContent.includes('miss')")
    inspector.click("text=Connections")
    assert "not what was recorded" in (inspector.text_content("#connections-view") or "")


def test_the_page_reconnects_by_itself_and_catches_up_with_last_event_id(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    lines = three_clients().text().splitlines(keepends=True)
    recording = tmp_path / "r.jsonl"
    recording.write_text("".join(lines[:11]), encoding="utf-8")  # header + seq 1..10
    first = start(processes, "web", str(recording), "--listen", "127.0.0.1:0")
    inspector.goto(first.url)
    inspector.wait_for_selector('#list .row[data-seq="10"]')
    first.stop()  # the server goes away; the page says so and keeps retrying
    inspector.wait_for_function(
        "document.getElementById('status').textContent.includes('reconnecting')"
    )
    with recording.open("a", encoding="utf-8") as out:
        out.write("".join(lines[11:]))
    port = urlsplit(first.url).port
    start(processes, "web", str(recording), "--listen", f"127.0.0.1:{port}")
    inspector.wait_for_selector('#list .row[data-seq="20"]', timeout=WAIT * 1000)
    seqs = inspector.evaluate("window.sioInspector.seqs()")
    assert seqs == sorted(set(seqs))  # rows 1..10 were not sent twice: it asked from id 10
    assert len(seqs) == 20
    # The stream the stopped server cut is the one error the page may log.
    inspector.sio_errors[:] = [e for e in inspector.sio_errors if "net::ERR_" not in e]


def test_sequence_of_one_connection_is_asked_from_the_server(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    from tests.web.test_report_browser import only_lane

    recording = tmp_path / "chat.jsonl"
    recording.write_text(three_clients().text(), encoding="utf-8")
    proc = start(processes, "web", str(recording), "--listen", "127.0.0.1:0")
    inspector.goto(proc.url)
    inspector.wait_for_selector('#list .row[data-seq="20"]')
    inspector.click("text=Sequence")
    inspector.wait_for_selector('svg.sequence g.lane[data-conn="c3"]')
    inspector.select_option("#seq-conn", "0:c3")
    only_lane(inspector, "c3")
    with urlopen(f"{proc.url}/pictures.json?file=0&conn=c1", timeout=WAIT) as response:
        [(title, svg)] = json.loads(response.read())
    assert title == "chat.jsonl, connection c1"
    assert 'data-conn="c2"' not in svg


@pytest.mark.parametrize("command", ["record", "proxy"])
def test_clicking_a_live_row_shows_its_entry_and_the_server_answers_for_it(
    inspector: Any,
    tmp_path: Path,
    processes: list[RunningSioproxy],
    peer_server: ServerFactory,  # noqa: F811
    command: str,
) -> None:
    server = peer_server("node-sio4")
    args = record_args(server.url, tmp_path / "r.jsonl", "--web", "127.0.0.1:0")
    if command == "proxy":  # no file: the entry is made from the event the ring keeps
        args = ["proxy", "--listen", "127.0.0.1:0", "--upstream", server.url]
        args += ["--web", "127.0.0.1:0"]
    proc = start(processes, *args)
    url = line_starting(proc, WEB_PREFIX)[len(WEB_PREFIX) :]
    inspector.goto(url)
    inspector.wait_for_function("document.getElementById('status').textContent.includes('live')")
    run_client("node-sio4", proc.url, "websocket")
    row = inspector.wait_for_selector('#list .row[data-event="echo"]', timeout=WAIT * 1000)
    seq = int(row.get_attribute("data-seq") or 0)
    live = {r["seq"]: r for r in inspector.evaluate("window.sioInspector.data()")}
    out = tmp_path / "r.jsonl"
    deadline = time.monotonic() + WAIT  # record: the recorder's batched lines reach --out
    while (
        command == "record"
        and f'"seq":{seq},' not in out.read_text()
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    inspector.click(f'#list .row[data-seq="{seq}"]')
    inspector.wait_for_selector(f'#detail[data-seq="{seq}"][data-source="entry"]')
    entry = json.loads(inspector.text_content("#detail pre.entry") or "")
    assert entry["seq"] == seq
    assert entry["packet"]["sio"]["data"][0] == "echo"  # the dict form, not the row's fields
    assert inspector.text_content("#detail pre.raw") == live[seq]["raw"]
    binary = inspector.locator('#list .row[data-event="bin_echo"]').first
    binary.click()  # a packet with an attachment: its size and hex
    inspector.wait_for_selector('#detail[data-source="entry"] pre.attachment')
    assert "bytes\n" in (inspector.text_content("#detail pre.attachment") or "")
    with urlopen(f"{url}/packet?file=0&seq={seq}", timeout=WAIT) as response:
        assert json.loads(response.read())["entry"] == entry  # what the page made of its line
    with pytest.raises(HTTPError) as gone:
        urlopen(f"{url}/packet?file=0&seq=999999", timeout=WAIT)
    assert gone.value.code == 404
