"""Writing packs to disk: all or nothing, private, with plain messages."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import ConcernDeskError, InputError
from app.pack import write_atomically


def test_writes_the_whole_file_privately(tmp_path: Path) -> None:
    target = tmp_path / "pack.pdf"
    write_atomically(target, b"%PDF-1.4 first")
    write_atomically(target, b"%PDF-1.4 second, longer")
    assert target.read_bytes() == b"%PDF-1.4 second, longer"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["pack.pdf"]  # no temporary file left


def test_a_folder_as_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        write_atomically(tmp_path, b"x")
    assert caught.value.field == "out"
    assert "is a folder" in str(caught.value)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        write_atomically(tmp_path / "nowhere" / "pack.pdf", b"x")
    assert caught.value.field == "out" and "does not exist" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(InputError) as caught:
        write_atomically(blocker / "pack.pdf", b"x")
    assert "is not a folder" in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB filesystem (tmpfs); needs root on Linux, else the test is skipped."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_leaves_no_partial_file_and_keeps_the_old_one(tiny_disk: Path) -> None:
    target = tiny_disk / "pack.pdf"
    write_atomically(target, b"old pack")
    with pytest.raises(ConcernDeskError) as caught:
        write_atomically(target, b"x" * 1024 * 1024)
    assert str(caught.value) == f"cannot write the pack to {tiny_disk}: no space left on the disk"
    assert target.read_bytes() == b"old pack"
    assert [p.name for p in tiny_disk.iterdir()] == ["pack.pdf"]
