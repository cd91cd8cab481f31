"""Rate-limited tracebacks of sioproxy's own failures (sioproxy.failures)."""

from __future__ import annotations

from sioproxy.failures import MAX_FRAMES, FailureLog


def _recurse(n: int) -> None:
    if n == 0:
        raise RecursionError("maximum recursion depth exceeded")
    _recurse(n - 1)


def _fail(log: FailureLog, where: str = "sioproxy: sink") -> None:
    try:
        _recurse(300)
    except RecursionError as exc:
        log.report(where, exc)


def test_first_failure_in_full_but_short_repeats_counted_then_summarised() -> None:
    lines: list[str] = []
    now = [0.0]
    log = FailureLog(lines.append, lambda: now[0], interval=60.0)
    _fail(log)
    assert len(lines) == 1
    text = lines[0]
    assert text.startswith("sioproxy: sink failed: RecursionError: maximum recursion")
    assert f"{300 + 2 - MAX_FRAMES} outer frames not shown" in text  # the innermost only
    assert 'raise RecursionError("maximum recursion depth exceeded")' in text
    assert len(text.splitlines()) <= 2 * MAX_FRAMES + 5
    for _ in range(1000):
        _fail(log)
    assert len(lines) == 1  # repeats within the interval: counted, not written
    now[0] = 61.0
    _fail(log)
    assert len(lines) == 2
    assert "failed again" in lines[1]
    assert "1001 times in 60 s" in lines[1]
    assert "\n" not in lines[1]
    assert log.total == 1002


def test_each_kind_gets_its_own_first_traceback() -> None:
    lines: list[str] = []
    log = FailureLog(lines.append, lambda: 0.0)
    _fail(log, "sioproxy: one")
    _fail(log, "sioproxy: two")
    try:
        raise ValueError("other")
    except ValueError as exc:
        log.report("sioproxy: one", exc)
    assert [line.splitlines()[0] for line in lines] == [
        "sioproxy: one failed: RecursionError: maximum recursion depth exceeded",
        "sioproxy: two failed: RecursionError: maximum recursion depth exceeded",
        "sioproxy: one failed: ValueError: other",
    ]
