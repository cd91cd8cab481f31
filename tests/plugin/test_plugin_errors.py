"""The plugin's failures read right: the replay's report first, marker syntax, one-line errors.

Inner suites run in their own pytest process against recordings of the demo
python-socketio server (a real peer, see test_plugin.py).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.plugin.inner import install, record_once, run
from tests.plugin.test_plugin import (
    CHAT_TEST,
    RECORDING,
    DemoServer,
    set_upstream,
    start_demo_server,
)

pytest_plugins = ["pytester"]

# The client sends a chat line the recording has, then asks add(7, 8): the
# recording only has add(2, 3), so the replay never answers and the client's
# call times out before the test body ends.
CALL_TEST = """
import pytest
import socketio


@pytest.mark.sioproxy("test_chat", match="per-event")
def test_add(sioproxy):
    client = socketio.Client(reconnection=False)
    client.connect(sioproxy.url, transports=["websocket"], wait_timeout=5)
    try:
        client.emit("chat", "hello")
        assert client.call("add", (7, 8), timeout=2) == 15
    finally:
        client.disconnect()
"""


@pytest.fixture(scope="module")
def chat_recording(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The chat suite's recording, made once against the demo server."""
    server: DemoServer = start_demo_server()
    try:
        return record_once(tmp_path_factory, {"test_chat": CHAT_TEST}, server.url, RECORDING)
    finally:
        server.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_client_timeout_shows_the_report_first(
    pytester: pytest.Pytester, chat_recording: bytes
) -> None:
    pytester.makepyfile(test_calls=CALL_TEST)
    install(pytester, chat_recording, Path("recordings/test_calls/test_chat.jsonl"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    failure = text[text.index("_ test_add _") :]
    report = failure.index("replay miss on connection c1")
    assert report < failure.index("TimeoutError")  # the report comes first
    assert "the test then failed: TimeoutError" in failure
    assert "test error after the replay miss" in failure  # the client's traceback is kept
    assert "Captured sioproxy" not in failure
    assert "During handling" not in failure


def test_hints_use_the_marker_syntax(
    pytester: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_chat=CHAT_TEST)
    install(pytester, chat_recording, RECORDING)
    monkeypatch.setenv("CHAT_TEXT", "goodbye")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert 'hint: if this value changes from run to run, ignore=["/data/1"] would match' in text
    assert "--ignore" not in text


def test_recording_against_a_stopped_server_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_chat=CHAT_TEST)
    upstream = f"http://127.0.0.1:{_closed_port()}"
    set_upstream(pytester, upstream)
    result = run(pytester, "--sio-record-mode=once")
    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    error = text[text.index("ERROR at setup") : text.index("short test summary")]
    lines = error.strip().splitlines()[1:-1]  # between the two ==== rules
    assert len(lines) == 1, error
    assert lines[0].startswith(f"sioproxy: upstream unreachable: {upstream}: ")
    assert "Traceback" not in text
    assert "ConnectionError" not in text
    assert not (pytester.path / RECORDING).exists()


@pytest.mark.parametrize(
    ("cli", "marker"),
    [
        (
            "only volatile-looking values differ from seq 4: try --ignore /data/1/ts",
            'only volatile-looking values differ from seq 4: try ignore=["/data/1/ts"]',
        ),
        (
            "--ignore /a --ignore /b would hide the volatile-looking values; /c still differs",
            'ignore=["/a", "/b"] would hide the volatile-looking values; /c still differs',
        ),
        (
            "--match any would accept this packet as seq 3",
            'match="any" would accept this packet as seq 3',
        ),
    ],
)
def test_marker_syntax_of_hints(cli: str, marker: str) -> None:
    from sioproxy.standin.replay.report import marker_syntax

    assert marker_syntax(cli) == marker


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [("match", "bogus", "match must be one of"), ("on_miss", "x", "on_miss must be one of")],
)
def test_bad_marker_option_is_named_as_in_the_marker(option: str, value: str, said: str) -> None:
    from sioproxy.errors import ConfigError
    from sioproxy.testing.settings import Settings

    with pytest.raises(ConfigError) as info:
        Settings.merge({option: value})
    assert str(info.value).startswith(said)
    assert "--" not in str(info.value)
