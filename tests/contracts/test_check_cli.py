"""``sioproxy check``: the violation report, exit codes, and the fate of packets."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sioproxy.recording import OriginalFrame, PacketEntry
from sioproxy.types import Fate, Generation
from tests.contracts.helpers import chat_eio4, legacy09, sioproxy, write
from tests.standin.replay.factory import RecordingBuilder


def _spec_of(tmp_path: Path, builder: RecordingBuilder) -> Path:
    out = tmp_path / "api.yaml"
    assert sioproxy("spec", write(tmp_path / "base.jsonl", builder.build()), "--out", out) == 0
    return out


def _check(
    tmp_path: Path, spec: Path, builder: RecordingBuilder, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    rec = write(tmp_path / "live.jsonl", builder.build())
    capsys.readouterr()
    status = sioproxy("check", rec, "--spec", spec)
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("builder", [chat_eio4, legacy09])
def test_a_recording_passes_its_own_spec(
    tmp_path: Path, builder: Callable[[], RecordingBuilder], capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec_of(tmp_path, builder())
    status, out = _check(tmp_path, spec, builder(), capsys)
    assert (status, out) == (0, [])


def test_a_changed_type_is_reported_with_its_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec_of(tmp_path, chat_eio4())
    live = RecordingBuilder(Generation.EIO4).open("c1")
    live.s('42["chat",{"from":"ann","text":5,"at":"2024-05-01T12:00:00Z"}]')
    status, out = _check(tmp_path, spec, live, capsys)
    assert status == 1
    assert out == [
        'seq 2 c1 s2c / chat  42["chat",{"from":"ann","text":5,"at":"2024-05-01T12:00:00Z"}]',
        "  operation receive.root.event.chat",
        '  /0/text: expected string, got integer 5 (schema: type: "string")',
    ]


def test_unknown_events_namespaces_and_acks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec_of(tmp_path, chat_eio4())
    live = RecordingBuilder(Generation.EIO4).open("c1")
    live.c('42["nope"]').c('42/other,["x"]').c('42/admin,1["echo",null]')
    live.s('43/admin,1["ok"]', ack_of=4)
    live.c('421["add",1]').s('431["three"]', ack_of=6)
    status, out = _check(tmp_path, spec, live, capsys)
    assert status == 1
    text = "\n".join(out)
    assert (
        '(the payload): event "nope" is not a send operation of namespace / (schema: operations)'
        in text
    )
    assert "namespace /other is not a channel of the spec" in text
    assert "an acknowledgement, but the operation has no reply" in text
    assert "/0: 1 items, fewer than 2 (schema: minItems: 2)" not in text  # minItems is on the array
    assert "(the payload): 1 items, fewer than 2 (schema: minItems: 2)" in text
    assert "operation send.root.event.add reply" in text
    assert '/0: expected integer, got string "three"' in text


def test_binary_where_text_was_is_a_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec_of(tmp_path, chat_eio4())
    live = RecordingBuilder(Generation.EIO4).open("c1").s('42["file","text"]')
    status, out = _check(tmp_path, spec, live, capsys)
    assert status == 1
    assert '  /0: expected a binary attachment, got "text" (schema: format: binary)' in out


def test_injected_packets_are_skipped_and_rewritten_ones_checked_as_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _spec_of(tmp_path, chat_eio4())
    live = RecordingBuilder(Generation.EIO4).open("c1")
    live.c('42["add",1,2]').c('42["add","bad",2]').c('42["add","bad",3]')
    entries = live.entries
    sent = entries[1]
    assert isinstance(sent, PacketEntry)
    # The client sent [1, 2]; a rule rewrote it: the client's packet is what is checked.
    entries[2] = dataclasses.replace(
        entries[2],  # type: ignore[arg-type]
        fate=Fate.REWRITTEN,
        original=OriginalFrame(raw=sent.raw, packet=sent.packet),
    )
    entries[3] = dataclasses.replace(entries[3], fate=Fate.INJECTED)  # type: ignore[arg-type]
    status, out = _check(tmp_path, spec, live, capsys)
    assert (status, out) == (0, [])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("a: [", "not valid YAML"),
        ("- 1\n", "not an AsyncAPI document (expected a mapping at the top)"),
        ("asyncapi: 2.6.0\n", "not an AsyncAPI 3 document (\"asyncapi\": '2.6.0')"),
        (
            "asyncapi: 3.0.0\noperations:\n  x:\n    action: send\n"
            "    channel: {$ref: '#/channels/none'}\n",
            "unusable document: 'unresolvable reference #/channels/none'",
        ),
    ],
)
def test_bad_spec_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(content, "utf-8")
    rec = write(tmp_path / "r.jsonl", chat_eio4().build())
    assert sioproxy("check", rec, "--spec", spec) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"sioproxy check: {spec}: {reason}"), err


def test_missing_files_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sioproxy("check", tmp_path / "none.jsonl", "--spec", tmp_path / "none.yaml") == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    spec = _spec_of(tmp_path, chat_eio4())
    assert sioproxy("check", tmp_path / "none.jsonl", "--spec", spec) == 2
    assert "none.jsonl" in capsys.readouterr().err


def test_hand_written_document_with_refs_and_multi_format_payloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "hand", "version": "1"},
        "channels": {
            "main": {
                "address": "/",
                "messages": {
                    "add": {"$ref": "#/components/messages/add"},
                    "sum": {"$ref": "#/components/messages/sum"},
                },
            }
        },
        "operations": {
            "addNumbers": {
                "action": "send",
                "channel": {"$ref": "#/channels/main"},
                "messages": [{"$ref": "#/channels/main/messages/add"}],
                "reply": {"messages": [{"$ref": "#/channels/main/messages/sum"}]},
            }
        },
        "components": {
            "schemas": {"Number": {"type": "integer", "minimum": 0}},
            "messages": {
                "add": {  # no x-sioproxy keys: the message name is the event
                    "name": "add",
                    "payload": {
                        "schemaFormat": "application/schema+json;version=draft-07",
                        "schema": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Number"},
                        },
                    },
                },
                "sum": {"name": "sum", "payload": {"type": "array", "items": {"type": "integer"}}},
            },
        },
    }
    spec = tmp_path / "hand.json"
    spec.write_text(json.dumps(doc), "utf-8")
    live = RecordingBuilder(Generation.EIO4).open("c1")
    live.c('421["add",1,-2]').s('431["3"]', ack_of=2)
    rec = write(tmp_path / "r.jsonl", live.build())
    capsys.readouterr()
    assert sioproxy("check", rec, "--spec", spec) == 1
    out = capsys.readouterr().out
    assert "operation addNumbers\n  /1: -2 is below 0 (schema: minimum: 0)" in out
    assert "operation addNumbers reply\n  /0: expected integer, got string" in out
