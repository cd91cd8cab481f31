"""Recording paths derived from names cannot escape the recordings directory.

Names come from test ids and ``recording=`` marker values (sioproxy.testing.paths):
whatever they hold, a derived path stays under the root, or the name is refused
with ConfigError. Symlinks inside the root that point out are refused too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sioproxy.errors import ConfigError
from sioproxy.testing.paths import default_recording_path, is_inside, named_recording_path

HOSTILE = [
    "..",
    "../..",
    "../../etc/passwd",
    "..\\..\\windows",
    "a/../../b",
    "a/../../../b.jsonl",
    "./../x.jsonl",
    "\0",
    "con",
    "name\nwith\nnewlines",
    "." * 300,
    "é" * 500,
]
names = st.text(min_size=0, max_size=300) | st.sampled_from(HOSTILE)
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(module=names, test_name=names)
def test_default_paths_stay_inside(tmp_path: Path, module: str, test_name: str) -> None:
    root = tmp_path / "recordings"
    path = default_recording_path(root, module, test_name)
    assert is_inside(path, root)
    assert path.parent.parent == root  # exactly <root>/<module>/<name>.jsonl


@FUZZ
@given(module=names, recording=names)
def test_named_paths_stay_inside_or_are_refused(
    tmp_path: Path, module: str, recording: str
) -> None:
    root = tmp_path / "recordings"
    try:
        path = named_recording_path(root, module, recording)
    except ConfigError:
        return
    if os.path.isabs(recording):
        assert path == Path(recording)  # an absolute path is the user's explicit choice
    else:
        assert is_inside(path, root), path


@pytest.mark.parametrize("recording", ["../x.jsonl", "a/../../x.jsonl", "sub/../../../etc/x"])
def test_relative_escapes_are_refused(tmp_path: Path, recording: str) -> None:
    with pytest.raises(ConfigError, match="outside the recordings directory"):
        named_recording_path(tmp_path / "recordings", "mod", recording)


def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="outside the recordings directory"):
        named_recording_path(root, "mod", "link/x.jsonl")
