"""A damaged Annoy file is refused before Annoy maps it, so a search never segfaults."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from annoy import AnnoyIndex
from helpers import REPO, run_cbir, shaded_folder, solid

from cbir_desktop.engine.vectors.annoy_file import check_annoy_file

DIM = 48
ITEMS = 5000
TREES = 16

# Loads a (checked) Annoy file and searches it the way the engine does; a damaged file
# that slipped past the check would kill this process (SIGSEGV) rather than raise.
_SEARCH = """
import sys
import numpy as np
from annoy import AnnoyIndex
path, dim, items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
index = AnnoyIndex(dim, "angular")
index.load(path)
rng = np.random.default_rng(0)
for i in range(40):
    query = rng.normal(size=dim).tolist()
    for search_k in (-1, 5000):  # -1: n_trees * items, the whole forest
        index.get_nns_by_vector(query, 26, search_k=search_k, include_distances=True)
for item in (0, 1, 2, items // 2, items - 1):
    index.get_item_vector(item)
print("searched")
"""


@pytest.fixture(scope="module")
def annoy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annoy") / "features.ann"
    rng = np.random.default_rng(1)
    index = AnnoyIndex(DIM, "angular")
    for i, vector in enumerate(rng.normal(size=(ITEMS, DIM)).astype(np.float32)):
        index.add_item(i, vector.tolist())
    index.build(TREES, n_jobs=1)
    index.save(str(path))
    index.unload()
    return path


def _damaged_copy(folder: Path, data: bytes) -> Path:
    path = folder / "damaged.ann"
    path.write_bytes(data)
    return path


def _limit_memory() -> None:
    # A search that runs away (a loop in the trees) fails on allocation instead of
    # taking the machine's memory.
    import resource  # POSIX only, like the searches' crash this guards

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def _searches_cleanly(path: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-c", _SEARCH, str(path), str(DIM), str(ITEMS)],
                              capture_output=True, text=True, timeout=60, cwd=REPO, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"searching {path} did not finish in 60 s: {exc}")


def test_a_sound_annoy_file_passes(annoy_file: Path) -> None:
    check_annoy_file(annoy_file, DIM, ITEMS)
    result = _searches_cleanly(annoy_file)
    assert result.returncode == 0 and "searched" in result.stdout, result.stderr


def test_wrong_dimension_or_item_count_is_refused(annoy_file: Path) -> None:
    with pytest.raises(ValueError):
        check_annoy_file(annoy_file, DIM + 1, ITEMS)
    with pytest.raises(ValueError, match="items"):
        check_annoy_file(annoy_file, DIM, ITEMS - 1)


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _zeroed(data: bytes) -> bytes:
    return bytes(len(data))


def _random_second_half(data: bytes) -> bytes:
    half = len(data) // 2
    return data[:half] + np.random.default_rng(2).integers(0, 256, len(data) - half, dtype=np.uint8).tobytes()


def _appended(data: bytes) -> bytes:
    return data + b"\x01" * 4096


def _appended_node(data: bytes) -> bytes:
    return data + bytes((3 + DIM) * 4)  # a whole (empty) node: the size alone looks right


def _emptied(data: bytes) -> bytes:
    return b""


@pytest.mark.parametrize("damage", [_truncated, _zeroed, _random_second_half, _appended, _appended_node, _emptied],
                         ids=lambda f: f.__name__.strip("_"))
def test_damaged_annoy_file_is_refused(annoy_file: Path, tmp_path: Path, damage) -> None:
    path = _damaged_copy(tmp_path, damage(annoy_file.read_bytes()))
    with pytest.raises(ValueError):
        check_annoy_file(path, DIM, ITEMS)


def _random_damage(data: bytes, seed: int) -> tuple[bytes, str]:
    """Random 4 KB blocks at random offsets (every other seed), or random bytes over the second half."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    if seed % 2:
        half = len(out) // 2
        out[half:] = rng.integers(0, 256, len(out) - half, dtype=np.uint8).tobytes()
        return bytes(out), "random second half"
    blocks = int(rng.integers(1, 5))
    offsets = sorted(int(o) for o in rng.integers(0, len(out) - 4096, blocks))
    for offset in offsets:
        out[offset:offset + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return bytes(out), f"{blocks} random 4 KB block(s) at {offsets}"


def _item_damage(data: bytes, seed: int) -> tuple[bytes, str]:
    """Random 4 KB blocks among the items (vectors, and the counts of items trees point at)."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    offsets = sorted(int(o) for o in rng.integers(0, ITEMS * (3 + DIM) * 4 - 4096, 3))
    for offset in offsets:
        out[offset:offset + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return bytes(out), f"random 4 KB blocks among the items at {offsets}"


def _reference_damage(data: bytes, seed: int) -> tuple[bytes, str]:
    """A few child references of split nodes set to other nodes of the file (all in range)."""
    rng = np.random.default_rng(seed)
    nodes = np.frombuffer(data, dtype="<i4").reshape(-1, 3 + DIM).copy()
    splits = np.flatnonzero(nodes[:, 0] > DIM + 2)
    changed = []
    for node in rng.choice(splits, 3, replace=False):
        slot = int(rng.integers(1, 3))
        nodes[node, slot] = int(rng.integers(0, nodes.shape[0]))
        changed.append((int(node), slot, int(nodes[node, slot])))
    return nodes.tobytes(), f"child references (node, slot, now) {changed}"


def _inner_node_damage(data: bytes, seed: int) -> tuple[bytes, str]:
    """Random 4 KB blocks inside the trees' nodes (after the items), where references live."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    start = ITEMS * (3 + DIM) * 4
    offset = int(rng.integers(start, len(out) - 4096))
    out[offset:offset + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return bytes(out), f"a random 4 KB block among the tree nodes at {offset}"


@pytest.mark.parametrize("seed", range(20))
def test_random_damage_is_refused_or_searches_without_crashing(annoy_file: Path, tmp_path: Path, seed: int) -> None:
    for damager in (_random_damage, _inner_node_damage, _item_damage, _reference_damage):
        data, what = damager(annoy_file.read_bytes(), seed)
        assert data != annoy_file.read_bytes()
        path = _damaged_copy(tmp_path, data)
        try:
            check_annoy_file(path, DIM, ITEMS)
        except ValueError:
            continue
        result = _searches_cleanly(path)
        assert result.returncode == 0, (
            f"check_annoy_file passed a file damaged by {what}, and searching it exited "
            f"{result.returncode}: {result.stderr[-500:]}")


def test_a_reference_looping_back_up_its_tree_is_refused(annoy_file: Path, tmp_path: Path) -> None:
    """One damaged 4-byte child reference pointing back at its own node: every reference is
    in range, but a search would go round forever (Annoy then dies allocating its queue).
    Annoy writes a node after its children, so a sound file's references all point down."""
    nodes = np.frombuffer(annoy_file.read_bytes(), dtype="<i4").reshape(-1, 3 + DIM).copy()
    root = nodes.shape[0] - 1
    assert nodes[root, 0] == ITEMS and (nodes[:, 1:3][nodes[:, 0] > DIM + 2] < np.arange(len(nodes))[
        nodes[:, 0] > DIM + 2, None]).all()  # the layout the check can rely on
    nodes[root, 1] = root
    path = _damaged_copy(tmp_path, nodes.tobytes())
    with pytest.raises(ValueError):
        check_annoy_file(path, DIM, ITEMS)


# -- through the command line ------------------------------------------------------------------
ANNOY_ENV = {"CBIR_ANNOY_MIN_ITEMS": "4"}  # a tiny library gets Annoy files


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def _hits(result: subprocess.CompletedProcess[str]) -> list[list[tuple[str, float]]]:
    return [[(r["path"], r["score"]) for r in json.loads(line)["results"]] for line in result.stdout.splitlines()]


def _recorded_items(lib: Path) -> int:
    """Annoy's item count for the features index, as the catalogue recorded it."""
    db = sqlite3.connect(f"file:{lib / 'catalogue.sqlite'}?mode=ro", uri=True)
    try:
        (detail,) = db.execute("SELECT detail FROM derived WHERE name = 'index/tiny8/features'").fetchone()
    finally:
        db.close()
    return int(json.loads(detail)["n_items"])


def test_cli_searches_around_a_damaged_index_and_index_rebuilds_it(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    for seed, base in enumerate(((200, 40, 40), (40, 180, 60), (40, 60, 200))):
        shaded_folder(photos / f"subject{seed}", base, 4, seed)
    lib = tmp_path / "lib"

    def cbir(*args: object) -> subprocess.CompletedProcess[str]:
        return run_cbir(*args, library=lib, models=tiny_models, env=ANNOY_ENV)

    _ok(cbir("index", photos))
    ann = lib / "index" / "tiny8" / "features.ann"
    assert ann.is_file()
    query = solid(tmp_path / "query.jpg", (190, 50, 45))
    search = ("search", "--json", "-k", "12", "--image", query, "--image", photos / "subject2" / "IMG_0001.jpg")
    before = _hits(_ok(cbir(*search)))
    assert [len(h) for h in before] == [12, 12]
    assert _ok(cbir("status")).stdout.count("checks   ok") == 1

    data = bytearray(ann.read_bytes())
    half = len(data) // 2
    data[half:] = np.random.default_rng(3).integers(0, 256, len(data) - half, dtype=np.uint8).tobytes()
    ann.write_bytes(bytes(data))
    damaged = ann.read_bytes()

    after = _hits(_ok(cbir(*search)))
    for hits_before, hits_after in zip(before, after, strict=True):
        assert [p for p, _ in hits_after] == [p for p, _ in hits_before]
        assert [s for _, s in hits_after] == pytest.approx([s for _, s in hits_before], abs=1e-4)
    assert ann.read_bytes() == damaged  # searching never writes

    status = cbir("status")
    assert status.returncode == 1, status.stdout
    assert "features index of tiny8 needs rebuilding" in status.stdout and "damaged" in status.stdout

    rebuilt = _ok(cbir("index"))
    assert "rebuilt features index" in rebuilt.stderr
    assert ann.read_bytes() != damaged
    check_annoy_file(ann, 8, _recorded_items(lib))
    assert "checks   ok" in _ok(cbir("status")).stdout
    again = _hits(_ok(cbir(*search)))
    for hits_before, hits_again in zip(before, again, strict=True):
        assert [p for p, _ in hits_again] == [p for p, _ in hits_before]

