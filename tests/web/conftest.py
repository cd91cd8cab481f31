"""Browser fixtures: pytest-playwright's ``page``, on the distribution's Chromium.

Browser downloads are not available, so Playwright is pointed at the
``chromium`` executable that tests/web/install_chromium.sh installs
(``make peers``). Every page fixture fails its test if the page logged a
console error or threw.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.sioproxy_proc import RunningSioproxy

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: run `make peers` (tests/web/install_chromium.sh)")
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture
def inspector(page: Any) -> Iterator[Any]:
    """The page, checked at teardown for console errors and uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.sio_errors = errors  # a test that stops the server on purpose may clear its errors
    yield page
    assert errors == [], f"console errors on the page: {errors}"


@pytest.fixture
def processes() -> Iterator[list[RunningSioproxy]]:
    """sioproxy processes a test started; stopped (by their pid) when it ends."""
    started: list[RunningSioproxy] = []
    yield started
    for proc in started:
        proc.stop()


def save_shot(page: Any, tmp_path: Path, name: str, **options: Any) -> Path:
    """Screenshot into the test's directory; also into docs/img with SIOPROXY_DOCS_SHOTS=1."""
    path = tmp_path / name
    page.screenshot(path=str(path), **options)
    if os.environ.get("SIOPROXY_DOCS_SHOTS") == "1":
        DOCS_IMG.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / name), **options)
    return path
