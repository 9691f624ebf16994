"""WordVectors against the shipped vectors file and small GloVe text files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from cbir_desktop.engine.errors import ModelLoadError
from cbir_desktop.engine.words.vectors import WordVectors, inflections, tokenize

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "models" / "word_vectors.npz"


@pytest.fixture(scope="module")
def wv() -> WordVectors:
    """The shipped file: the app needs it, so its absence fails rather than skips."""
    assert SHIPPED.exists(), "models/word_vectors.npz is missing (run models/build_words.py)"
    return WordVectors.load(SHIPPED)


# ------------------------------------------------------------------ shipped file
def test_shipped_file_loads_quickly(wv: WordVectors) -> None:
    start = time.perf_counter()
    again = WordVectors.load(SHIPPED)
    assert time.perf_counter() - start < 2.0  # ~0.1 s on a laptop; generous for CI
    assert again.dim == wv.dim == 300
    assert len(again) > 100_000
    assert again.meta["licence"] == "CC0-1.0"


def test_membership_is_case_insensitive(wv: WordVectors) -> None:
    assert "beach" in wv and "Beach" in wv and " DOG " in wv
    assert "qzxqzxq" not in wv
    assert 3 not in wv


def test_vector_is_unit_float32(wv: WordVectors) -> None:
    v = wv.vector("Beach")
    assert v is not None and v.dtype == np.float32 and v.shape == (300,)
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    assert np.allclose(v, wv.vector("beach"))


def test_beach_similar_words_are_seaside_words(wv: WordVectors) -> None:
    words = [w for w, _ in wv.similar("beach", 10)]
    assert len(words) == 10
    assert {"sea", "sand", "sandy", "ocean", "seaside", "shore", "coast", "coastline"} & set(words)
    assert "beach" not in words and "beaches" not in words  # no trivial echoes


def test_similar_scores_descend_and_skip_inflections(wv: WordVectors) -> None:
    hits = wv.similar("dog", 10)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0001 for s in scores)
    words = [w for w, _ in hits]
    assert "dog" not in words and "dogs" not in words
    assert {"puppy", "cat", "pet", "canine"} & set(words)
    assert len(set(words)) == len(words)
    cars = [w for w, _ in wv.similar("Cars", 10)]
    assert "car" not in cars and "cars" not in cars
    assert {"vehicle", "truck", "automobile"} & set(cars)


def test_phrase_vector_is_mean_of_known_tokens(wv: WordVectors) -> None:
    a, b = wv.vector("sandy"), wv.vector("beach")
    assert a is not None and b is not None
    expect = (a + b) / np.linalg.norm(a + b)
    got = wv.vector("Sandy  beach")
    assert got is not None and np.allclose(got, expect, atol=1e-5)
    # hyphens/underscores split words; unknown tokens are ignored
    assert np.allclose(wv.vector("sandy-beach"), expect, atol=1e-5)
    assert np.allclose(wv.vector("sandy_beach qzxqzxq"), expect, atol=1e-5)
    assert wv.known_tokens("sandy qzxqzxq beach") == ["sandy", "beach"]
    # a phrase is nearer to its own words than to an unrelated word
    assert float(got @ b) > float(got @ wv.vector("violin"))


def test_unknown_word_gives_none_and_spelling_help(wv: WordVectors) -> None:
    assert wv.vector("mountian") is None
    assert wv.vector("") is None
    assert wv.vector("!!! ---") is None
    assert wv.similar("mountian") == []
    assert wv.nearest_spellings("mountian", 5)[0] == "mountain"
    assert "sunflower" in wv.nearest_spellings("sunfower", 5)
    assert "restaurant" in wv.nearest_spellings("restaraunt", 5)
    assert "photo" in wv.nearest_spellings("phtoo", 5)
    assert wv.nearest_spellings("xyzzyq", 5) == []


def test_nearest_spellings_is_fast(wv: WordVectors) -> None:
    wv.nearest_spellings("warmup")
    start = time.perf_counter()
    for w in ("mountian", "beautifull", "gardn", "elefant"):
        wv.nearest_spellings(w, 5)
    assert time.perf_counter() - start < 2.0


def test_completions_most_common_first(wv: WordVectors) -> None:
    got = wv.completions("mou", 5)
    assert len(got) == 5 and all(w.startswith("mou") for w in got)
    assert "mountain" in got and "mouth" in got
    assert "beach" in wv.completions("Bea", 10)
    assert wv.completions("qzxqzxq") == []
    assert wv.completions("") == []
    # most common first: "the" outranks every other t-word
    assert wv.completions("t", 1) == ["the"]


def test_tokenize_and_inflections() -> None:
    assert tokenize("Sandy-beach_at  SUNSET, (Dog's)") == ["sandy", "beach", "at", "sunset", "dog"]
    assert {"dog", "dogs"} <= inflections("dog")
    assert {"berry", "berries"} <= inflections("berries")
    assert "leaves" in inflections("leaf")


# ------------------------------------------------------------------ GloVe text files
GLOVE_LINES = [
    "the 0.1 0.2 0.3 0.4",
    "beach 1.0 0.0 0.0 0.1",
    "sea 0.9 0.1 0.0 0.0",
    "sand 0.8 0.0 0.2 0.1",
    "beaches 0.95 0.0 0.0 0.1",
    "dog 0.0 1.0 0.0 0.0",
    "puppy 0.0 0.9 0.1 0.0",
    "violin 0.0 0.0 0.0 1.0",
    "Beach -5 -5 -5 -5",  # a later, rarer casing: the first one wins
    "123 1 1 1 1",  # not a word: dropped
]


def write_glove(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "glove.tiny.4d.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_glove_text_loader(tmp_path: Path) -> None:
    wv = WordVectors.load_glove_text(write_glove(tmp_path, GLOVE_LINES))
    assert wv.dim == 4
    assert len(wv) == 8
    assert "BEACH" in wv and "123" not in wv
    v = wv.vector("beach")
    assert v is not None
    assert np.allclose(v, np.array([1.0, 0.0, 0.0, 0.1]) / np.hypot(1.0, 0.1), atol=1e-6)
    words = [w for w, _ in wv.similar("beach", 3)]
    assert words == ["sea", "sand", "the"]  # "beaches" is an inflection, skipped
    assert wv.similar("dog", 1)[0][0] == "puppy"
    assert wv.completions("b") == ["beach", "beaches"]
    assert wv.nearest_spellings("pupy") == ["puppy"]


def test_save_round_trip(tmp_path: Path) -> None:
    """An imported GloVe file can be cached in the fast shipped format."""
    wv = WordVectors.load_glove_text(write_glove(tmp_path, GLOVE_LINES))
    out = tmp_path / "cache.npz"
    wv.save(out)
    back = WordVectors.load(out)
    assert len(back) == len(wv) and back.dim == 4
    assert np.allclose(back.vector("sand"), wv.vector("sand"), atol=1e-3)  # float16
    assert [w for w, _ in back.similar("beach", 3)] == ["sea", "sand", "the"]
    assert back.completions("b") == ["beach", "beaches"]
    assert back.most_common(2) == ["the", "beach"]
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_glove_text_loader_skips_words_with_spaces(tmp_path: Path) -> None:
    # glove.840B has a few multi-token "words"; they are not lookup words, so skipped
    wv = WordVectors.load_glove_text(write_glove(tmp_path, [*GLOVE_LINES, ". . . 1 2 3 4"]))
    assert len(wv) == 8


def test_glove_text_loader_header_and_limit(tmp_path: Path) -> None:
    path = write_glove(tmp_path, ["8 4", *GLOVE_LINES[:8]])  # word2vec-style header
    wv = WordVectors.load_glove_text(path, max_words=3)
    assert len(wv) == 3 and "sea" in wv and "sand" not in wv


def test_glove_text_loader_many_lines(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n, dim = 30_000, 50
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    words = ["w" + "".join(chr(97 + i // 26**p % 26) for p in range(4)) for i in range(n)]
    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as f:
        for w, v in zip(words, vecs, strict=True):
            f.write(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n")
    wv = WordVectors.load_glove_text(path)
    assert len(wv) == n and wv.dim == dim
    got = wv.vector(words[12345])
    want = vecs[12345] / np.linalg.norm(vecs[12345])
    assert got is not None and np.allclose(got, want, atol=1e-4)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("sea 0.9 0.1 0.0", "line 3: expected a word and 4 numbers, found 3"),
        ("sea 0.9 0.1 0.0 0.0 0.5", "line 3: expected a word and 4 numbers, found 5"),
        ("sea 0.9 0.1 zero 0.0", "line 3: 'zero' is not a number"),
        ("sea 0.9 0.1 nan 0.0", "line 3: 'nan' is not a finite number"),
    ],
)
def test_glove_text_loader_names_malformed_line(tmp_path: Path, bad: str, message: str) -> None:
    lines = list(GLOVE_LINES)
    lines[2] = bad
    path = write_glove(tmp_path, lines)
    with pytest.raises(ModelLoadError, match=message) as err:
        WordVectors.load_glove_text(path)
    assert str(path) in str(err.value)


def test_missing_files_raise_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        WordVectors.load(tmp_path / "nope.npz")
    with pytest.raises(ModelLoadError):
        WordVectors.load_glove_text(tmp_path / "nope.txt")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError):
        WordVectors.load(junk)


def test_a_clear_misspelling_is_respelt_to_search_at_once(wv: WordVectors) -> None:
    from cbir_desktop.engine.words.spelling import respell

    assert respell(wv, "sunflwer").best == "sunflower"
    assert respell(wv, "red sunflwer").best == "red sunflower"  # known words stay as typed
    assert respell(wv, "mountian").suggestions[0] == "mountain"


def test_two_equally_close_spellings_are_offered_not_chosen(wv: WordVectors) -> None:
    from cbir_desktop.engine.words.spelling import respell

    unclear = respell(wv, "airplan")  # airplane and airplay are one edit away each
    assert unclear.best is None
    assert unclear.suggestions[:2] == ["airplane", "airplay"]
    assert respell(wv, "qwxz").suggestions == [] and respell(wv, "qwxz").best is None
