"""The pure core never imports Twisted (docs/architecture.md#layers)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

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
    "sioproxy.codec.placeholders",
    "sioproxy.codec.packets",
    "sioproxy.codec.jsonvalue",
    "sioproxy.fastbuild",
    "sioproxy.bulkwork",
    "sioproxy.session.effects",
    "sioproxy.session",
    "sioproxy.recording",
    "sioproxy.recording.script",
    "sioproxy.recording.matching",
    "sioproxy.recording.causes",
    "sioproxy.recording.app_view",
    "sioproxy.recording.cause_model",
    "sioproxy.recording.hot_line",
    "sioproxy.ops.logfmt",
    "sioproxy.ops.logplain",
    "sioproxy.textsafe",
    "sioproxy.proxy",
    "sioproxy.proxy.live",
    "sioproxy.proxy.live_rewrite",
    "sioproxy.proxy.upgrade_refusal",
    "sioproxy.proxy.rewrite",
    "sioproxy.standin",
    "sioproxy.ops",
    "sioproxy.cli",
    "sioproxy.proxy.observer",
    "sioproxy.cli.codec_cmds",
    "sioproxy.cli.inspect_cmds",
    "sioproxy.inspect",
    "sioproxy.standin.replay",
    "sioproxy.standin.replay.serve",
    "sioproxy.standin.replay.engine",
    "sioproxy.standin.replay.actions",
    "sioproxy.standin.replay.scheduler",
    "sioproxy.standin.replay.config",
    "sioproxy.standin.sessions",
    "sioproxy.pipeline",
    "sioproxy.jsonpointer",
    "sioproxy.pipeline.rules",
    "sioproxy.pipeline.actions",
    "sioproxy.pipeline.editing",
    "sioproxy.pipeline.hooks",
    "sioproxy.pipeline.acks",
    "sioproxy.pipeline.process",
    "sioproxy.ops.config",
    "sioproxy.ops.metrics",
    "sioproxy.limits",
    "sioproxy.testing.paths",
    "sioproxy.testing.settings",
    "sioproxy.replay_client",
    "sioproxy.replay_client.driver",
    # contracts (docs/contracts.md)
    "sioproxy.contracts",
    "sioproxy.contracts.infer",
    "sioproxy.contracts.validate",
    "sioproxy.contracts.observe",
    "sioproxy.contracts.document",
    "sioproxy.contracts.output",
    "sioproxy.contracts.update",
    "sioproxy.contracts.check",
    "sioproxy.contracts.compiled",
    "sioproxy.contracts.live",
    "sioproxy.testing.contract",
    "sioproxy.cli.contract_cmds",
    # the web inspector's pure parts (its Twisted edge is sioproxy.web.server)
    "sioproxy.web.rows",
    "sioproxy.web.ring",
    "sioproxy.web.sequence",
    "sioproxy.web.report",
    "sioproxy.web.follow",
    "sioproxy.web.live",
    "sioproxy.web.replay_marks",
    "sioproxy.cli.web_cmds",
    # Locust processes run gevent only (docs/load.md "How it runs")
    "sioproxy.net.upstream",
    "sioproxy.locust.reporting",
    "sioproxy.locust.transport",
    "sioproxy.locust.session",
    "sioproxy.locust.quitting",
    "sioproxy.locust.user",
    "sioproxy.locust.locustfile",
    "sioproxy.cli.locust_cmd",
    "sioproxy.cli.playback_opts",
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


def test_import_contracts_count_type_checking_imports() -> None:
    # An import made only for annotations still points one way in the design.
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config.get("exclude_type_checking_imports", False) is False
