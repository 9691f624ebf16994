"""Text search learned from folder names (issue 5's protocol) against zero-shot.

With folder names as the only labels, train on the `splits/train.txt` photos, then
score the 100 phrases of `text_queries.csv` over the `splits/test.txt` photos
(relevant = same label; Faces_easy counts as Faces, BACKGROUND_Google is never
relevant): P@10 and mAP for zero-shot, learned and the blend the app uses.

Usage: python bench/learned.py   (after bench/quality.py has indexed Caltech-101)
"""

from __future__ import annotations

import numpy as np
from common import DATASET, OUT, read_csv, table
from quality import rank_metrics

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.catalogue import WORDS
from cbir_desktop.engine.errors import UnknownWord
from cbir_desktop.engine.learned import blend, learned_weight
from cbir_desktop.engine.search import text_query_vector


def main() -> None:
    root = DATASET / "101_ObjectCategories"
    with open_library(OUT / "caltech-lib") as library:
        model = library.model_id
        rows = library.catalogue.photos_under(str(root))

        def split(name: str) -> list[tuple[int, str]]:
            out = []
            for line in (DATASET / "splits" / name).read_text().split():
                row = rows.get(str(root / line))
                if row is not None:
                    label = line.split("/")[0]
                    out.append((row.id, "Faces" if label == "Faces_easy" else label))
            return out

        train, test = split("train.txt"), split("test.txt")
        report = library.train_words(only_photos={pid for pid, _ in train})
        print(f"trained on {report.photos} photos, {len(report.words)} words, "
              f"prototypes {report.prototypes} in {report.seconds:.1f} s")
        learned = library._learned(library.embedder(), library.word_space())
        assert learned is not None
        ids = [pid for pid, _ in test]
        labels = np.array([label for _, label in test])
        zero = library.catalogue.vectors_of(ids, model, WORDS)
        mine = library.catalogue.vectors_of(ids, model, learned.kind)
        Z = np.stack([zero[i] for i in ids])
        L = np.stack([mine[i] for i in ids])
        queries = read_csv("text_queries.csv")
        qlabels = np.array([q["label"] for q in queries])
        vecs, proto = [], []
        for q in queries:
            try:
                vecs.append(text_query_vector(library.words(), q["query"]))
                proto.append(None)
            except UnknownWord:
                vecs.append(np.zeros(Z.shape[1], np.float32))
                proto.append(learned.prototypes.get(q["query"]))
        Q = np.stack(vecs)
        zs, ls = Q @ Z.T, Q @ L.T
        weights = np.array([[learned_weight(q, learned.label_vectors)] for q in Q], np.float32)
        both = blend(zs, ls, weights)
        fixed = blend(zs, ls, 0.8)
        for i, p in enumerate(proto):  # a word of the user's own, answered by its prototype
            if p is not None:
                ls[i] = both[i] = L @ p
        rows_out = []
        for name, scores in (("zero-shot", zs), ("learned (ridge)", ls), ("fixed blend 0.2/0.8", fixed),
                             ("blend by closeness to labels (the app)", both)):
            p10, m = rank_metrics(scores, qlabels, labels, exclude_self=False)
            rows_out.append((name, p10, m, ">= 0.85" if "the app" in name else ""))
        table(f"Text to image over {len(test)} test photos, trained on {len(train)} (folder names only)",
              ["method", "P@10", "mAP", "target"], rows_out)
        # Leave the benchmark library as quality.py expects it: no learned projection.
        for path in library._learned_paths(library.embedder(), library.word_space()):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
