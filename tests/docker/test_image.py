"""The image built from docker/Dockerfile, run for real (buildah, no daemon).

One module-scoped build, one working container, one node socket.io 4 server on the
host: record through the container, stop it as ``docker stop`` does, read the
recording on the host, replay it from the same image, restart it. The tests run in
file order and share the recordings folder.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import socketio

from sioproxy.recording import read_recording
from tests.docker.container import Container, build_image, image_config, image_size, stop
from tests.interop.peers import RunningServer, run_client, start_server

pytestmark = pytest.mark.interop

PEER = "node-sio4"
UID = 10001
NOBODY = 65534
MAX_IMAGE_BYTES = 400 * 1024 * 1024
LOOPBACK = {"SIOPROXY_LISTEN": "127.0.0.1:0", "SIOPROXY_ADMIN": "127.0.0.1:0"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    build_image()
    return image_config()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server(PEER)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def recordings() -> Iterator[Path]:
    """The host folder mounted on /recordings, prepared as docs/operations.md says."""
    path = Path(tempfile.mkdtemp(prefix="sioproxy-docker-"))
    path.chmod(0o755)  # mkdtemp makes 0700: let the host user of the last test in
    os.chown(path, UID, UID)
    yield path
    shutil.rmtree(path)


@pytest.fixture(scope="module")
def container(config: dict[str, Any], recordings: Path) -> Iterator[Container]:
    made = Container(recordings)
    yield made
    made.remove()


@dataclass
class Recorded:
    transcript: dict[str, Any]
    health: int
    health_after: int
    uid: int
    status: int
    lines: list[str]
    path: Path


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(li for li in status.splitlines() if li.startswith("Uid:"))
    return int(line.split()[1])


def _healthcheck(container: Container, admin: str) -> int:
    test = container.config["Healthcheck"]["Test"]
    assert test[0] == "CMD", test
    done = container.exec(test[1:], {"SIOPROXY_ADMIN": admin.removeprefix("http://")})
    return done.returncode


@pytest.fixture(scope="module")
def recorded(container: Container, server: RunningServer) -> Recorded:
    env = {"SIOPROXY_UPSTREAM": server.url, **LOOPBACK}
    proxy, admin, main_pid = container.start_sioproxy(container.default_argv(), env)
    held = socketio.Client(reconnection=False)
    try:
        health = _healthcheck(container, admin)
        uid = _uid(main_pid)
        transcript = run_client(PEER, proxy.url, "websocket")
        # A second client is still connected when the container is stopped.
        held.connect(proxy.url, transports=["websocket"], wait_timeout=20)
        status = stop(proxy, main_pid)
    finally:
        if held.connected:
            held.disconnect()
        proxy.stop()
    health_after = _healthcheck(container, admin)
    return Recorded(
        transcript, health, health_after, uid, status, proxy.lines, container.recordings
    )


def test_image_config(config: dict[str, Any]) -> None:
    size = image_size()
    print(f"image size: {size / 1e6:.1f} MB")
    assert config["User"].split(":")[0] == str(UID)
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert config["Entrypoint"] == ["sioproxy"]
    assert config["Cmd"] == ["record"]
    assert "/recordings" in config["Volumes"]
    assert config["WorkingDir"] == "/recordings"
    assert config.get("StopSignal") in (None, "SIGTERM")
    assert size < MAX_IMAGE_BYTES


def test_runs_as_non_root_and_holds_no_compilers(container: Container) -> None:
    assert container.exec(["id", "-u"]).stdout.strip() == str(UID)
    probe = "for t in gcc cc c++ g++ clang tcc as ld; do command -v $t; done; true"
    assert container.exec(["sh", "-c", probe]).stdout == ""
    # pip and the build's CA bundle secret stayed in the build stage.
    leftovers = "command -v pip pip3; ls /run/secrets/cacert 2>/dev/null; true"
    assert container.exec(["sh", "-c", leftovers]).stdout == ""


def test_record_in_the_container_and_stop_it(recorded: Recorded) -> None:
    assert recorded.health == 0  # the image's HEALTHCHECK command, in the container
    assert recorded.health_after != 0  # and it notices when sioproxy is gone
    assert recorded.uid == UID  # the container's process on the host
    assert recorded.status == 0, recorded.lines
    path = recorded.path / "session.jsonl"
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (UID, UID)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert path.read_bytes().endswith(b"\n")  # no torn last line
    rec = read_recording(path)
    closes = {e.conn: e for e in rec.entries if e.kind == "close"}
    assert len(rec.connections()) == 2
    assert set(closes) == set(rec.connections())  # every connection closed in the file
    held_open = rec.connections()[1]
    assert closes[held_open].reason == "proxy stopped"


def test_replay_from_the_same_image(recorded: Recorded, container: Container) -> None:
    argv = ["sioproxy", "replay", "session.jsonl", "--listen", "127.0.0.1:0"]
    proxy, _, main_pid = container.start_sioproxy(argv, {}, admin=False)
    try:
        replayed = run_client(PEER, proxy.url, "websocket")
    finally:
        stop(proxy, main_pid)
    assert replayed["namespaces"] == recorded.transcript["namespaces"]


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[bytes]:
    cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
    return subprocess.run(cmd, capture_output=True, timeout=30, check=False)


def test_a_host_user_reads_recordings_as_documented(
    recorded: Recorded, container: Container, server: RunningServer
) -> None:
    path = recorded.path / "session.jsonl"
    assert _as_nobody("cat", str(path)).returncode != 0  # 0600, owned by 10001
    shown = container.exec(["sioproxy", "show", "session.jsonl"])  # read through the image
    assert shown.returncode == 0, shown.stderr
    env = {
        "SIOPROXY_UPSTREAM": server.url,
        "SIOPROXY_RECORD_OUT": "shared.jsonl",
        "SIOPROXY_FILE_MODE": "0644",
        **LOOPBACK,
    }
    proxy, _, main_pid = container.start_sioproxy(container.default_argv(), env)
    try:
        run_client(PEER, proxy.url, "websocket")
    finally:
        assert stop(proxy, main_pid) == 0, proxy.lines
    done = _as_nobody("cat", str(recorded.path / "shared.jsonl"))
    assert done.returncode == 0, done.stderr
    assert b'"kind":"open"' in done.stdout.replace(b" ", b"")


def test_a_restarted_container_appends_a_session(
    recorded: Recorded, container: Container, server: RunningServer
) -> None:
    path = recorded.path / "session.jsonl"
    first = path.read_bytes()
    env = {"SIOPROXY_UPSTREAM": server.url, **LOOPBACK}
    proxy, _, main_pid = container.start_sioproxy(container.default_argv(), env)
    try:
        run_client(PEER, proxy.url, "websocket")
    finally:
        assert stop(proxy, main_pid) == 0, proxy.lines
    assert any("appending a session" in line for line in proxy.lines), proxy.lines
    assert path.read_bytes().startswith(first)
    rec = read_recording(path)
    assert len(rec.sessions) == 1  # one appended session after the first
    assert len(rec.connections()) == 3
