"""Fixtures for the relay tests.

pytest-twisted (auto-loaded through its pytest11 entry point) runs the default
reactor; tests are ``@pytest_twisted.ensureDeferred`` coroutines on it.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def reactor() -> Any:
    """The running (global) reactor, passed explicitly like in product code."""
    from twisted.internet import reactor as global_reactor

    return global_reactor
