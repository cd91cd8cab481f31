"""``proxy``/``record --spec``: live validation with real peers; ``--spec-enforce``."""

from __future__ import annotations

import dataclasses
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from sioproxy.recording import PacketEntry, read_recording
from tests.contracts.helpers import sioproxy
from tests.contracts.test_real_peers import _record, drift_server  # noqa: F401
from tests.interop.peers import RunningServer, run_client, start_server
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy

pytestmark = pytest.mark.interop


def _spec_from(server_name: str, client: str, tmp_path: Path) -> Path:
    rec, doc = tmp_path / "base.jsonl", tmp_path / "api.yaml"
    server = start_server(server_name)
    try:
        _record(server, client, "websocket", rec)
    finally:
        server.stop()
    assert sioproxy("spec", rec, "--out", doc) == 0
    return doc


def _admin_url(proxy: RunningSioproxy) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in proxy.lines:
            if line.startswith("sioproxy admin on "):
                return line.split(" on ", 1)[1]
        time.sleep(0.05)
    raise AssertionError(f"no admin line: {proxy.lines}")


def _violation_metrics(admin: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{admin}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sioproxy_spec_violations_total{")
    }


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_violations_are_logged_counted_and_noted_traffic_unchanged(
    tmp_path: Path,
    mode: str,
    drift_server: RunningServer,  # noqa: F811
) -> None:
    spec = _spec_from("py-sio5", "py-sio5", tmp_path)
    out = tmp_path / "live.jsonl"
    args = record_args(drift_server.url, out, "--spec", str(spec), "--admin", "127.0.0.1:0")
    proxy = start_sioproxy(args)
    try:
        transcript = run_client("py-sio5", proxy.url, mode)
        metrics = _violation_metrics(_admin_url(proxy))
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()
    # The drifted acks reached the client as the server sent them.
    assert ["ack", "ack_me", [1, "ack"]] in transcript["namespaces"]["/"]
    assert metrics == {
        'sioproxy_spec_violations_total{namespace="/",event="ack_me",direction="s2c"}': 2.0,
        'sioproxy_spec_violations_total{namespace="/chat",event="ack_me",direction="s2c"}': 1.0,
    }
    logged = [line for line in proxy.lines if "spec violation" in line]
    assert len(logged) == 3, proxy.lines
    assert '/0: expected string, got integer 1 (schema: type: "string")' in logged[0]
    notes = [e.note for e in read_recording(out).entries if isinstance(e, PacketEntry) and e.note]
    assert notes == [
        'spec violation: /0: expected string, got integer 1 (schema: type: "string")',
        'spec violation: /0: expected string, got integer 1 (schema: type: "string")',
        'spec violation: /0: expected string, got integer 4 (schema: type: "string")',
    ]


@pytest.mark.parametrize(
    ("peer", "mode"),
    [("node-sio4", "websocket"), ("node-sio2", "websocket"), ("node-sio09", "websocket")],
)
def test_enforce_drops_the_event_and_answers_its_ack(tmp_path: Path, peer: str, mode: str) -> None:
    spec = _spec_from(peer, peer, tmp_path)
    doc = yaml.safe_load(spec.read_text("utf-8"))
    # The contract now wants a number where the client sends "x": every ack_me on / breaks it.
    payload = doc["components"]["messages"]["send.root.event.ack_me"]["payload"]
    payload["prefixItems"][0] = {"type": "integer"}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    out = tmp_path / "live.jsonl"
    server = start_server(peer)
    try:
        proxy = start_sioproxy(record_args(server.url, out, "--spec", str(spec), "--spec-enforce"))
        try:
            transcript = run_client(peer, proxy.url, mode)
        finally:
            assert proxy.stop() == 0, proxy.stderr_text()
    finally:
        server.stop()
    error = {
        "error": "spec violation",
        "detail": '/0: expected integer, got string "x" (schema: type: "integer")',
    }
    assert ["ack", "ack_me", [error]] in transcript["namespaces"]["/"]
    assert ["ack", "ack_me", ["x", "ack"]] in transcript["namespaces"]["/chat"]  # not in the rule
    entries = [e for e in read_recording(out).entries if isinstance(e, PacketEntry)]
    dropped = [e for e in entries if e.fate is not None and e.fate.value == "dropped"]
    assert len(dropped) == 2  # ack_me ["x"] and ack_me ["sync"] on /
    assert [(e.rule, e.note) for e in dropped] == [
        (
            "spec-enforce",
            "not forwarded: dropped by spec-enforce; spec violation: "
            f'/0: expected integer, got string "{arg}" (schema: type: "integer")',
        )
        for arg in ("x", "sync")
    ]


def test_enforce_without_spec_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["record", "--upstream", "http://127.0.0.1:1", "--out", "x.jsonl", "--spec-enforce"]
    assert sioproxy(*argv) == 2
    assert capsys.readouterr().err.strip() == "sioproxy record: --spec-enforce needs --spec FILE"


def test_a_bad_spec_stops_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "api.yaml"
    bad.write_text("asyncapi: 2.0.0\n", "utf-8")
    argv = ["proxy", "--upstream", "http://127.0.0.1:1", "--spec", str(bad)]
    assert sioproxy(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"sioproxy proxy: {bad}: not an AsyncAPI 3 document (\"asyncapi\": '2.0.0')"


def test_show_prints_the_violation_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sioproxy.types import Generation
    from tests.contracts.helpers import write
    from tests.standin.replay.factory import RecordingBuilder

    b = RecordingBuilder(Generation.EIO4).open("c1").c('42["add","x"]')
    rec = b.build()
    entry = rec.entries[-1]
    assert isinstance(entry, PacketEntry)
    noted = dataclasses.replace(entry, note="spec violation: /0: expected integer")
    path = write(tmp_path / "r.jsonl", dataclasses.replace(rec, entries=(*rec.entries[:-1], noted)))
    capsys.readouterr()
    assert sioproxy("show", path, "--color", "never") == 0
    assert "(spec violation: /0: expected integer)" in capsys.readouterr().out
