"""``sioproxy web REPORT [FILE]``: a real ``sioproxy diff --report`` side by side in Chromium.

A session of the node scenario client is recorded against the real scenario
server, then ``sioproxy diff`` plays it against the drift server
(tests/replay_client/peers/drift_server.js) whose acks answer "ACK-CHANGED"
instead of "ack". The page must show recorded | live for each drift with the
value at the differing pointer highlighted on both sides, and mark the
recorded packets in the list.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sioproxy.web.diffview import dict_form, looks_like_report, parse_report
from tests.interop.peers import start_server
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy
from tests.replay_client.helpers import record_scenario, start_drift_server
from tests.web.conftest import save_shot

REPO = Path(__file__).resolve().parents[2]
WAIT = 20.0  # bound on waiting for a condition; never a speed check
# generation: (drift server impl, scenario server and client, transport, pointer of the ack result)
GENERATIONS = {
    "eio4": ("sio4", "node-sio4", "websocket", "/data/1"),
    "0.9": ("sio09", "node-sio09", "xhr-polling", "/args/1"),
}


def test_report_texts_decode_to_the_dict_form_pointers_point_into() -> None:
    ack = {"type": "ack", "nsp": "/", "id": 1, "data": ["x", "ack"]}
    assert dict_form('431["x","ack"]', 5) == ack
    assert dict_form('6:::1+["x","ack"]', 5)["args"] == ["x", "ack"]
    assert dict_form("not a packet", 5) is None
    assert not looks_like_report(b'{"kind":"header","format":"sioproxy-recording"}\n')
    assert looks_like_report(b"{\n")
    assert parse_report(b'{"drift_count": 0, "connections": []}') is not None
    assert parse_report(b'{"kind": "header"}') is None


def diff_report(tmp_path: Path, generation: str) -> tuple[Path, Path]:
    impl, peer, mode, _ = GENERATIONS[generation]
    recording = tmp_path / "session.jsonl"
    server = start_server(peer)
    try:
        record_scenario(server.url, peer, mode, recording)
    finally:
        server.stop()
    report = tmp_path / "drift.json"
    drift = start_drift_server(impl, "ack")
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sioproxy",
                "diff",
                str(recording),
                "--target",
                drift.url,
                "--report",
                str(report),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        drift.stop()
    assert done.returncode == 1, done.stdout + done.stderr  # drift
    return recording, report


@pytest.mark.parametrize("generation", list(GENERATIONS))
def test_a_real_diff_report_opens_side_by_side_with_pointers_highlighted(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy], generation: str
) -> None:
    pointer = GENERATIONS[generation][3]
    recording, report = diff_report(tmp_path, generation)
    items = [i for c in json.loads(report.read_text())["connections"] for i in c["drift"]]
    assert len(items) == 3
    assert {i["kind"] for i in items} == {"changed"}
    proc = start_sioproxy(["web", str(report), str(recording), "--listen", "127.0.0.1:0"])
    processes.append(proc)
    inspector.goto(proc.url)
    inspector.wait_for_selector("#diff-tab:not([hidden])")
    inspector.click("#diff-tab")
    inspector.wait_for_selector("#diff-view .drift.changed")
    assert inspector.locator("#diff-view .drift.changed").count() == 3
    recorded = inspector.locator(f'.side.recorded .hl[data-pointer="{pointer}"]')
    live = inspector.locator(f'.side.live .hl[data-pointer="{pointer}"]')
    assert recorded.all_text_contents() == ['"ack"'] * 3
    assert live.all_text_contents() == ['"ACK-CHANGED"'] * 3
    assert inspector.locator(".side .hl").count() == 6  # nothing else is highlighted
    if generation == "eio4":  # docs/web.md shows this one
        save_shot(inspector, tmp_path, "web-diff-eio4.png")
    # The seq link jumps to the recorded packet, marked "changed" in the list.
    seq = items[0]["seq"]
    inspector.click(f'#diff-view .drift[data-seq="{seq}"] .link')
    inspector.wait_for_selector(f'#list .row.sel[data-seq="{seq}"] .mark.changed')


def test_a_report_alone_reads_the_generation_of_the_recording_it_names(
    inspector: Any, tmp_path: Path, processes: list[RunningSioproxy]
) -> None:
    recording, report = diff_report(tmp_path, "0.9")
    moved = json.loads(report.read_text())
    moved["recording"] = str(recording)  # as run from another directory
    report.write_text(json.dumps(moved, indent=2))
    proc = start_sioproxy(["web", str(report), "--listen", "127.0.0.1:0"])
    processes.append(proc)
    inspector.goto(proc.url)
    inspector.click("#diff-tab")
    inspector.wait_for_selector('.side.live .hl[data-pointer="/args/1"]')
    assert inspector.locator("#list .row").count() == 0


def test_report_html_of_a_diff_report_has_the_diff_tab_without_a_server(
    inspector: Any, tmp_path: Path
) -> None:
    recording, report = diff_report(tmp_path, "eio4")
    out = tmp_path / "drift.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sioproxy",
            "report",
            str(report),
            str(recording),
            "--html",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    inspector.goto(out.as_uri())
    inspector.click("#diff-tab")
    inspector.wait_for_selector("#diff-view .drift.changed")
    assert inspector.locator("#diff-view .drift.changed").count() == 3
    assert (
        inspector.locator('.side.recorded .hl[data-pointer="/data/1"]').all_text_contents()
        == ['"ack"'] * 3
    )
    assert (
        inspector.locator('.side.live .hl[data-pointer="/data/1"]').all_text_contents()
        == ['"ACK-CHANGED"'] * 3
    )
    seq = json.loads(report.read_text())["connections"][0]["drift"][0]["seq"]
    inspector.click(f'#diff-view .drift[data-seq="{seq}"] .link')
    inspector.wait_for_selector(f'#list .row.sel[data-seq="{seq}"] .mark.changed')
    alone = tmp_path / "alone.html"  # the report by itself: the Diff tab, no rows
    subprocess.run(
        [sys.executable, "-m", "sioproxy", "report", str(report), "--html", str(alone)],
        cwd=REPO,
        check=True,
        timeout=120,
    )
    inspector.goto(alone.as_uri())
    inspector.click("#diff-tab")
    inspector.wait_for_selector('.side.live .hl[data-pointer="/data/1"]')
    assert inspector.locator("#list .row").count() == 0
