"""One upstream (node socket.io 4) and one ``sioproxy record`` for the hostile tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import Stack, start_stack
from tests.interop.conftest import require_installed


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_installed("node-sio4")
    running = start_stack(Path(tmp_path_factory.mktemp("hostile")))
    yield running
    running.stop()
