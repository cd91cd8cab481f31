"""Big JSON payloads decode without collections walking them (sioproxy.codec.bigjson)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from sioproxy.codec import legacy, legacy_json
from sioproxy.codec.bigjson import BIG, paused
from sioproxy.codec.socketio import decode_sio


def dense(count: int) -> str:
    return '2["echo",[' + "[[0]]," * count + "0]]"


def test_a_dense_payload_decodes_without_hundreds_of_collections(
    gc_collections: list[int],
) -> None:
    text = dense(100_000)  # 200,000 lists: 285 young collections at the default threshold
    assert len(text) >= BIG
    packet = decode_sio(text, 5)
    assert packet.data[1][-2:] == [[[0]], 0]
    assert gc_collections == []
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_objects_the_program_froze_stay_frozen(gc_collections: list[int]) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        decode_sio(dense(100_000), 5)
        assert gc.get_freeze_count() == frozen
        assert gc_collections == [0]  # the young collection after the scan
    finally:
        gc.unfreeze()


def test_a_dense_0_9_event_decodes_without_hundreds_of_collections(
    gc_collections: list[int],
) -> None:
    event = '{"name":"echo","args":[[' + "[[0]]," * 100_000 + "0]]}"
    assert legacy.decode_packet(f"5:::{event}").type is legacy.LegacyType.EVENT
    assert legacy_json.parse_json(event)[0]
    assert gc_collections == []


def test_a_small_payload_is_scanned_as_usual(gc_collections: list[int]) -> None:
    text = dense(1000)
    assert len(text) < BIG
    for _ in range(10):
        decode_sio(text, 5)
    assert gc_collections  # 2,000 lists per packet: the collector ran


def test_the_collector_comes_back_as_it_was() -> None:
    def scan(text: str, start: int) -> tuple[Any, int]:
        assert not gc.isenabled()
        if text == "fail":
            raise ValueError(text)
        return text, start

    try:
        assert paused(scan, "x", 0) == ("x", 0)
        assert gc.isenabled()
        with pytest.raises(ValueError, match="fail"):
            paused(scan, "fail", 0)
        assert gc.isenabled()
        gc.disable()  # the program's choice: it stays
        assert paused(scan, "x", 0) == ("x", 0)
        assert not gc.isenabled()
    finally:
        gc.enable()
