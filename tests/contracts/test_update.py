"""``spec --update``: edits are kept, untouched schemas widen, contradictions are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sioproxy.contracts import load_document
from sioproxy.types import Generation
from tests.contracts.helpers import chat_eio4, node_check, sioproxy, write
from tests.standin.replay.factory import RecordingBuilder


def _base(tmp_path: Path) -> Path:
    out = tmp_path / "api.yaml"
    assert sioproxy("spec", write(tmp_path / "base.jsonl", chat_eio4().build()), "--out", out) == 0
    return out


def _edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text("utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")


def _new(tmp_path: Path, builder: RecordingBuilder) -> Path:
    return write(tmp_path / "new.jsonl", builder.build())


def test_new_operations_are_added_and_edits_kept(tmp_path: Path) -> None:
    spec = _base(tmp_path)

    def describe(doc: dict) -> None:
        doc["info"]["description"] = "Our chat API."
        doc["operations"]["send.root.event.add"]["description"] = "Adds two numbers."
        doc["channels"]["root"]["description"] = "The main namespace."

    _edit(spec, describe)
    new = _new(tmp_path, RecordingBuilder(Generation.EIO4).open("c1").c('42["joined","room"]'))
    assert sioproxy("spec", new, "--update", spec, "--out", spec) == 0
    doc = load_document(str(spec))
    assert doc["info"]["description"] == "Our chat API."
    assert doc["operations"]["send.root.event.add"]["description"] == "Adds two numbers."
    assert doc["channels"]["root"]["description"] == "The main namespace."
    assert doc["operations"]["send.root.event.joined"]["x-sioproxy-event"] == "joined"
    assert "send.root.event.joined" in doc["channels"]["root"]["messages"]
    assert list(doc["operations"])[-1] == "send.root.event.joined"  # appended, old order kept
    done = node_check(spec)
    assert done.returncode == 0, done.stdout


def test_untouched_schemas_widen(tmp_path: Path) -> None:
    spec = _base(tmp_path)
    out = tmp_path / "new.yaml"
    live = RecordingBuilder(Generation.EIO4).open("c1").c('42["add",1.5,2]')
    live.s('42["file","now text"]').c('421["add",1,2]').s('431["3"]', ack_of=4)
    assert sioproxy("spec", _new(tmp_path, live), "--update", spec, "--out", out) == 0
    messages = load_document(str(out))["components"]["messages"]
    assert messages["send.root.event.add"]["payload"]["prefixItems"][0] == {"type": "number"}
    assert messages["send.root.event.add.reply"]["payload"]["prefixItems"][0] == {
        "type": ["integer", "string"]
    }
    assert messages["receive.root.event.file"]["payload"]["prefixItems"][0] == {
        "anyOf": [{"type": "string", "format": "binary"}, {"type": "string"}]
    }
    assert sioproxy("check", tmp_path / "new.jsonl", "--spec", out) == 0
    assert sioproxy("check", tmp_path / "base.jsonl", "--spec", out) == 0


def test_a_contradicted_hand_edit_is_reported_not_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _base(tmp_path)

    def tighten(doc: dict) -> None:
        payload = doc["components"]["messages"]["send.root.event.add"]["payload"]
        payload["prefixItems"][0]["minimum"] = 0

    _edit(spec, tighten)
    before = load_document(str(spec))
    out = tmp_path / "new.yaml"
    live = RecordingBuilder(Generation.EIO4).open("c1").c('42["add",-1,2]').c('42["add","x",2]')
    capsys.readouterr()
    assert sioproxy("spec", _new(tmp_path, live), "--update", spec, "--out", out) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "contradiction: send.root.event.add: seq 2 c1: /0: -1 is below 0 (schema: minimum: 0) "
        "(hand-edited schema kept)",
        'contradiction: send.root.event.add: seq 3 c1: /0: expected integer, got string "x" '
        '(schema: type: "integer") (hand-edited schema kept)',
        "2 contradiction(s) with hand-edited schemas, not merged",
    ]
    after = load_document(str(out))
    assert after["components"]["messages"] == before["components"]["messages"]


def test_update_of_a_missing_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = write(tmp_path / "r.jsonl", chat_eio4().build())
    assert (
        sioproxy("spec", rec, "--update", tmp_path / "no.yaml", "--out", tmp_path / "o.yaml") == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"sioproxy spec: {tmp_path / 'no.yaml'}: cannot open")
