"""Word spaces: the shipped word vectors, or a GloVe text file the user points us at.

Text search compares a query's word vector with each photo's projected vector, so
both must live in the same space. The shipped ConSE projection holds class vectors
from the shipped word vectors; for another space the same ONNX graph runs with its
`class_vectors` initializer replaced by class vectors built from that space, and a
photo's vector is re-projected from its stored top classes (the top-10 probabilities
are exactly what ConSE with T=10 uses), so no photo is decoded or re-embedded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import ModelLoadError
from ..storage.catalogue import WORDS
from ..types import TagScore
from ..words.vectors import WordVectors

log = logging.getLogger(__name__)

SHIPPED = "shipped"
CLASS_VECTORS = "class_vectors"  # the initializer name in the ConSE graph
# Weight of a class's readable name against each of its synonyms.
PRIMARY_NAME_WEIGHT = 2.0


@dataclass(frozen=True)
class WordSpace:
    """A word-vector space and the catalogue kind of photo vectors projected into it."""

    id: str
    words: WordVectors
    kind: str

    @property
    def shipped(self) -> bool:
        return self.id == SHIPPED


def shipped_space(path: Path) -> WordSpace:
    return WordSpace(SHIPPED, WordVectors.load(path), WORDS)


def glove_space(path: str | os.PathLike[str], cache_dir: Path) -> WordSpace:
    """Load a GloVe text file, through a compact cache in the library (seconds, not minutes)."""
    source = Path(path).expanduser().resolve()
    try:
        st = source.stat()
    except OSError as exc:
        raise ModelLoadError(f"Cannot read the word vectors file {source}: {exc.strerror}.") from exc
    stamp = hashlib.blake2b(f"{source}|{st.st_size}|{st.st_mtime_ns}".encode(), digest_size=4).hexdigest()
    space_id = f"{source.stem}-{stamp}"
    cached = cache_dir / f"{space_id}.npz"
    if cached.is_file():
        words = WordVectors.load(cached)
    else:
        log.info("Reading word vectors from %s (once; cached in %s)", source, cached)
        words = WordVectors.load_glove_text(source)
        cache_dir.mkdir(parents=True, exist_ok=True)
        words.save(cached)
    return WordSpace(space_id, words, f"{WORDS}:{space_id}")


def class_vectors(entries: Sequence[dict[str, object]], words: WordVectors) -> npt.NDArray[np.float32]:
    """One unit vector per class in `words`' space: the weighted mean of its names' vectors.

    The readable name counts double; synonyms count once; names with no known word are
    skipped, and a class with none gets a zero vector (ConSE then ignores it).
    """
    table = np.zeros((len(entries), words.dim), np.float32)
    for i, entry in enumerate(entries):
        name = str(entry.get("name", ""))
        listed = entry.get("synonyms")
        synonyms = [str(s) for s in listed] if isinstance(listed, list) else []
        total = np.zeros(words.dim, np.float32)
        for text, weight in [(name, PRIMARY_NAME_WEIGHT)] + [(s, 1.0) for s in synonyms if s != name]:
            vector = words.vector(text)
            if vector is not None:
                total += weight * vector
        norm = float(np.linalg.norm(total))
        if norm > 0:
            table[i] = total / norm
    return table


def logits_from_tags(tags: Sequence[TagScore], classes: int) -> npt.NDArray[np.float32]:
    """Logits whose softmax puts the stored top-class probabilities back in place.

    Classes outside the stored top ones get a probability of about 1e-13, so ConSE's
    top-T renormalisation sees the same weights as at indexing time.
    """
    logits = np.full(classes, -30.0, np.float32)
    for tag in tags:
        if 0 <= tag.index < classes:
            logits[tag.index] = np.log(max(tag.score, 1e-12))
    return logits


def read_label_entries(path: Path | None) -> list[dict[str, object]]:
    """The label file's entries (name and synonyms per class)."""
    if path is None:
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("classes", []) if isinstance(data, dict) else data
    return [e if isinstance(e, dict) else {"name": str(e)} for e in entries]
