"""The pure core never imports Twisted (design.md: arrows point down only)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_MODULES = [
    "sioproxy.codec",
    "sioproxy.codec.legacy",
    "sioproxy.codec.legacy_framing",
    "sioproxy.codec.engineio",
    "sioproxy.codec.payload",
    "sioproxy.codec.socketio",
    "sioproxy.codec.binary",
    "sioproxy.codec.handshake",
    "sioproxy.codec.wsframe",
    "sioproxy.session",
    "sioproxy.recording",
    "sioproxy.logfmt",
    "sioproxy.textsafe",
    "sioproxy.live",
    "sioproxy.transport.observer",
    "sioproxy.commands.codec_cmds",
    "sioproxy.commands.inspect_cmds",
    "sioproxy.inspect",
    "sioproxy.replay",
    "sioproxy.replay.serve",
    "sioproxy.replay.engine",
    "sioproxy.replay.actions",
    "sioproxy.replay.scheduler",
    "sioproxy.replay.config",
    "sioproxy.serverside",
    "sioproxy.pipeline",
    "sioproxy.pipeline.pointer",
    "sioproxy.pipeline.rules",
    "sioproxy.pipeline.actions",
    "sioproxy.pipeline.editing",
    "sioproxy.pipeline.hooks",
    "sioproxy.pipeline.acks",
    "sioproxy.pipeline.process",
    "sioproxy.config",
    "sioproxy.metrics",
    "sioproxy.limits",
    "sioproxy.testing.paths",
    "sioproxy.testing.settings",
    "sioproxy.clientside",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_does_not_import_twisted(module: str) -> None:
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('twisted', 'autobahn'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{module} pulls in {out}"
