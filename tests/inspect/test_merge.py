"""``sioproxy merge``: wall-clock order, connection relabelling, seq and ack_of remapping."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sioproxy.cli import inspect_cmds
from sioproxy.errors import RecordingError
from sioproxy.inspect.merge import merge_recordings
from sioproxy.recording import read_recording
from sioproxy.recording.model import PacketEntry

DATA = Path(__file__).parent / "data"
# created: legacy 11:59:59.900, eio4 12:00:00.000, eio3 12:00:00.250
FILES = [DATA / "eio4_session.jsonl", DATA / "eio3_session.jsonl", DATA / "legacy_session.jsonl"]


def _merge(tmp_path: Path) -> Path:
    out = tmp_path / "all.jsonl"
    parser = argparse.ArgumentParser()
    inspect_cmds.add_parsers(parser.add_subparsers())
    args = parser.parse_args(["merge", *map(str, FILES), "--out", str(out)])
    assert args.handler(args) == 0
    return out


def test_merge_orders_by_wall_clock_and_relabels(tmp_path: Path) -> None:
    merged = read_recording(_merge(tmp_path))  # the reader re-checks seq and opens
    header = merged.header
    assert header.created == "2024-05-01T11:59:59.900Z"
    assert header.generation is None
    assert header.upstream == "http://127.0.0.1:3000"
    entries = merged.entries
    assert [e.seq for e in entries] == list(range(1, 10 + 19 + 9 + 1))
    # legacy opens at 11:59:59.910, eio4 at 12:00:00.004, eio3 at 12:00:00.250
    assert merged.connections() == ["c1", "c2", "c3"]
    opens = [(e.conn, e.t) for e in entries if e.kind == "open"]
    assert opens == [("c1", 0.01), ("c2", 0.104), ("c3", 0.35)]
    times = [e.t for e in entries]
    assert times == sorted(times)
    sources = header.meta["merged_from"]
    assert [s["connections"] for s in sources] == [{"c1": "c2"}, {"c1": "c3"}, {"c1": "c1"}]
    assert sources[0]["path"].endswith("eio4_session.jsonl")


def test_merge_remaps_ack_of(tmp_path: Path) -> None:
    merged = read_recording(_merge(tmp_path))
    acks = [e for e in merged.entries if isinstance(e, PacketEntry) and e.ack_of is not None]
    pairs = []
    for ack in acks:
        request = merged.find_seq(ack.ack_of or 0)
        assert isinstance(request, PacketEntry)
        assert request.conn == ack.conn
        pairs.append((request.raw, ack.raw))
    assert sorted(pairs) == sorted(
        [
            ('421["hello","world 😀"]', '431["ok"]'),
            ('42/chat,2["join",{"room":"lobby"}]', "43/chat,2[true]"),
            ('5:1+:/chat:{"name":"join","args":["lobby"]}', '6::/chat:1+["ok"]'),
        ]
    )


def test_merge_of_one_file_keeps_its_entries() -> None:
    original = read_recording(FILES[0])
    header, entries = merge_recordings([original])
    assert entries == list(original.entries)
    assert header.created == original.header.created


def test_merge_unions_redactions_and_keeps_agreed_generation(tmp_path: Path) -> None:
    import dataclasses

    from sioproxy.types import Generation

    a = read_recording(FILES[0])
    a = dataclasses.replace(
        a,
        header=dataclasses.replace(
            a.header,
            generation=Generation.EIO4,
            redactions={"headers": ["X-Api-Key"], "query": ["sig"], "auth": False},
        ),
    )
    b = dataclasses.replace(
        a,
        header=dataclasses.replace(
            a.header, redactions={"headers": ["x-api-key", "Cookie"], "query": [], "auth": True}
        ),
    )
    header, _ = merge_recordings([a, b])
    assert header.generation is Generation.EIO4
    assert header.redactions == {"headers": ["X-Api-Key", "Cookie"], "query": ["sig"], "auth": True}


def test_merge_error_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = FILES[1].read_text(encoding="utf-8").splitlines(keepends=True)
    broken.write_text("".join(lines[:3]) + '{"kind":"packet"}\n' + "".join(lines[3:]))
    with pytest.raises(RecordingError, match=r"broken.jsonl:4: packet entry: missing"):
        merge_recordings([read_recording(FILES[0]), read_recording(broken)])
