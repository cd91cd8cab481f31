"""``sioproxy locust``: its own options before or after FILE, Locust's passed through, errors.

The launcher is checked here without starting Locust (it never imports
``sioproxy.locust`` or ``locust``); tests/locust runs it for real.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sioproxy.cli import locust_cmd
from sioproxy.cli.main import build_parser

REPO = Path(__file__).resolve().parents[2]


def _parse(*argv: str) -> tuple[dict[str, object], list[str]]:
    args = build_parser().parse_args(["locust", *argv])
    merged, rest = locust_cmd._merged(args)
    return vars(merged), rest


def test_options_after_file_are_sioproxy_s_and_the_rest_is_locust_s() -> None:
    seen, rest = _parse(
        "--conn",
        "c1",
        "rec.jsonl",
        "--target",
        "http://127.0.0.1:3000",
        "--headless",
        "-u",
        "50",
        "-r",
        "10",
        "-t",
        "20s",
        "--conn",
        "c2",
        "--timeout",
        "0.5",
        "--csv",
        "out",
        "--master",
    )
    assert seen["file"] == "rec.jsonl"
    assert seen["target"] == "http://127.0.0.1:3000"
    assert seen["conn"] == ["c1", "c2"]
    assert seen["timeout"] == 0.5
    assert rest == ["--headless", "-u", "50", "-r", "10", "-t", "20s", "--csv", "out", "--master"]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sioproxy", "locust", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


def test_errors_are_one_line_and_status_2(tmp_path: Path) -> None:
    no_target = _run(str(tmp_path / "x.jsonl"), "--headless")
    assert no_target.returncode == 2
    assert no_target.stderr == "sioproxy locust: --target URL is required\n"
    missing = _run(str(tmp_path / "x.jsonl"), "--target", "http://127.0.0.1:9", "--headless")
    assert missing.returncode == 2
    assert missing.stderr == f"sioproxy locust: {tmp_path / 'x.jsonl'}: no such recording\n"
    bad = _run(str(tmp_path / "x.jsonl"), "--target", "http://127.0.0.1:9", "--capture", "oops")
    assert bad.returncode == 2
    assert "--capture 'oops': expected NAME=EVENT:/json/pointer" in bad.stderr
    assert "Traceback" not in no_target.stderr + missing.stderr + bad.stderr


def test_an_unknown_option_before_file_is_still_refused() -> None:
    done = _run("--headles", "rec.jsonl")
    assert done.returncode == 2
    assert "unknown option --headles" in done.stderr


def test_the_launcher_does_not_import_locust() -> None:
    code = (
        "import sys; from sioproxy.cli.main import build_parser; "
        "build_parser().parse_args(['locust', 'r.jsonl', '--target', 'http://h:1']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent') "
        "or m.startswith('sioproxy.locust')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.stdout.strip() == "[]", done.stderr
