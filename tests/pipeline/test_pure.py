"""Pipeline internals: injected templates are never shared between emits.

(That the pipeline imports no twisted is checked with every pure module in
tests/test_layering.py.)
"""

from __future__ import annotations


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
