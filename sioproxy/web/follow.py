"""``sioproxy web FILE...``: the lines of recordings that may still be growing.

Layer: pure (web). Builds on ``sioproxy.inspect.follow.RecordingTail`` (the
same reader as ``show --follow``); never twisted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from sioproxy.inspect.follow import RecordingTail
from sioproxy.recording import Redactor
from sioproxy.recording.model import Entry
from sioproxy.web.lines import entry_line


class FileFollower:
    """One tail per file; ``poll_into`` hands each new entry to ``publish``."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.tails = [RecordingTail(path) for path in paths]
        self.names = [os.path.basename(path) for path in paths]
        self._redactors: list[Redactor | None] = [None] * len(paths)

    def poll_into(self, publish: Callable[[Any], None]) -> int:
        count = 0
        for index, tail in enumerate(self.tails):
            for entry in tail.poll():
                if self._redactors[index] is None:  # the header comes with the first entry
                    summary = tail.header.redactions if tail.header else None
                    self._redactors[index] = Redactor.from_summary(summary)
                publish((index, entry))
                count += 1
        return count

    def encode(self, item: tuple[int, Entry]) -> bytes:
        index, entry = item
        redactor = self._redactors[index]
        assert redactor is not None
        return entry_line(entry, redactor.redact_output, file=index)

    def redactor(self, index: int) -> Redactor:
        """The policy of file ``index``'s header (disabled-by-default until it is read)."""
        header = self.tails[index].header
        return Redactor.from_summary(header.redactions if header else None)
