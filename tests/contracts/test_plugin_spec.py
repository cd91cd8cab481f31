"""The pytest plugin's contract check: ``sioproxy.violations`` and ``spec_fail=True``.

Inner suites run by pytester against sioproxy's demo server (record mode) or
its recording (replay mode), with a spec inferred from that recording and
then tightened so that the client's ``chat`` line breaks it.
"""

from __future__ import annotations

import pytest
import yaml

from tests.contracts.helpers import sioproxy as sioproxy_cli
from tests.plugin import test_plugin as plugin_tests
from tests.plugin.inner import install, run
from tests.plugin.test_plugin import RECORDING, DemoServer, set_upstream

# The plugin tests' fixtures: the demo server and the chat suite's recording.
demo_server = plugin_tests.demo_server
chat_recording = plugin_tests.chat_recording

pytest_plugins = ["pytester"]

SPEC_TEST = """
import os
import pytest
import socketio


@pytest.mark.sioproxy(
    match="per-event", spec="api.yaml", spec_fail=os.environ.get("SPEC_FAIL") == "1"
)
def test_chat(sioproxy):
    client = socketio.Client(reconnection=False)
    client.connect(sioproxy.url, transports=["websocket"], wait_timeout=5)
    try:
        client.emit("chat", "hello")
        assert client.call("add", (2, 3), timeout=5) == 5
    finally:
        client.disconnect()
    found = sioproxy.violations
    print("VIOLATIONS", [str(v) for f in found for v in f.violations])
    assert len(found) == int(os.environ["EXPECT_VIOLATIONS"])
"""


def _spec(pytester: pytest.Pytester, recording: bytes, *, tighten: bool) -> None:
    rec = pytester.path / "base.jsonl"
    rec.write_bytes(recording)
    out = pytester.path / "api.yaml"
    assert sioproxy_cli("spec", rec, "--out", out, "--force") == 0
    if tighten:
        doc = yaml.safe_load(out.read_text("utf-8"))
        payload = doc["components"]["messages"]["send.root.event.chat"]["payload"]
        payload["prefixItems"][0] = {"type": "integer"}
        out.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


@pytest.fixture
def spec_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_chat=SPEC_TEST)
    monkeypatch.delenv("SPEC_FAIL", raising=False)
    return pytester


def test_replay_clean_spec_has_no_violations(
    spec_suite: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(spec_suite, chat_recording, RECORDING)
    _spec(spec_suite, chat_recording, tighten=False)
    monkeypatch.setenv("EXPECT_VIOLATIONS", "0")
    monkeypatch.setenv("SPEC_FAIL", "1")
    run(spec_suite).assert_outcomes(passed=1)


def test_replay_violations_are_listed_and_fail_only_with_spec_fail(
    spec_suite: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(spec_suite, chat_recording, RECORDING)
    _spec(spec_suite, chat_recording, tighten=True)
    monkeypatch.setenv("EXPECT_VIOLATIONS", "1")
    result = run(spec_suite, "-s")
    result.assert_outcomes(passed=1)
    wanted = '/0: expected integer, got string "hello" (schema: type: "integer")'
    assert f"VIOLATIONS ['{wanted}']" in result.stdout.str()
    monkeypatch.setenv("SPEC_FAIL", "1")
    result = run(spec_suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sioproxy: 1 packet(s) broke the spec api.yaml:*",
            "*c2s / chat*",
            '*/0: expected integer, got string "hello"*',
        ]
    )


def test_record_mode_checks_the_live_traffic(
    spec_suite: pytest.Pytester,
    chat_recording: bytes,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_upstream(spec_suite, demo_server.url)
    _spec(spec_suite, chat_recording, tighten=True)
    monkeypatch.setenv("EXPECT_VIOLATIONS", "1")
    monkeypatch.setenv("SPEC_FAIL", "1")
    result = run(spec_suite, "--sio-record-mode=rewrite")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*/0: expected integer, got string "hello"*'])
    assert not (spec_suite.path / RECORDING).exists()  # a failing test records nothing


def test_a_missing_spec_fails_the_test_with_one_line(
    spec_suite: pytest.Pytester, chat_recording: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(spec_suite, chat_recording, RECORDING)
    monkeypatch.setenv("EXPECT_VIOLATIONS", "0")
    monkeypatch.setenv("SPEC_FAIL", "1")
    result = run(spec_suite)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*api.yaml: cannot open*"])
