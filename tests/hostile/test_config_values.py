"""Out-of-range option and rule values: refused before anything listens, exit 2, no traceback.

The same bounds hold on the command line, in SIOPROXY_* variables and in the
config file (which names its file and line), and for the numbers of a rules
file (``copies = 3000000`` was accepted and cost 245 MiB per matching packet).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.peers import REPO

RECORD = ["record", "--upstream", "http://127.0.0.1:9", "--listen", "127.0.0.1:0"]


def _run(args: list[str], tmp: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SIOPROXY_")}
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        cwd=tmp,
        env={**environ, "PYTHONPATH": str(REPO), **(env or {})},
        check=False,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def _refused(result: tuple[int, str, str], *fragments: str) -> None:
    status, out, err = result
    assert status == 2, (status, out, err)
    assert "listening" not in out, out
    assert "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--max-body", "0", "must be an integer from 1 to 1,073,741,824"),
        ("--max-body", "-1", "must be an integer from 1"),
        ("--max-body", "1e400", "must be an integer from 1"),
        ("--flush-interval", "nan", "must be a number from 0 to 60"),
        ("--flush-interval", "inf", "must be a number from 0 to 60"),
        ("--flush-interval", "-1", "must be a number from 0 to 60"),
        ("--seed", "-1e400", "must be an integer from 0"),
        ("--seed", "-1", "must be an integer from 0"),
        ("--header-timeout", "-1", "must be a number from 0 to 86400"),
        ("--idle-timeout", "nan", "must be a number from 0 to 86400"),
        ("--max-connections-per-client", "-1", "must be an integer from 0"),
    ],
)
def test_command_line_values_are_bounded(
    tmp_path: Path, option: str, value: str, fragment: str
) -> None:
    args = [*RECORD, "--out", "x.jsonl", f"{option}={value}"]
    _refused(_run(args, tmp_path), option, fragment)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SIOPROXY_MAX_BODY", "0", "must be an integer from 1"),
        ("SIOPROXY_RECORD_MAX_BODY", "-1", "must be an integer from 1"),
        ("SIOPROXY_FLUSH_INTERVAL", "nan", "must be a number from 0 to 60"),
        ("SIOPROXY_RECORD_FLUSH_INTERVAL", "-1", "must be a number from 0 to 60"),
        ("SIOPROXY_SEED", "-1e400", "must be an integer from 0"),
        ("SIOPROXY_IDLE_TIMEOUT", "inf", "must be a number from 0 to 86400"),
    ],
)
def test_environment_values_are_bounded(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    result = _run([*RECORD, "--out", "x.jsonl"], tmp_path, {name: value})
    _refused(result, f"{name}: {fragment}")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("flush_interval = nan", "flush_interval: must be a number from 0 to 60, got nan"),
        ("flush_interval = inf", "flush_interval: must be a number from 0 to 60, got inf"),
        ("flush_interval = -1", "flush_interval: must be a number from 0 to 60, got -1"),
        ("seed = -1e400", "seed: must be an integer from 0"),
        ("max_body = 0", "max_body: must be an integer from 1"),
        ("max_body = -1", "max_body: must be an integer from 1"),
        ("max_body = 1.5", "max_body: must be an integer from 1"),
        ("header_timeout = -0.5", "header_timeout: must be a number from 0"),
        (
            "max_connections_per_client = 1e9",
            "max_connections_per_client: must be an integer from 0 to 1,000,000",
        ),
    ],
)
def test_config_file_values_name_file_and_line(tmp_path: Path, line: str, fragment: str) -> None:
    (tmp_path / "sioproxy.toml").write_text(
        f'# settings\n[record]\nout = "x.jsonl"\n{line}\n', "utf-8"
    )
    result = _run(["--config", "sioproxy.toml", *RECORD], tmp_path)
    _refused(result, f"sioproxy.toml:4: {fragment}")


def test_replay_values_are_bounded(tmp_path: Path) -> None:
    recording = str(REPO / "recordings" / "examples" / "demo-eio4.jsonl")
    for option, value in (("--speed", "nan"), ("--speed", "-1"), ("--max-gap", "inf")):
        args = ["replay", recording, "--listen", "127.0.0.1:0", f"{option}={value}"]
        _refused(_run(args, tmp_path), option, "must be a number from 0")


def test_rules_file_numbers_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[[rules]]\nname = "many"\naction = "duplicate"\ncopies = 3000000\n', "utf-8"
    )
    result = _run([*RECORD, "--out", "x.jsonl", "--rules", "rules.toml"], tmp_path)
    _refused(result, "rules.toml:4: rule 1 ('many'): 'copies' must be an integer from 1 to 100")


@pytest.mark.parametrize(
    "args",
    [
        ["replay-client", "{rec}", "--target", "http://127.0.0.1:9", "--timeout", "nan"],
        ["replay-client", "{rec}", "--target", "http://127.0.0.1:9", "--connect-timeout=-1"],
        ["replay-client", "{rec}", "--target", "http://127.0.0.1:9", "--clients", "1e9"],
        ["show", "{rec}", "--follow", "--follow-interval", "0"],
        ["show", "{rec}", "--max-args", "inf"],
    ],
)
def test_client_side_values_are_bounded(tmp_path: Path, args: list[str]) -> None:
    recording = str(REPO / "recordings" / "examples" / "demo-eio4.jsonl")
    _refused(_run([a.format(rec=recording) for a in args], tmp_path), "must be a")
