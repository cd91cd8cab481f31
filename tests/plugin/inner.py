"""Inner suites of the plugin tests: run one, record one once, put a recording in place.

Each inner suite runs in its own pytest process: each needs its own reactor.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def record_once(
    tmp_path_factory: pytest.TempPathFactory,
    tests: dict[str, str],
    upstream: str,
    recording: Path,
) -> bytes:
    """Run the suite ``tests`` (module name -> source) in mode once against ``upstream``.

    Returns the bytes of ``recording`` (relative to the suite's folder).
    """
    where = tmp_path_factory.mktemp("record")
    for name, source in tests.items():
        (where / f"{name}.py").write_text(source)
    (where / "pytest.ini").write_text(f"[pytest]\nsioproxy_upstream = {upstream}\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--sio-record-mode=once"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return (where / recording).read_bytes()


def install(pytester: pytest.Pytester, data: bytes, path: Path) -> Path:
    """Write a recording at ``path`` in the pytester folder; returns where."""
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
