"""What the OS and SQLite raise becomes a sentence, and odd file names stay one printable line."""

from __future__ import annotations

import base64
import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import run_cbir, solid

from cbir_desktop.engine.errors import (
    CatalogueDamaged,
    DiskFull,
    EngineError,
    LibraryReadOnly,
    display_path,
    sentences,
)

CATALOGUE = "/home/me/library/catalogue.sqlite"


def _raised_through(exc: BaseException) -> EngineError:
    with pytest.raises(EngineError) as info:
        with sentences(CATALOGUE):
            raise exc
    assert info.value.__cause__ is exc  # the original stays attached for the log
    return info.value


def test_full_database_is_disk_full() -> None:
    error = _raised_through(sqlite3.OperationalError("database or disk is full"))
    assert type(error) is DiskFull
    assert str(error).startswith("The disk is full (writing /home/me/library/catalogue.sqlite).")
    assert "run the same command again" in str(error)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_no_space_is_disk_full_naming_the_file(code: int) -> None:
    error = _raised_through(OSError(code, os.strerror(code), "/photos/IMG_1.xmp"))
    assert type(error) is DiskFull
    assert "The disk is full (writing /photos/IMG_1.xmp)" in str(error)


def test_read_only_file_system_is_library_read_only() -> None:
    error = _raised_through(OSError(errno.EROFS, "Read-only file system", "/media/cd/lib/index/x.ann"))
    assert type(error) is LibraryReadOnly
    assert "/media/cd/lib/index/x.ann" in str(error) and "read-only" in str(error)


def test_read_only_database_is_library_read_only() -> None:
    error = _raised_through(sqlite3.OperationalError("attempt to write a readonly database"))
    assert type(error) is LibraryReadOnly and "searching works" in str(error)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM])
def test_permission_denied_names_the_file(code: int) -> None:
    error = _raised_through(PermissionError(code, os.strerror(code), "/srv/lib/writer.lock"))
    assert str(error) == "Cannot write /srv/lib/writer.lock: permission denied."
    assert not isinstance(error, (DiskFull, LibraryReadOnly))


def test_malformed_database_is_catalogue_damaged() -> None:
    error = _raised_through(sqlite3.DatabaseError("database disk image is malformed"))
    assert type(error) is CatalogueDamaged
    assert error.path == CATALOGUE
    assert "database disk image is malformed" in str(error) and "`cbir repair`" in str(error)


def test_other_os_errors_still_name_the_file() -> None:
    error = _raised_through(OSError(errno.EIO, os.strerror(errno.EIO), "/mnt/usb/lib/catalogue.sqlite"))
    assert str(error) == "Input/output error: /mnt/usb/lib/catalogue.sqlite."


def test_engine_errors_and_others_pass_through_unchanged() -> None:
    original = LibraryReadOnly("already a sentence")
    with pytest.raises(LibraryReadOnly) as info:
        with sentences(CATALOGUE):
            raise original
    assert info.value is original
    with pytest.raises(KeyError):
        with sentences(CATALOGUE):
            raise KeyError("a bug stays a bug")


def test_an_undecodable_file_name_in_an_os_error_is_readable() -> None:
    name = os.fsdecode(b"/photos/caf\xe9\nnew.xmp")
    error = _raised_through(OSError(errno.ENOSPC, "No space left on device", name))
    assert "/photos/caf\\xe9\\nnew.xmp" in str(error)
    assert "\n" not in str(error) and str(error).isprintable()


@pytest.mark.parametrize(("raw", "shown"), [
    (b"/photos/plain.jpg", "/photos/plain.jpg"),
    (b"/photos/two\nlines.jpg", "/photos/two\\nlines.jpg"),
    (b"/photos/tab\there.jpg", "/photos/tab\\there.jpg"),
    (b"/photos/caf\xe9.jpg", "/photos/caf\\xe9.jpg"),
    (b"/photos/\x1b[31mred.jpg", "/photos/\\x1b[31mred.jpg"),
    ("/photos/Café déjà vu.jpg".encode(), "/photos/Café déjà vu.jpg"),
])
def test_display_path_is_one_printable_line(raw: bytes, shown: str) -> None:
    result = display_path(os.fsdecode(raw))
    assert result == shown
    assert result.isprintable()


