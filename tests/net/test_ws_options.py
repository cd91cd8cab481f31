"""QuietOptions: autobahn's option copy, made without its debug text."""

from __future__ import annotations

from typing import Any

import pytest
from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket import protocol as autobahn_protocol
from twisted.internet.testing import StringTransport

from sioproxy.net.ws_options import QuietOptions


class _QuietServer(QuietOptions, WebSocketServerProtocol):  # type: ignore[misc]
    pass


class _QuietServerWithOwnTimeout(_QuietServer):
    openHandshakeTimeout = 7  # noqa: N815 - a class value wins over the factory's


class _LoudServerWithOwnTimeout(WebSocketServerProtocol):  # type: ignore[misc]
    openHandshakeTimeout = 7  # noqa: N815 - autobahn's name


class _QuietClient(QuietOptions, WebSocketClientProtocol):  # type: ignore[misc]
    pass


def _connected(cls: type, factory: Any) -> Any:
    proto = cls()
    proto.factory = factory
    proto.makeConnection(StringTransport())
    return proto


def _server_factory() -> Any:
    factory = WebSocketServerFactory()
    factory.setProtocolOptions(maxFramePayloadSize=1234, autoFragmentSize=0, failByDrop=False)
    return factory


def _options(proto: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(proto, name) for name in names}


@pytest.fixture
def formatted(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What autobahn's protocol module hands to ``pformat`` (its debug text)."""
    seen: list[Any] = []
    real = autobahn_protocol.pformat

    def spy(value: Any, *args: Any, **kwargs: Any) -> str:
        seen.append(value)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(autobahn_protocol, "pformat", spy)
    return seen


def test_the_option_list_is_not_formatted(formatted: list[Any]) -> None:
    _connected(_QuietServer, _server_factory())
    option_lists = [value for value in formatted if isinstance(value, list) and value]
    assert option_lists == []
    # autobahn's own protocol formats all of them: what the mixin saves.
    _connected(WebSocketServerProtocol, _server_factory())
    [loud] = [value for value in formatted if isinstance(value, list) and value]
    assert len(loud) == len(WebSocketServerProtocol.CONFIG_ATTRS)


@pytest.mark.parametrize(
    ("quiet", "loud"),
    [
        (_QuietServer, WebSocketServerProtocol),
        (_QuietServerWithOwnTimeout, _LoudServerWithOwnTimeout),
    ],
)
def test_a_server_gets_the_options_autobahn_would_give(quiet: type, loud: type) -> None:
    names = tuple(WebSocketServerProtocol.CONFIG_ATTRS)
    factory = _server_factory()
    got = _options(_connected(quiet, factory), names)
    assert got == _options(_connected(loud, factory), names)
    assert got["maxFramePayloadSize"] == 1234
    assert got["openHandshakeTimeout"] == getattr(loud, "openHandshakeTimeout", 5)  # 5: factory


def test_a_client_gets_the_options_autobahn_would_give() -> None:
    factory = WebSocketClientFactory("ws://127.0.0.1:9/x")
    factory.setProtocolOptions(maxMessagePayloadSize=99, tcpNoDelay=True)
    names = tuple(WebSocketClientProtocol.CONFIG_ATTRS)
    quiet = _options(_connected(_QuietClient, factory), names)
    assert quiet == _options(_connected(WebSocketClientProtocol, factory), names)
    assert quiet["maxMessagePayloadSize"] == 99


def test_the_product_protocols_use_it() -> None:
    from sioproxy.net.clients import LowercaseUpgradeClient
    from sioproxy.proxy.edge.ws_relay import DownstreamProtocol, UpstreamProtocol
    from sioproxy.standin.edge.handshake import StandInWsProtocol

    for cls, base in [
        (DownstreamProtocol, WebSocketServerProtocol),
        (StandInWsProtocol, WebSocketServerProtocol),
        (UpstreamProtocol, WebSocketClientProtocol),
        (LowercaseUpgradeClient, WebSocketClientProtocol),
    ]:
        assert issubclass(cls, QuietOptions), cls
        assert cls.option_names == tuple(base.CONFIG_ATTRS), cls
