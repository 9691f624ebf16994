"""The `cbir` command line with the shipped model on real Caltech-101 photos."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import cbir_with_shipped_models as cbir

from cbir_desktop.engine.api import RELEVANT_FROM, STRONG_FROM

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "datasets" / "caltech101" / "101_ObjectCategories"
CLASSES = ["dalmatian", "strawberry", "airplanes", "sunflower", "umbrella"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DATASET.is_dir(), reason=f"needs the Caltech-101 photos at {DATASET}"),
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """Five classes of six photos each, plus bad files, indexed by the CLI."""
    root = tmp_path_factory.mktemp("e2e")
    photos = root / "photos"
    for name in CLASSES:
        (photos / name).mkdir(parents=True)
        for i in range(1, 7):
            shutil.copy(DATASET / name / f"image_{i:04d}.jpg", photos / name)
    data = (DATASET / "dalmatian" / "image_0010.jpg").read_bytes()
    (photos / "broken").mkdir()
    (photos / "broken" / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (photos / "broken" / "empty.jpg").write_bytes(b"")
    result = cbir("index", str(photos), library=root / "lib")
    return root / "lib", photos, result


def test_index_reports_progress_and_summary(indexed) -> None:
    _, _, result = indexed
    assert "indexing 32/32" in result.stderr and "photos/s" in result.stderr and "ETA" in result.stderr
    assert "added 30, updated 0, moved 0, removed 0, unchanged 0, failed 2" in result.stdout


def test_search_by_image_finds_the_same_class(indexed) -> None:
    library, photos, _ = indexed
    queries = [str(DATASET / name / "image_0020.jpg") for name in CLASSES]  # not in the library
    args = ["search", "--json", "-k", "5"]
    for query in queries:
        args += ["--image", query]
    lines = cbir(*args, library=library).stdout.splitlines()
    assert len(lines) == len(CLASSES)
    found = []
    for name, query, line in zip(CLASSES, queries, lines, strict=True):
        record = json.loads(line)
        assert record["query"] == {"image": query}
        results = record["results"]
        assert len(results) == 5
        assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
        same = sum(Path(r["path"]).parent.name == name for r in results)
        assert same >= 4, (name, results)
        assert all(Path(r["path"]).is_absolute() and isinstance(r["tags"], list) for r in results)
        # Every one of the k hits has its relevance; those past the cut-off are the query's subject.
        relevance = [r["relevance"] for r in results]
        assert relevance == sorted(relevance, reverse=True) and all(0 <= r <= 1 for r in relevance)
        assert all(r["relevant"] == (r["relevance"] >= RELEVANT_FROM) for r in results)
        assert all(Path(r["path"]).parent.name == name for r in results if r["relevant"]), (name, results)
        found.append(results[0]["relevant"])
    assert sum(found) >= 3, lines  # most subjects: the umbrellas and planes are the least alike of the five


def test_search_by_word_and_unknown_word(indexed) -> None:
    library, _, _ = indexed
    out = cbir("search", "--json", "-k", "3", "--text", "strawberry", "--text", "aeroplane",
               "--text", "xqzvw", library=library).stdout.splitlines()
    strawberry, plane, unknown = (json.loads(line) for line in out)
    assert {Path(r["path"]).parent.name for r in strawberry["results"]} == {"strawberry"}
    assert all(r["relevant"] and r["relevance"] >= STRONG_FROM for r in strawberry["results"])  # its own term
    assert "strawberry" in strawberry["results"][0]["tags"]
    assert {Path(r["path"]).parent.name for r in plane["results"]} == {"airplanes"}
    assert unknown == {"query": {"text": "xqzvw"}, "results": [], "error": unknown["error"]}
    assert "No known word" in unknown["error"]
    # A clear misspelling is searched as its spelling, and says so; an unclear one is not.
    out = cbir("search", "-k", "3", "--text", "strawbery", "--text", "airplan", library=library).stdout
    assert "strawbery (no such word; showing strawberry):" in out
    assert "airplan: No known word in 'airplan'. Did you mean: airplane, airplay" in out
    assert out.count("/strawberry/") == 3


HIT = re.compile(r"^  (\d\.\d{3})  +(\d+)% (strong|possible|weak) +(/\S+)(  \[.*\])?$")


def test_search_prints_results_down_to_the_relevance_cut_off(indexed) -> None:
    library, _, _ = indexed
    out = cbir("search", "-k", "10", "--text", "strawberry", "--text", "piano", library=library).stdout.splitlines()
    assert out[0] == "strawberry:" and out[-2] == "piano:"
    hits = [HIT.match(line) for line in out[1:-3]]
    assert all(hits), out
    assert len(hits) == 6 and {Path(h[4]).parent.name for h in hits} == {"strawberry"}
    assert {h[3] for h in hits} <= {"strong", "possible"} and all(int(h[2]) >= 100 * RELEVANT_FROM for h in hits)
    assert out[-3] == "  4 more below the relevance cut-off: --all shows them"
    # Nothing in the library shows a piano: one line says so, and that is not an error.
    assert out[-1] == "  nothing relevant: the 10 best matches are below the relevance cut-off (--all shows them)"
    everything = cbir("search", "-k", "10", "--all", "--text", "strawberry", library=library).stdout.splitlines()
    hits = [HIT.match(line) for line in everything[1:]]
    assert len(everything) == 11 and all(hits), everything
    assert [h[3] for h in hits[6:]] == ["weak"] * 4
    assert all(Path(h[4]).parent.name != "strawberry" for h in hits[6:])


def test_words_tags_status_and_models(indexed) -> None:
    library, photos, _ = indexed
    words = json.loads(cbir("words", "--json", "-k", "5", "beach", library=library).stdout)
    assert words["query"] == "beach" and len(words["results"]) == 5
    assert {"seaside", "shore", "coastline"} & {r["word"] for r in words["results"]}
    tags = json.loads(cbir("tags", "--json", str(photos / "dalmatian" / "image_0001.jpg"),
                           library=library).stdout)
    assert tags["results"][0]["tag"] == "dalmatian" and 0 < tags["results"][0]["score"] <= 1
    status = json.loads(cbir("status", "--json", library=library).stdout)
    assert status["photos"] == 30 and status["indexed"] == {"efficientnet-lite0": 30}
    assert status["folders"] == [str(photos)] and "efficientnet-lite0" in status["models"]
    assert sorted(Path(f["path"]).name for f in status["failed"]) == ["empty.jpg", "truncated.jpg"]
    assert all(f["reason"] for f in status["failed"])
    models = json.loads(cbir("models", "--json", library=library).stdout)
    assert models[0]["id"] == "efficientnet-lite0" and models[0]["provider"] in ("CPU", "CUDA")


def test_user_errors_are_one_line_with_exit_1(tmp_path: Path) -> None:
    missing = cbir("status", library=tmp_path / "none", check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "No library at" in missing.stderr and "Traceback" not in missing.stderr
    folder = cbir("index", str(tmp_path / "absent"), library=tmp_path / "lib", check=False)
    assert folder.returncode == 1 and "is not a folder" in folder.stderr
    assert folder.stderr.count("\n") == 1
    for k in ("-5", "0", "many"):
        bad = cbir("search", "-k", k, "--text", "dog", library=tmp_path / "lib", check=False)
        assert bad.returncode != 0 and "is not a number of results" in bad.stderr and "Traceback" not in bad.stderr


def test_killed_index_resumes_and_indexes_each_photo_once(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("Faces", "Motorbikes"):
        for path in sorted((DATASET / name).glob("*.jpg"))[:100]:
            shutil.copy(path, photos / f"{name}_{path.name}")
    library = tmp_path / "lib"
    env = {**os.environ, "CBIR_LIBRARY": str(library)}
    env.pop("CBIR_MODELS_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "cbir_desktop.cli", "index", "--batch-size", "4",
                             str(photos)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    catalogue = library / "catalogue.sqlite"
    deadline = time.monotonic() + 120
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if catalogue.exists():
            try:
                db = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True, timeout=5)
                count = db.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
                db.close()
            except sqlite3.OperationalError:
                count = 0
            if count >= 20:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 20 <= count < 200, "the kill must land mid-run"
    cbir("index", library=library)
    db = sqlite3.connect(catalogue)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone() == (200, 200)
    assert db.execute("SELECT COUNT(*) FROM vectors WHERE kind = 'features'").fetchone()[0] == 200
    assert db.execute("SELECT COUNT(*) FROM failures").fetchone()[0] == 0

