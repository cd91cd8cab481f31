"""sioproxy's pytest plugin: replay (or record) Socket.IO traffic in a test suite.

Layer: entry point (``pytest11``), like the CLI: may use every layer below.
Loading it only registers the ``sioproxy`` marker, the ``--sio-record-mode``
option, ini keys and the fixtures; nothing starts, and no reactor is
installed, until a test asks for the ``sioproxy`` fixture. User guide:
docs/pytest.md.

Which reactor serves the test: a pytest-twisted test (``@ensureDeferred`` /
``@inlineCallbacks``) gets the servers in its own reactor, so the client
under test may run there too. pytest-twisted runs a plain test *inside* that
same reactor, where a blocking client (a thread that is joined, a subprocess
that is waited for) would starve it; such tests get a private reactor on a
background thread instead. ``background=True/False`` overrides the choice.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from sioproxy.errors import SioProxyError
from sioproxy.testing.contract import spec_verdict
from sioproxy.testing.paths import default_recording_path, named_recording_path, recordings_root
from sioproxy.testing.settings import RECORD_MODES, Settings, ini_bool, plan

if TYPE_CHECKING:
    from sioproxy.testing.background import BackgroundReactor
    from sioproxy.testing.session import SioProxySession

T = TypeVar("T")

_SESSION = pytest.StashKey["SioProxySession"]()
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

_INI = {
    "sioproxy_record_mode": "record mode: none (default), once, new_episodes, all, rewrite",
    "sioproxy_recordings_dir": "recordings directory, relative to each test file (recordings)",
    "sioproxy_upstream": "live server recorded from in record modes (URL or host:port)",
    "sioproxy_strict": "fail tests whose recorded packets were not all played (false)",
    "sioproxy_match": "replay match mode: strict, per-event or any",
    "sioproxy_on_miss": "replay on_miss: error, ignore or ack-empty",
    "sioproxy_speed": "replay speed: recorded gaps are divided by it (0 = no waiting)",
    "sioproxy_max_gap": "replay: longest wait between packets, in seconds (1.0)",
    "sioproxy_secrets": "values of [REDACTED:NAME] placeholders the replay sends:"
    " NAME=VALUE or NAME=env:VAR lines",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sioproxy", "Socket.IO record and replay (sioproxy)")
    group.addoption(
        "--sio-record-mode",
        dest="sio_record_mode",
        choices=RECORD_MODES,
        default=None,
        help="record mode of every sioproxy fixture (the marker's mode= still wins)",
    )
    group.addoption(
        "--sio-html-report",
        dest="sio_html_report",
        default=None,
        metavar="DIR",
        help="on a replay miss, write the recording as an HTML report (docs/web.md) into DIR",
    )
    for name, help_text in _INI.items():
        parser.addini(name, help_text, default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sioproxy(recording=None, mode=None, upstream=None, **options): settings of the"
        " sioproxy fixture for this test (docs/pytest.md)",
    )


@pytest.fixture
def sioproxy_config() -> dict[str, Any]:
    """Override to set sioproxy options for a module or directory (below the marker)."""
    return {}


@pytest.fixture
def sioproxy(
    request: pytest.FixtureRequest, sioproxy_config: Mapping[str, Any]
) -> Iterator[SioProxySession]:
    """A replay server (or recording proxy) for this test; connect the client to ``.url``."""
    from sioproxy.testing.session import SioProxySession

    problem: str | None = None
    try:
        settings = merged_settings(request, sioproxy_config)
        path = recording_path(request, settings)
        action = plan(settings, path)
    except SioProxyError as exc:
        problem = f"sioproxy: {exc}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    runner = _runner(request, settings)
    session = SioProxySession(settings, path, action, runner)
    session.spec_base = Path(str(request.node.path)).parent
    try:
        runner.run(lambda: session.start(runner.reactor))
    except SioProxyError as exc:  # e.g. the upstream to record from is not running
        problem = f"sioproxy: {exc}"
    except BaseException:
        runner.close()
        raise
    if problem is not None:  # failed outside the except: no "during handling" chain
        runner.close()
        pytest.fail(problem, pytrace=False)
    request.node.stash[_SESSION] = session
    try:
        yield session
    finally:
        try:
            runner.run(session.stop)
        finally:
            try:
                session.finish(passed=_test_passed(request.node))
            finally:
                runner.close()


# -- settings ---------------------------------------------------------------------


def _ini_layer(config: pytest.Config) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = str(config.getini(name) or "").strip()
        return value or None

    def number(name: str) -> float | None:
        value = text(name)
        return None if value is None else float(value)

    return {
        "mode": text("sioproxy_record_mode"),
        "recordings_dir": text("sioproxy_recordings_dir"),
        "upstream": text("sioproxy_upstream"),
        "strict": ini_bool(text("sioproxy_strict")),
        "match": text("sioproxy_match"),
        "on_miss": text("sioproxy_on_miss"),
        "speed": number("sioproxy_speed"),
        "max_gap": number("sioproxy_max_gap"),
        "secrets": _ini_secrets(text("sioproxy_secrets")),
    }


def _ini_secrets(text: str | None) -> dict[str, str]:
    """``NAME=VALUE`` lines (``env:VAR`` values are read when the replay starts)."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        name, sep, value = line.strip().partition("=")
        if line.strip() and not line.strip().startswith("#"):
            if not sep or not name.strip():
                raise SioProxyError("sioproxy_secrets: expected NAME=VALUE lines")
            out[name.strip()] = value
    return out


