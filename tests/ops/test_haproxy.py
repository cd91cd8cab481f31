"""Scale-out: HAProxy (docker/haproxy.cfg, unchanged) in front of two ``sioproxy record``
processes on loopback, real clients on every transport, every session recorded
wholly by one process and both processes used.

HAProxy comes from the Debian package (tests/ops/install_haproxy.sh, run by
``make peers``). Its listening socket is bound here on port 0 and handed over
as ``fd@N``, so no fixed port is needed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import require_installed
from tests.interop.peers import REPO, final_transport, run_client, start_server
from tests.interop.sioproxy_proc import RunningSioproxy, record_args
from tests.ops.helpers import http_get, launch_sioproxy, read_recording, sioproxy_cmd, stop_process

pytestmark = pytest.mark.interop

HAPROXY_CFG = REPO / "docker" / "haproxy.cfg"

# (peer implementation, client modes): each mode runs twice so round robin spreads them.
SCENARIOS = [
    ("node-sio4", ("polling", "websocket", "upgrade")),
    ("node-sio09", ("xhr-polling", "websocket")),
]


@dataclass
class Cluster:
    url: str
    nodes: dict[str, RunningSioproxy]
    admins: dict[str, str]
    outs: dict[str, Path]
    haproxy: subprocess.Popen[bytes]
    haproxy_log: Path


def _haproxy_bin() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )
    if found is None:
        pytest.fail("haproxy is not installed: run `make peers` (tests/ops/install_haproxy.sh)")
    return found


def _start_haproxy(
    nodes: dict[str, RunningSioproxy], admins: dict[str, str], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    env = dict(os.environ, SIOPROXY_HAPROXY_BIND=f"fd@{listener.fileno()}")
    for name, node in nodes.items():
        key = f"SIOPROXY_NODE_{name.upper()}"
        env[key] = node.url.removeprefix("http://")
        env[f"{key}_ADMIN"] = admins[name].rsplit(":", 1)[1]
    try:
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [_haproxy_bin(), "-db", "-f", str(HAPROXY_CFG)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=env,
                pass_fds=(listener.fileno(),),
            )
    finally:
        listener.close()  # HAProxy holds its own copy of the listening socket
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(params=SCENARIOS, ids=[s[0] for s in SCENARIOS])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Cluster, Any]]:
    impl, modes = request.param
    require_installed(impl)
    upstream = start_server(impl)
    nodes: dict[str, RunningSioproxy] = {}
    admins: dict[str, str] = {}
    outs = {name: tmp_path / f"node-{name}.jsonl" for name in ("a", "b")}
    haproxy: subprocess.Popen[bytes] | None = None
    log = Path(tempfile.mkstemp(prefix="haproxy-", suffix=".log")[1])
    try:
        for name, out in outs.items():
            argv = sioproxy_cmd(*record_args(upstream.url, out), "--admin", "127.0.0.1:0", "-q")
            nodes[name], admins[name] = launch_sioproxy(argv)
        haproxy, url = _start_haproxy(nodes, admins, log)
        yield Cluster(url, nodes, admins, outs, haproxy, log), (impl, modes)
    finally:
        if haproxy is not None:
            stop_process(haproxy)
        for node in nodes.values():
            node.stop()
        upstream.stop()
        log.unlink(missing_ok=True)


def _session_id(entries: list[dict[str, Any]], conn: str) -> str:
    """The session id of one recorded connection (open entry, else the EIO open packet)."""
    for entry in entries:
        if entry.get("conn") != conn:
            continue
        if entry["kind"] == "open" and entry.get("sid"):
            return str(entry["sid"])
        packet = entry.get("packet") or {}
        if entry["kind"] == "packet" and packet.get("eio") == "open":
            return str(packet["data"]["sid"])
    raise AssertionError(f"connection {conn} has no session id")


def _connections(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Recorded connections of one node, keyed by session id."""
    entries = read_recording(path)
    conns = sorted({e["conn"] for e in entries if e["kind"] == "open"})
    return {_session_id(entries, c): [e for e in entries if e.get("conn") == c] for c in conns}


def test_sticky_sessions_through_haproxy(cluster: tuple[Cluster, Any]) -> None:
    setup, (impl, modes) = cluster
    runs = [mode for mode in modes for _ in range(2)]
    for mode in runs:
        try:
            transcript = run_client(impl, setup.url, mode)
        except Exception:
            print(setup.haproxy_log.read_text("utf-8", "replace"))
            raise
        assert transcript["transport"] == final_transport(mode), transcript
    for name, admin in setup.admins.items():  # each node is ready, so HAProxy's check passes
        assert http_get(f"{admin}/ready")[0] == 200, name
    assert stop_process(setup.haproxy) == 0 or setup.haproxy.returncode is not None
    for node in setup.nodes.values():
        assert node.stop() == 0

    per_node = {name: _connections(out) for name, out in setup.outs.items()}
    # Both processes got traffic.
    assert all(per_node.values()), {n: len(c) for n, c in per_node.items()}
    # Sticky: no session id shows up in both recordings (a misrouted poll or an
    # upgrade landing on the other node would be recorded there as the same sid).
    sids_a, sids_b = set(per_node["a"]), set(per_node["b"])
    assert not sids_a & sids_b
    assert len(sids_a | sids_b) == len(runs)
    # Wholly recorded: each connection opened, carried traffic both ways, and closed.
    for name, conns in per_node.items():
        for sid, entries in conns.items():
            kinds = [e["kind"] for e in entries]
            tail = [(e["kind"], e.get("dir"), e.get("raw", e.get("reason"))) for e in entries[-4:]]
            where = f"node {name} session {sid}: ... {tail}"
            assert kinds[0] == "open", where
            assert kinds.count("close") == 1, where
            directions = {e["dir"] for e in entries if e["kind"] == "packet"}
            assert directions == {"c2s", "s2c"}, where
            events = [e for e in entries if e["kind"] == "packet" and "event" in str(e["packet"])]
            assert events, where


def test_compose_scale_profile_sets_every_haproxy_variable() -> None:
    import re

    needed = set(re.findall(r"\$\{(SIOPROXY_[A-Z_]+)\}", HAPROXY_CFG.read_text("utf-8")))
    assert needed == {
        "SIOPROXY_HAPROXY_BIND",
        "SIOPROXY_NODE_A",
        "SIOPROXY_NODE_A_ADMIN",
        "SIOPROXY_NODE_B",
        "SIOPROXY_NODE_B_ADMIN",
    }
    compose = (REPO / "docker" / "compose.yml").read_text("utf-8")
    haproxy_service = compose.split("\n  haproxy:\n", 1)[1].split("\n\n", 1)[0]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg" in haproxy_service
    for name in needed:
        assert f"      {name}: " in haproxy_service, name
