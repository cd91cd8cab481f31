"""docs/pytest.md, "A browser front end": a page using socket.io-client in Chromium is
recorded through the ``sioproxy`` fixture against a real server, then runs against the
replay with the server stopped.

The inner suite (run by pytester in a subprocess) is the recipe as documented:
pytest-playwright's ``page``, a static page server, the ``sioproxy`` fixture.
"""

from __future__ import annotations

import shutil

import pytest

from tests.interop.peers import PEERS_DIR, start_server
from tests.web.conftest import CHROMIUM_FLAGS, chromium_path

pytest_plugins = ["pytester"]
NAME = "test_page_talks_to_the_server[chromium].jsonl"

CLIENT_JS = PEERS_DIR / "node_modules" / "sio4-client" / "dist" / "socket.io.min.js"

INDEX_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="socket.io.min.js"></script></head>
<body><p id="state">connecting</p>
<script>
  const url = new URLSearchParams(location.search).get("sio");
  const socket = io(url, { transports: ["websocket"], reconnection: false });
  socket.on("connect", () => {
    document.getElementById("state").textContent = "connected";
    socket.emit("ack_me", "from the page", (...answer) => {
      const p = document.createElement("p");
      p.id = "answer";
      p.textContent = JSON.stringify(answer);
      document.body.append(p);
      socket.disconnect();
    });
  });
</script></body></html>
"""

CONFTEST = f'''
import functools, http.server, threading
from pathlib import Path
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {{**browser_type_launch_args, "executable_path": {chromium_path()!r},
             "args": {CHROMIUM_FLAGS!r}}}

@pytest.fixture
def front_end():
    """The app's static files on a free port (the page, socket.io-client)."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(Path(__file__).parent / "static")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{{server.server_address[1]}}"
    server.shutdown()
    server.server_close()
'''

RECIPE_TEST = """
import json

def test_page_talks_to_the_server(page, sioproxy, front_end):
    page.goto(f"{front_end}/index.html?sio={sioproxy.url}")
    page.wait_for_selector("#answer")
    assert json.loads(page.text_content("#answer")) == ["from the page", "ack"]
    assert [p["packet"]["data"] for p in sioproxy.events("ack_me")] == [
        ["ack_me", "from the page"]
    ]
"""


def test_a_browser_front_end_records_then_replays_without_its_backend(
    pytester: pytest.Pytester,
) -> None:
    static = pytester.path / "static"
    static.mkdir()
    (static / "index.html").write_text(INDEX_HTML, encoding="utf-8")
    shutil.copy(CLIENT_JS, static / "socket.io.min.js")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_front=RECIPE_TEST)
    server = start_server("node-sio4")
    try:
        pytester.makeini(f"[pytest]\nsioproxy_upstream = {server.url}\n")
        recorded = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--sio-record-mode=once", timeout=180
        )
        recorded.assert_outcomes(passed=1)
    finally:
        server.stop()  # the backend is gone: the next run can only pass on the replay
    # pytest-playwright names the test after its browser: test_...[chromium]
    recording = pytester.path / "recordings" / "test_front" / NAME
    assert '"ack_me"' in recording.read_text(encoding="utf-8")
    replayed = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    replayed.assert_outcomes(passed=1)
