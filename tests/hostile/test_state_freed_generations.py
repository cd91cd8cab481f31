"""Engine.IO 3 and 0.9 sessions leave nothing behind either.

The real socket.io 2 and 0.9 clients run their scenario through ``sioproxy
record`` in front of the matching real server, a few times on each
transport; then every tracked-state gauge of ``/metrics`` must read 0 and
one more client run must succeed. Made-up sids (node 0.9 answers them with
200 and ``7:::1+0``) create no state and no recording line.

The socket.io 2 client in ``polling`` mode exits without a close packet: to
the proxy that session is open until its idle limit (ping interval + ping
timeout + 60 s, tests/session/test_memory.py), so that mode is left out here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import Stack, iter_recording, start_stack, wait_for
from tests.hostile.test_state_freed import state
from tests.interop.conftest import require_installed
from tests.interop.peers import PEERS, final_transport, run_client
from tests.ops.helpers import http_get

pytestmark = pytest.mark.interop


MADE_UP = {
    "node-sio2": ["/socket.io/?EIO=3&transport=polling&sid=madeup{n}"],
    "node-sio09": [
        "/socket.io/1/xhr-polling/madeup{n}?t=1",
        "/socket.io/1/jsonp-polling/madeup{n}?t=1&i=0",
    ],
}


@pytest.fixture(scope="module", params=["node-sio2", "node-sio09"])
def generation_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    require_installed(request.param)
    running = start_stack(Path(tmp_path_factory.mktemp("generations")), request.param)
    yield running
    running.stop()


def test_sessions_of_older_generations_are_freed(generation_stack: Stack) -> None:
    impl = generation_stack.server.impl
    modes = [m for m in PEERS[impl].transports if (impl, m) != ("node-sio2", "polling")]
    for _ in range(3):
        for mode in modes:
            transcript = run_client(impl, generation_stack.proxy.url, mode)
            assert transcript["transport"] == final_transport(mode)
    for n in range(50):
        for path in MADE_UP[impl]:
            http_get(generation_stack.proxy.url + path.format(n=n))
    last: dict[str, float] = {}

    def freed() -> bool:
        last.update(state(generation_stack))
        return not any(last.values())

    try:
        wait_for("every tracked-state gauge at 0", freed)
    except AssertionError:
        raise AssertionError(f"{impl}: state left after close: {last}") from None
    transcript = run_client(impl, generation_stack.proxy.url, modes[0])
    assert transcript["transport"] == final_transport(modes[0])
    assert not [e for e in iter_recording(generation_stack.out) if "madeup" in str(e)]
