"""A torn last line is reported on stderr, naming file and line, by every reader command."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sioproxy.cli.main import main
from tests.interop.peers import REPO
from tests.interop.sioproxy_proc import start_sioproxy

DATA = Path(__file__).parent / "data"
TORN = b'{"kind":"packet","seq":99,"conn":"c1","t":9.0,"dir":"c2s","raw":"42[\\"ha'


def _torn(tmp_path: Path) -> Path:
    path = tmp_path / "torn.jsonl"
    shutil.copy(DATA / "eio4_session.jsonl", path)
    lines = path.read_bytes().count(b"\n")
    with path.open("ab") as out:
        out.write(TORN)
    assert lines == 20
    return path


def _warned(stderr: str, path: Path, command: str) -> None:
    wanted = f"sioproxy {command}: {path}: line 21: torn last line ({len(TORN)} bytes, no newline)"
    assert wanted in stderr, stderr


@pytest.mark.parametrize("command", ["show", "export", "merge"])
def test_inspect_commands_report_the_torn_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = _torn(tmp_path)
    argv = {
        "show": ["show", str(path)],
        "export": ["export", str(path), "--har", str(tmp_path / "out.har")],
        "merge": ["merge", str(path), "--out", str(tmp_path / "all.jsonl")],
    }[command]
    assert main(argv) == 0
    _warned(capsys.readouterr().err, path, command)


def test_replay_reports_the_torn_line(tmp_path: Path) -> None:
    path = _torn(tmp_path)
    replay = start_sioproxy(["replay", str(path), "--listen", "127.0.0.1:0", "-q"])
    replay.stop(signal.SIGTERM)
    _warned(replay.stderr_text(), path, "replay")


@pytest.mark.parametrize("command", ["diff", "replay-client"])
def test_replay_client_and_diff_report_the_torn_line(tmp_path: Path, command: str) -> None:
    path = _torn(tmp_path)
    argv = [sys.executable, "-m", "sioproxy", command, str(path)]
    argv += ["--target", "http://127.0.0.1:9", "--connect-timeout", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    _warned(done.stderr, path, command)
