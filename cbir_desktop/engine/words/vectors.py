"""Word vectors for text search: phrase vectors, similar words, spelling help, completions.

The shipped file (``models/word_vectors.npz``, built by ``models/build_words.py``) holds
spaCy's en_core_web_md vectors (CC0); a standard GloVe text file can be loaded instead.
Numpy only, so the engine stays free of Qt and heavy NLP libraries.
"""

from __future__ import annotations

import bisect
import difflib
import io
import json
import os
import re
import zipfile
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from ..errors import ModelLoadError
from ..files import write_atomic

Vector = npt.NDArray[np.float32]

FORMAT = "cbir-word-vectors"
FORMAT_VERSION = 1

# Lookup words: lower-case Latin letters (accents allowed), no digits or punctuation.
_WORD_RE = re.compile(r"[a-zà-öø-ÿ]+")
MAX_WORD_LEN = 20
# Query tokens are split on whitespace, hyphens and underscores; surrounding punctuation goes.
_SPLIT_RE = re.compile(r"[\s\-_/]+")
_STRIP = ".,;:!?\"'()[]{}<>*#&+=|\\`~"
# Spelling suggestions come from the most common words only, so they are real words.
SPELLING_POOL = 60_000


def is_lookup_word(word: str) -> bool:
    """True for a word the vocabulary keeps: 2 to MAX_WORD_LEN lower-case letters (single
    letters are mostly split-off junk such as the "t" of "don't")."""
    return 2 <= len(word) <= MAX_WORD_LEN and _WORD_RE.fullmatch(word) is not None


def tokenize(text: str) -> list[str]:
    """Lower-case tokens of a query; hyphens/underscores split words ("sea-side" -> 2)."""
    out = []
    for tok in _SPLIT_RE.split(text.lower()):
        tok = tok.strip(_STRIP)
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok:
            out.append(tok)
    return out


def inflections(word: str) -> set[str]:
    """The word with its simple plural/singular forms, so "similar" skips trivial echoes."""
    w = word.lower()
    forms = {w, w + "s", w + "es"}
    if w.endswith("s") and len(w) > 2:
        forms.add(w[:-1])
    if w.endswith("es") and len(w) > 3:
        forms.add(w[:-2])
    if w.endswith("y") and len(w) > 2:
        forms.add(w[:-1] + "ies")
    if w.endswith("ies") and len(w) > 4:
        forms.add(w[:-3] + "y")
    if w.endswith(("f", "fe")):  # leaf/leaves, knife/knives
        forms.add(w.rstrip("e")[:-1] + "ves")
    if w.endswith("ves") and len(w) > 4:
        forms.update({w[:-3] + "f", w[:-3] + "fe"})
    return forms


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _normalise_rows(m: npt.NDArray[np.floating]) -> Vector:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: npt.NDArray[np.float32] = m / norms
    return unit


