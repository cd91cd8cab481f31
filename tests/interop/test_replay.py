"""Record each real peer pairing through ``sioproxy record``, switch the server
off, and run the same real client against ``sioproxy replay``: it must see the
same results. Ack ids are remapped when the live client's ids are shifted, and
a client that sends something unrecorded gets a readable mismatch report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.interop.peers import PEERS, final_transport, run_client, start_server
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.interop.test_direct import CASES, expected_namespaces

pytestmark = pytest.mark.interop


def record_session(tmp_path: Path, client: str, server: str, mode: str, **flags: Any) -> Path:
    """Record one scenario run against a fresh real server, then stop that server."""
    upstream = start_server(server)
    out = tmp_path / "session.jsonl"
    try:
        proxy = start_sioproxy(record_args(upstream.url, out))
        try:
            run_client(client, proxy.url, mode, **flags)
        finally:
            assert proxy.stop() == 0, proxy.stderr_text()
    finally:
        upstream.stop()
    return out


def start_replay(recording: Path, *extra: str) -> RunningSioproxy:
    return start_sioproxy(
        ["replay", str(recording), "--listen", "127.0.0.1:0", "--exit-when-done", *extra]
    )


@pytest.mark.parametrize(("client", "server", "mode"), CASES)
def test_client_sees_the_same_against_the_replay(
    tmp_path: Path, client: str, server: str, mode: str
) -> None:
    recording = record_session(tmp_path, client, server, mode)
    replay = start_replay(recording)
    try:
        transcript = run_client(client, replay.url, mode)
        status = replay.wait()  # --exit-when-done: it ends by itself
    finally:
        replay.stop()
    assert transcript == {
        "transport": final_transport(mode),
        "namespaces": expected_namespaces(client, server),
    }
    summary = "\n".join(replay.lines)
    assert "0 misses" in summary, summary
    assert status == 0, summary


# One pairing per generation, over a polling transport and websocket.
REMAP_CASES = [
    ("node-sio4", "node-sio4", "websocket"),
    ("py-sio5", "py-sio5", "polling"),
    ("node-sio2", "node-sio2", "upgrade"),
    ("py-sio4", "py-sio4", "websocket"),
    ("node-sio09", "node-sio09", "xhr-polling"),
    ("py-legacy09", "node-sio09", "websocket"),
]


@pytest.mark.parametrize(("client", "server", "mode"), REMAP_CASES)
def test_shifted_client_ack_ids_are_remapped(
    tmp_path: Path, client: str, server: str, mode: str
) -> None:
    """The live client makes one unrecorded acked emit first, so every later
    ack id is one higher than recorded; each ack still arrives under its own id."""
    recording = record_session(tmp_path, client, server, mode)
    replay = start_replay(recording, "--on-miss", "ack-empty")
    try:
        transcript = run_client(client, replay.url, mode, extra_ack_first=True)
    finally:
        replay.stop()
    log = "\n".join(replay.lines)
    assert transcript["namespaces"] == expected_namespaces(client, server), log
    assert transcript["warmup"] == [], "the unrecorded emit got the empty ack"
    assert log.count("replay miss") == 1, log
    assert '"warmup"' in log


@pytest.mark.parametrize(("client", "server", "mode"), REMAP_CASES[:1] + REMAP_CASES[3:5])
def test_unrecorded_args_get_a_mismatch_report_and_no_hang_with_ack_empty(
    tmp_path: Path, client: str, server: str, mode: str
) -> None:
    """The live client sends ``ack_me`` with other args than recorded: the
    report names the packet, the closest candidate and the args diff, and with
    ``--on-miss ack-empty`` the client's ack callback still fires."""
    recording = record_session(tmp_path, client, server, mode)
    replay = start_replay(recording, "--on-miss", "ack-empty", "--match", "per-event")
    try:
        transcript = run_client(client, replay.url, mode, extra_ack_first=True)
        status = replay.wait()
    finally:
        replay.stop()
    log = "\n".join(replay.lines)
    assert "replay miss on connection c1" in log
    assert "closest recorded client packets:" in log
    assert "ack_me" in log
    assert 'recorded "x" != live "warmup"' in log, log
    assert "warmup" in transcript
    assert status == 1, "a miss makes --exit-when-done report failure"


def test_replay_refuses_a_damaged_recording_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "header", "format": "sioproxy-recording", "version": 1}\nnot json\n')
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "sioproxy", "replay", str(bad), "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{bad}:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_generation_of_each_case_is_known() -> None:
    for client, server, _mode in REMAP_CASES:
        assert PEERS[server].generation in PEERS[client].generations
