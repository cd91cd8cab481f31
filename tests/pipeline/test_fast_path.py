"""Rules that cannot match cost no dict form (the 20-rule benchmark's premise)."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.codec import legacy as legacy_codec
from sioproxy.codec import legacy_dict
from sioproxy.pipeline import actions, editing
from sioproxy.types import Generation

from .helpers import C2S, GENS, LEGACY, S2C, ack, decode, event, pipe, run

TWENTY = "".join(
    f'[[rules]]\nname = "r{i}"\ndir = "s2c"\nevent = "never{i}"\nset = {{ "/args/0" = {i} }}\n'
    for i in range(10)
) + "".join(
    f'[[rules]]\ntype = "json"\nequals = {{ "/data/k" = {i} }}\naction = "drop"\n'
    for i in range(10)
)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"view": 0, "legacy_parse": 0}
    real_view, real_event_view = actions.to_view, legacy_codec.event_view

    def view(*args: Any) -> Any:
        calls["view"] += 1
        return real_view(*args)

    def event_view(*args: Any) -> Any:
        calls["legacy_parse"] += 1
        return real_event_view(*args)

    monkeypatch.setattr(editing, "to_view", view)
    monkeypatch.setattr(legacy_codec, "event_view", event_view)
    monkeypatch.setattr(legacy_dict, "event_view", event_view)
    return calls


@pytest.mark.parametrize("gen", GENS)
def test_twenty_non_matching_rules_build_no_view(gen: Generation, counted: dict[str, int]) -> None:
    p, _ = pipe(TWENTY)
    assert not p.empty
    packets = [
        (C2S, event(gen, "never1", 1)),  # right name, wrong direction
        (S2C, event(gen, "tick", 1, id=3)),  # right direction, no such event
        (S2C, ack(gen, 3, "x")),
    ]
    for direction, pk in packets * 50:
        (e,) = run(p, gen, direction, pk)
        assert e.packet is pk
        assert e.origin == "unchanged"
    assert counted["view"] == 0
    assert counted["legacy_parse"] == 0


def test_view_built_once_per_stage_when_a_rule_needs_it(counted: dict[str, int]) -> None:
    p, _ = pipe(TWENTY)
    pk = decode(LEGACY, '4:::{"k":3}')
    run(p, LEGACY, C2S, pk)
    assert counted["view"] == 1  # ten conditional rules share one view


def test_empty_pipeline() -> None:
    p, _ = pipe()
    assert p.empty
    pk = event(Generation.EIO4, "x", id=1)
    (e,) = run(p, Generation.EIO4, C2S, pk)
    assert e.packet is pk