def _edit_distance(a: str, b: str, cap: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours);
    stops early and returns cap + 1 once every alignment costs more than `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


class WordVectors:
    """A vocabulary mapped onto unit vectors, with "representative" words for similarity.

    Several vocabulary words may share one vector row (the shipped vectors are pruned);
    each row has at most one representative word, which is what `similar` returns.
    """

    def __init__(
        self,
        vectors: npt.NDArray[np.floating],
        words: Sequence[str],
        rows: npt.NDArray[np.integer],
        rank: npt.NDArray[np.integer],
        row_word: npt.NDArray[np.integer],
        meta: dict[str, Any] | None = None,
        unit: bool = False,
    ) -> None:
        """Use `load` or `load_glove_text`; `words` must be sorted, `rank` 0 = most common.

        `unit=True` says the rows are already unit length (skips a pass over the matrix).
        """
        if unit:
            self._vectors = np.asarray(vectors, dtype=np.float32)
        else:
            self._vectors = _normalise_rows(vectors)
        self._words = list(words)
        self._rows = np.asarray(rows, dtype=np.int64)
        self._rank = np.asarray(rank, dtype=np.int64)
        row_word = np.asarray(row_word, dtype=np.int64)
        self._row_owner = row_word
        rep_rows = np.flatnonzero(row_word >= 0)
        self._rep_rows = rep_rows
        self._rep_words = [self._words[i] for i in row_word[rep_rows]]
        self._rep_matrix = self._vectors[rep_rows]
        self.meta = dict(meta or {})
        self._buckets: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WordVectors:
        """Load the shipped .npz (fast: no pickles, vectors widened to float32 once)."""
        path = os.fspath(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                if meta.get("format") != FORMAT or meta.get("version", 0) > FORMAT_VERSION:
                    raise ModelLoadError(
                        f"{path} is not a word-vector file this program can read "
                        f"(format {meta.get('format')!r} version {meta.get('version')})."
                    )
                words = bytes(z["words"]).decode("utf-8").split("\n")
                return cls(
                    z["vectors"], words, z["rows"], z["rank"], z["row_word"], meta, unit=True
                )
        except ModelLoadError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise ModelLoadError(
                f"Cannot load word vectors from {path}: {exc}. Reinstall the program "
                f"or rebuild the file with models/build_words.py."
            ) from exc

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the compact format `load` reads (e.g. to cache an imported GloVe file).

        An .npz without pickles: float16 unit vectors stored uncompressed (they barely
        compress and inflating them would slow start-up), the sorted word list as one
        newline-joined UTF-8 array, and per-word row and frequency rank.  Written to a
        temporary file and renamed, so a crash never leaves half a file.
        """
        path = os.fspath(path)
        meta = {**self.meta, "format": FORMAT, "version": FORMAT_VERSION, "dim": self.dim}
        n_rows = len(self._vectors)
        arrays = {
            "vectors": self._vectors.astype(np.float16),
            "words": np.frombuffer("\n".join(self._words).encode("utf-8"), dtype=np.uint8),
            "rows": self._rows.astype(np.uint16 if n_rows <= 65536 else np.int32),
            "rank": self._rank.astype(np.int32),
            "row_word": self._row_owner.astype(np.int32),
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        }
        def write(handle: BinaryIO) -> None:
            with zipfile.ZipFile(handle, "w") as zf:
                for name, arr in arrays.items():
                    member = io.BytesIO()
                    np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
                    info = zipfile.ZipInfo(name + ".npy", date_time=(2024, 1, 1, 0, 0, 0))
                    info.compress_type = (
                        zipfile.ZIP_STORED if name == "vectors" else zipfile.ZIP_DEFLATED
                    )
                    zf.writestr(info, member.getvalue())

        write_atomic(path, write)

    @classmethod
    def load_glove_text(  # noqa: C901 - a tolerant parser: each branch is one kind of bad line
        cls,
        path: str | os.PathLike[str],
        max_words: int | None = None,
        encoding: str = "utf-8",
    ) -> WordVectors:
        """Load a GloVe text file (``word f1 f2 ...`` per line, most common words first).

        Parses blocks of lines with numpy's C parser (glove.6B.300d, 1 GB, in roughly
        15 s), so save() the result and load() that next time.  A word2vec-style
        "count dim" header is skipped; tokens that are not plain lower-case words (and
        later duplicates after lower-casing) are dropped; `max_words` reads the first N
        vectors.  A malformed line raises ModelLoadError naming the file and line.
        """
        path = os.fspath(path)
        words: list[str] = []
        blocks: list[Vector] = []
        seen: set[str] = set()
        dim = 0
        line_no = 0
        taken = 0
        try:
            f = open(path, encoding=encoding, errors="strict")
        except OSError as exc:
            raise ModelLoadError(f"Cannot open GloVe file {path}: {exc}.") from exc
        with f:
            while max_words is None or taken < max_words:
                try:
                    raw = f.readlines(1 << 24)
                except (OSError, UnicodeDecodeError) as exc:
                    raise ModelLoadError(
                        f"{path}, after line {line_no}: cannot read the file as {encoding} "
                        f"text ({exc})."
                    ) from exc
                if not raw:
                    break
                numbered = [(line_no + 1 + i, ln) for i, ln in enumerate(raw) if ln.strip()]
                line_no += len(raw)
                if dim == 0 and numbered:
                    head = numbered[0][1].split()
                    if len(head) == 2 and all(p.isdigit() for p in head):
                        numbered = numbered[1:]  # word2vec header
                    if not numbered:
                        continue
                    dim = len(numbered[0][1].split()) - 1
                    if dim < 1:
                        raise ModelLoadError(
                            f"{path}, line {numbered[0][0]}: expected a word followed by "
                            f"numbers."
                        )
                if max_words is not None:
                    numbered = numbered[: max_words - taken]
                taken += len(numbered)
                block_words, block = cls._parse_glove_block(path, numbered, dim)
                keep = []
                for i, w in enumerate(block_words):
                    w = w.lower()
                    if is_lookup_word(w) and w not in seen:
                        seen.add(w)
                        keep.append(i)
                        words.append(w)
                blocks.append(_normalise_rows(block[keep]))
        if not words:
            raise ModelLoadError(f"{path} holds no usable word vectors.")
        vectors = np.concatenate(blocks)
        order = sorted(range(len(words)), key=words.__getitem__)
        sorted_words = [words[i] for i in order]
        rows = np.asarray(order, dtype=np.int64)  # sorted index -> vector row (= rank)
        row_word = np.empty(len(words), dtype=np.int64)
        row_word[rows] = np.arange(len(words))
        meta = {"format": "glove-text", "source": path, "dim": int(dim)}
        return cls(vectors, sorted_words, rows, rows.copy(), row_word, meta, unit=True)

    @staticmethod
    def _parse_glove_block(
        path: str, numbered: list[tuple[int, str]], dim: int
    ) -> tuple[list[str], Vector]:
        """Words and a [n, dim] float32 block; one C-level parse, line by line on trouble."""
        words, rests = [], []
        for _, ln in numbered:
            word, _, rest = ln.rstrip().partition(" ")
            words.append(word)
            rests.append(rest)
        try:
            block = np.loadtxt(
                rests, dtype=np.float32, delimiter=" ", comments=None, quotechar=None, ndmin=2
            )
            if block.shape == (len(rests), dim) and np.isfinite(block).all():
                return words, block
        except ValueError:
            pass
        # slow path: find the bad line, or accept words that contain spaces (glove.840B)
        words, block = [], np.empty((len(numbered), dim), dtype=np.float32)
        for i, (no, ln) in enumerate(numbered):
            parts = ln.rstrip().split(" ")
            where = f"{path}, line {no}"
            if len(parts) - 1 < dim or (len(parts) - 1 > dim and _is_number(parts[1])):
                raise ModelLoadError(
                    f"{where}: expected a word and {dim} numbers, found {len(parts) - 1}."
                )
            words.append(" ".join(parts[:-dim]))
            for j, tok in enumerate(parts[-dim:]):
                try:
                    val = float(tok)
                except ValueError:
                    raise ModelLoadError(f"{where}: {tok[:30]!r} is not a number.") from None
                if not np.isfinite(val):
                    raise ModelLoadError(f"{where}: {tok!r} is not a finite number.")
                block[i, j] = val
        return words, block

    # ----------------------------------------------------------------- queries
    def _lookup(self, word: str) -> int | None:
        """Index of `word` in the sorted vocabulary (binary search: no 250k-entry dict)."""
        i = bisect.bisect_left(self._words, word)
        if i < len(self._words) and self._words[i] == word:
            return i
        return None

    @property
    def dim(self) -> int:
        """Vector width (300 for the shipped vectors); must match the image projection."""
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        """Case-insensitive vocabulary test for a single word."""
        return isinstance(word, str) and self._lookup(word.lower().strip()) is not None

    def has_own_vector(self, word: str) -> bool:
        """False for a rare word that was given a frequent neighbour's vector (pruned
        vectors: e.g. "tench" shares "stink"'s row), so callers can trust it less."""
        i = self._lookup(word.lower().strip())
        return i is not None and self._row_owner[self._rows[i]] == i

    def known_tokens(self, text: str) -> list[str]:
        """The query's tokens that have vectors (to tell the user what was understood)."""
        return [t for t in tokenize(text) if self._lookup(t) is not None]

    def vector(self, text: str) -> Vector | None:
        """Unit vector of a word or phrase (mean of known tokens); None if none is known."""
        idx = [self._lookup(t) for t in tokenize(text)]
        rows = [self._rows[i] for i in idx if i is not None]
        if not rows:
            return None
        v = self._vectors[rows].mean(axis=0)
        n = float(np.linalg.norm(v))
        if n == 0.0:
            return None
        mean: npt.NDArray[np.float32] = (v / n).astype(np.float32)
        return mean

    def similar(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """Nearest representative words by cosine, skipping the query and its plurals.

        Rows the query's own words sit on are skipped too: with pruned vectors a rare word
        shares a row with another word ("dalmatian" with "croatian"), an alias, not a match.
        """
        q = self.vector(text)
        if q is None or k <= 0:
            return []
        banned: set[str] = set()
        banned_rows: set[int] = set()
        for tok in tokenize(text):
            banned |= inflections(tok)
            i = self._lookup(tok)
            if i is not None:
                banned_rows.add(int(self._rows[i]))
        scores = self._rep_matrix @ q
        take = min(len(scores), k + len(banned) + len(banned_rows) + 8)
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        out: list[tuple[str, float]] = []
        for i in top:
            w = self._rep_words[i]
            if w in banned or int(self._rep_rows[i]) in banned_rows:
                continue
            out.append((w, float(scores[i])))
            if len(out) == k:
                break
        return out

    def nearest_spellings(self, word: str, k: int = 5) -> list[str]:
        """Common words spelt most like `word`, best first (see `spelling_candidates`)."""
        return [c for _, c in self.spelling_candidates(word, k)]

    def spelling_candidates(self, word: str, k: int = 5) -> list[tuple[int, str]]:
        """(edit distance, word) of the common words spelt most like `word` (for "did you
        mean"), best first.

        Candidates are common words of similar length sharing the first or the second
        letter (so a wrong first letter is still found), screened with difflib's cheap
        ratios; survivors are ranked by edit distance (a swap of two letters counts as one
        edit), then by how common the word is, so "mountian" gives "mountain".
        """
        w = word.lower().strip()
        if not w or k <= 0:
            return []
        first, second = self._spelling_buckets()
        lo, hi = len(w) - 2, len(w) + 2
        pool = set(first.get(w[0], ()))
        if len(w) > 1:
            pool.update(second.get(w[1], ()))
        sm = difflib.SequenceMatcher()
        sm.set_seq2(w)
        max_d = 1 if len(w) <= 4 else 2
        scored = []
        for c in pool:
            if c == w or not lo <= len(c) <= hi:
                continue
            # d edits leave at least max(len) - d letters in common, so a lower
            # letter-overlap ratio cannot be within max_d: skip the costly distance
            floor = 1.0 - 2.0 * max_d / (len(w) + len(c)) - 1e-9
            sm.set_seq1(c)
            if sm.real_quick_ratio() < floor or sm.quick_ratio() < floor:
                continue
            d = _edit_distance(w, c, max_d)
            if d <= max_d:
                scored.append((d, int(self._rank[self._lookup(c)]), c))
        scored.sort()
        return [(d, c) for d, _, c in scored[:k]]

    def _spelling_buckets(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Common words bucketed by first and by second letter (built on first use)."""
        if self._buckets is None:
            pool_idx = np.argsort(self._rank, kind="stable")[:SPELLING_POOL]
            first: dict[str, list[str]] = {}
            second: dict[str, list[str]] = {}
            for i in pool_idx:
                w = self._words[i]
                first.setdefault(w[0], []).append(w)
                second.setdefault(w[1], []).append(w)
            self._buckets = (first, second)
        return self._buckets

    def completions(self, prefix: str, k: int = 10) -> list[str]:
        """Vocabulary words that start with `prefix`, most common first (for a search box)."""
        p = prefix.lower().strip()
        if not p or k <= 0:
            return []
        lo = bisect.bisect_left(self._words, p)
        hi = bisect.bisect_left(self._words, p + "\U0010ffff", lo)
        if lo == hi:
            return []
        ranks = self._rank[lo:hi]
        if hi - lo > k:
            part = np.argpartition(ranks, k - 1)[:k]
        else:
            part = np.arange(hi - lo)
        part = part[np.argsort(ranks[part], kind="stable")]
        return [self._words[lo + int(i)] for i in part]

    def most_common(self, n: int) -> list[str]:
        """The n most frequent vocabulary words, most frequent first."""
        order = np.argsort(self._rank, kind="stable")[: max(0, n)]
        return [self._words[int(i)] for i in order]

    def __repr__(self) -> str:
        return f"WordVectors({len(self._words)} words, {len(self._vectors)} vectors, dim={self.dim})"

