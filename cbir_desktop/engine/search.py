"""Turning queries (an image file, a word or phrase) into ranked photos and words."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .catalogue import FEATURES, WORDS, Catalogue, PhotoRow
from .decode import decode_photo
from .embedder import BatchEmbedding, Embedder, l2_normalise
from .errors import EngineError, UnknownWord
from .preprocess import to_model_input
from .types import SearchHit, TagScore, WordHit
from .vector_index import VectorIndex
from .words import WordVectors

# Tags shown on a result: the photo's top classes above this confidence.
RESULT_TAG_MIN_SCORE = 0.05
RESULT_TAGS = 3


def embed_file(
    catalogue: Catalogue, embedder: Embedder, path: str
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None, list[TagScore] | None]:
    """Vectors of an image file: from the catalogue when it is an unchanged library photo.

    Returns (features, words, tags); `tags` is None when read from the catalogue
    and must be looked up there.
    """
    path = os.path.abspath(path)
    row = catalogue.photo_by_path(path)
    if row is not None and _unchanged(row, path):
        features = catalogue.vector_of(row.id, embedder.id, FEATURES)
        if features is not None:
            return features, catalogue.vector_of(row.id, embedder.id, WORDS), None
    embedded = embed_image(embedder, path)
    tags = embedder.tags(embedded.logits[0]) if embedded.logits is not None else []
    words = embedded.words[0] if embedded.words is not None else None
    return embedded.features[0], words, tags


def embed_image(embedder: Embedder, path: str) -> BatchEmbedding:
    """Decode and embed one image file that need not be in the library."""
    photo = decode_photo(path, min_side=embedder.spec.input_size)
    tensor = to_model_input(photo.image, embedder.spec.input_size, embedder.spec.resize)
    return embedder.embed_one(tensor)


def _unchanged(row: PhotoRow, path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == row.size and st.st_mtime_ns == row.mtime_ns


def hits_for(
    catalogue: Catalogue, model_id: str, scored: Sequence[tuple[int, float]]
) -> list[SearchHit]:
    """Attach paths, sizes and tags to (photo_id, score) pairs in one query each."""
    ids = [photo_id for photo_id, _ in scored]
    rows = catalogue.photos_by_ids(ids)
    tags = catalogue.tags_of(ids, model_id)
    hits = []
    for photo_id, score in scored:
        row = rows.get(photo_id)
        if row is None:
            continue
        shown = tuple(t for t, s in tags.get(photo_id, [])[:RESULT_TAGS] if s >= RESULT_TAG_MIN_SCORE)
        hits.append(SearchHit(row.path, round(float(score), 6), shown, row.id, row.size,
                              row.mtime_ns / 1e9, row.width, row.height))
    return hits


def search_vector(
    catalogue: Catalogue, index: VectorIndex, query: npt.NDArray[np.float32], k: int
) -> list[SearchHit]:
    return hits_for(catalogue, index.model_id, index.search(catalogue, query, k))


def text_query_vector(words: WordVectors, text: str) -> npt.NDArray[np.float32]:
    """The word vector of a word or phrase, or `UnknownWord` with spelling suggestions."""
    vector = words.vector(text)
    if vector is None:
        first = text.strip().split()[0] if text.strip() else text
        raise UnknownWord(text, words.nearest_spellings(first, 3) if first else [])
    return l2_normalise(np.asarray(vector, dtype=np.float32))


def similar_words(words: WordVectors, word: str, k: int) -> list[WordHit]:
    if words.vector(word) is None:
        first = word.strip().split()[0] if word.strip() else word
        raise UnknownWord(word, words.nearest_spellings(first, 3) if first else [])
    return [WordHit(w, round(float(s), 6)) for w, s in words.similar(word, k)]


def require_words(embedder: Embedder) -> None:
    if not embedder.word_dim:
        raise EngineError(
            f"Model {embedder.id} has no word projection, so it cannot search by word; "
            "choose a model with a classifier head."
        )
