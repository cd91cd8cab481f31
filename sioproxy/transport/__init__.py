"""The Twisted/autobahn edge of sioproxy: HTTP and WebSocket relaying.

Layer: transport. The ONLY package that imports twisted or autobahn, except
its ``observer`` module, which is pure so the core can implement it. This
``__init__`` therefore imports nothing eagerly: ``import
sioproxy.transport.observer`` must not drag twisted in. The public names below
load their module on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sioproxy.transport.endpoints import (
        Upstream,
        describe_listening,
        listen_endpoint,
        parse_upstream,
    )
    from sioproxy.transport.observer import NullObserver, RelayObserver, RequestInfo
    from sioproxy.transport.site import ProxySite, build_proxy_site

_HOMES = {
    "Upstream": "endpoints",
    "describe_listening": "endpoints",
    "listen_endpoint": "endpoints",
    "parse_upstream": "endpoints",
    "NullObserver": "observer",
    "RelayObserver": "observer",
    "RequestInfo": "observer",
    "ProxySite": "site",
    "build_proxy_site": "site",
}

__all__ = [
    "NullObserver",
    "ProxySite",
    "RelayObserver",
    "RequestInfo",
    "Upstream",
    "build_proxy_site",
    "describe_listening",
    "listen_endpoint",
    "parse_upstream",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sioproxy.transport' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sioproxy.transport.{home}"), name)
