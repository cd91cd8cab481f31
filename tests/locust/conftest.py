"""Fixtures for the Locust tests: real peer servers, stopped by pid (tests/interop)."""

from __future__ import annotations

from tests.interop.conftest import peer_server

__all__ = ["peer_server"]