def _marker_layer(node: pytest.Item) -> dict[str, Any]:
    """Marker kwargs, the closest marker (function, then class, then module) winning."""
    layer: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("sioproxy"))):
        if len(marker.args) > 1:
            raise pytest.UsageError("@pytest.mark.sioproxy takes at most one positional argument")
        if marker.args:
            layer["recording"] = marker.args[0]
        layer.update(marker.kwargs)
    return layer


def merged_settings(request: pytest.FixtureRequest, fixture: Mapping[str, Any]) -> Settings:
    """Defaults < ini < ``sioproxy_config`` < ``--sio-record-mode`` < marker."""
    cli = {"mode": request.config.getoption("sio_record_mode", None)}
    return Settings.merge(
        _ini_layer(request.config), dict(fixture), cli, _marker_layer(request.node)
    )


def recording_path(request: pytest.FixtureRequest, settings: Settings) -> Path:
    test_file = Path(str(request.node.path))
    root = recordings_root(test_file, settings.recordings_dir)
    module = test_file.stem
    if settings.recording:
        return named_recording_path(root, module, settings.recording)
    name = request.node.name
    if request.cls is not None:
        name = f"{request.cls.__name__}.{name}"
    return default_recording_path(root, module, name)


# -- where the servers run --------------------------------------------------------


def _is_twisted_test(request: pytest.FixtureRequest) -> bool:
    try:
        import pytest_twisted
    except ImportError:
        return False
    mark = getattr(request.function, "_pytest_twisted_mark", None)
    running = pytest_twisted._instances.reactor is not None
    return running and mark in ("async_test", "inline_callbacks_test")


def _runner(request: pytest.FixtureRequest, settings: Settings) -> Any:
    background = settings.background
    if background is None:
        background = not _is_twisted_test(request)
    if background:
        return BackgroundRunner()
    return ReactorRunner()


class ReactorRunner:
    """The test's own (pytest-twisted) reactor; setup and teardown wait with ``blockon``."""

    def __init__(self) -> None:
        import pytest_twisted

        if pytest_twisted._instances.reactor is None:
            raise pytest.UsageError("sioproxy: background=False needs pytest-twisted's reactor")
        self.reactor = pytest_twisted._instances.reactor

    def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        import pytest_twisted
        from twisted.internet import defer

        result: T = pytest_twisted.blockon(defer.Deferred.fromCoroutine(make()))
        return result

    def read(self, fn: Callable[[], T]) -> T:
        return fn()  # the test runs on the reactor's thread

    def close(self) -> None:
        pass


class BackgroundRunner:
    """A private reactor on its own thread, for tests whose client blocks."""

    def __init__(self) -> None:
        from sioproxy.testing.background import BackgroundReactor

        self.background: BackgroundReactor = BackgroundReactor().start()
        self.reactor = self.background.reactor

    def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return self.background.run(make)

    def read(self, fn: Callable[[], T]) -> T:
        return self.background.call(fn)

    def close(self) -> None:
        self.background.stop()


# -- outcome hooks ------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After the test body: fail it with the replay's mismatch report."""
    problem: str | None = None
    try:
        result = yield
    except (Exception, pytest.fail.Exception) as exc:
        session = item.stash.get(_SESSION, None)
        verdict = session.verdict() if session is not None else None
        if not verdict:
            raise
        # The client most likely failed because the replay had no answer for a
        # packet it did not expect (a timeout): the report explains, so it comes
        # first; the test's own error follows, its traceback in a section.
        own = "".join(traceback.format_exception(exc))
        item.add_report_section("call", "test error after the replay miss", own)
        first = f"{type(exc).__name__}: {exc}".splitlines()[0]
        problem = (
            f"{verdict}\n\nthe test then failed: {first}\n"
            "(most likely because of the replay miss above; traceback in the section below)"
        )
    if problem is not None:  # failed outside the except: no "during handling" chain
        pytest.fail(_with_html(item, problem), pytrace=False)
    session = item.stash.get(_SESSION, None)
    if session is not None:
        verdict = session.verdict()
        if verdict:
            pytest.fail(_with_html(item, verdict), pytrace=False)
        if session.settings.spec_fail:
            try:
                broken = spec_verdict(session.settings.spec, session.violations)
            except SioProxyError as exc:
                broken = f"sioproxy: {exc}"
            if broken:
                pytest.fail(broken, pytrace=False)
    return result


def _with_html(item: pytest.Item, verdict: str) -> str:
    """``--sio-html-report DIR``: the replayed recording as a CI artifact, named in the failure."""
    folder = item.config.getoption("sio_html_report", None)
    session = item.stash.get(_SESSION, None)
    if not folder or session is None:
        return verdict
    from sioproxy.testing.html_report import write_miss_report

    try:
        path = write_miss_report(Path(folder), item.nodeid, session.recording_path, verdict)
    except (OSError, SioProxyError) as exc:
        return f"{verdict}\n\nsioproxy: no HTML report: {exc}"
    return f"{verdict}\n\nHTML report: {path}"


def _test_passed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    setup, call = reports.get("setup"), reports.get("call")
    return bool(setup and setup.passed and call and call.passed)
