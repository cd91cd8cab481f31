"""docs/replay.md shows the report and summary the code really produces."""

from __future__ import annotations

import re
from pathlib import Path

from sioproxy.standin.replay import ReplayEngine, ReplayOptions, summarize
from sioproxy.types import Generation

from .factory import RecordingBuilder, mismatches, sio

DOC = Path(__file__).resolve().parents[3] / "docs" / "replay.md"


def _blocks() -> list[str]:
    return re.findall(r"```\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_example_report_and_summary_match_the_code() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1", 0.0)
    b.c("40/chat,", 0.01).s('40/chat,{"sid":"x"}', 0.012)
    b.c('42/chat,1["message",{"text":"hello","ts":1714567890123}]', 0.5)
    b.s('43/chat,1["ok"]', 0.52)
    b.c('42/chat,["typing",true]', 0.6)
    b.c('42/chat,2["message",{"text":"bye","ts":1714567891000}]', 0.9)
    b.s('43/chat,2["ok"]', 0.92)
    engine = ReplayEngine(b.build(), "c1", ReplayOptions())
    engine.on_client_packet(sio("40/chat,"), 0.0)
    live = sio('42/chat,0["message",{"text":"hi","ts":1714999999999}]')
    (miss,) = mismatches(engine.on_client_packet(live, 1.0))
    blocks = _blocks()
    assert miss.report.text() + "\n" in blocks
    assert summarize([engine]).text() + "\n" in blocks
