"""Reading recordings for Locust users: globs, chosen connections, start offsets, secrets.

``sioproxy.locust.session`` imports gevent but not Locust, so nothing is
monkey-patched and these run in pytest's process; no network here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sioproxy.errors import ConfigError
from sioproxy.locust.session import expand, prepare
from tests.locust.helpers import emits_with_ack

DEMO = Path(__file__).resolve().parents[2] / "recordings" / "examples" / "demo-eio4.jsonl"


def test_every_connection_is_planned_with_its_start_offset() -> None:
    prepared = prepare(str(DEMO))
    assert [p.conn for p in prepared.plans] == ["c1", "c2"]
    assert prepared.offsets["c1"] == 0.0
    assert prepared.offsets["c2"] > 0.0
    assert prepared.emits_with_ack() == emits_with_ack(DEMO) > 0
    assert prepared.name == "demo-eio4.jsonl"
    assert prepared.unfilled == ()


def test_chosen_connections_only() -> None:
    prepared = prepare(str(DEMO), conns=["c2"])
    assert [p.conn for p in prepared.plans] == ["c2"]
    assert prepared.offsets == {"c2": 0.0}
    with pytest.raises(ConfigError, match=r"no connection c9 \(recorded: c1, c2\)"):
        prepare(str(DEMO), conns=["c9"])


def test_a_glob_names_every_matching_file_in_order(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.jsonl"):
        shutil.copy(DEMO, tmp_path / name)
    assert expand(str(tmp_path / "*.jsonl")) == [str(tmp_path / n) for n in ("a.jsonl", "b.jsonl")]
    assert expand(str(DEMO)) == [str(DEMO)]
    with pytest.raises(ConfigError, match="no such file"):
        expand(str(tmp_path / "*.json"))
    with pytest.raises(ConfigError, match="no such file"):
        expand(str(tmp_path / "missing.jsonl"))


def test_placeholders_are_filled_and_those_left_are_named(tmp_path: Path) -> None:
    # The demo client's add(2, 3), its first argument redacted in both forms of the packet.
    text = DEMO.read_text("utf-8")
    text = text.replace('\\"add\\",2', '\\"add\\",\\"[REDACTED:first]\\"')
    text = text.replace('"add",2', '"add","[REDACTED:first]"')
    redacted = tmp_path / "redacted.jsonl"
    redacted.write_text(text, "utf-8")
    assert prepare(str(redacted)).unfilled == ("first",)  # labels of what stays unfilled
    filled = prepare(str(redacted), secrets={"first": "two"})
    assert filled.unfilled == ()
    sent = [s.packet for script in filled.scripts.values() for s in script.client_steps()]
    assert ["add", "two", 3] in [getattr(p, "data", None) for p in sent]
