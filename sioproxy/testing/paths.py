"""Where a test's recording lives: safe file names derived from test ids.

Layer: pure (testing helpers). Standard library and ``sioproxy.errors`` only.

The default is ``<test dir>/recordings/<test module>/<test name>.jsonl``. Test
names come from users and from parametrize ids, which may hold anything:
slashes, ``..``, control characters, emoji, thousands of characters. Every
derived component is therefore reduced to a conservative ASCII set, given a
short hash of the original when that changed it (so ``[a b]`` and ``[a_b]``
do not share a file), shortened with a hash when long, and the final path is
checked to stay inside the recordings directory.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from sioproxy.errors import ConfigError

MAX_COMPONENT = 120  # bytes; well under the 255 of common file systems, room for ".jsonl.tmp"
HASH_CHARS = 10
SUFFIX = ".jsonl"

_UNSAFE = re.compile(r"[^A-Za-z0-9._=+,\[\]-]")
# Names Windows refuses whatever the extension (a recording made on Linux must check out there).
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def safe_component(name: str, *, limit: int = MAX_COMPONENT) -> str:
    """``name`` as one file-name component: safe characters only, bounded length.

    Deterministic, so the same test finds the same file on every run.
    """
    cleaned = _UNSAFE.sub("_", name).lstrip(".-") or "_"
    if cleaned.split(".")[0].lower() in _RESERVED:
        cleaned = "_" + cleaned
    if cleaned != name:
        cleaned = f"{cleaned}-{_digest(name)}"
    if len(cleaned) > limit:
        keep = limit - HASH_CHARS - 1
        cleaned = f"{cleaned[:keep].rstrip('.')}-{_digest(name)}"
    return cleaned


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves (symlinks too) to ``root`` or below it."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    return real == real_root or real_root in real.parents


def recordings_root(test_file: Path, recordings_dir: str) -> Path:
    """The recordings directory: ``recordings_dir`` relative to the test file's directory."""
    return (test_file.parent / recordings_dir).absolute()


def default_recording_path(root: Path, module: str, test_name: str) -> Path:
    """``<root>/<module>/<test name>.jsonl`` with both parts made safe."""
    path = root / safe_component(module) / (safe_component(test_name) + SUFFIX)
    _check_inside(path, root, f"test {test_name!r}")
    return path


def named_recording_path(root: Path, module: str, recording: str) -> Path:
    """The path for a marker's ``recording=`` value.

    A plain name (no ``/`` and no ``.jsonl``) is a file in the module's
    directory, like a test name. Anything else is a path: absolute paths are
    taken as given (the user chose them), relative ones are resolved against
    the recordings directory and must stay inside it.
    """
    if "/" not in recording and os.sep not in recording and not recording.endswith(SUFFIX):
        path = root / safe_component(module) / (safe_component(recording) + SUFFIX)
    elif os.path.isabs(recording):
        return Path(recording)
    else:
        path = root / recording
    _check_inside(path, root, f"recording {recording!r}")
    return path


def _check_inside(path: Path, root: Path, what: str) -> None:
    if not is_inside(path, root):
        raise ConfigError(
            None, None, f"{what} gives {path}, which is outside the recordings directory {root}"
        )
