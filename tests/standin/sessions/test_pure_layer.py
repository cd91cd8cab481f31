"""The stand-in's sessions are sans-IO: importing them pulls in no twisted/autobahn."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "sioproxy.standin.sessions",
        "sioproxy.standin.sessions.app",
        "sioproxy.standin.sessions.eio_session",
        "sioproxy.standin.sessions.legacy_session",
    ],
)
def test_serverside_does_not_import_twisted(module: str) -> None:
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "print(','.join(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('twisted', 'autobahn'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{module} pulls in {out}"