# -- through the command line ---------------------------------------------------------------------
def _one_error_line(stderr: str) -> str:
    """The single `cbir: ...` line of a failed command (progress lines aside), no traceback."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("cbir:")]
    assert len(errors) == 1, stderr
    others = [line for line in stderr.splitlines() if line.strip() and not line.startswith("cbir:")]
    assert all(line.endswith("...") or line.startswith("indexing ") for line in others), stderr
    return errors[0]


@pytest.mark.parametrize("command", [("status",), ("search", "--text", "red"), ("index",)])
def test_library_naming_a_file_is_one_sentence(tiny_models: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a library")
    result = run_cbir("--library", file, *command, library=tmp_path / "unused", models=tiny_models)
    assert result.returncode == 1
    assert result.stderr.strip() == f"cbir: {file} is a file, not a library folder; name a folder with --library."
    assert result.stdout == ""
    assert file.read_text() == "not a library"


def test_a_newline_in_a_folder_name_keeps_each_hit_on_one_line(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    odd = solid(photos / "two\nlines" / "IMG_0001.jpg", "red")
    solid(photos / "plain" / "IMG_0002.jpg", (200, 30, 30))
    solid(photos / "plain" / "IMG_0003.jpg", "blue")
    lib = tmp_path / "lib"
    assert run_cbir("index", photos, library=lib, models=tiny_models).returncode == 0

    result = run_cbir("search", "-k", "3", "--all", "--text", "red", library=lib, models=tiny_models)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "red:" and len(lines) == 4, result.stdout
    assert all(line.startswith("  ") and str(photos) in line for line in lines[1:])
    shown = display_path(str(odd))
    assert shown == f"{photos}/two\\nlines/IMG_0001.jpg"
    assert any(line.endswith(shown) or f"{shown}  [" in line for line in lines[1:]), result.stdout
    # JSON keeps the real name: a JSON string can hold a newline.
    as_json = json.loads(run_cbir("search", "--json", "-k", "3", "--text", "red",
                                  library=lib, models=tiny_models).stdout)
    assert str(odd) in [r["path"] for r in as_json["results"]]


def test_a_non_utf8_file_name_is_valid_json_with_its_exact_bytes(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    raw = os.fsencode(str(photos)) + b"/caf\xe9.jpg"
    solid(Path(os.fsdecode(raw)), "red")
    solid(photos / "plain.jpg", "blue")
    lib = tmp_path / "lib"
    assert run_cbir("index", photos, library=lib, models=tiny_models).returncode == 0

    result = run_cbir("search", "--json", "-k", "2", "--text", "red", library=lib, models=tiny_models)

    assert result.returncode == 0, result.stderr
    assert result.stdout.encode("utf-8", "surrogateescape").decode("utf-8")  # strictly valid UTF-8
    record = json.loads(result.stdout)
    odd = [r for r in record["results"] if "path_base64" in r]
    assert len(odd) == 1, record
    assert base64.b64decode(odd[0]["path_base64"]) == raw
    assert odd[0]["path"] == f"{photos}/caf\\xe9.jpg" and odd[0]["path"].isprintable()
    plain = [r for r in record["results"] if "path_base64" not in r]
    assert [r["path"] for r in plain] == [str(photos / "plain.jpg")]


def test_a_full_disk_while_indexing_is_one_sentence_and_the_next_run_finishes(
        tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    for i in range(10):
        solid(photos / f"IMG_{i:04d}.jpg", (20 * i + 30, 100, 200 - 15 * i))
    lib = tmp_path / "lib"

    failed = run_cbir("index", photos, "--batch-size", "4", library=lib, models=tiny_models,
                      env={"CBIR_FAULT": "commit:batch:enospc"})

    assert failed.returncode == 1, failed
    assert _one_error_line(failed.stderr).startswith("cbir: The disk is full")
    resumed = run_cbir("index", library=lib, models=tiny_models)
    assert resumed.returncode == 0, resumed.stderr
    status = json.loads(run_cbir("status", "--json", library=lib, models=tiny_models).stdout)
    assert status["photos"] == 10 and status["indexed"] == {"tiny8": 10}
    assert status["problems"] == [] and status["failed"] == []
