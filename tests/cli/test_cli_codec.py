"""``sioproxy decode`` / ``encode`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sioproxy.cli.main import main

ROUND_TRIPS = [
    ("0.9", False, '5:1+:/chat:{"name":"hi","args":["😀"]}'),
    ("0.9", False, '6::/chat:3+["a+b"]'),
    ("0.9", True, "\ufffd5\ufffd3:::é\ufffd6\ufffd3:::😀"),
    ("eio4", False, '42/admin,456["project:delete",123]'),
    ("eio4", True, '451-["hello",{"_placeholder":true,"num":0}]\x1ebAQID'),
    ("eio3", True, '23:42["chat message","🎉"]'),
    ("eio3", False, "2probe"),
]


@pytest.mark.parametrize(("protocol", "as_payload", "frame"), ROUND_TRIPS)
def test_encode_of_decode_gives_the_frame_back(
    protocol: str, as_payload: bool, frame: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--payload"] if as_payload else []
    assert main(["decode", "--protocol", protocol, *flags, "--json-arg", json.dumps(frame)]) == 0
    decoded = capsys.readouterr().out.strip()
    assert main(["encode", "--protocol", protocol, decoded]) == 0
    assert capsys.readouterr().out == frame + "\n"


@pytest.mark.parametrize(("protocol", "frame"), [("0.9", "garbage"), ("eio4", "9"), ("eio3", "")])
def test_invalid_input_exits_2_with_one_line(protocol: str, frame: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sioproxy", "decode", "--protocol", protocol, frame],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Traceback" not in proc.stderr
    assert "offset" in lines[0]


def test_decode_reads_stdin() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sioproxy", "decode", "--protocol", "0.9", "-"],
        input="3:::woot",
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout) == {"type": "message", "endpoint": "", "data": "woot"}
