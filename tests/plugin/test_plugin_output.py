"""pytest failure text: a live client's control characters are escaped in the report.

The chat suite of ``test_plugin`` replays its recording; the live python-socketio
client sends a chat line full of terminal control characters instead of "hello",
so the test fails with the mismatch report, and that report is printed escaped.
"""

from __future__ import annotations

import re

import pytest

from tests.plugin.inner import install, run
from tests.plugin.test_plugin import (  # noqa: F401 - fixtures
    RECORDING,
    chat_recording,
    demo_server,
    suite,
)

pytest_plugins = ["pytester"]

CTRL = "\x1b[2J\x1b]0;pwn\x07\r\n12:00:00.000 c9 forged\x9b31m\u202edesab\u2066\x7f\x85"
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_failure_report_escapes_what_the_client_sent(
    suite: pytest.Pytester,  # noqa: F811
    chat_recording: bytes,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(suite, chat_recording, RECORDING)
    monkeypatch.setenv("CHAT_TEXT", CTRL)
    result = run(suite)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay miss on connection c1" in text
    assert '42["chat","\\u001b[2J\\u001b]0;pwn\\u0007\\r\\n12:00:00.000 c9 forged\\u009b' in text
    assert FORBIDDEN.search(text) is None, [m.group() for m in FORBIDDEN.finditer(text)]
    assert "\n12:00:00.000 c9 forged" not in text


def test_html_report_of_a_replay_miss_is_written_and_named(
    suite: pytest.Pytester,  # noqa: F811
    chat_recording: bytes,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(suite, chat_recording, RECORDING)
    monkeypatch.setenv("CHAT_TEXT", "not what was recorded")
    out = suite.path / "html"
    result = run(suite, f"--sio-html-report={out}")
    result.assert_outcomes(failed=1)
    pages = list(out.glob("*.html"))
    assert len(pages) == 1
    assert f"HTML report: {pages[0]}" in result.stdout.str()
    page = pages[0].read_text(encoding="utf-8")
    assert 'id="sio-data"' in page  # the self-contained page of `sioproxy report --html`
    assert '"misses": [{"test": "test_chat.py::' in page
    assert "not what was recorded" in page
