"""Option precedence: command line > SIOPROXY_* environment > --config TOML > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from sioproxy.cli.main import build_parser, main
from sioproxy.errors import ConfigError
from sioproxy.ops.config import parse_args, resolve

UP_CLI = "http://cli.example:1"
UP_ENV = "http://env.example:2"
UP_FILE = "http://file.example:3"


def _parse(argv: list[str], env: dict[str, str] | None = None) -> object:
    return parse_args(build_parser(), argv, env or {})


def _toml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sioproxy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# (cli has it, env has it, file has it) -> which value wins
PRECEDENCE = [
    ((True, True, True), UP_CLI),
    ((False, True, True), UP_ENV),
    ((False, False, True), UP_FILE),
    ((True, False, True), UP_CLI),
    ((True, True, False), UP_CLI),
]


@pytest.mark.parametrize(("present", "winner"), PRECEDENCE)
def test_precedence_table(tmp_path: Path, present: tuple[bool, bool, bool], winner: str) -> None:
    cli, env, file = present
    argv = ["record", "--out", "x.jsonl"]
    environ: dict[str, str] = {}
    if cli:
        argv += ["--upstream", UP_CLI]
    if env:
        environ["SIOPROXY_UPSTREAM"] = UP_ENV
    if file:
        argv = ["--config", _toml(tmp_path, f'upstream = "{UP_FILE}"\n'), *argv]
    args = _parse(argv, environ)
    assert args.upstream == winner  # type: ignore[attr-defined]


def test_defaults_when_nothing_is_configured() -> None:
    args = _parse(["record", "--upstream", UP_CLI, "--out", "x.jsonl"])
    assert args.listen == "127.0.0.1:8080"  # type: ignore[attr-defined]
    assert args.admin is None  # type: ignore[attr-defined]
    assert args.max_body == 1_000_000  # type: ignore[attr-defined]


def test_required_option_satisfied_by_env_alone() -> None:
    env = {"SIOPROXY_UPSTREAM": UP_ENV, "SIOPROXY_OUT": "env.jsonl", "SIOPROXY_ADMIN": ":0"}
    args = _parse(["record"], env)
    assert (args.upstream, args.out, args.admin) == (UP_ENV, "env.jsonl", ":0")  # type: ignore[attr-defined]


def test_missing_required_option_is_still_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parse(["record", "--out", "x.jsonl"])
    assert exit_info.value.code == 2
    assert "--upstream" in capsys.readouterr().err


def test_command_scoped_env_beats_plain_env() -> None:
    env = {
        "SIOPROXY_UPSTREAM": UP_ENV,
        "SIOPROXY_OUT": "plain.jsonl",
        "SIOPROXY_RECORD_OUT": "r.jsonl",
    }
    args = _parse(["record"], env)
    assert args.out == "r.jsonl"  # type: ignore[attr-defined]


def test_env_types_flags_lists_and_choices() -> None:
    env = {
        "SIOPROXY_UPSTREAM": UP_ENV,
        "SIOPROXY_OUT": "x.jsonl",
        "SIOPROXY_MAX_BODY": "4096",
        "SIOPROXY_FLUSH_INTERVAL": "0.5",
        "SIOPROXY_QUIET": "yes",
        "SIOPROXY_NO_REDACT": "0",
        "SIOPROXY_REDACT": "token, apiKey ,",
        "SIOPROXY_LOG_FORMAT": "json",
    }
    args = _parse(["record"], env)
    assert args.max_body == 4096  # type: ignore[attr-defined]
    assert args.flush_interval == 0.5  # type: ignore[attr-defined]
    assert args.quiet is True  # type: ignore[attr-defined]
    assert args.no_redact is False  # type: ignore[attr-defined]
    assert args.redact == ["token", "apiKey"]  # type: ignore[attr-defined]
    assert args.log_format == "json"  # type: ignore[attr-defined]


def test_cli_list_replaces_configured_list() -> None:
    env = {"SIOPROXY_UPSTREAM": UP_ENV, "SIOPROXY_OUT": "x", "SIOPROXY_REDACT": "a,b"}
    assert _parse(["record"], env).redact == ["a", "b"]  # type: ignore[attr-defined]
    args = _parse(["record", "--redact", "c"], env)
    assert args.redact == ["c"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "value", "expect"),
    [
        ("SIOPROXY_MAX_BODY", "lots", "SIOPROXY_MAX_BODY"),
        ("SIOPROXY_LOG_FORMAT", "xml", "not one of"),
        ("SIOPROXY_QUIET", "maybe", "SIOPROXY_QUIET"),
    ],
)
def test_bad_env_value_names_the_variable(name: str, value: str, expect: str) -> None:
    env = {"SIOPROXY_UPSTREAM": UP_ENV, "SIOPROXY_OUT": "x", name: value}
    with pytest.raises(ConfigError, match=expect):
        resolve(build_parser(), ["record"], env)


def test_toml_command_table_beats_top_level(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        'upstream = "http://top:1"\nlisten = "127.0.0.1:9000"\n\n'
        '[record]\nupstream = "http://rec:2"\nout = "t.jsonl"\nredact = ["k1", "k2"]\n'
        "max_body = 77\nquiet = true\n\n[replay]\nspeed = 0\n",
    )
    args = _parse(["--config", path, "record"])
    assert args.upstream == "http://rec:2"  # type: ignore[attr-defined]
    assert args.listen == "127.0.0.1:9000"  # type: ignore[attr-defined]
    assert args.redact == ["k1", "k2"]  # type: ignore[attr-defined]
    assert args.max_body == 77  # type: ignore[attr-defined]
    assert args.quiet is True  # type: ignore[attr-defined]
    replay = _parse(["--config", path, "replay", "rec.jsonl"])
    assert replay.speed == 0.0  # type: ignore[attr-defined]
    assert replay.listen == "127.0.0.1:9000"  # type: ignore[attr-defined]


def test_config_file_from_env_and_positional_from_config(tmp_path: Path) -> None:
    path = _toml(tmp_path, '[replay]\nrecording = "from-file.jsonl"\nloop = true\n')
    args = _parse(["replay"], {"SIOPROXY_CONFIG": path})
    assert args.recording == "from-file.jsonl"  # type: ignore[attr-defined]
    assert args.loop is True  # type: ignore[attr-defined]
    assert _parse(["replay", "cli.jsonl"], {"SIOPROXY_CONFIG": path}).recording == "cli.jsonl"  # type: ignore[attr-defined]


def test_resolve_reports_sources(tmp_path: Path) -> None:
    path = _toml(tmp_path, '# comment\n\n[record]\nout = "f.jsonl"\n')
    resolved = resolve(build_parser(), ["--config", path, "record"], {"SIOPROXY_UPSTREAM": UP_ENV})
    assert resolved.sources == {"upstream": "env SIOPROXY_UPSTREAM", "out": f"{path}:4"}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('upstream = "a"\nlisten = [\n', 2, "bad TOML"),
        ('upstream = "a"\nlisten = = 1\nquiet = true\n', 2, "bad TOML"),
        ('upstream = "a"\n\nbogus = 1\n', 3, "unknown option 'bogus'"),
        ('[record]\nout = "x"\nnope = true\n', 3, "unknown option 'nope' for record"),
        ('quiet = true\n[recrod]\nout = "x"\n', 2, "unknown table [recrod]"),
        ('[record]\nupstream = "u"\nmax_body = "big"\n', 3, "max_body"),
        ('[record]\nupstream = "u"\n\nquiet = "yes"\n', 4, "true or false"),
        ('[record]\nupstream = "u"\nlog_format = "xml"\n', 3, "not one of"),
    ],
)
def test_config_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = _toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        resolve(build_parser(), ["--config", path, "record"], {})
    assert (info.value.path, info.value.line) == (path, line)
    assert reason in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        resolve(build_parser(), ["--config", str(tmp_path / "none.toml"), "record"], {})


def test_main_turns_config_errors_into_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _toml(tmp_path, "listen = [\n")
    with pytest.raises(SystemExit) as info:
        main(["--config", path, "record", "--upstream", UP_CLI, "--out", "x"])
    assert info.value.code == 2
    assert f"{path}:1: bad TOML" in capsys.readouterr().err


def test_codec_commands_unaffected_by_unrelated_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # decode has no --upstream: the variable is simply not looked at.
    monkeypatch.setenv("SIOPROXY_UPSTREAM", UP_ENV)
    assert main(["decode", "--protocol", "0.9", "2::"]) == 0
    assert "heartbeat" in capsys.readouterr().out
