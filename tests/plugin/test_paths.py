"""Safe recording paths and the settings merge (pure parts of the pytest plugin)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sioproxy.errors import ConfigError
from sioproxy.testing.paths import (
    MAX_COMPONENT,
    default_recording_path,
    is_inside,
    named_recording_path,
    safe_component,
)
from sioproxy.testing.settings import APPEND, EPISODES, RECORD, REPLAY, Settings, plan


@pytest.mark.parametrize(
    "name",
    ["test_x", "test_x[1-2]", "TestA.test_b[ok]", "test_x[a=1,b+2]"],
)
def test_ordinary_test_names_are_kept(name: str) -> None:
    assert safe_component(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "test_x[../../etc/passwd]",
        "test_x[a/b]",
        "test_x[a\\b]",
        "..",
        ".hidden",
        "test_x[\x00\n]",
        "test_x[☕ 😀]",
        "CON",
        "nul.txt",
    ],
)
def test_unsafe_names_become_one_safe_component(name: str, tmp_path: Path) -> None:
    safe = safe_component(name)
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert not safe.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._=+,[]-") for c in safe)
    assert safe.split(".")[0].lower() not in {"con", "nul"}
    path = default_recording_path(tmp_path, "test_mod", name)
    assert is_inside(path, tmp_path)
    assert path.parent == tmp_path / "test_mod"


def test_changed_names_get_a_hash_so_they_do_not_collide() -> None:
    assert safe_component("test_x[a b]") != safe_component("test_x[a_b]")
    assert safe_component("test_x[a/b]") != safe_component("test_x[a_b]")
    assert safe_component("test_x[a b]") == safe_component("test_x[a b]")  # stable


def test_long_names_are_shortened_with_a_hash() -> None:
    long_a = "test_x[" + "a" * 500 + "]"
    long_b = "test_x[" + "a" * 499 + "b]"
    assert len(safe_component(long_a)) <= MAX_COMPONENT
    assert safe_component(long_a) != safe_component(long_b)
    assert safe_component(long_a).startswith("test_x[aaa")


def test_named_recordings(tmp_path: Path) -> None:
    assert named_recording_path(tmp_path, "test_m", "chat") == tmp_path / "test_m" / "chat.jsonl"
    assert named_recording_path(tmp_path, "test_m", "shared/x.jsonl") == tmp_path / "shared/x.jsonl"
    absolute = tmp_path.parent / "elsewhere.jsonl"
    assert named_recording_path(tmp_path, "test_m", str(absolute)) == absolute
    with pytest.raises(ConfigError, match="outside the recordings directory"):
        named_recording_path(tmp_path, "test_m", "../escape.jsonl")
    # a plain name never leaves, whatever it holds
    assert is_inside(named_recording_path(tmp_path, "test_m", ".."), tmp_path)


def test_symlinked_escape_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    (root / "link").symlink_to(tmp_path.parent)
    with pytest.raises(ConfigError):
        named_recording_path(root, "m", "link/x.jsonl")


def test_later_layers_win_and_none_means_unset() -> None:
    settings = Settings.merge(
        {"mode": "once", "speed": 2.0, "strict": True},
        {"speed": 3.0, "match": "any", "strict": None},
        {"mode": None},
        {"match": "per-event", "ignore": "/data/1"},
    )
    assert settings.mode == "once"
    assert settings.speed == 3.0
    assert settings.strict is True
    assert settings.match == "per-event"
    assert settings.ignore == ("/data/1",)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="record mode"):
        Settings.merge({"mode": "sometimes"})
    with pytest.raises(ConfigError, match="unknown sioproxy option"):
        Settings.merge({"recordng": "x"})
    with pytest.raises(ConfigError, match="match"):
        Settings.merge({"match": "fuzzy"})


@pytest.mark.parametrize(
    ("mode", "exists", "action"),
    [
        ("none", True, REPLAY),
        ("once", True, REPLAY),
        ("once", False, RECORD),
        ("new_episodes", True, EPISODES),
        ("new_episodes", False, RECORD),
        ("all", True, APPEND),
        ("all", False, RECORD),
        ("rewrite", True, RECORD),
        ("rewrite", False, RECORD),
    ],
)
def test_plan(mode: str, exists: bool, action: str, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    if exists:
        path.write_text("")
    assert plan(Settings(mode=mode, upstream="http://127.0.0.1:1"), path) == action


def test_plan_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    missing = tmp_path / "r.jsonl"
    with pytest.raises(ConfigError, match="--sio-record-mode=once"):
        plan(Settings(mode="none"), missing)
    with pytest.raises(ConfigError, match="no upstream"):
        plan(Settings(mode="once"), missing)


@pytest.mark.parametrize("module", ["sioproxy.testing", "sioproxy.pytest_plugin"])
def test_loading_the_plugin_installs_no_reactor(module: str) -> None:
    """pytest loads the plugin in every run: it must not pull Twisted in, let alone a reactor."""
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'twisted')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
