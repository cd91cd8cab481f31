"""The playback options of replay-client, diff, locust and replay share one bound.

Every duration is 0 to one day (``limits.MAX_TIMEOUT_SECONDS``), every speed
0 to ``limits.MAX_SPEED``, whichever command takes it and, for ``locust``,
whether it comes before or after FILE.
"""

from __future__ import annotations

import pytest

from sioproxy import limits
from sioproxy.cli import locust_cmd
from sioproxy.cli.main import build_parser

DAY = limits.MAX_TIMEOUT_SECONDS
TARGET = ("--target", "http://127.0.0.1:9")
DURATIONS = ("--timeout", "--max-wait", "--connect-timeout")
TIMED = ("--max-gap",)


def _parsed(command: str, option: str, value: str, *, late: bool = False) -> dict[str, object]:
    if command == "locust":
        argv = ["locust", "rec.jsonl", option, value] if late else ["locust", option, value]
        args = build_parser().parse_args(argv if late else [*argv, "rec.jsonl"])
        merged, rest = locust_cmd._merged(args)
        assert rest == []
        return vars(merged)
    if command == "replay":
        return vars(build_parser().parse_args(["replay", "rec.jsonl", option, value]))
    return vars(build_parser().parse_args([command, "rec.jsonl", *TARGET, option, value]))


CASES = [
    *[(cmd, opt, False) for cmd in ("replay-client", "diff", "locust") for opt in DURATIONS],
    *[(cmd, opt, False) for cmd in ("replay-client", "locust") for opt in TIMED],
    *[("locust", opt, True) for opt in (*DURATIONS, *TIMED)],
    *[("replay", opt, False) for opt in ("--max-wait", "--cause-window", "--max-gap")],
]


@pytest.mark.parametrize(("command", "option", "late"), CASES)
def test_a_duration_is_zero_to_one_day(command: str, option: str, late: bool) -> None:
    dest = option.lstrip("-").replace("-", "_")
    assert _parsed(command, option, "0", late=late)[dest] == 0.0
    assert _parsed(command, option, f"{DAY:g}", late=late)[dest] == DAY


@pytest.mark.parametrize(("command", "option", "late"), CASES)
@pytest.mark.parametrize("value", ["-1", f"{DAY + 1:g}", "nan", "inf", "soon"])
def test_a_duration_out_of_bounds_is_a_usage_error(
    command: str, option: str, late: bool, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parsed(command, option, value, late=late)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"must be a number from 0 to {DAY:g}" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("command", "late"), [("replay-client", False), ("locust", False), ("locust", True)]
)
def test_a_speed_is_zero_to_max_speed(
    command: str, late: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _parsed(command, "--speed", f"{limits.MAX_SPEED:g}", late=late)["speed"] == (
        limits.MAX_SPEED
    )
    with pytest.raises(SystemExit) as exited:
        _parsed(command, "--speed", "-0.5", late=late)
    assert exited.value.code == 2
    assert f"must be a number from 0 to {limits.MAX_SPEED:g}" in capsys.readouterr().err


def test_diff_takes_no_timed_playback() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["diff", "rec.jsonl", *TARGET, "--speed", "2"])
