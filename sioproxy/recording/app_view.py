"""What the cause inference looks at in a recorded packet: kind, namespace, id.

Layer: pure (recording). Works on the packets' dict forms
(docs/recording-format.md), so it needs no codec. ``app_view`` tells an
application packet (a CONNECT or its answer, a request with an ack id, an
ack, anything else) from the transport's own (heartbeats, 0.9's ``1::``),
for ``sioproxy.recording.causes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.types import Generation

__all__ = ["AppView", "app_view"]

_LEGACY_TRANSPORT = frozenset({"heartbeat", "noop"})
_LEGACY_REQUESTS = frozenset({"message", "json", "event"})
_SIO_REQUESTS = frozenset({"event", "binary_event"})
_SIO_ACKS = frozenset({"ack", "binary_ack"})
_SIO_CONNECT_ANSWERS = frozenset({"connect", "connect_error", "error"})


@dataclass(frozen=True, slots=True)
class AppView:
    """The parts of an application packet the inference looks at."""

    kind: str  # "connect", "connect_answer", "ack", "request", "other"
    nsp: str
    id: int | None  # the request's ack id, or the id an ack answers


def app_view(packet: Mapping[str, Any] | None, generation: Generation) -> AppView | None:
    """The packet's kind, namespace and id; None for a transport-level packet."""
    if packet is None:
        return None
    if generation is Generation.LEGACY:
        return _legacy_view(packet)
    sio = packet.get("sio")
    if packet.get("eio") != "message" or not isinstance(sio, Mapping):
        return None
    ptype, nsp, pid = sio.get("type"), _strip_query(sio.get("nsp", "/")), sio.get("id")
    pid = pid if type(pid) is int else None
    if ptype in _SIO_ACKS:
        return AppView("ack", nsp, pid)
    if ptype in _SIO_REQUESTS and pid is not None:
        return AppView("request", nsp, pid)
    if ptype in _SIO_CONNECT_ANSWERS:
        return AppView("connect", nsp, None)
    return AppView("other", nsp, None)


def _legacy_view(packet: Mapping[str, Any]) -> AppView | None:
    ptype, nsp = packet.get("type"), _strip_query(packet.get("endpoint", ""))
    if ptype in _LEGACY_TRANSPORT or (ptype == "connect" and nsp == ""):
        return None  # heartbeats and the session's own ``1::``: generated live
    if ptype == "connect":
        return AppView("connect", nsp, None)
    if ptype == "ack":
        ack_id = packet.get("ackId")
        return AppView("ack", nsp, ack_id if type(ack_id) is int else None)
    pid = packet.get("id")
    if ptype in _LEGACY_REQUESTS and type(pid) is int:
        return AppView("request", nsp, pid)
    return AppView("other", nsp, None)


def _strip_query(nsp: Any) -> str:
    text = nsp if isinstance(nsp, str) else ""
    return text.split("?", 1)[0]
