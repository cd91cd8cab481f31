"""The pipeline is pure: importing it pulls in neither twisted nor autobahn."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "sioproxy.pipeline",
    "sioproxy.pipeline.pointer",
    "sioproxy.pipeline.rules",
    "sioproxy.pipeline.actions",
    "sioproxy.pipeline.editing",
    "sioproxy.pipeline.hooks",
    "sioproxy.pipeline.acks",
    "sioproxy.pipeline.process",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_twisted(module: str) -> None:
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


def test_injected_template_is_not_shared() -> None:
    from sioproxy.codec.socketio import SioPacket

    from .helpers import C2S, EIO4, event, pipe, run

    p, _ = pipe(
        '[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = { name = "n", args = [{ a = 1 }] }\n'
    )
    first = run(p, EIO4, C2S, event(EIO4, "go"))[1].packet
    assert isinstance(first, SioPacket)
    first.data[1]["a"] = 2  # a careless consumer mutates one injected packet
    second = run(p, EIO4, C2S, event(EIO4, "go"))[1].packet
    assert second.data == ["n", {"a": 1}]
