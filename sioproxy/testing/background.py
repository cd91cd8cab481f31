"""A private Twisted reactor on a background thread, for tests whose client blocks.

Layer: transport-side test helper (imports twisted). Used by the pytest
plugin when the test is a plain (synchronous) function: pytest-twisted runs
such a test *inside* its reactor, so a client that blocks the test (a
python-socketio ``Client``, ``thread.join()``, ``subprocess.run``) would block
the very reactor that must answer it. Here the replay or proxy runs on a
reactor instance of its own, never installed as ``twisted.internet.reactor``,
on its own thread.

Everything in sioproxy takes its reactor as a parameter, but autobahn asks
txaio for its timers (open/close handshake timeouts), and txaio has one global
loop. While a background reactor runs, ``txaio.config.loop`` is a small router
that gives each thread its own reactor and every other thread what it had
before, so no timer of a background connection lands on the wrong thread.
"""

from __future__ import annotations

import importlib
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure
from zope.interface import implementer  # type: ignore[import-untyped]

T = TypeVar("T")

CALL_TIMEOUT = 30.0  # seconds; a start or stop that takes longer is a bug, not a slow test
STOP_TIMEOUT = 10.0


def new_reactor() -> Any:
    """A fresh, uninstalled reactor: epoll where there is one, else poll, else select."""
    try:
        from twisted.internet.epollreactor import EPollReactor

        return EPollReactor()  # type: ignore[no-untyped-call]
    except ImportError:
        pass
    try:
        from twisted.internet.pollreactor import PollReactor

        return PollReactor()  # type: ignore[no-untyped-call]
    except ImportError:
        from twisted.internet.selectreactor import SelectReactor

        return SelectReactor()


@implementer(IReactorTime)
class _LoopRouter:
    """``txaio.config.loop`` while background reactors run: the calling thread's reactor."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback
        self.by_thread: dict[int, Any] = {}

    def _current(self) -> Any:
        mine = self.by_thread.get(threading.get_ident())
        if mine is not None:
            return mine
        if self.fallback is None:
            # What txaio itself would pick; imported late like txaio does.
            from twisted.internet import reactor

            return reactor
        return self.fallback

    def seconds(self) -> float:
        return float(self._current().seconds())

    def callLater(self, delay: float, f: Any, *args: Any, **kw: Any) -> Any:  # noqa: N802
        return self._current().callLater(delay, f, *args, **kw)

    def getDelayedCalls(self) -> Any:  # noqa: N802
        return self._current().getDelayedCalls()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


_router_lock = threading.Lock()


def _route_txaio(thread_id: int, reactor: Any) -> None:
    txaio: Any = importlib.import_module("txaio")
    with _router_lock:
        loop = txaio.config.loop
        if not isinstance(loop, _LoopRouter):
            loop = _LoopRouter(loop)
            txaio.config.loop = loop
        loop.by_thread[thread_id] = reactor


def _unroute_txaio(thread_id: int) -> None:
    txaio: Any = importlib.import_module("txaio")
    with _router_lock:
        loop = txaio.config.loop
        if isinstance(loop, _LoopRouter):
            loop.by_thread.pop(thread_id, None)
            if not loop.by_thread:
                txaio.config.loop = loop.fallback


class BackgroundReactor:
    """Runs a private reactor on a daemon thread; ``call``/``run`` reach into it."""

    def __init__(self) -> None:
        self.reactor = new_reactor()
        self._thread = threading.Thread(target=self._main, name="sioproxy-reactor", daemon=True)
        self._ready = threading.Event()
        self._crashed: BaseException | None = None

    def start(self) -> BackgroundReactor:
        self._thread.start()
        if not self._ready.wait(CALL_TIMEOUT):
            raise RuntimeError("the background reactor did not start")
        return self

    def _main(self) -> None:
        _route_txaio(threading.get_ident(), self.reactor)
        try:
            self.reactor.callWhenRunning(self._ready.set)
            self.reactor.run(installSignalHandlers=False)
        except BaseException as exc:  # reported by the next call, and by stop()
            self._crashed = exc
            self._ready.set()
        finally:
            _unroute_txaio(threading.get_ident())

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def call(self, fn: Callable[[], T], timeout: float = CALL_TIMEOUT) -> T:
        """Run ``fn()`` on the reactor thread and return its result (or raise its error)."""
        return self.run(_as_coroutine(fn), timeout)

    def run(
        self,
        make: Callable[[], Coroutine[Any, Any, T]],
        timeout: float = CALL_TIMEOUT,
    ) -> T:
        """Run the coroutine ``make()`` on the reactor thread and wait for its result."""
        if threading.get_ident() == self._thread.ident:
            raise RuntimeError("BackgroundReactor.run called from its own thread")
        if not self.running:
            raise RuntimeError(f"the background reactor is not running ({self._crashed!r})")
        results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

        def begin() -> None:
            d = defer.Deferred.fromCoroutine(make())
            d.addCallbacks(lambda value: results.put((True, value)), _put_failure(results))

        self.reactor.callFromThread(begin)
        try:
            ok, value = results.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"no answer from the background reactor in {timeout}s") from None
        if not ok:
            raise value
        result: T = value
        return result

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the reactor (its shutdown closes every connection) and join the thread."""
        if self.running:
            self.reactor.callFromThread(_stop_quietly, self.reactor)
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"the background reactor did not stop within {timeout}s")


def _as_coroutine(fn: Callable[[], T]) -> Callable[[], Coroutine[Any, Any, T]]:
    async def wrapper() -> T:
        return fn()

    return wrapper


def _put_failure(results: queue.Queue[tuple[bool, Any]]) -> Callable[[Failure], None]:
    def put(failure: Failure) -> None:
        results.put((False, failure.value))

    return put


def _stop_quietly(reactor: Any) -> None:
    if reactor.running:
        reactor.stop()
