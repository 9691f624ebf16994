"""Repairing a library's catalogue: a damaged one is rebuilt from its backups and what is
still readable in it; a sound one keeps everything and only loses its derived records,
so the next indexing run rebuilds every index and learned model from it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..files import replacing
from .backups import back_up, backups, is_good, salvage
from .catalogue import Catalogue


@dataclass
class RepairReport:
    """What `cbir repair` found and did."""

    damaged: bool = False
    problems: list[str] = field(default_factory=list)
    kept_aside: str = ""  # where the damaged catalogue was moved (never deleted)
    rows: dict[str, int] = field(default_factory=dict)  # rows in the repaired catalogue
    unreadable: dict[str, int] = field(default_factory=dict)
    backups_used: list[str] = field(default_factory=list)


def catalogue_problems(path: Path) -> list[str]:
    """What is wrong with the catalogue file, as SQLite's checks say it ([] when sound)."""
    if path.stat().st_size == 0:
        return ["the file is empty"]
    try:
        catalogue = Catalogue(path, readonly=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding itself
        return [str(exc.__cause__ or exc)]
    try:
        return _one_line_each(catalogue.problems(quick=False))
    finally:
        catalogue.close()


def _one_line_each(problems: list[str]) -> list[str]:
    """SQLite's integrity report as one line per finding (it packs several into one row)."""
    lines = [line.strip() for problem in problems for line in problem.splitlines()]
    return [line for line in lines if line and not line.startswith("***")]


def repair_catalogue(path: Path, backup_folder: Path) -> RepairReport:
    """Rebuild a damaged catalogue (keeping the damaged file aside), or clear the derived
    records of a sound one. The caller holds the library's writer lock."""
    report = RepairReport(problems=catalogue_problems(path))
    if not report.problems:
        back_up(path, backup_folder)
        catalogue = Catalogue(path)
        try:
            catalogue.clear_derived()
        finally:
            catalogue.close()
        return report
    report.damaged = True
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):  # SQLite reads a database's WAL beside it, by name
        extra = Path(f"{path}{suffix}")
        if extra.exists():
            os.replace(extra, Path(f"{aside}{suffix}"))
    report.kept_aside = str(aside)
    good = [b for b in backups(backup_folder) if is_good(b)]
    with replacing(path) as tmp:
        salvaged = salvage(aside, good, tmp)
    report.rows, report.unreadable, report.backups_used = salvaged.rows, salvaged.unreadable, salvaged.backups_used
    return report
