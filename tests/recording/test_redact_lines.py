"""``Redactor.redact_output_lines``: a batch of log lines, redacted as each line alone."""

from __future__ import annotations

from sioproxy.recording.redact import Redactor

CLEAN = [
    '12:00:00.000 c1 -> websocket / event "chat" id=1 [{"text":"hello"}]',
    '12:00:00.001 c1 <- websocket / ack id=1 (answers #3) [{"ok":true}]',
]
SECRET = '12:00:00.002 c1 -> websocket / event "login" [{"password":"hunter22"}]'
QUERY = "12:00:00.003 c2 open eio4 polling /socket.io/?EIO=4&token=abcdef123"


def test_clean_lines_come_back_as_they_are() -> None:
    lines = list(CLEAN)
    assert Redactor().redact_output_lines(lines) is lines


def test_a_batch_with_secrets_is_redacted_line_by_line() -> None:
    redactor, alone = Redactor(), Redactor()
    batch = [CLEAN[0], SECRET, CLEAN[1], QUERY]
    expected = [alone.redact_output(line) for line in batch]
    assert redactor.redact_output_lines(batch) == expected
    assert "hunter22" not in "\n".join(expected)
    assert "abcdef123" not in "\n".join(expected)


def test_a_remembered_secret_is_swept_from_clean_looking_lines() -> None:
    redactor = Redactor()
    redactor.redact_output(SECRET)  # remembers hunter22
    echoed = '12:00:00.004 c1 <- websocket / event "echo" ["hunter22"]'
    [line] = redactor.redact_output_lines([echoed])
    assert "hunter22" not in line
