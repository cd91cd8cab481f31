"""Opening a recording file: never overwrite, no links, 0600, templates, clear errors."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from sioproxy.errors import RecordingError
from sioproxy.recording.outfile import expand_template, open_output, parse_file_mode
from sioproxy.recording.writer import RecordingWriter
from tests.recording.test_model import sample_header

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_an_existing_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"precious")
    with pytest.raises(RecordingError) as info:
        RecordingWriter.create(path, sample_header())
    assert "file exists (use --force to replace it)" in str(info.value)
    assert path.read_bytes() == b"precious"


def test_force_replaces_with_a_fresh_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    RecordingWriter.create(path, sample_header(), policy="force").close()
    assert path.read_bytes().startswith(b'{"kind":"header"')
    assert _mode(path) == 0o600


def test_new_files_are_0600_whatever_the_umask_and_file_mode_is_honoured(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        RecordingWriter.create(tmp_path / "a.jsonl", sample_header()).close()
        RecordingWriter.create(tmp_path / "b.jsonl", sample_header(), file_mode=0o640).close()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.jsonl") == 0o600
    assert _mode(tmp_path / "b.jsonl") == 0o640


@pytest.mark.parametrize("policy", ["new", "force", "append"])
def test_a_symlink_at_the_path_is_refused(tmp_path: Path, policy: str) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / "r.jsonl"
    link.symlink_to(victim)
    with pytest.raises(RecordingError, match="is a symbolic link"):
        RecordingWriter.create(link, sample_header(), policy=policy)
    assert victim.read_bytes() == b"keep"
    assert link.is_symlink()


@pytest.mark.parametrize("policy", ["new", "force", "append"])
def test_a_directory_is_named_as_such(tmp_path: Path, policy: str) -> None:
    with pytest.raises(RecordingError, match="is a directory"):
        RecordingWriter.create(tmp_path, sample_header(), policy=policy)


def test_a_file_in_the_way_of_the_directory_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "existing_file").write_bytes(b"x")
    with pytest.raises(RecordingError) as info:
        RecordingWriter.create(tmp_path / "existing_file" / "x.jsonl", sample_header())
    assert "existing_file is not a directory" in str(info.value)
    assert "exists" not in str(info.value).replace("existing_file", "")


def test_an_impossible_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RecordingError) as info:
        RecordingWriter.create("/proc/nope/x.jsonl", sample_header())
    assert "cannot create directory /proc/nope" in str(info.value)
    assert "\n" not in str(info.value)


def test_templates_fill_date_time_pid() -> None:
    assert expand_template("rec/{date}-{time}-{pid}.jsonl", now=NOW, pid=42) == (
        "rec/2026-01-02-030405-42.jsonl"
    )
    assert expand_template("plain.jsonl", now=NOW) == "plain.jsonl"


def test_a_taken_template_name_gets_a_counter(tmp_path: Path) -> None:
    template = str(tmp_path / "{date}-{time}.jsonl")
    names = []
    for _ in range(3):
        opened = open_output(template, now=NOW)
        os.close(opened.fd)
        names.append(os.path.basename(opened.path))
    assert names == [
        "2026-01-02-030405.jsonl",
        "2026-01-02-030405-2.jsonl",
        "2026-01-02-030405-3.jsonl",
    ]


def test_file_mode_parsing() -> None:
    assert parse_file_mode("0644") == 0o644
    assert parse_file_mode("600") == 0o600
    assert parse_file_mode("0o640") == 0o640
    for bad in ["rw-r--r--", "0999", "7777", ""]:
        with pytest.raises(ValueError, match=r"file mode|permission bits"):
            parse_file_mode(bad)
