"""``report`` and ``web`` on bad input: one line on stderr naming it, exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.web.recgen import three_clients, write

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_report_refuses_to_overwrite_and_names_a_damaged_recording(tmp_path: Path) -> None:
    good = write(tmp_path / "good.jsonl", three_clients().text())
    out = tmp_path / "out.html"
    out.write_text("keep me")
    done = run("report", str(good), "--html", str(out))
    assert done.returncode == 2
    assert done.stderr == f"sioproxy report: {out}: file exists (use --force to overwrite)\n"
    assert out.read_text() == "keep me"
    assert run("report", str(good), "--html", str(out), "--force").returncode == 0
    bad = write(tmp_path / "bad.jsonl", three_clients().text() + "{not json\n")
    done = run("report", str(bad), "--html", str(tmp_path / "x.html"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"sioproxy report: {bad}:22: not valid JSON")
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_web_stops_with_one_line_on_a_damaged_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl", three_clients().text() + "{not json\n")
    done = run("web", str(bad), "--listen", "127.0.0.1:0", "--follow-interval", "0.05")
    assert done.returncode == 2
    assert done.stdout == ""  # found before listening
    assert done.stderr.startswith(f"sioproxy web: {bad}:22: not valid JSON")
    assert len(done.stderr.splitlines()) == 1


def test_web_option_with_a_port_in_use_is_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        rec = write(tmp_path / "r.jsonl", three_clients().text())
        done = run("replay", str(rec), "--listen", "127.0.0.1:0", "--web", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert done.stderr.startswith(f"sioproxy replay: cannot start web on 127.0.0.1:{port}: ")
    assert len(done.stderr.splitlines()) == 1
