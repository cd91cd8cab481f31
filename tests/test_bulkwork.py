"""collector_paused: no collection inside or right after, the collector left as it was."""

from __future__ import annotations

import gc

import pytest

from sioproxy.bulkwork import collector_paused


def test_no_collection_inside_nor_right_after(gc_collections: list[int]) -> None:
    with collector_paused():
        kept = [[i] for i in range(50_000)]  # many times the youngest generation's threshold
        assert not gc.isenabled()
    assert gc.isenabled()
    more = [[i] for i in range(500)]  # what was made went to the oldest generation
    assert gc_collections == []
    assert gc.get_freeze_count() == 0
    assert len(kept) + len(more) == 50_500


def test_a_collector_turned_off_by_the_caller_stays_off(gc_collections: list[int]) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_nested_blocks_and_errors_leave_it_as_it_was(gc_collections: list[int]) -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()  # the inner block does not turn it back on early
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()
