"""Command-line mistakes as a user makes them: one line on stderr, the right exit status.

Every bad invocation runs ``python -m sioproxy`` as a user would and must end
with exit status 2, exactly one line on stderr naming the input and the
reason, and no traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from sioproxy.cli.main import build_parser, main
from sioproxy.cli.reference import render
from sioproxy.ops.config import parse_args

ROOT = Path(__file__).resolve().parents[2]
REC = str(ROOT / "recordings" / "examples" / "demo-eio4.jsonl")
HAR = str(ROOT / "tests" / "inspect" / "data" / "chrome_websocket.har")


def _sioproxy(
    *argv: str, timeout: float = 60, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env = {k: v for k, v in env.items() if not k.startswith("SIOPROXY_")}
    return subprocess.run(
        [sys.executable, "-m", "sioproxy", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _assert_one_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["proxy", "--listen", "127.0.0.1:99999", "--upstream", "http://127.0.0.1:1"], ["99999"]),
        (["replay", REC, "--listen", "127.0.0.1:99999"], ["99999", "0-65535"]),
        (["replay", REC, "--listen", "tcp:abc"], ["tcp:abc"]),
        (["proxy", "--listen", "[::1", "--upstream", "http://127.0.0.1:1"], ["[::1"]),
        (["record", "--upsteam", "http://127.0.0.1:1", "--out", "x.jsonl"], ["--upsteam"]),
        (["record", "--upstr", "http://127.0.0.1:1", "--out", "x.jsonl"], ["--upstr"]),
        (["replay", HAR], ["HAR", "sioproxy import"]),
        (["show", HAR], ["HAR", "sioproxy import"]),
        (["diff", HAR, "--target", "http://127.0.0.1:1"], ["HAR", "sioproxy import"]),
        (["decode", "--protocol", "eio4", '42["unterminated'], ["Socket.IO"]),
        (["decode", "--protocol", "eio4", "--payload", '42["unterminated'], ["Socket.IO"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_bad_invocation_is_one_line_exit_2(
    argv: list[str], needles: list[str], tmp_path: Path
) -> None:
    _assert_one_line(_sioproxy(*argv, cwd=tmp_path), *needles)


@pytest.mark.parametrize("command", ["diff", "replay-client"])
def test_unreachable_target_is_one_line_not_a_drift_report(command: str, tmp_path: Path) -> None:
    target = f"http://127.0.0.1:{_closed_port()}"
    report = tmp_path / "report.json"
    proc = _sioproxy(command, REC, "--target", target, "--report", str(report))
    _assert_one_line(proc, "upstream unreachable", target)
    assert proc.stdout == ""
    assert json.loads(report.read_text(encoding="utf-8"))["unreachable"]


def test_typo_is_named_before_a_missing_required_option() -> None:
    line = _assert_one_line(_sioproxy("record", "--upsteam", "http://127.0.0.1:1"))
    assert "unknown option --upsteam (did you mean --upstream?)" in line
    assert "required" not in line


def test_no_abbreviations_on_any_parser() -> None:
    parser = build_parser()
    subs = [a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)]
    parsers = [parser, *subs[0].choices.values()]
    assert len(parsers) > 5
    assert all(p.allow_abbrev is False for p in parsers)


def test_config_after_the_subcommand(tmp_path: Path) -> None:
    config = tmp_path / "sioproxy.toml"
    config.write_text('upstream = "http://127.0.0.1:9"\n[record]\nout = "r.jsonl"\n')
    args = parse_args(build_parser(), ["record", "--config", str(config)], {})
    assert (args.upstream, args.out) == ("http://127.0.0.1:9", "r.jsonl")
    args = parse_args(build_parser(), [f"--config={config}", "record"], {})
    assert args.out == "r.jsonl"


def test_help_shows_defaults() -> None:
    reference = render()
    for default in ("(default: 127.0.0.1:8080)", "(default: /socket.io)", "default: text"):
        assert default in reference
    assert "(default: None)" not in reference
    assert "(default: False)" not in reference
    # A default of 0 is shown (0 == False must not hide it).
    from sioproxy.cli.argparsing import ArgumentParser

    parser = ArgumentParser(prog="x")
    parser.add_argument("--n", type=int, default=0, help="a count")
    assert "a count (default: 0)" in parser.format_help()


def test_usage_error_in_process_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["decode", "--protocol", "eio5", "2"])
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_closed_stdout_is_no_traceback() -> None:
    """``sioproxy replay REC | head -1``: the reader leaves, later lines go nowhere quietly."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sioproxy", "replay", REC, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline().decode()
        assert first.startswith("sioproxy listening on")
        proc.stdout.close()  # what `head -1` does after its line
        # A client's handshake makes the replay log lines to the closed pipe...
        url = first.split()[-1] + "/socket.io/?EIO=4&transport=polling"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)  # ...and so does the summary at the end
        err = proc.stderr.read().decode()
        status = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err, err
    assert "BrokenPipe" not in err, err
    assert status in (0, 1)


