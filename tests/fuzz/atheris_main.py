"""Shared atheris entry: ``python -m tests.fuzz.atheris_<name> [libFuzzer args]``.

Layer: tests only, not collected by pytest. Instruments sioproxy, then runs
one target from ``tests.fuzz.targets`` under libFuzzer. Crashing inputs land
in ``tests/fuzz/regressions/<target>/`` (via ``-artifact_prefix``) and are
replayed by ``tests/fuzz/test_regressions.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def run(name: str) -> None:
    with atheris.instrument_imports(include=["sioproxy"]):
        from tests.fuzz import targets
    target = targets.TARGETS[name]
    out = REGRESSIONS / name
    out.mkdir(parents=True, exist_ok=True)
    argv = [*sys.argv, f"-artifact_prefix={out}/"]
    atheris.Setup(argv, target)
    atheris.Fuzz()
