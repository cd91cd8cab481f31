"""``sioproxy spec`` and ``sioproxy check`` on recordings of all three generations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sioproxy.contracts import load_document
from tests.contracts.helpers import chat_eio4, eio3, legacy09, node_check, sioproxy, write


def _spec(tmp_path: Path, builder_recording: Path, name: str = "api.yaml") -> dict:
    out = tmp_path / name
    assert sioproxy("spec", builder_recording, "--out", out) == 0
    return load_document(str(out))


def _ops(doc: dict) -> dict[str, tuple[str, str, str | None, bool]]:
    """operation id -> (action, channel address, event, has reply)."""
    out = {}
    for op_id, op in doc["operations"].items():
        channel = doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]
        out[op_id] = (op["action"], channel["address"], op.get("x-sioproxy-event"), "reply" in op)
    return out


def _message(doc: dict, message_id: str) -> dict:
    return doc["components"]["messages"][message_id]


def test_eio4_channels_operations_and_replies(tmp_path: Path) -> None:
    doc = _spec(tmp_path, write(tmp_path / "r.jsonl", chat_eio4().build()))
    assert doc["asyncapi"] == "3.0.0"
    assert _ops(doc) == {
        "receive.root.event.are_you_there": ("receive", "/", "are_you_there", True),
        "receive.root.event.chat": ("receive", "/", "chat", False),
        "receive.root.event.file": ("receive", "/", "file", False),
        "send.admin.event.echo": ("send", "/admin", "echo", False),
        "send.root.connect": ("send", "/", None, False),
        "send.root.event.add": ("send", "/", "add", True),
    }
    add = _message(doc, "send.root.event.add")
    assert add["payload"]["prefixItems"] == [{"type": "integer"}, {"type": "integer"}]
    assert add["examples"] == [{"payload": [0, 2]}]
    chat = _message(doc, "receive.root.event.chat")["payload"]["prefixItems"][0]
    assert chat["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert chat["required"] == ["at", "from", "text"]
    file = _message(doc, "receive.root.event.file")["payload"]["prefixItems"][0]
    assert file == {"type": "string", "format": "binary"}
    auth = _message(doc, "send.root.connect")["payload"]
    assert auth["properties"]["token"]["type"] == "string"
    assert _message(doc, "send.admin.event.echo")["payload"]["prefixItems"] == [{"type": "null"}]
    reply = _message(doc, "receive.root.event.are_you_there.reply")
    assert reply["payload"]["prefixItems"] == [{"type": "string"}]


def test_legacy_endpoints_messages_and_json(tmp_path: Path) -> None:
    doc = _spec(tmp_path, write(tmp_path / "r.jsonl", legacy09().build()))
    assert _ops(doc) == {
        "receive.root.json": ("receive", "/", None, False),
        "send.chat.event.echo": ("send", "/chat", "echo", False),
        "send.root.event.ack_me": ("send", "/", "ack_me", True),
        "send.root.json": ("send", "/", None, False),
        "send.root.message": ("send", "/", None, False),
    }
    assert _message(doc, "send.root.message")["payload"] == {"type": "string"}
    assert doc["operations"]["send.root.message"]["x-sioproxy-kind"] == "message"


def test_eio3_namespace_query_is_not_part_of_the_channel(tmp_path: Path) -> None:
    doc = _spec(tmp_path, write(tmp_path / "r.jsonl", eio3().build()))
    assert [c["address"] for c in doc["channels"].values()] == ["/chat"]
    bye = _message(doc, "send.chat.event.bye.reply")["payload"]
    assert bye == {"type": "array", "maxItems": 0, "minItems": 0}


def test_output_is_deterministic_and_json_matches_yaml(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", chat_eio4(3).build())
    for name in ("a.yaml", "b.yaml", "c.json"):
        assert sioproxy("spec", rec, "--out", tmp_path / name) == 0
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    as_yaml = yaml.safe_load((tmp_path / "a.yaml").read_text("utf-8"))
    assert as_yaml == json.loads((tmp_path / "c.json").read_text("utf-8"))


def test_several_recordings_make_one_document(tmp_path: Path) -> None:
    one = write(tmp_path / "1.jsonl", chat_eio4().build())
    two = write(tmp_path / "2.jsonl", legacy09().build())
    out = tmp_path / "api.yaml"
    assert sioproxy("spec", one, two, "--out", out) == 0
    doc = load_document(str(out))
    assert "send.root.message" in doc["operations"]
    assert "send.root.event.add" in doc["operations"]


def test_every_document_is_valid_asyncapi(tmp_path: Path) -> None:
    docs = []
    for n, builder in enumerate((chat_eio4(25), legacy09(), eio3())):
        rec = write(tmp_path / f"r{n}.jsonl", builder.build())
        for ext in ("yaml", "json"):
            docs.append(tmp_path / f"api{n}.{ext}")
            assert sioproxy("spec", rec, "--out", docs[-1]) == 0
    done = node_check(*docs)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok ") == len(docs)


def test_node_checker_rejects_a_broken_document(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", chat_eio4().build())
    out = tmp_path / "api.yaml"
    assert sioproxy("spec", rec, "--out", out) == 0
    doc = load_document(str(out))
    doc["operations"]["send.root.event.add"]["action"] = "publish"  # AsyncAPI 2 wording
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc), "utf-8")
    done = node_check(broken)
    assert done.returncode == 1
    assert "/operations/send.root.event.add/action" in done.stdout


def test_existing_out_is_refused_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = write(tmp_path / "r.jsonl", chat_eio4().build())
    out = tmp_path / "api.yaml"
    out.write_text("mine", "utf-8")
    assert sioproxy("spec", rec, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"sioproxy spec: {out}: file exists (use --force to overwrite, or --update it)"]
    assert out.read_text("utf-8") == "mine"
    assert sioproxy("spec", rec, "--out", out, "--force") == 0
