"""``--addon FILE.py``: loading user modules and calling their hooks safely.

Layer: pure pipeline. Imports the standard library, ``sioproxy.errors``,
``sioproxy.types`` and ``sioproxy.pipeline.actions``; never twisted. An addon
may import whatever it likes; that is its business.

An addon module defines any of::

    def on_packet(ctx, packet): ...     # packet: the rule view (a dict)
    def on_connect(ctx): ...
    def on_disconnect(ctx): ...

A hook that raises is logged with its traceback and has no effect (the packet
passes unchanged, packets it sent through ``ctx.send`` are discarded): user
code never kills a connection.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sioproxy.codec.packets import Packet
from sioproxy.errors import ConfigError
from sioproxy.types import Direction, Generation

__all__ = ["HOOK_NAMES", "Addon", "HookContext", "HookFailed", "call_hook", "load_addon"]

HOOK_NAMES = ("on_packet", "on_connect", "on_disconnect")


@dataclass(frozen=True, slots=True)
class Sent:
    """One ``ctx.send`` call."""

    direction: Direction
    packet: Mapping[str, Any] | Packet
    delay: float


class HookContext:
    """What a hook knows, and how it sends packets to either side.

    ``direction`` and ``namespace`` are those of the packet (``None`` and
    ``"/"`` in ``on_connect`` / ``on_disconnect``); ``protocol`` is the
    generation as a string (``"0.9"``, ``"eio3"``, ``"eio4"``).
    """

    __slots__ = ("_log", "conn", "direction", "generation", "namespace", "sent", "seq", "transport")

    def __init__(
        self,
        *,
        conn: str,
        direction: Direction | None,
        transport: str,
        generation: Generation,
        namespace: str = "/",
        seq: int | None = None,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.conn = conn
        self.direction = direction
        self.transport = transport
        self.generation = generation
        self.namespace = namespace
        self.seq = seq
        self.sent: list[Sent] = []
        self._log = log

    @property
    def protocol(self) -> str:
        return self.generation.value

    def send(
        self,
        packet: Mapping[str, Any] | Packet,
        direction: Direction | str | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        """Send ``packet`` (a rule-view dict or a codec packet) toward the server
        (``"c2s"``) or the client (``"s2c"``), after ``delay`` seconds.

        Without ``direction`` the packet travels the way the current packet does.
        A request (a packet with an ``id``) gets a fresh ack id and its answer is
        consumed by the proxy.
        """
        chosen = direction if direction is not None else self.direction
        if chosen is None:
            raise ValueError("ctx.send needs a direction here ('c2s' or 's2c')")
        if not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        self.sent.append(Sent(Direction(chosen), packet, float(delay)))

    def log(self, message: str) -> None:
        """Write a line to the proxy's log, prefixed with the connection id."""
        self._log(f"[{self.conn}] {message}")


@dataclass(frozen=True, slots=True)
class Addon:
    """A loaded addon module and the hooks it defines."""

    path: str
    name: str
    module: ModuleType
    on_packet: Callable[..., Any] | None
    on_connect: Callable[..., Any] | None
    on_disconnect: Callable[..., Any] | None


_counter = [0]


def load_addon(path: str) -> Addon:
    """Import ``path`` as a fresh module. Raises ConfigError with the file and line."""
    if not os.path.isfile(path):
        raise ConfigError(path, None, "addon file not found")
    stem = os.path.splitext(os.path.basename(path))[0]
    _counter[0] += 1
    modname = f"sioproxy_addon_{_counter[0]}_{''.join(c if c.isalnum() else '_' for c in stem)}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ConfigError(path, None, "cannot load addon (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module  # dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(modname, None)
        raise ConfigError(path, exc.lineno, f"syntax error in addon: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(modname, None)
        line = _line_in(path, exc)
        raise ConfigError(path, line, f"addon raised on import: {exc!r}") from exc
    return _addon_from_module(path, stem, module)


def _addon_from_module(path: str, name: str, module: ModuleType) -> Addon:
    hooks: dict[str, Callable[..., Any] | None] = {}
    for hook in HOOK_NAMES:
        fn = getattr(module, hook, None)
        if fn is not None and not callable(fn):
            raise ConfigError(path, None, f"addon attribute {hook!r} is not callable")
        hooks[hook] = fn
    if not any(hooks.values()):
        raise ConfigError(path, None, f"addon defines none of {', '.join(HOOK_NAMES)}")
    return Addon(
        path=path,
        name=f"addon:{name}",
        module=module,
        on_packet=hooks["on_packet"],
        on_connect=hooks["on_connect"],
        on_disconnect=hooks["on_disconnect"],
    )


def _line_in(path: str, exc: BaseException) -> int | None:
    """The deepest traceback line that belongs to the addon file."""
    line = None
    target = os.path.abspath(path)
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == target:
            line = frame.lineno
    return line


class HookFailed:
    """Returned by ``call_hook`` when the hook raised (already logged)."""

    __slots__ = ()


HOOK_FAILED = HookFailed()


def call_hook(
    addon: Addon,
    hook: str,
    args: Sequence[Any],
    log: Callable[[str], None],
    conn: str,
) -> Any:
    """Call ``addon.<hook>(*args)``; on an exception log the traceback, return HOOK_FAILED."""
    fn = getattr(addon, hook)
    try:
        return fn(*args)
    except Exception:
        log(f"[{conn}] {addon.name}: {hook} raised; ignoring it:\n{traceback.format_exc()}")
        return HOOK_FAILED
