"""The real peer clients (tests/peers) run their scenario against the stand-in server.

Each client must print exactly the transcript it prints against a real server of
its generation (the expected data of tests/interop/test_direct.py), over the
transport it was asked for.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from twisted.internet import threads

from sioproxy.standin.edge.site import listen_standin
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Generation
from tests.interop.conftest import require_installed
from tests.interop.peers import PEERS, final_transport, run_client
from tests.interop.test_direct import EXPECTED, JSONP
from tests.standin.sessions.scenario import scenario_app

pytestmark = pytest.mark.interop

CLIENTS = [
    ("node-sio4", Generation.EIO4),
    ("py-sio5", Generation.EIO4),
    ("node-sio2", Generation.EIO3),
    ("py-sio4", Generation.EIO3),
    ("node-sio09", Generation.LEGACY),
    ("py-legacy09", Generation.LEGACY),
    ("py-jsonp", Generation.LEGACY),
    ("py-jsonp", Generation.EIO3),
]
CASES = [
    pytest.param(client, generation, mode, id=f"{client}-{generation}-{mode}")
    for client, generation in CLIENTS
    for mode in PEERS[client].transports
]


@pytest.mark.parametrize(("client", "generation", "mode"), CASES)
@pytest_twisted.ensureDeferred
async def test_peer_client_scenario_against_standin(
    reactor: Any, client: str, generation: Generation, mode: str
) -> None:
    require_installed(client)
    config = StandInConfig(generation=generation)
    port, site = await listen_standin(reactor, "127.0.0.1:0", config, scenario_app)
    try:
        url = f"http://127.0.0.1:{port.getHost().port}"
        transcript = await threads.deferToThread(run_client, client, url, mode)
    finally:
        await port.stopListening()
        site.server.close_all()
    want = JSONP if client == "py-jsonp" else EXPECTED[str(generation)]
    assert transcript == {"transport": final_transport(mode), "namespaces": want}
