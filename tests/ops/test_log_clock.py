"""``logplain.clock_text`` keeps a line's clock text for a range of times: it must
still be, for every time, the text made from that time alone.

The range ends a little before the next millisecond and is kept only when the
stamp of its last time is the stamp it started with (stamps never go down as
time goes on). Checked on times just around millisecond and second
boundaries (a float step apart), in order, backwards and shuffled, on small
times (where float steps are tiny) and on random ones.
"""

from __future__ import annotations

import math
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.ops.logplain import clock_text

NOW = 1_733_140_000.0


def _direct(wall: float) -> str:
    """The text as it was made per line, from ``wall`` alone."""
    second = time.strftime("%H:%M:%S", time.localtime(wall))
    return f"{second}.{int(wall % 1 * 1000):03d}"


def _around(base: float, steps: int = 6) -> list[float]:
    """``base`` and the floats up to ``steps`` float steps either side of it."""
    out, up, down = [base], base, base
    for _ in range(steps):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        out += [up, down]
    return sorted(t for t in out if t >= 0)


def _boundary_times() -> list[float]:
    times: list[float] = []
    for second in (0, 1, 59, 1000, int(NOW), 2**31 + 7):
        for ms in (0, 1, 2, 499, 500, 998, 999, 1000):
            times += _around(second + ms / 1000)
    return times


def _check(times: list[float]) -> None:
    assert [clock_text(t) for t in times] == [_direct(t) for t in times]


def test_boundaries_in_order_backwards_and_shuffled() -> None:
    times = _boundary_times()
    _check(times)
    _check(times[::-1])
    shuffled = times[:]
    random.Random(7).shuffle(shuffled)
    _check(shuffled)


def test_many_lines_a_millisecond() -> None:
    _check([NOW + n * 0.000_013 for n in range(20_000)])
    _check([0.25 + n * 0.000_013 for n in range(2_000)])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=0, max_value=4e9, allow_nan=False),
            st.floats(min_value=NOW, max_value=NOW + 2),
            st.integers(min_value=0, max_value=2**32).map(float),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_times(times: list[float]) -> None:
    _check(times)
    _check([math.nextafter(t, math.inf) for t in times])
