"""Replays every input kept in ``tests/fuzz/regressions/<target>/`` (crashes atheris
found, fixed since) and every seed in ``tests/fuzz/seeds/<target>/`` through the
same target functions the atheris runners use; none may raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS

HERE = Path(__file__).resolve().parent
CASES = sorted(
    path
    for kind in ("regressions", "seeds")
    for path in (HERE / kind).glob("*/*")
    if path.is_file() and not path.name.startswith(".")
)


def test_every_kept_input_has_a_known_target() -> None:
    assert CASES, "no seeds or regressions found"
    assert {p.parent.name for p in CASES} <= set(TARGETS)


@pytest.mark.parametrize(
    "path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}"
)
def test_kept_input(path: Path) -> None:
    TARGETS[path.parent.name](path.read_bytes())


def test_targets_reject_what_breaks_the_contract() -> None:
    """The harness itself must be able to fail: a non-DecodeError escapes."""

    def boom(_data: bytes) -> None:
        raise KeyError("not a DecodeError")

    from tests.fuzz import targets

    original = targets.legacy.decode_packet
    targets.legacy.decode_packet = boom  # type: ignore[assignment]
    try:
        with pytest.raises(KeyError):
            TARGETS["legacy_packet"](b"3:::x")
    finally:
        targets.legacy.decode_packet = original
