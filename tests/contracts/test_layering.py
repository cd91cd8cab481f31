"""The contracts package is pure: no Twisted, no autobahn (like tests/test_layering.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
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
]


@pytest.mark.parametrize("module", MODULES)
def test_contracts_do_not_import_twisted(module: str) -> None:
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
