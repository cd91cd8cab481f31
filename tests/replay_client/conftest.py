"""Fixtures for the client-side replay tests.

Like tests/proxy/edge: pytest-twisted (auto-loaded through its pytest11 entry
point) runs the default reactor for the tests that need one.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.interop.conftest import peer_server

__all__ = ["peer_server", "reactor"]


@pytest.fixture
def reactor() -> Any:
    """The running (global) reactor, passed explicitly like in product code."""
    from twisted.internet import reactor as global_reactor

    return global_reactor
