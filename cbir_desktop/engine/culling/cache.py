"""Signatures for the photos a check needs: read from the catalogue when kept there for the
photo's current content, else worked out from the file (on a few threads: decoders release
the GIL) and kept, so the next search for duplicates decodes nothing it decoded before.

They are worked out lazily rather than at indexing: only candidates (photos with a close
neighbour, a small share of a library) are ever decoded, a library indexed before this
feature needs no new indexing run, and indexing stays as fast as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor

from ..errors import ImageUnreadable
from ..storage.catalogue import Catalogue
from ..storage.culling_rows import CopyFacts, StoredSignature, signatures_of, store_signatures
from .signature import SIGNATURE_VERSION, read_signature

STORE_EVERY = 200  # signatures per transaction: an interruption loses at most these

Progress = Callable[[int, int], None]


def signatures_for(catalogue: Catalogue, facts: dict[int, CopyFacts], photo_ids: Collection[int],
                   keep: bool = True, progress: Progress | None = None) -> dict[int, StoredSignature]:
    """The signatures of `photo_ids` (unreadable ones included, `readable` False); `keep`
    False (a read-only library) works them out without storing them."""
    wanted = sorted(pid for pid in photo_ids if pid in facts)
    stored = signatures_of(catalogue, wanted)
    found = {pid: s for pid, s in stored.items()
             if s.reader == SIGNATURE_VERSION and s.content_hash == facts[pid].content_hash}
    missing = [pid for pid in wanted if pid not in found]
    if not missing:
        return found
    with ThreadPoolExecutor(_threads(), thread_name_prefix="signature") as pool:
        for start in range(0, len(missing), STORE_EVERY):
            chunk = missing[start : start + STORE_EVERY]
            read = list(pool.map(lambda pid: _read(facts[pid]), chunk))
            if keep:
                with catalogue.transaction("signatures"):
                    store_signatures(catalogue, read)
            found.update((s.photo_id, s) for s in read)
            if progress is not None:
                progress(start + len(chunk), len(missing))
    return found


def _read(facts: CopyFacts) -> StoredSignature:
    try:
        s = read_signature(facts.path)
    except (ImageUnreadable, MemoryError):
        return StoredSignature(facts.id, SIGNATURE_VERSION, facts.content_hash, False)
    return StoredSignature(facts.id, SIGNATURE_VERSION, facts.content_hash, True, s.pixel_hash, s.grey, s.dct,
                           s.sharpness)


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))
