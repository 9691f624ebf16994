"""Moving photos to the system trash (recoverable: never a permanent delete) and taking them
out of the catalogue, as the indexer does when a file disappears (`Catalogue.delete_photos`:
vectors, tags, metadata, faces and signatures go with the row; the user's tag decisions stay,
kept by content, and come back if the file is restored and indexed again)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..storage.catalogue import Catalogue
from ..types import Failure, TrashReport


def trash_photos(catalogue: Catalogue, paths: Sequence[str]) -> TrashReport:
    """Send each file to the trash, then drop the ones moved from the library (one transaction).
    A file that cannot be moved (no trash on its drive, no permission) stays, and stays in the
    library; a file already gone leaves the library as at the next indexing run."""
    from send2trash import send2trash  # here, not at the top: only trashing needs it (the export venv lacks it)

    moved: list[str] = []
    failed: list[Failure] = []
    for path in paths:
        full = os.path.abspath(path)
        try:
            send2trash(full)
        except FileNotFoundError:
            moved.append(full)
        except OSError as exc:  # send2trash's TrashPermissionError is an OSError too
            failed.append(Failure(full, exc.strerror or str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a platform backend may raise anything: say so, delete nothing
            failed.append(Failure(full, str(exc)))
            continue
        else:
            moved.append(full)
    with catalogue.transaction("trash"):
        rows = [catalogue.photo_by_path(path) for path in moved]
        catalogue.delete_photos(row.id for row in rows if row is not None)
    return TrashReport(tuple(moved), tuple(failed))
