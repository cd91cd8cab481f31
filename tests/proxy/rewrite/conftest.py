"""The real-peer fixtures of tests/interop, shared with the rewrite tests."""

from tests.interop.conftest import shared_peer_server

__all__ = ["shared_peer_server"]
