"""Recording faults of a real ``sioproxy record``: SIGKILL mid-recording, a full disk.

SIGKILL: the file must read back (``read_recording``) up to the last packet
that was relayed, a torn last line at most. Disk full: the recording goes to a
64 KiB tmpfs mounted for the test (we run as root in the container); the
proxy keeps relaying, says so in the log, and ``/metrics`` shows
``sioproxy_recording_ok 0`` with a growing write-failure count.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sioproxy.recording.header import Header
from sioproxy.recording.model import HttpRequest, OpenEvent
from sioproxy.recording.reader import read_recording
from sioproxy.recording.writer import RecordingWriter
from sioproxy.types import Generation, TransportName
from tests.hostile.harness import (
    Stack,
    WsClient,
    assert_survived,
    bystander_ws,
    metric,
    start_stack,
    wait_for,
    wait_for_log,
)
from tests.interop.conftest import require_installed

pytestmark = pytest.mark.interop


def _acked_then_sigkill(tmp_path: Path, *extra: str) -> tuple[Path, int]:
    """50 emits with ack through ``record``, then SIGKILL; the file and acks received."""
    require_installed("node-sio4")
    stack = start_stack(tmp_path, "node-sio4", *extra)
    received = 0
    try:
        client = WsClient(stack.ws_url())
        client.open_sio()
        for i in range(1, 51):
            client.ws.send(f'42{i}["ack_me","n{i}"]')
            client.recv_until(lambda d, i=i: isinstance(d, str) and d.startswith(f"43{i}["))
            received += 1
        os.kill(stack.proxy.pid, signal.SIGKILL)
        assert stack.proxy.process.wait(10) == -signal.SIGKILL
        client.close()
    finally:
        stack.stop()
    return stack.out, received


def test_sigkill_with_per_line_flush_keeps_every_relayed_packet(tmp_path: Path) -> None:
    out, received = _acked_then_sigkill(tmp_path, "--flush-interval", "0")
    recording = read_recording(out)  # raises RecordingError if unreadable
    acks = [e.raw for e in recording.entries if e.kind == "packet" and e.raw.startswith("43")]
    # Each line is written before its packet is relayed: every ack the client got is there.
    assert len(acks) == received == 50
    assert acks[-1] == '4350["n50","ack"]'


def test_sigkill_with_default_batching_leaves_a_readable_prefix(tmp_path: Path) -> None:
    """The default batches writes (--flush-interval 0.1): a prefix survives, readable."""
    out, _ = _acked_then_sigkill(tmp_path)
    recording = read_recording(out)
    seqs = [e.seq for e in recording.entries]
    assert seqs == list(range(1, len(seqs) + 1))  # a gap-free prefix, no torn middle


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_while_recording(tmp_path: Path, tiny_disk: Path) -> None:
    require_installed("node-sio4")
    stack = start_stack(tmp_path)
    stack.proxy.stop()  # restart it with the recording on the tiny disk
    stack = _restack(stack, tiny_disk / "rec.jsonl")
    try:
        client = WsClient(stack.ws_url())
        client.open_sio()
        filler = "f" * 4000
        for i in range(1, 41):  # ~2 x 160 KB of packets: well past 64 KiB
            client.ws.send(f'42{i}["ack_me","{filler}"]')
            got = client.recv_until(lambda d, i=i: isinstance(d, str) and d.startswith(f"43{i}["))
            assert filler in got  # relaying goes on, ack by ack
        client.close()
        wait_for(
            "the failure in /metrics",
            lambda: metric(stack.admin, "sioproxy_recording_write_failures_total") > 0,
        )
        assert metric(stack.admin, "sioproxy_recording_ok") == 0
        wait_for_log(stack.proxy, r"recording .*write failed \(OSError: .*No space left")
        assert_survived(stack)
    finally:
        stack.stop()
    recording = read_recording(tiny_disk / "rec.jsonl")  # what fitted is still readable
    assert recording.entries


def _restack(old: Stack, out: Path) -> Stack:
    from tests.interop.sioproxy_proc import record_args
    from tests.ops.helpers import launch_sioproxy, sioproxy_cmd

    argv = sioproxy_cmd(
        *record_args(old.server.url, out), "--admin", "127.0.0.1:0", "--max-body", "65536"
    )
    try:
        proxy, admin = launch_sioproxy(argv)
    except BaseException:
        old.server.stop()
        raise
    return Stack(old.server, proxy, admin, out)


def test_bystander_helper_sanity(tmp_path: Path) -> None:
    """The helpers the fault tests rely on do fail on a dead proxy."""
    require_installed("node-sio4")
    stack = start_stack(tmp_path)
    stack.proxy.stop()
    try:
        with pytest.raises(ConnectionRefusedError):
            bystander_ws(stack)
    finally:
        stack.stop()


def test_writer_recovers_after_disk_full_without_a_hole(tiny_disk: Path) -> None:
    """Regression: after ENOSPC cut a line off, the next line must not land past a gap.

    The file used to be opened without O_APPEND, so ``truncate`` left the file
    offset past the end and the next successful write left NUL bytes behind:
    the recording no longer read back.
    """
    ballast = tiny_disk / "ballast"
    path = tiny_disk / "rec.jsonl"
    writer = RecordingWriter.create(path, Header.new(upstream=None))
    ballast.write_bytes(b"b" * 16384)
    seq = 0
    while writer.failed is None:  # fill the disk until a write fails
        seq += 1
        writer.write(_open_entry(seq, "/x" * 300))
    kept = writer.lines_written - 1  # minus the header
    ballast.unlink()  # space again
    for _ in range(3):
        seq += 1
        writer.write(_open_entry(seq, "/"))
    writer.close()
    assert b"\0" not in path.read_bytes()
    entries = read_recording(path).entries
    assert len(entries) >= kept + 3
    assert entries[-1].seq == seq


def _open_entry(seq: int, path: str) -> OpenEvent:
    return OpenEvent(
        seq=seq,
        conn=f"c{seq}",
        t=0.0,
        generation=Generation.EIO4,
        transport=TransportName.WEBSOCKET,
        sid=None,
        request=HttpRequest(method="GET", path=path),
    )
