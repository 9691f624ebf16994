"""Derived state heals itself: what can be rebuilt from the catalogue is checked and rebuilt.

Vector indexes and learned models are recorded in the catalogue's `derived` table
only once complete (with the catalogue state they were built from and their sizes).
At the start of every indexing run, under the writer lock: temporary files a killed
run left behind are removed, and every index or learned model that is missing,
unrecorded, partial or damaged is rebuilt (stale ones, missing only the newest
photos, are rebuilt at the end of the run as usual). Searches meanwhile use only what
checks out (exact search, zero-shot words), so they never wait and never crash.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .files import remove_orphan
from .handles import LibraryHandles
from .learning.learner import Learner
from .models.embedder import Embedder

log = logging.getLogger(__name__)


def remove_temp_files(root: Path) -> int:
    """Delete the temporary files of runs that died (their process is gone)."""
    return sum(remove_orphan(path) for path in root.rglob(".*.tmp"))


def problems(handles: LibraryHandles, learner: Learner, embedder: Embedder) -> list[str]:
    """What is damaged or unfinished in the derived state, as sentences (never writes)."""
    found = []
    cat = handles.catalogue
    for kind, dim in cat.kinds_of(embedder.id):
        index = handles.vector_index(embedder.id, kind, dim)
        if index.is_stale(cat) and index.problem:
            found.append(f"The {kind} index of {embedder.id} needs rebuilding: {index.problem}.")
    faces = handles.face_index()
    if faces.path.exists() and faces.is_stale(cat) and "damaged" in faces.problem:
        found.append(f"The face index needs rebuilding: {faces.problem}.")
    reason = learner.needs_healing(embedder)
    if reason:
        found.append(f"Text search for {embedder.id} needs relearning: {reason}.")
    return found


def heal(handles: LibraryHandles, learner: Learner, embedder: Embedder) -> list[str]:
    """Rebuild whatever derived state of `embedder` is unsound; returns what was rebuilt."""
    remove_temp_files(handles.root)
    healed = []
    reason = learner.needs_healing(embedder)
    if reason:
        log.info("Relearning text search for %s: %s", embedder.id, reason)
        learner.train(embedder)
        healed.append(f"learned text search ({reason})")
    cat = handles.catalogue
    for kind, dim in cat.kinds_of(embedder.id):
        index = handles.vector_index(embedder.id, kind, dim)
        if index.is_stale(cat) and index.problem:  # merely stale ones are rebuilt after indexing
            healed.append(f"{kind} index ({index.problem})")
            index.rebuild(cat)
    faces = handles.face_index()
    if faces.is_stale(cat) and "damaged" in faces.problem:  # merely behind: the faces step rebuilds it
        healed.append(f"face index ({faces.problem})")
        faces.rebuild(cat)
    return healed
