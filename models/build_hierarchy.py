#!/usr/bin/env python3
"""Build `word_classes.npz`: which ImageNet classes an English noun covers, through WordNet.

ImageNet-1k's classes are WordNet 3.0 noun synsets, so a word whose noun senses have
classes below them in the hyponym tree ("dog" -> 118 breeds, "vehicle", "food") can
score a photo by the probability mass of those classes (engine/words/hierarchy.py).
WordNet is read only here, from Debian's `wordnet-base` (`apt-get install wordnet-base`;
files in /usr/share/wordnet); the app ships the small asset this writes, so nothing new
is needed at run time. nltk is not used: data.noun/index.noun are parsed below.

The asset holds:
  lemmas, starts, classes, weights   each noun lemma (underscores -> spaces) that reaches
                                     classes, its classes and their weights (CSR):
                                     SENSE_WEIGHTS by sense rank; a lemma whose first senses
                                     reach none borrows the classes of its nearest hypernym
                                     that reaches a few (at most NEAR_MAX), weighted down by
                                     NEAR_DECAY per level up (soft match: "puppy", "kitten")
  exceptions                         irregular plurals from noun.exc ("geese goose") whose
                                     base form is a lemma above
  feature_scale, model_sha256        the scale baked into the head below, and the model
                                     file the head belongs to

and `imagenet_head.onnx`: EfficientNet-Lite0's classifier head as a small graph (float16
weights cast at load, Gemm, Softmax), so class probabilities come from the catalogue's
stored unit features without decoding photos again. The stored features are unit length,
the model's are not: the weights are multiplied by feature_scale, the mean norm of the
pooled features (14.8 on 96 Caltech photos, std 2.2; top-1 class equal on all of them).
It runs in onnxruntime on one thread: 2.4 ms for 120 photos where numpy's threaded product
took 50-150 ms with the two cores loaded.

    apt-get install -y wordnet-base && .venv/bin/python models/build_hierarchy.py
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from cbir_desktop.engine.files import write_atomic  # noqa: E402 - the repository goes on sys.path first
from models.class_heads import classifier_head, head_graph  # noqa: E402 - shared with export.py

WORDNET = Path("/usr/share/wordnet")
OUT_FILE = "word_classes.npz"
HEAD_FILE = "imagenet_head.onnx"
MODEL_FILE = "efficientnet_lite0.onnx"
SENSE_WEIGHTS = (1.0, 0.6, 0.4)  # first three noun senses, the most common first
NEAR_MAX = 60  # a hypernym reaching more classes than this is too broad to borrow
NEAR_LEVELS = 2  # how far up a soft match may climb
NEAR_DECAY = 0.5  # weight per level climbed
FEATURE_SCALE = 14.8  # mean norm of Lite0's pooled features (see the docstring)
FORMAT = "cbir-word-classes v1"


def synsets(data_noun: Path) -> Iterator[tuple[int, list[str], list[int], list[int]]]:
    """(offset, words, hyponym offsets, hypernym offsets) of each noun synset."""
    for line in data_noun.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):  # the licence header
            continue
        fields = line.split(" | ")[0].split()
        offset, count = int(fields[0]), int(fields[3], 16)
        words = [fields[4 + 2 * i] for i in range(count)]
        at = 4 + 2 * count
        pointers = int(fields[at])
        hypo, hyper = [], []
        for i in range(pointers):
            symbol, target, pos = fields[at + 1 + 4 * i: at + 4 + 4 * i]
            if pos != "n":
                continue
            if symbol in ("~", "~i"):
                hypo.append(int(target))
            elif symbol in ("@", "@i"):
                hyper.append(int(target))
        yield offset, words, hypo, hyper


def senses(index_noun: Path) -> Iterator[tuple[str, list[int]]]:
    """(lemma, synset offsets most common sense first) of each noun in index.noun."""
    for line in index_noun.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split()
        count, pointers = int(fields[2]), int(fields[3])
        yield fields[0], [int(f) for f in fields[6 + pointers: 6 + pointers + count]]


def closure(hyponyms: dict[int, list[int]], own: dict[int, int]) -> dict[int, frozenset[int]]:
    """Each synset's ImageNet classes: its own and every hyponym's, however deep."""
    below: dict[int, frozenset[int]] = {}

    def visit(offset: int) -> frozenset[int]:
        if offset not in below:
            below[offset] = frozenset()  # a guard against cycles (WordNet has none)
            found = {own[offset]} if offset in own else set()
            for child in hyponyms.get(offset, ()):
                found |= visit(child)
            below[offset] = frozenset(found)
        return below[offset]

    sys.setrecursionlimit(100_000)
    for offset in hyponyms:
        visit(offset)
    return below


def word_classes(index: list[tuple[str, list[int]]], below: dict[int, frozenset[int]],
                 hypernyms: dict[int, list[int]]) -> dict[str, dict[int, float]]:
    """Each lemma's classes with weights: by sense rank, or borrowed from a near hypernym."""
    found: dict[str, dict[int, float]] = {}
    for lemma, offsets in index:
        weights: dict[int, float] = {}
        for rank, offset in enumerate(offsets[:len(SENSE_WEIGHTS)]):
            for cls in below.get(offset, ()):
                weights[cls] = max(weights.get(cls, 0.0), SENSE_WEIGHTS[rank])
        if not weights and offsets:
            weights = _near(offsets[0], below, hypernyms)
        if weights:
            found[lemma.replace("_", " ")] = weights
    return found


