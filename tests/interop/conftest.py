"""Fixtures that start real Socket.IO peer servers and always stop them (by pid)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.interop.peers import RunningServer, peer, start_server

ServerFactory = Callable[[str], RunningServer]


def require_installed(impl: str) -> None:
    if not peer(impl).installed():
        pytest.fail(f"peer {impl} is not installed: run `make peers` (tests/peers/install.sh)")


@pytest.fixture
def peer_server() -> Iterator[ServerFactory]:
    """Factory: ``peer_server("node-sio4")`` starts a fresh server, stopped at teardown."""
    started: list[RunningServer] = []

    def start(impl: str) -> RunningServer:
        require_installed(impl)
        server = start_server(impl)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_peer_server() -> Iterator[ServerFactory]:
    """Factory: one server per implementation for the whole module, restarted if it died."""
    servers: dict[str, RunningServer] = {}

    def get(impl: str) -> RunningServer:
        server = servers.get(impl)
        if server is None or not server.running():
            if server is not None:
                server.stop()
            require_installed(impl)
            server = servers[impl] = start_server(impl)
        return server

    yield get
    for server in servers.values():
        server.stop()
