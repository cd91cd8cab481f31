"""Replay: play a recorded connection back to a live client, as a stand-in server.

Layer: pure (sans-IO). Imports the codec, the recording model and the shared
enums; never twisted. The transport's replay server owns sockets, handshakes,
heartbeats and timers; this package decides what to send and when, and
explains every miss. User documentation: docs/replay.md.
"""

from sioproxy.recording.matching import MATCH_MODES, Comparison, Difference, compare, diff
from sioproxy.recording.script import Script, Step, build_script, wire_text
from sioproxy.standin.replay.acks import AckTable
from sioproxy.standin.replay.actions import MISS_MODES, Action, Done, Mismatch, ReplayOptions, Send
from sioproxy.standin.replay.engine import ReplayEngine
from sioproxy.standin.replay.report import Candidate, MismatchReport, ReplaySummary, UnplayedPacket
from sioproxy.standin.replay.scheduler import ConnectionScheduler, summarize

__all__ = [
    "MATCH_MODES",
    "MISS_MODES",
    "AckTable",
    "Action",
    "Candidate",
    "Comparison",
    "ConnectionScheduler",
    "Difference",
    "Done",
    "Mismatch",
    "MismatchReport",
    "ReplayEngine",
    "ReplayOptions",
    "ReplaySummary",
    "Script",
    "Send",
    "Step",
    "UnplayedPacket",
    "build_script",
    "compare",
    "diff",
    "summarize",
    "wire_text",
]
