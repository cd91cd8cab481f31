"""docker/compose.yml's default services, each run as a container from the image.

No compose tool here: each service's command line (its ``entrypoint``, or the
image's ENTRYPOINT + CMD) and ``environment`` are read from compose.yml and run
with buildah on the host network. Compose's service names become 127.0.0.1 and
their fixed ports become ports chosen by the kernel (port 0, read from each
process's first line); the ``./recordings`` volume becomes a host folder. The
``scale`` profile's HAProxy is tested with Debian's haproxy (tests/ops/test_haproxy.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sioproxy.recording import read_recording
from tests.docker.container import Container, build_image, stop, stop_process
from tests.interop.peers import REPO, _read_first_line

pytestmark = pytest.mark.interop

COMPOSE = REPO / "docker" / "compose.yml"
UID = 10001


@dataclass
class Service:
    entrypoint: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)


def parse_services(text: str) -> dict[str, Service]:
    """The keys this test needs from compose.yml's ``services`` (block style, flow lists)."""
    services: dict[str, Service] = {}
    current: Service | None = None
    block = ""
    in_services = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_services = stripped == "services:"
        elif in_services and indent == 2:
            current = services.setdefault(stripped.rstrip(":"), Service())
        elif current is not None and indent == 4:
            key, _, value = stripped.partition(":")
            block = key
            if key in ("entrypoint", "profiles"):
                setattr(current, key, json.loads(value))
        elif current is not None and indent == 6 and block == "environment":
            key, _, value = stripped.partition(":")
            current.environment[key] = value.strip().strip('"')
        elif current is not None and indent == 6 and block == "volumes":
            current.volumes.append(stripped.removeprefix("- "))
        elif current is not None and indent == 6 and block == "healthcheck":
            key, _, value = stripped.partition(":")
            if key == "test":
                current.healthcheck = json.loads(value)
    return services


def _resolve(text: str, addresses: dict[str, str]) -> str:
    for name, address in addresses.items():
        text = text.replace(name, address)
    return text


@pytest.fixture(scope="module")
def recordings() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="sioproxy-compose-"))
    os.chown(path, UID, UID)
    yield path
    shutil.rmtree(path)


def test_parse_services_reads_the_default_services() -> None:
    services = parse_services(COMPOSE.read_text(encoding="utf-8"))
    default = sorted(name for name, s in services.items() if not s.profiles)
    assert default == ["client", "demo-server", "sioproxy"]
    assert services["sioproxy"].entrypoint is None  # the image's own command
    assert services["sioproxy"].volumes == ["./recordings:/recordings"]
    assert services["haproxy"].profiles == ["scale"]
    assert services["demo-server"].healthcheck[0] == "CMD"


def test_default_services_run_as_containers(recordings: Path, tmp_path: Path) -> None:
    build_image()
    services = parse_services(COMPOSE.read_text(encoding="utf-8"))
    server_svc, proxy_svc, client_svc = (services[n] for n in ("demo-server", "sioproxy", "client"))
    assert server_svc.entrypoint is not None
    assert client_svc.entrypoint is not None
    assert "./recordings:/recordings" in proxy_svc.volumes
    containers = [Container(recordings) for _ in range(3)]
    server_ctr, proxy_ctr, client_ctr = containers
    argv = server_svc.entrypoint
    # Host network: the fixed port becomes port 0, the wildcard becomes loopback.
    argv = [{"5000": "0", "0.0.0.0": "127.0.0.1"}.get(a, a) for a in argv]
    with (tmp_path / "server.stderr").open("wb") as server_err:
        server = server_ctr.start(argv, {}, server_err)
    proxy = None
    try:
        word, port = _read_first_line(server, 60).decode().split()
        assert word == "listening"
        addresses = {"demo-server:5000": f"127.0.0.1:{port}", "', 5000)": f"', {port})"}
        assert server_svc.healthcheck[0] == "CMD"
        probe = [_resolve(a, addresses) for a in server_svc.healthcheck[1:]]
        healthy = server_ctr.exec(probe)
        assert healthy.returncode == 0, healthy.stderr
        env = {k: _resolve(v, addresses) for k, v in proxy_svc.environment.items()}
        env |= {"SIOPROXY_LISTEN": "127.0.0.1:0", "SIOPROXY_ADMIN": "127.0.0.1:0"}
        proxy, _, proxy_pid = proxy_ctr.start_sioproxy(proxy_ctr.default_argv(), env)
        addresses["sioproxy:8080"] = proxy.url.removeprefix("http://")
        client = client_ctr.exec([_resolve(a, addresses) for a in client_svc.entrypoint])
        assert client.returncode == 0, client.stderr
        assert stop(proxy, proxy_pid) == 0, proxy.lines
    finally:
        if proxy is not None:
            proxy.stop()
        stop_process(server)
        for made in containers:
            made.remove()
    transcript = json.loads(client.stdout.strip().splitlines()[-1])
    assert transcript["transport"] == "websocket"
    path = recordings / "session.jsonl"
    assert len(read_recording(path).connections()) == 1
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    events = {
        e["packet"]["sio"]["data"][0]
        for e in entries
        if e["kind"] == "packet" and e["packet"].get("sio", {}).get("type") == "event"
    }
    assert {"chat", "welcome"} <= events
