"""Load tests from recordings on Locust: ``RecordingUser`` and its gevent transport.

Layer: Locust (gevent). ``sioproxy.locust.RecordingUser`` imports Locust, which
monkey-patches the process, so it is loaded on first use only; the transport
modules (``target``, ``transport``, ``session``, ``reporting``) import gevent
but not Locust. Nothing else in sioproxy imports this package
(pyproject.toml's import-linter contracts). User documentation: docs/load.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RecordingUser"]


def __getattr__(name: str) -> Any:
    if name == "RecordingUser":
        from sioproxy.locust.user import RecordingUser

        return RecordingUser
    raise AttributeError(name)
