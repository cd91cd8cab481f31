"""The pytest plugin end to end: inner suites run by pytester against a real server.

The upstream is sioproxy's demo python-socketio server (a subprocess on
127.0.0.1, stopped by pid). Inner suites run in their own pytest process
(``runpytest_subprocess``): each needs its own reactor.
"""

from __future__ import annotations

import re
import selectors
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sioproxy.recording import read_recording
from tests.plugin.inner import install, record_once, run

pytest_plugins = ["pytester"]

CHAT_TEST = '''
import os
import pytest
import socketio


def chat_session(url):
    """Emit a chat line (text from $CHAT_TEXT, "-" for none), then ask add(2, 3)."""
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=["websocket"], wait_timeout=5)
    try:
        text = os.environ.get("CHAT_TEXT", "hello")
        if text != "-":
            client.emit("chat", text)
        return client.call("add", (2, 3), timeout=5)
    finally:
        client.disconnect()


@pytest.mark.sioproxy(match="per-event")
def test_chat(sioproxy):
    assert sioproxy.action == os.environ.get("EXPECT_ACTION", sioproxy.action)
    assert chat_session(sioproxy.url) == 5
    sent = [p["packet"]["data"] for p in sioproxy.events(dir="c2s")]
    assert ["add", 2, 3] in sent
    assert os.environ.get("FAIL_AFTER") != "1", "the test itself fails"
'''

RECORDING = Path("recordings/test_chat/test_chat.jsonl")


@dataclass
class DemoServer:
    proc: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_demo_server() -> DemoServer:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sioproxy.demo.server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    server = DemoServer(proc, "")
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=30):
            server.stop()
            pytest.fail("the demo server did not start")
    line = proc.stdout.readline().split()
    if line[:1] != ["listening"]:
        server.stop()
        pytest.fail(f"unexpected demo server output {line!r}")
    server.url = f"http://127.0.0.1:{line[1]}"
    return server


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    server = start_demo_server()
    yield server
    server.stop()


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester dir holding the chat suite (upstream set per test through the ini)."""
    pytester.makepyfile(test_chat=CHAT_TEST)
    monkeypatch.delenv("CHAT_TEXT", raising=False)
    return pytester


def set_upstream(pytester: pytest.Pytester, url: str) -> None:
    pytester.makeini(f"[pytest]\nsioproxy_upstream = {url}\n")


@pytest.fixture(scope="module")
def chat_recording(tmp_path_factory: pytest.TempPathFactory, demo_server: DemoServer) -> bytes:
    """The chat suite's recording, made once (mode once) against the demo server."""
    return record_once(tmp_path_factory, {"test_chat": CHAT_TEST}, demo_server.url, RECORDING)


def c2s_events(path: Path) -> list[object]:
    recording = read_recording(path)
    return [
        e.packet["sio"]["data"]
        for e in recording.packets(dir="c2s")
        if e.packet is not None and e.packet.get("sio", {}).get("type") == "event"
    ]


# -- record, replay, mismatch ---------------------------------------------------


