"""Place and camera names as search words at 100,000 photos: how long the lookup takes (issue 12).

Builds a catalogue of N photos (default 100,000) with synthetic but realistic metadata rows:
a town for 80% of them, drawn from the bundled gazetteer's 2,000 largest towns with Zipf-like
weights (so the largest holds a few percent and most hold a handful), with their real regions and
countries; a camera from 300 (12 makers, the largest with about half the photos); a lens from 200
for 60%. Then it times, warm unless said:
- reading the library's distinct names and building the in-memory vocabulary (cold: once, and
  again whenever the catalogue's photos changed);
- the change check every search makes (`Catalogue.change_marker`) and the cached vocabulary;
- matching a query against the vocabulary (`NameVocabulary.find`);
- for a rare town, a town with 1% of the photos, the largest town (~7%), the largest country
  (~30%) and the largest maker (~50%): all its photos (`NamedPhotos.ids`: one indexed query per
  name; what a search with other words or filters ranks within), and its 20 newest with why each
  matched (what a search that is only the name does before it makes its hits).

Usage: python bench/metadata_words.py [--photos N]   (about a minute on 2 busy cores)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cbir_desktop.engine.photos.places import GAZETTEER
from cbir_desktop.engine.search.metadata_words import HeldNameWords, NamedPhotos, NamedQuery, NameVocabulary
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.storage.held_names import as_held_names
from cbir_desktop.engine.storage.vocabulary import read_vocabulary
from cbir_desktop.engine.words.vectors import WordVectors

REPO = Path(__file__).resolve().parents[1]
MAKES = ["Canon", "Nikon", "Sony", "Fujifilm", "Apple", "Samsung", "Google", "Olympus", "Panasonic", "Pentax",
         "Leica", "Huawei"]


def towns(count: int) -> list[tuple[str, str | None, str, str]]:
    """The gazetteer's `count` largest towns: (city, region, country, country_code)."""
    with np.load(GAZETTEER, allow_pickle=False) as data:
        order = np.argsort(-data["population"], kind="stable")[:count]
        names = data["city_utf8"].tobytes()
        offsets = data["city_offsets"]
        region_bytes, region_offsets = data["region_utf8"].tobytes(), data["region_offsets"]
        out = []
        for i in order:
            city = names[offsets[i]:offsets[i + 1]].decode()
            r = int(data["region_id"][i])
            region = region_bytes[region_offsets[r]:region_offsets[r + 1]].decode() or None
            c = int(data["country_id"][i])
            out.append((city, region, str(data["country_name"][c]), str(data["country_code"][c])))
    return out


def build(path: Path, photos: int, rng: np.random.Generator) -> None:
    catalogue = Catalogue(path)
    places = towns(2000)
    place_weights = 1.0 / np.arange(1, len(places) + 1) ** 0.9
    cameras = [(MAKES[i % len(MAKES)], f"Model {i}") for i in range(300)]
    camera_weights = np.array([1.0 / (1 + i % len(MAKES)) ** 1.5 for i in range(300)])
    lenses = [f"{10 + i}-{50 + 2 * i}mm f/{2 + i % 4}.{i % 10}" for i in range(200)]
    place_of = rng.choice(len(places), photos, p=place_weights / place_weights.sum())
    camera_of = rng.choice(len(cameras), photos, p=camera_weights / camera_weights.sum())
    lens_of = rng.integers(0, len(lenses), photos)
    start = 1_262_304_000  # 2010-01-01
    with catalogue.transaction():
        catalogue.db.executemany(
            "INSERT INTO photos(id, path, size, mtime_ns, content_hash, width, height, indexed_at) "
            "VALUES (?, ?, 1000, ?, ?, 30, 20, 0)",
            ((n + 1, f"/photos/{n // 1000:04d}/IMG_{n:06d}.jpg".encode(), (start + n * 3000) * 10**9,
              n.to_bytes(16, "big")) for n in range(photos)))
        rows = []
        for n in range(photos):
            city, region, country, code = places[place_of[n]] if rng.random() < 0.8 else (None, None, None, None)
            make, model = cameras[camera_of[n]]
            lens = lenses[lens_of[n]] if rng.random() < 0.6 else None
            taken = start + int(rng.integers(0, 10 * 365 * 86400))
            rows.append((n + 1, taken, make, model, lens, city, region, country, code))
        catalogue.db.executemany(
            "INSERT INTO metadata(photo_id, reader, taken_utc, taken_source, make, model, lens, city, region, "
            "country, country_code, file_type) VALUES (?, 1, ?, 'exif', ?, ?, ?, ?, ?, ?, ?, 'JPEG')", rows)
    catalogue.db.execute("ANALYZE")
    catalogue.close()


def newest_with_reasons(catalogue: Catalogue, query: NamedQuery) -> dict[int, str]:
    """What a search that is only the name does before it makes hits: its 20 newest photos and why."""
    photos = NamedPhotos(catalogue, query)
    assert photos.any_within(None)
    return photos.reasons(photos.newest(20, None))


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 of `fn` in milliseconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(12)
    words = WordVectors.load(REPO / "models" / "word_vectors.npz")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalogue.sqlite"
        t0 = time.perf_counter()
        build(path, args.photos, rng)
        print(f"built {args.photos:,} photos in {time.perf_counter() - t0:.1f} s")
        catalogue = Catalogue(path)
        cache = HeldNameWords()
        cache.vocabulary(catalogue, words)  # the common-word sets, once per word vectors

        def cold() -> NameVocabulary:
            return NameVocabulary(as_held_names(read_vocabulary(catalogue.db)), *cache._common)

        vocabulary = cold()
        report = [("read names + build vocabulary (cold)", timed(cold, 10)),
                  ("change check (Catalogue.change_marker)", timed(catalogue.change_marker, 200)),
                  ("cached vocabulary (check + hit)", timed(lambda: cache.vocabulary(catalogue, words), 200))]
        for text in ("beach", "lisbon", "beach in tokyo", "canon eos", "fuji", "model 12 sunset at the beach"):
            report.append((f"find {text!r}", timed(lambda text=text: vocabulary.find(text), 200)))
        counts = dict(catalogue.db.execute("SELECT city, count(*) FROM metadata WHERE city IS NOT NULL "
                                           "GROUP BY city ORDER BY 2 DESC").fetchall())
        largest, rare = next(iter(counts)), list(counts)[-1]
        one_percent = min(counts, key=lambda city: abs(counts[city] - args.photos / 100))
        country = catalogue.db.execute("SELECT country, count(*) FROM metadata WHERE country IS NOT NULL "
                                       "GROUP BY country ORDER BY 2 DESC LIMIT 1").fetchone()[0]
        for text in (rare, one_percent, largest, country, "canon"):
            query = vocabulary.find(text)
            assert query is not None, text
            found = NamedPhotos(catalogue, query).ids
            share = len(found) / args.photos
            report.append((f"all photos of {text!r} ({len(found):,}, {share:.1%})",
                           timed(lambda query=query: NamedPhotos(catalogue, query).ids, 20)))
            report.append(("  and its 20 newest, with why they matched",
                           timed(lambda query=query: newest_with_reasons(catalogue, query), 20)))
        for what, (median, p95) in report:
            print(f"{what:<58} median {median:8.3f} ms   p95 {p95:8.3f} ms")
        catalogue.close()


if __name__ == "__main__":
    main()
