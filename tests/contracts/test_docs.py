"""docs/contracts.md's worked example is what the commands print, character for character."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from sioproxy.contracts import load_document
from tests.contracts.helpers import REPO, sioproxy

DOC = (REPO / "docs" / "contracts.md").read_text("utf-8")
DEMO = REPO / "recordings" / "examples" / "demo-eio4.jsonl"


def _block(after: str, lang: str = "console") -> str:
    """The first fenced block of ``lang`` after the text ``after``."""
    tail = DOC[DOC.index(after) :]
    match = re.search(rf"```{lang}\n(.*?)```", tail, re.S)
    assert match is not None
    return match.group(1)


def _drift(src: Path, out: Path) -> Path:
    """The demo recording with the add ack's sum as a string (the doc's drift.jsonl)."""
    lines = []
    for line in src.read_text("utf-8").splitlines():
        entry = json.loads(line)
        sio = entry.get("packet", {}).get("sio", {}) if entry.get("kind") == "packet" else {}
        if entry.get("ack_of") and sio.get("data") == [5]:
            sio["data"] = ["5"]
            entry["raw"] = entry["raw"].replace("[5]", '["5"]')
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO, tmp_path / "demo.jsonl")
    _drift(tmp_path / "demo.jsonl", tmp_path / "drift.jsonl")
    return tmp_path


def _console(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    status = sioproxy(*argv)
    captured = capsys.readouterr()
    return status, captured.out.splitlines() + captured.err.splitlines()


def test_infer_and_the_add_operation(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _console(capsys, "spec", "demo.jsonl", "--out", "asyncapi.yaml")
    assert status == 0
    assert f"$ sioproxy spec demo.jsonl --out asyncapi.yaml\n{out[0]}\n" == _block("**2. Infer**")
    shown = yaml.safe_load(_block("its ack become:", "yaml"))
    doc = load_document("asyncapi.yaml")
    op = shown["operations"]["send.root.event.add"]
    assert doc["operations"]["send.root.event.add"] == op
    for message_id, message in shown["components"]["messages"].items():
        assert doc["components"]["messages"][message_id] == message


def test_check_clean_and_drifted(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sioproxy("spec", "demo.jsonl", "--out", "asyncapi.yaml") == 0
    status, out = _console(capsys, "check", "demo.jsonl", "--spec", "asyncapi.yaml")
    assert status == 0
    assert out[0] in _block("**4. Check in CI.**")
    status, out = _console(capsys, "check", "drift.jsonl", "--spec", "asyncapi.yaml")
    assert status == 1
    shown = _block("sends the sum as a string:")
    assert shown == "$ sioproxy check drift.jsonl --spec asyncapi.yaml\n" + "\n".join(out) + (
        "\n$ echo $?\n1\n"
    )


def test_update_contradiction(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sioproxy("spec", "demo.jsonl", "--out", "edited.yaml") == 0
    doc = yaml.safe_load(Path("edited.yaml").read_text("utf-8"))
    reply = doc["components"]["messages"]["send.root.event.add.reply"]["payload"]
    reply["prefixItems"][0]["description"] = "the sum"
    Path("edited.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    status, out = _console(
        capsys, "spec", "drift.jsonl", "--update", "edited.yaml", "--out", "edited.yaml"
    )
    assert status == 1
    shown = _block("as a contradiction, not merged:")
    assert shown.splitlines()[1:] == out[:3]