def _near(offset: int, below: dict[int, frozenset[int]], hypernyms: dict[int, list[int]]) -> dict[int, float]:
    """The classes of the nearest hypernym (NEAR_LEVELS up at most) that reaches a few."""
    level, frontier = 1, hypernyms.get(offset, [])
    while frontier and level <= NEAR_LEVELS:
        reached = [below.get(h, frozenset()) for h in frontier]
        usable = [r for r in reached if 0 < len(r) <= NEAR_MAX]
        if usable:
            return {cls: NEAR_DECAY ** level for r in usable for cls in r}
        if any(reached):  # the classes above are too many: a guess that broad helps nothing
            return {}
        frontier = [g for h in frontier for g in hypernyms.get(h, [])]
        level += 1
    return {}


def _record(path: Path, lemmas: int) -> None:
    """Put the asset in manifest.json (read-modify-write of its own key only)."""
    manifest = HERE / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["word_classes"] = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "head": {"file": HEAD_FILE, "sha256": hashlib.sha256((HERE / HEAD_FILE).read_bytes()).hexdigest(),
                 "input": {"name": "features", "dim": 1280}, "output": {"name": "probabilities", "dim": 1000},
                 "opset": 17},
        "format": FORMAT,
        "lemmas": lemmas,
        "model": "efficientnet-lite0",
        "label_set": "imagenet-1k",
        "recipe": {"sense_weights": list(SENSE_WEIGHTS), "near_max": NEAR_MAX, "near_levels": NEAR_LEVELS,
                   "near_decay": NEAR_DECAY, "feature_scale": FEATURE_SCALE},
        "licence": "WordNet 3.0 licence (Princeton University; free to use, copy and distribute with its notice)",
        "source": "Debian wordnet-base (WordNet 3.0 data.noun, index.noun, noun.exc) + the model's classifier head; "
                  "built by models/build_hierarchy.py",
    }
    write_atomic(manifest, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET)
    parser.add_argument("--out", type=Path, default=HERE / OUT_FILE)
    opt = parser.parse_args()
    classes = json.loads((HERE / "imagenet_classes.json").read_text())["classes"]
    own = {int(c["wnid"][1:]): int(c["index"]) for c in classes}
    hyponyms: dict[int, list[int]] = {}
    hypernyms: dict[int, list[int]] = {}
    for offset, _, hypo, hyper in synsets(opt.wordnet / "data.noun"):
        hyponyms[offset], hypernyms[offset] = hypo, hyper
    missing = set(own) - set(hyponyms)
    if missing:
        raise SystemExit(f"{len(missing)} ImageNet classes are not WordNet 3.0 noun synsets")
    below = closure(hyponyms, own)
    mapping = word_classes(list(senses(opt.wordnet / "index.noun")), below, hypernyms)
    lemmas = sorted(mapping)
    starts = np.zeros(len(lemmas) + 1, np.int64)
    cls_list: list[int] = []
    wt_list: list[float] = []
    for i, lemma in enumerate(lemmas):
        items = sorted(mapping[lemma].items())
        cls_list += [c for c, _ in items]
        wt_list += [w for _, w in items]
        starts[i + 1] = len(cls_list)
    known = set(lemmas)
    exceptions = []
    for line in (opt.wordnet / "noun.exc").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].replace("_", " ") in known:
            exceptions.append(f"{parts[0].replace('_', ' ')}\t{parts[1].replace('_', ' ')}")
    weight, bias = classifier_head(HERE / MODEL_FILE)
    model_sha = hashlib.sha256((HERE / MODEL_FILE).read_bytes()).hexdigest()
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, lemmas=np.array(lemmas), starts=starts.astype(np.int32),
        classes=np.array(cls_list, np.int16), weights=np.array(wt_list, np.float16),
        exceptions=np.array(exceptions),
        feature_scale=np.float32(FEATURE_SCALE), model_sha256=np.array(model_sha),
        format=np.array(FORMAT),
    )
    write_atomic(opt.out, buffer.getvalue())
    write_atomic(opt.out.parent / HEAD_FILE, head_graph(weight * FEATURE_SCALE, bias))
    if opt.out.parent == HERE:
        _record(opt.out, len(lemmas))
    sizes = np.diff(starts)
    print(f"wrote {opt.out.name}: {len(lemmas)} lemmas, {len(cls_list)} (lemma, class) pairs, "
          f"median {int(np.median(sizes))} classes, {len(exceptions)} plural exceptions, "
          f"{opt.out.stat().st_size / 1e6:.1f} MB")
    for probe in ("dog", "golden retriever", "crocodile", "vehicle", "food", "building", "puppy", "fire truck"):
        print(f"  {probe!r}: {len(mapping.get(probe, {}))} classes")


if __name__ == "__main__":
    main()
