"""People at scale: how long automatic groups, suggestions and one user decision take at 1k to
100k faces, and the memory it needs.

Descriptors are synthetic but shaped like real ones: the 96 real dlib descriptors of
faces_lfw12 are the seeds; each synthetic person is a seed moved by noise (so people stand as
far apart as real ones), their faces that centre plus noise (as close as a real person's), the
people's sizes falling like a personal library's (a few people in most photos, Zipf), and 30%
of faces strangers seen once or twice. The table of distances printed first checks the shape
against the real faces.

Timed like the app: `regroup` and `suggest` in full (after indexing); one decision (name a
group, merge a group into a person, merge two people, remove a face, confirm all of a person's
suggestions) as `Library._Decision` does it: a transaction, `watch`, the change, `settle`.
Each size runs in its own process, so its peak memory (ru_maxrss) is its own. At sizes above
neighbours.EXACT_UP_TO it also checks the cells: the share of each sampled face's close
neighbours (the exact ones) that the cells found.

Usage: python bench/people.py [--sizes 1000,10000,50000,100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from common import OUT, REPO, table

from cbir_desktop.engine.faces import people
from cbir_desktop.engine.faces.grouping import GROUP_DISTANCE
from cbir_desktop.engine.storage import people_rows
from cbir_desktop.engine.storage.catalogue import Catalogue

LFW = sorted((REPO.parent / "shared" / "datasets" / "faces_lfw12" / "people").glob("*/*.jpg"))
SEEDS = OUT / "people_lfw_descriptors.npz"
STRANGERS = 0.3  # share of faces seen once or twice
PERSON_SPREAD = 0.027  # per-dimension noise of a face around its person's centre
CENTRE_STEP = 0.45  # a person's centre: a real seed moved this much along the difference of two others
NAMED = 20  # people named before suggestions are worked out


def seeds() -> tuple[npt.NDArray[np.float32], list[str]]:
    """The real descriptors of faces_lfw12 (one a photo) and whose they are, cached in bench/out."""
    if SEEDS.exists():
        with np.load(SEEDS) as held:
            return held["descriptors"], [str(n) for n in held["names"]]
    from cbir_desktop.engine.faces.reader import read_faces

    found = [(read_faces(str(path)), path.parent.name) for path in LFW]
    rows = [(faces[0].descriptor, name) for faces, name in found if faces]
    OUT.mkdir(parents=True, exist_ok=True)
    matrix = np.stack([r[0] for r in rows]).astype(np.float32)
    np.savez(SEEDS, descriptors=matrix, names=np.array([r[1] for r in rows]))
    return matrix, [r[1] for r in rows]


def synthetic(count: int, random: np.random.Generator) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """`count` descriptors and the synthetic person of each (strangers too: one person each)."""
    base, _ = seeds()
    dim = base.shape[1]
    known = int(count * (1 - STRANGERS))
    people_count = max(12, known // 40)
    weights = 1.0 / np.arange(1, people_count + 1) ** 1.1
    owner = random.choice(people_count, size=known, p=weights / weights.sum())
    strangers = count - known
    owner = np.concatenate([owner, people_count + np.arange(strangers) // 2 * 1])
    picks = random.integers(0, len(base), size=(int(owner.max()) + 1, 3))
    centres = base[picks[:, 0]] + CENTRE_STEP * (base[picks[:, 1]] - base[picks[:, 2]])
    spread = PERSON_SPREAD * random.uniform(0.6, 1.5, size=(count, 1))  # some photos are harder than others
    faces = centres[owner] + (spread * random.normal(0, 1, size=(count, dim))).astype(np.float32)
    order = random.permutation(count)
    return faces[order].astype(np.float32), owner[order].astype(np.int64)


def distances_table() -> None:
    """Same-person and different-people distances, real LFW against synthetic."""
    base, names = seeds()
    owners = np.unique(names, return_inverse=True)[1]
    faces, owner = synthetic(3000, np.random.default_rng(1))
    rows = []
    for label, matrix, who in (("faces_lfw12 (real)", base, owners), ("synthetic", faces, owner)):
        squares = (matrix ** 2).sum(axis=1)
        apart = np.sqrt(np.maximum(squares[:, None] + squares[None, :] - 2.0 * matrix @ matrix.T, 0))
        same = who[:, None] == who[None, :]
        upper = np.triu(np.ones_like(same), 1)
        inside, across = apart[same & upper], apart[~same & upper]
        rows.append([label, float(np.median(inside)), float(np.percentile(inside, 95)),
                     float(np.median(across)), float(np.percentile(across, 5)),
                     float((across < GROUP_DISTANCE).mean())])
    table("Descriptor distances", ["faces", "same p50", "same p95", "different p50", "different p5",
                                   f"different < {GROUP_DISTANCE}"], rows)


def build(folder: Path, count: int) -> tuple[Catalogue, npt.NDArray[np.int64]]:
    """A catalogue holding `count` synthetic faces, two a photo."""
    faces, owner = synthetic(count, np.random.default_rng(count))
    cat = Catalogue(folder / "catalogue.sqlite")
    landmarks = np.zeros(10, dtype=np.float32).tobytes()
    with cat.transaction("bench"):
        cat.db.executemany("INSERT INTO photos(id, path, size, mtime_ns, indexed_at) VALUES (?, ?, 1, 1, 0)",
                           [(p + 1, f"/photos/{p}.jpg".encode()) for p in range((count + 1) // 2)])
        cat.db.executemany("INSERT INTO faces(id, photo_id, x, y, w, h, score, landmarks, descriptor) "
                           "VALUES (?, ?, 0.1, 0.1, 0.2, 0.2, 1.0, ?, ?)",
                           [(i + 1, i // 2 + 1, landmarks, faces[i].tobytes()) for i in range(count)])
    return cat, owner


def timed(cat: Catalogue, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    with cat.transaction("bench"):
        work()
    return time.perf_counter() - start


def decision(cat: Catalogue, change: Callable[[Catalogue], object]) -> float:
    """One decision as the app makes it: watch, change, settle, in one transaction."""
    def work() -> None:
        people.watch(cat)
        change(cat)
        people.settle(cat)
    return timed(cat, work)


def groups(cat: Catalogue) -> list[int]:
    """Unnamed groups, largest first."""
    return [row.cluster for row in people_rows.group_rows(cat, 2) if row.cluster is not None]


def one_size(count: int) -> dict[str, float]:
    """Every figure for `count` faces (run in its own process)."""
    with tempfile.TemporaryDirectory(prefix="bench-people-") as tmp:
        cat, owner = build(Path(tmp), count)
        out: dict[str, float] = {"faces": count}
        out["regroup"] = timed(cat, lambda: people.regroup(cat))
        out["pairs recall"] = cells_recall(cat)
        out["groups"] = len(groups(cat))
        out["precision"], out["recall"] = pairwise(cat, owner)

        def name_largest() -> None:
            for n, cluster in enumerate(groups(cat)[:NAMED]):
                person = people_rows.add_person(cat, f"person {n}")
                people_rows.name_faces(cat, people_rows.group_faces_of(cat, cluster), person)
        timed(cat, name_largest)
        out["suggest"] = timed(cat, lambda: people.suggest(cat))
        before = dict(cat.db.execute("SELECT id, cluster FROM faces WHERE cluster IS NOT NULL").fetchall())
        out["regroup again"] = timed(cat, lambda: people.regroup(cat))
        after = dict(cat.db.execute("SELECT id, cluster FROM faces WHERE cluster IS NOT NULL").fetchall())
        out["ids kept"] = sum(after.get(f) == c for f, c in before.items()) / max(1, len(before))

        free = groups(cat)
        named = [int(r[0]) for r in cat.db.execute("SELECT id FROM people ORDER BY id")]
        out["name a group"] = decision(cat, lambda c: people_rows.name_faces(
            c, people_rows.group_faces_of(c, free[0]), people_rows.add_person(c, "new person")))
        out["merge a group into a person"] = decision(cat, lambda c: people_rows.name_faces(
            c, people_rows.group_faces_of(c, free[1]), named[1]))
        face = int(cat.db.execute("SELECT id FROM faces WHERE person_id = ? AND person_source = 'user' "
                                  "LIMIT 1", (named[0],)).fetchone()[0])
        out["remove a face"] = decision(cat, lambda c: people_rows.reject(c, named[0], [face]))
        out["confirm suggestions"] = decision(cat, lambda c: people_rows.confirm(
            c, named[1], [f.face_id for f in people_rows.suggestions_of(c, named[1])]))
        out["merge people"] = decision(cat, lambda c: people_rows.merge_people(c, named[2], named[3]))
        out["peak MB"] = peak_mb()
        cat.db.close()
        return out


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss, which a child
    inherits from its parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cells_recall(cat: Catalogue, sample: int = 500) -> float:
    """Share of sampled faces' close neighbours (exact, each face's NEAREST at most) that
    `close_pairs` finds; 1.0 when every pair is compared."""
    from cbir_desktop.engine.faces import neighbours

    _, matrix, _ = people_rows.face_matrix(cat, "1", "cluster")
    if len(matrix) <= neighbours.EXACT_UP_TO:
        return 1.0
    first, second = neighbours.close_pairs(matrix, GROUP_DISTANCE)
    found = set(zip(first.tolist(), second.tolist(), strict=True))
    rows = np.random.default_rng(7).choice(len(matrix), size=sample, replace=False)
    wanted = hit = 0
    squares = (matrix ** 2).sum(axis=1)
    for row in rows.tolist():
        apart = squares + squares[row] - 2.0 * matrix @ matrix[row]
        apart[row] = np.inf
        near = np.argsort(apart)[:neighbours.NEAREST]
        near = near[apart[near] < GROUP_DISTANCE ** 2]
        wanted += len(near)
        hit += sum((min(row, j), max(row, j)) in found for j in near.tolist())
    return hit / max(1, wanted)


def pairwise(cat: Catalogue, owner: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Pairwise precision and recall of the automatic groups against the synthetic people."""
    rows = cat.db.execute("SELECT id, cluster FROM faces WHERE cluster IS NOT NULL").fetchall()
    ids = np.array([r[0] for r in rows]) - 1
    truth, got = owner[ids], np.array([r[1] for r in rows])
    same_got = _pairs(got)
    same_truth = _pairs(truth)
    both = _pairs(got * (int(truth.max()) + 1) + truth)
    return both / max(1, same_got), both / max(1, same_truth)


def _pairs(labels: npt.NDArray[np.int64]) -> int:
    sizes = np.unique(labels, return_counts=True)[1].astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    seeds()
    distances_table()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--one", str(size)], check=True, stdout=subprocess.PIPE,
                              text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {size} faces done", flush=True)
    table("After indexing (seconds): full regroup and suggest", [
        "faces", "regroup", "s per 1k faces", "groups", "pairwise P", "pairwise R", "close pairs found",
        f"suggest ({NAMED} named)", "regroup again", "ids kept", "peak MB"],
        [[int(r["faces"]), r["regroup"], 1000 * r["regroup"] / r["faces"], int(r["groups"]), r["precision"],
          r["recall"], r["pairs recall"], r["suggest"], r["regroup again"], r["ids kept"], r["peak MB"]]
         for r in results])
    kinds = ["name a group", "merge a group into a person", "merge people", "remove a face", "confirm suggestions"]
    table("One decision (seconds, watch + change + settle, one transaction)", ["faces", *kinds],
          [[int(r["faces"]), *(r[k] for k in kinds)] for r in results])


if __name__ == "__main__":
    main()
