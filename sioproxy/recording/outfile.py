"""Opening a recording file for writing without ever losing one already there.

Layer: pure (recording). Imports the standard library, ``sioproxy.errors`` and
the reader; never twisted. ``open_output`` is the one place a recording file is
created (``record --out``, ``merge``, ``import``, the pytest plugin's writes).

Policies: ``new`` refuses an existing file, ``force`` replaces it, ``append``
adds a session after the sessions already in it (docs/recording-format.md,
"Sessions"). Whatever the policy, a symbolic link at the path is refused
(``O_NOFOLLOW``: a link planted where a recording goes must not redirect
private traffic elsewhere), and a new file gets ``file_mode`` (0600 by default:
recordings hold private traffic). Every failure is a ``RecordingError`` whose
reason names the cause (``not a directory``, ``is a directory``...), never a
traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from sioproxy.errors import RecordingError
from sioproxy.recording.reader import EntryStream

POLICIES = ("new", "force", "append")
DEFAULT_FILE_MODE = 0o600
_FIELD = re.compile(r"\{(date|time|pid)\}")
_COUNTER_LIMIT = 10_000
_LABEL = re.compile(r"c([0-9]+)")


@dataclass(frozen=True, slots=True)
class AppendPoint:
    """Where an appended session continues: the file's last seq, labels and time."""

    last_seq: int = 0
    last_label: int = 0  # the highest N of a ``cN`` label in the file
    last_t: float = 0.0
    first_created: str | None = None
    sessions: int = 0
    labels: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class OpenedOutput:
    """An open, positioned recording file: its descriptor, name and append point."""

    fd: int
    path: str
    size: int  # bytes already in the file (0 unless appending)
    append: AppendPoint | None = None
    needs_newline: bool = False  # the old last line lacks its "\n"


def is_template(text: str) -> bool:
    return _FIELD.search(text) is not None