def test_records_once_then_replays_with_the_server_stopped(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_demo_server()
    try:
        set_upstream(suite, server.url)
        monkeypatch.setenv("EXPECT_ACTION", "record")
        run(suite, "--sio-record-mode=once").assert_outcomes(passed=1)
    finally:
        server.stop()
    path = suite.path / RECORDING
    assert c2s_events(path) == [["chat", "hello"], ["add", 2, 3]]
    monkeypatch.setenv("EXPECT_ACTION", "replay")
    run(suite).assert_outcomes(passed=1)  # none mode: the server is gone
    run(suite, "--sio-record-mode=once").assert_outcomes(passed=1)  # file exists: replays


def test_a_client_that_sends_something_else_fails_with_the_report(
    suite: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(suite, chat_recording, RECORDING)
    monkeypatch.setenv("CHAT_TEXT", "goodbye")
    result = run(suite)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay miss on connection c1" in text
    assert '42["chat","goodbye"]' in text
    assert "closest recorded client packets" in text
    assert '42["chat","hello"]' in text  # the recorded candidate
    assert '/data/1: recorded "hello" != live "goodbye"' in text  # and how its args differ


def test_unplayed_packets_fail_only_when_strict(
    suite: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(suite, chat_recording, RECORDING)
    monkeypatch.setenv("CHAT_TEXT", "-")  # the client skips the recorded chat line
    run(suite).assert_outcomes(passed=1)
    result = run(suite, "-o", "sioproxy_strict=true")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*strict=True: recorded packets were not played*", '*"chat"*'])


def test_missing_recording_in_none_mode_is_an_error(suite: pytest.Pytester) -> None:
    result = run(suite)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*does not exist*--sio-record-mode=once*"])


# -- record modes that write ----------------------------------------------------


def test_rewrite_records_again(
    suite: pytest.Pytester,
    chat_recording: bytes,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = install(suite, chat_recording, RECORDING)
    set_upstream(suite, demo_server.url)
    monkeypatch.setenv("CHAT_TEXT", "second take")
    run(suite, "--sio-record-mode=rewrite").assert_outcomes(passed=1)
    assert c2s_events(path) == [["chat", "second take"], ["add", 2, 3]]
    run(suite).assert_outcomes(passed=1)  # and the new recording replays


def test_a_failing_test_does_not_overwrite_the_recording(
    suite: pytest.Pytester,
    chat_recording: bytes,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = install(suite, chat_recording, RECORDING)
    set_upstream(suite, demo_server.url)
    monkeypatch.setenv("CHAT_TEXT", "should not be kept")
    monkeypatch.setenv("FAIL_AFTER", "1")
    for mode in ("rewrite", "all"):
        run(suite, f"--sio-record-mode={mode}").assert_outcomes(failed=1)
        assert path.read_bytes() == chat_recording
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files left


def test_a_failing_first_recording_leaves_no_file(
    suite: pytest.Pytester, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_upstream(suite, demo_server.url)
    monkeypatch.setenv("FAIL_AFTER", "1")
    run(suite, "--sio-record-mode=once").assert_outcomes(failed=1)
    assert list((suite.path / RECORDING).parent.iterdir()) == []


TWO_SESSIONS = (
    CHAT_TEST
    + """

def test_two(sioproxy):
    assert chat_session(sioproxy.url) == 5
    os.environ["CHAT_TEXT"] = "new episode"
    assert chat_session(sioproxy.url) == 5
    conns = sorted({p["conn"] for p in sioproxy.packets})
    assert conns == os.environ["EXPECT_CONNS"].split(","), conns
"""
)


@pytest.mark.parametrize(("mode", "conns"), [("new_episodes", "c1,new-c1"), ("all", "c1,c2")])
def test_new_connections_are_appended(
    pytester: pytest.Pytester,
    chat_recording: bytes,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    conns: str,
) -> None:
    pytester.makepyfile(test_chat=TWO_SESSIONS)
    set_upstream(pytester, demo_server.url)
    path = install(pytester, chat_recording, Path("recordings/test_chat/test_two.jsonl"))
    monkeypatch.delenv("CHAT_TEXT", raising=False)
    monkeypatch.setenv("EXPECT_CONNS", conns)
    run(pytester, f"--sio-record-mode={mode}", "-k", "test_two").assert_outcomes(passed=1)
    recording = read_recording(path)
    assert recording.connections() == (
        ["c1", "c2"] if mode == "new_episodes" else ["c1", "c2", "c3"]
    )
    assert ["chat", "new episode"] in c2s_events(path)
    if mode == "new_episodes":  # the replayed connection was not recorded again
        assert c2s_events(path).count(["chat", "hello"]) == 1
        monkeypatch.setenv("EXPECT_CONNS", "c1,c2")
        run(pytester, "-k", "test_two").assert_outcomes(passed=1)  # replays both


# -- styles of client and where settings come from ------------------------------


STYLES = '''
import subprocess
import sys

import pytest
import pytest_twisted
from twisted.internet import threads

from test_chat import chat_session

CLIENT = """
import sys
sys.path.insert(0, ".")
from test_chat import chat_session
assert chat_session(sys.argv[1]) == 5
"""


@pytest.mark.sioproxy("test_chat")
@pytest_twisted.ensureDeferred
async def test_in_the_reactor(sioproxy):
    assert await threads.deferToThread(chat_session, sioproxy.url) == 5
    assert sioproxy.all_played or sioproxy.unplayed()


@pytest.mark.sioproxy("test_chat")
def test_subprocess_client(sioproxy):
    done = subprocess.run([sys.executable, "-c", CLIENT, sioproxy.url], timeout=60)
    assert done.returncode == 0
    assert sioproxy.mismatches == []
    assert [p["packet"]["data"] for p in sioproxy.events("add")] == [["add", 2, 3]]
'''


def test_in_reactor_and_subprocess_clients(suite: pytest.Pytester, chat_recording: bytes) -> None:
    install(suite, chat_recording, RECORDING)
    install(suite, chat_recording, Path("recordings/test_styles/test_chat.jsonl"))
    suite.makepyfile(test_styles=STYLES)
    run(suite, "test_styles.py").assert_outcomes(passed=2)


SETTINGS = """
import pytest


@pytest.fixture
def sioproxy_config():
    return {"speed": 3.0, "max_gap": 0.5, "match": "any", "strict": False}


@pytest.mark.sioproxy(recording="shared", match="per-event")
def test_layers(sioproxy):
    s = sioproxy.settings
    assert (s.mode, s.speed, s.max_gap, s.match, s.on_miss, s.strict) == (
        "none", 3.0, 0.5, "per-event", "ignore", False
    )


@pytest.mark.sioproxy(recording="shared", mode="once", speed=4.0)
def test_marker_beats_the_command_line(sioproxy):
    assert (sioproxy.settings.mode, sioproxy.settings.speed) == ("once", 4.0)
    assert sioproxy.action == "replay"


@pytest.mark.sioproxy(recording="shared")
class TestClassMarker:
    @pytest.mark.sioproxy(speed=5.0)
    def test_closest_marker_wins(self, sioproxy):
        assert sioproxy.settings.speed == 5.0
        assert sioproxy.recording.endswith("shared.jsonl")
"""


def test_marker_fixture_cli_and_ini_merge_in_order(
    pytester: pytest.Pytester, chat_recording: bytes
) -> None:
    pytester.makepyfile(test_settings=SETTINGS)
    install(pytester, chat_recording, Path("recordings/test_settings/shared.jsonl"))
    pytester.makeini(
        "[pytest]\n"
        "sioproxy_record_mode = once\n"
        "sioproxy_speed = 2\n"
        "sioproxy_max_gap = 0.1\n"
        "sioproxy_on_miss = ignore\n"
        "sioproxy_strict = true\n"
    )
    run(pytester, "--sio-record-mode=none").assert_outcomes(passed=3)


def test_parametrize_ids_stay_inside_the_recordings_directory(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_ids="""
import pytest

@pytest.mark.parametrize("x", [1, 2, 3], ids=["../../escape", "a/b", "☕" * 300])
def test_ids(sioproxy, x):
    pass
"""
    )
    result = run(pytester)
    result.assert_outcomes(errors=3)  # none mode, nothing recorded: each names its path
    found = set(re.findall(r"recording (\S+\.jsonl) does not exist", result.stdout.str()))
    assert len(found) == 3, result.stdout.str()
    root = pytester.path / "recordings" / "test_ids"
    assert all(Path(p).parent == root and len(Path(p).name) <= 126 for p in found)
    assert not (pytester.path.parent / "escape.jsonl").exists()
