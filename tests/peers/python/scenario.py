"""Shared pieces of the Python interop clients: CLI, transcript, per-namespace inbox.

Mirrors ../common/scenario.js so that every client prints the same transcript shape:
``{"transport": T, "namespaces": {"/": [...], "/chat": [...]}[, "warmup": [...]]}``,
where each observation is a JSON array (``["connect"]``, ``["event", name, args]``,
``["ack", name, args]``, ``["message", text]``, ``["json", value]``, ``["leave"]``) and
bytes are shown as ``{"$bytes": "<hex>"}``. Standard library only, no sioproxy imports.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

FIRST_ECHO: list[Any] = ["héllo wörld 😀", 42, {"k": [True, None]}]
BIN_PAYLOAD = bytes([0x01, 0x02, 0x03, 0xFF])
ANSWER = ("answer", "🎉")
STEP_TIMEOUT = 10.0
RUN_TIMEOUT = 20.0


def parse_args(
    transports: list[str], extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--transport", choices=transports, default=transports[0])
    parser.add_argument("--extra-ack-first", action="store_true")
    parser.add_argument("--echo-text", default=None)
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def first_echo(echo_text: str | None) -> list[Any]:
    return FIRST_ECHO if echo_text is None else [echo_text, *FIRST_ECHO[1:]]


def show(value: Any) -> Any:
    """Make a received value JSON-printable: bytes become {"$bytes": hex}."""
    if isinstance(value, bytes | bytearray):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, list | tuple):
        return [show(v) for v in value]
    if isinstance(value, dict):
        return {k: show(v) for k, v in value.items()}
    return value


def kind_of(item: list[Any]) -> str:
    if len(item) > 1 and item[0] in ("event", "ack"):
        return f"{item[0]}:{item[1]}"
    return str(item[0])


class Inbox:
    """Observations of one namespace, pushed from any thread, taken in order."""

    def __init__(self, name: str, pump: Callable[[float], None] | None = None) -> None:
        self.name = name
        self._items: queue.Queue[list[Any]] = queue.Queue()
        # Single-threaded clients (socketIO-client) need the caller to drive I/O.
        self._pump = pump

    def push(self, item: list[Any]) -> None:
        self._items.put(item)

    def pending(self) -> bool:
        return not self._items.empty()

    def next(self, what: str) -> list[Any]:
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out waiting for {what} on {self.name}")
            if self._pump is None:
                try:
                    return self._items.get(timeout=left)
                except queue.Empty:
                    continue
            try:
                return self._items.get_nowait()
            except queue.Empty:
                self._pump(left)


class Transcript:
    def __init__(self) -> None:
        self.namespaces: dict[str, list[Any]] = {"/": [], "/chat": []}
        self.warmup: Any = None

    def add(self, ns: str, item: list[Any]) -> None:
        self.namespaces[ns].append(show(item))

    def expect(self, inbox: Inbox, ns: str, kind: str) -> None:
        item = inbox.next(kind)
        if kind_of(item) != kind:
            raise AssertionError(f"expected {kind} on {ns}, got {show(item)!r}")
        self.add(ns, item)

    def take(self, inbox: Inbox, ns: str, kinds: list[str]) -> None:
        """Record observations whose arrival order is not part of the contract."""
        got = {}
        for _ in kinds:
            item = inbox.next(" + ".join(kinds))
            got[kind_of(item)] = item
        for kind in kinds:
            if kind not in got:
                raise AssertionError(f"expected {kind} on {ns}, got {show(got)!r}")
            self.add(ns, got[kind])

    def result(self, transport: str) -> dict[str, Any]:
        out: dict[str, Any] = {"transport": transport, "namespaces": self.namespaces}
        if self.warmup is not None:
            out["warmup"] = show(self.warmup)
        return out


def run_main(scenario: Callable[[], dict[str, Any]]) -> None:
    """Run the scenario, print its transcript as one JSON line, exit hard (bounded)."""

    def watchdog() -> None:
        sys.stderr.write(f"client run exceeded {RUN_TIMEOUT} s\n")
        sys.stderr.flush()
        os._exit(3)

    timer = threading.Timer(RUN_TIMEOUT, watchdog)
    timer.daemon = True
    timer.start()
    try:
        transcript = scenario()
    except Exception:
        sys.stderr.write("client failed:\n" + traceback.format_exc())
        sys.stderr.flush()
        os._exit(2)
    sys.stdout.write(json.dumps(transcript, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    # Library threads (engine.io readers, ping loops) must not delay the exit.
    os._exit(0)
