"""Standard output that may be closed by its reader: ``sioproxy replay ... | head -1``.

Layer: edge helper for ``cli``. When the reader of a pipe goes away, the next
write raises ``BrokenPipeError``; inside a Twisted callback that became a
traceback on stderr, and at exit Python printed "Exception ignored". Common
command-line tools stop writing quietly instead. ``PipeSafeStdout`` wraps
``sys.stdout``: on the first broken pipe it points file descriptor 1 at
``/dev/null`` (so nothing buffered fails again) and drops further output; the
command carries on and its exit status still tells what happened.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class PipeSafeStdout:
    """A ``sys.stdout`` stand-in that swallows a closed pipe, once and for all."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if self.closed_pipe:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        if self.closed_pipe:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def _drop(self) -> None:
        self.closed_pipe = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # not a real file: nothing buffered can fail later
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install() -> PipeSafeStdout:
    """Wrap ``sys.stdout`` (idempotent); returns the wrapper."""
    current: Any = sys.stdout
    if isinstance(current, PipeSafeStdout):
        return current
    wrapper = PipeSafeStdout(current)
    sys.stdout = wrapper
    return wrapper


def stdout_closed() -> bool:
    """True once a reader closed standard output (a loop may stop producing)."""
    current: Any = sys.stdout
    return isinstance(current, PipeSafeStdout) and current.closed_pipe
