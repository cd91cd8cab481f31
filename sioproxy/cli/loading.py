"""Reading a recording for a command: the torn-last-line warning, said once, everywhere.

Layer: edge helper (no twisted). Every command that reads a recording file
(``show``, ``export``, ``merge``, ``replay``, ``replay-client``, ``diff``) loads
it through here, so a file cut short by ``kill -9`` is never used silently:
one line on stderr names the file and the line that was dropped.
"""

from __future__ import annotations

import os
import sys

from sioproxy.recording import Recording, read_recording
from sioproxy.textsafe import escape_controls


def warn_torn(command: str, path: str | os.PathLike[str], torn_tail: str | None) -> None:
    """``sioproxy CMD: FILE: line N: torn last line (...) dropped`` on stderr, if torn."""
    if torn_tail:
        line = f"sioproxy {command}: {os.fspath(path)}: {torn_tail}"
        print(escape_controls(line), file=sys.stderr, flush=True)


def load_recording(path: str | os.PathLike[str], command: str) -> Recording:
    """``read_recording(path)``, warning on stderr about a dropped torn last line."""
    recording = read_recording(path)
    warn_torn(command, path, recording.torn_tail)
    return recording
