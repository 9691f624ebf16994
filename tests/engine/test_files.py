"""The one safe way to write a file: whole or not at all, with the permissions a user expects."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers import solid

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.files import replacing, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_new_file_gets_the_users_normal_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "sub" / "new.json", b"{}")
    assert target.read_bytes() == b"{}"
    assert _mode(target) == 0o666 & ~_umask()
    assert os.listdir(target.parent) == ["new.json"]  # no temporary file left behind


def test_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "shared.xmp"
    target.write_bytes(b"old")
    target.chmod(0o664)
    write_atomic(target, lambda handle: handle.write(b"new"))
    assert target.read_bytes() == b"new" and _mode(target) == 0o664


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "index.ann"
    target.write_bytes(b"good")

    def fail(handle: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomic(target, fail)
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["index.ann"]


def test_xmp_sidecars_get_the_photos_mode_and_keep_their_own(tiny_models: Path, tmp_path: Path) -> None:
    photo = solid(tmp_path / "photos" / "heron.jpg", "grey")
    other = solid(tmp_path / "photos" / "egret.jpg", "yellow")
    existing = other.with_suffix(".xmp")
    existing.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', encoding="utf-8")
    existing.chmod(0o664)
    with open_library(tmp_path / "lib") as library:
        library.index([tmp_path / "photos"])
        library.edit_tags([photo, other], add=["heron"])
        new, merged = library.write_xmp([photo, other])
    assert _mode(new) == 0o666 & ~_umask()  # 0644 beside 0644 photos under the usual umask, not 0600
    assert _mode(merged) == 0o664  # an existing sidecar is not reset


def test_a_temporary_file_whose_writer_died_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    """A kill -9 mid-write leaves `.name.PID.xxxx.tmp`; only a dead writer's is an orphan."""
    import subprocess
    import sys

    from cbir_desktop.engine.files import remove_orphan

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".IMG_1.xmp.{int(dead.stdout)}.abc123.tmp"
    live = tmp_path / f".IMG_2.xmp.{os.getpid()}.abc123.tmp"
    foreign = tmp_path / ".someone-elses.tmp"
    for path in (orphan, live, foreign):
        path.write_bytes(b"half")
    assert remove_orphan(orphan) and not orphan.exists()
    assert not remove_orphan(live) and live.exists()
    assert not remove_orphan(foreign) and foreign.exists()