def expand_template(text: str, *, now: dt.datetime | None = None, pid: int | None = None) -> str:
    """``{date}`` (YYYY-MM-DD, UTC), ``{time}`` (HHMMSS, UTC) and ``{pid}`` filled in."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    values = {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H%M%S"),
        "pid": str(os.getpid() if pid is None else pid),
    }
    return _FIELD.sub(lambda m: values[m.group(1)], text)


def _numbered(path: str, number: int) -> str:
    """``rec.jsonl`` -> ``rec-2.jsonl``: the counter goes before the extension."""
    head, tail = os.path.split(path)
    stem, dot, ext = tail.partition(".")
    return os.path.join(head, f"{stem}-{number}{dot}{ext}")


def parse_file_mode(text: str) -> int:
    """An octal permission such as ``0600`` or ``644``; ValueError otherwise."""
    if not re.fullmatch(r"0?o?[0-7]{3,4}", text):
        raise ValueError(f"{text!r} is not an octal file mode such as 0600")
    mode = int(text.replace("o", ""), 8)
    if mode > 0o777:
        raise ValueError(f"{text!r}: only permission bits (0000-0777) are allowed")
    return mode


def open_output(
    target: str | os.PathLike[str],
    *,
    policy: str = "new",
    file_mode: int = DEFAULT_FILE_MODE,
    now: dt.datetime | None = None,
    exists_hint: str = "use --force to replace it",
) -> OpenedOutput:
    """Create (or, for ``append``, open) the recording file ``target`` names.

    ``target`` may be a template (``{date}``, ``{time}``, ``{pid}``): then a name
    already taken gets a counter (``-2``, ``-3``...) instead of an error.
    ``exists_hint`` ends the error for an existing file (the caller's options).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    text = os.fspath(target)
    if not text:
        raise RecordingError("''", None, "empty file name")
    template = is_template(text) and policy != "append"
    path = expand_template(text, now=now) if is_template(text) else text
    _make_parents(path)
    if policy == "append":
        return _open_append(path, file_mode)
    for number in range(1, _COUNTER_LIMIT):
        name = path if number == 1 else _numbered(path, number)
        try:
            return OpenedOutput(fd=_create(name, policy, file_mode), path=name, size=0)
        except FileExistsError:
            if not template:
                raise RecordingError(name, None, f"file exists ({exists_hint})") from None
    raise RecordingError(path, None, f"{_COUNTER_LIMIT} numbered names are all taken")


def _make_parents(path: str) -> None:
    parent = Path(path).parent
    for ancestor in [*reversed(parent.parents), parent]:
        try:
            info = os.stat(ancestor)
        except FileNotFoundError:
            break  # created below
        except OSError as exc:
            raise RecordingError(path, None, f"cannot use {ancestor}: {_why(exc)}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise RecordingError(path, None, f"{ancestor} is not a directory")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordingError(path, None, f"cannot create directory {parent}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _check_existing(path: str) -> os.stat_result | None:
    """lstat ``path``: None when absent; refuses a link, a directory or a special file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecordingError(path, None, f"cannot use: {_why(exc)}") from None
    if stat.S_ISLNK(info.st_mode):
        raise RecordingError(path, None, "is a symbolic link (refused: links are not followed)")
    if stat.S_ISDIR(info.st_mode):
        raise RecordingError(path, None, "is a directory, not a recording file")
    if not stat.S_ISREG(info.st_mode):
        raise RecordingError(path, None, "is not a regular file")
    return info


def _create(path: str, policy: str, file_mode: int) -> int:
    """A new file at ``path`` (the old one unlinked first with ``force``)."""
    if _check_existing(path) is not None:
        if policy != "force":
            raise FileExistsError(errno.EEXIST, "exists", path)
        try:
            os.unlink(path)  # a fresh inode: the new file_mode applies, readers of the old keep it
        except OSError as exc:
            raise RecordingError(path, None, f"cannot replace: {_why(exc)}") from None
    try:
        fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, file_mode)
    except FileExistsError:
        raise
    except OSError as exc:
        raise RecordingError(path, None, f"cannot create: {_explain(exc)}") from None
    os.fchmod(fd, file_mode)  # the umask must not widen or narrow what was asked
    return fd


def _explain(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link (refused: links are not followed)"
    if exc.errno == errno.EISDIR:
        return "is a directory, not a recording file"
    return _why(exc)


def _open_append(path: str, file_mode: int) -> OpenedOutput:
    if _check_existing(path) is None:
        try:
            fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, file_mode)
        except OSError as exc:
            raise RecordingError(path, None, f"cannot create: {_explain(exc)}") from None
        os.fchmod(fd, file_mode)
        return OpenedOutput(fd=fd, path=path, size=0, append=AppendPoint())
    point = scan_for_append(path)
    try:
        fd = os.open(path, (_FLAGS & ~os.O_WRONLY) | os.O_RDWR)  # read: the last byte
        size = os.fstat(fd).st_size
        needs_newline = size > 0 and _last_byte(fd, size) != b"\n"
    except OSError as exc:
        raise RecordingError(path, None, f"cannot open for appending: {_explain(exc)}") from None
    return OpenedOutput(fd=fd, path=path, size=size, append=point, needs_newline=needs_newline)


def _last_byte(fd: int, size: int) -> bytes:
    return os.pread(fd, 1, size - 1)


def scan_for_append(path: str) -> AppendPoint:
    """Read the whole file (it must be a valid recording) for where a new session goes on."""
    with EntryStream(path) as stream:
        last_seq, last_t, highest = 0, 0.0, 0
        labels: set[str] = set()
        for entry in stream:
            last_seq, last_t = entry.seq, max(last_t, entry.t)
            if entry.conn not in labels:
                labels.add(entry.conn)
                found = _LABEL.fullmatch(entry.conn)
                if found:
                    highest = max(highest, int(found.group(1)))
        if stream.torn_tail is not None:
            raise RecordingError(
                path,
                None,
                f"{stream.torn_tail}; cannot append after a torn line"
                " (cut it off or record to a new file)",
            )
        return AppendPoint(
            last_seq=last_seq,
            last_label=highest,
            last_t=last_t,
            first_created=stream.header.created,
            sessions=1 + len(stream.sessions),
            labels=frozenset(labels),
        )
