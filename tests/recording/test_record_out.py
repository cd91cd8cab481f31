"""``sioproxy record --out``: nothing destroyed, one-line errors (run as users run it)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.peers import REPO

TIMEOUT = 30.0


def _record(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sioproxy", "record", "--upstream", "http://127.0.0.1:9", *args]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        env=dict(os.environ, **(env or {})),
        check=False,
    )


def _one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port held by a listening socket for the test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_an_existing_out_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "rec.jsonl"
    out.write_bytes(b"x" * 10_532)
    done = _record("--listen", "127.0.0.1:0", "--out", str(out))
    _one_line_error(done, str(out), "file exists", "--force", "--append")
    assert out.read_bytes() == b"x" * 10_532


@pytest.mark.parametrize("flag", ["--force", "--append"])
def test_port_in_use_leaves_the_file_untouched(tmp_path: Path, busy_port: int, flag: str) -> None:
    out = tmp_path / "rec.jsonl"
    out.write_bytes(b"x" * 10_532)
    done = _record("--listen", f"127.0.0.1:{busy_port}", "--out", str(out), flag)
    _one_line_error(done, "cannot listen")
    assert out.read_bytes() == b"x" * 10_532


def test_port_in_use_creates_no_file(tmp_path: Path, busy_port: int) -> None:
    out = tmp_path / "sub" / "rec.jsonl"
    done = _record("--listen", f"127.0.0.1:{busy_port}", "--out", str(out))
    _one_line_error(done, "cannot listen")
    assert not (tmp_path / "sub").exists()


def test_force_and_append_exclude_each_other(tmp_path: Path) -> None:
    done = _record("--out", str(tmp_path / "r.jsonl"), "--force", "--append")
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: "/proc/nope/x.jsonl", "cannot create directory /proc/nope"),
        (lambda d: str(d), "is a directory"),
        (lambda d: str(_touch(d / "existing_file") / "x.jsonl"), "is not a directory"),
        (lambda d: str(_link(d)), "is a symbolic link"),
    ],
    ids=["proc", "directory", "file-as-dir", "symlink"],
)
def test_bad_out_is_one_line_naming_the_cause(tmp_path: Path, make: object, needle: str) -> None:
    out = make(tmp_path)  # type: ignore[operator]
    done = _record("--listen", "127.0.0.1:0", "--out", out, "--force")
    _one_line_error(done, needle)
    assert "file exists" not in done.stderr


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _link(directory: Path) -> Path:
    target = _touch(directory / "target")
    link = directory / "link.jsonl"
    link.symlink_to(target)
    return link


def test_bad_file_mode_is_a_usage_error(tmp_path: Path) -> None:
    done = _record("--out", str(tmp_path / "r.jsonl"), "--file-mode", "rw-r--r--")
    assert done.returncode == 2
    assert "not an octal file mode" in done.stderr


def test_file_mode_from_the_environment(tmp_path: Path) -> None:
    """SIOPROXY_FILE_MODE reaches --file-mode (docs/operations.md): checked via the parser."""
    from sioproxy.cli.main import build_parser
    from sioproxy.ops.config import parse_args

    args = parse_args(
        build_parser(),
        ["record", "--upstream", "http://h", "--out", "x"],
        {"SIOPROXY_FILE_MODE": "0644"},
    )
    assert args.file_mode == 0o644
    assert stat.S_IMODE(args.file_mode) == 0o644
