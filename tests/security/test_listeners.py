"""Listeners bind 127.0.0.1 unless told otherwise; only the container says 0.0.0.0.

Checked twice: the CLI defaults, and real processes started with port-only
specs (``0``, ``:0``) that report where they really listen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sioproxy.cli.main import build_parser
from tests.interop.peers import REPO
from tests.ops.helpers import launch_sioproxy, sioproxy_cmd, start_demo_server

RECORDING = REPO / "tests" / "inspect" / "data" / "eio4_session.jsonl"


@pytest.mark.parametrize(
    "argv",
    [
        ["proxy", "--upstream", "http://127.0.0.1:1"],
        ["record", "--upstream", "http://127.0.0.1:1", "--out", "x.jsonl"],
        ["replay", str(RECORDING)],
    ],
)
def test_default_listen_is_loopback(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.listen.startswith("127.0.0.1:")
    assert args.admin is None  # no admin listener unless asked


@pytest.mark.interop
@pytest.mark.parametrize("spec", ["0", ":0"])
def test_port_only_specs_bind_loopback_for_record_and_admin(tmp_path: Path, spec: str) -> None:
    demo = start_demo_server()
    try:
        argv = sioproxy_cmd(
            "record",
            "--listen",
            spec,
            "--admin",
            spec,
            "--upstream",
            demo.url,
            "--out",
            str(tmp_path / "r.jsonl"),
            "-q",
        )
        proxy, admin = launch_sioproxy(argv)
        try:
            assert proxy.url.startswith("http://127.0.0.1:")
            assert admin.startswith("http://127.0.0.1:")
        finally:
            proxy.stop()
    finally:
        demo.stop()


@pytest.mark.interop
@pytest.mark.parametrize("spec", ["0", ":0"])
def test_port_only_specs_bind_loopback_for_replay_and_admin(spec: str) -> None:
    proxy, admin = launch_sioproxy(
        sioproxy_cmd("replay", str(RECORDING), "--listen", spec, "--admin", spec)
    )
    try:
        assert proxy.url.startswith("http://127.0.0.1:")
        assert admin.startswith("http://127.0.0.1:")
    finally:
        proxy.stop()


def test_container_sets_the_wildcard_explicitly() -> None:
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert "SIOPROXY_LISTEN=0.0.0.0:8080" in dockerfile
    assert "SIOPROXY_ADMIN=0.0.0.0:9090" in dockerfile