def test_eio_only_decodes_just_the_engine_io_layer(capsys: pytest.CaptureFixture[str]) -> None:
    frame = '42["unterminated'
    assert main(["decode", "--protocol", "eio4", "--eio-only", frame]) == 0
    assert json.loads(capsys.readouterr().out) == {"eio": "message", "data": '2["unterminated'}
    assert main(["decode", "--protocol", "eio3", "--eio-only", "--payload", "6:4hello1:2"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"eio": "message", "data": "hello"},
        {"eio": "ping"},
    ]
    # Without it, a valid Socket.IO packet still decodes both layers.
    assert main(["decode", "--protocol", "eio4", '42["ok"]']) == 0
    assert json.loads(capsys.readouterr().out)["sio"]["data"] == ["ok"]


CRAFTED_HAR = {
    "time abc": ("time", "abc"),
    "year 1 with an offset": ("startedDateTime", "0001-01-01T00:00:00+01:00"),
    "year 9999 with an offset": ("startedDateTime", "9999-12-31T23:59:59-01:00"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED_HAR))
def test_crafted_har_import_is_one_line(case: str, tmp_path: Path) -> None:
    har = json.loads((Path(HAR).parent / "chrome_polling.har").read_text(encoding="utf-8"))
    key, value = CRAFTED_HAR[case]
    for entry in har["log"]["entries"]:
        entry[key] = value
    path = tmp_path / "crafted.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    proc = _sioproxy("import", str(path), "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    line = _assert_one_line(proc, str(path), "HAR entry")
    assert key in line


def test_show_follow_stops_when_the_reader_goes(tmp_path: Path) -> None:
    """``sioproxy show --follow REC | head -1`` ends instead of following forever."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rec = tmp_path / "rec.jsonl"
    lines = Path(REC).read_bytes().splitlines(keepends=True)
    rec.write_bytes(b"".join(lines[:3]))  # the header and two entries; the rest comes later
    proc = subprocess.Popen(
        [sys.executable, "-m", "sioproxy", "show", "--follow", str(rec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        with rec.open("ab") as grow:  # new entries make it write to the closed pipe
            grow.write(b"".join(lines[3:]))
        status = proc.wait(timeout=30)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status == 0
    assert "Traceback" not in err, err


def test_a_reachable_server_that_is_no_socket_io_server_still_gets_the_report() -> None:
    """Only a failed TCP connect is "unreachable"; an HTTP 404 is reported with its reason."""
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = f"http://127.0.0.1:{server.server_address[1]}"
        proc = _sioproxy("diff", REC, "--target", target, "--transport", "polling")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert proc.returncode == 2
    assert "upstream unreachable" not in proc.stderr + proc.stdout
    assert "could not connect: poll answered HTTP 501" in proc.stdout
