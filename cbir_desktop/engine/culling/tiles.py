"""How well two aligned grey copies agree in their worst part.

A whole-picture comparison is fooled by shots that share most of their edges: product shots
of one motorbike model in one pose on white (another paint, another fairing), portraits of one
person a second apart, a pendulum that moved. The same shot, resized, recompressed, recoloured,
turned black-and-white or cropped, agrees everywhere; two shots differ somewhere. So the overlap
is cut into a grid of tiles and each measure is the worst tile's. On Caltech-101 this is what
keeps such pairs apart (bench/duplicates.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

GRID = 4  # tiles across and down the overlap's bounding box
MIN_COVER = 0.5  # of a tile inside the overlap, else it is left out
MIN_ENERGY = 0.5  # a tile's edge strength against the overlap's mean, in either picture, else flat
MIN_TILES = 3
_TONE_DEGREE = 3  # a tone curve: levels, contrast, gamma, a black-and-white conversion
_SMOOTH = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0  # about a Gaussian of one pixel: regions, not grain

Floats = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def worst_edges(edges_a: Floats, edges_b: Floats, both: Mask) -> float:
    """The lowest correlation of the edge maps over the tiles of the overlap `both` that hold
    edges (the whole overlap's when fewer than `MIN_TILES` do)."""
    if not both.any():
        return -1.0
    mean_a, mean_b = float(edges_a[both].mean()), float(edges_b[both].mean())
    found = []
    for tile, inside in _tiles(both):
        a, b = edges_a[tile][inside], edges_b[tile][inside]
        if a.mean() >= MIN_ENERGY * mean_a or b.mean() >= MIN_ENERGY * mean_b:
            found.append(_correlation(a, b))
    if len(found) < MIN_TILES:
        return _correlation(edges_a[both], edges_b[both])
    return float(min(found))


def worst_tone(grey_a: Floats, grey_b: Floats, both: Mask) -> float:
    """1 less the worst tile's misfit when `grey_a`'s levels are predicted from `grey_b`'s by
    one tone curve over the whole overlap (a colour edit or black-and-white is one curve; a
    part painted another colour, or a face that moved, is not): the tile's RMS error over the
    spread of grey in the overlap. 1 is a perfect fit; -1 when there is nothing to compare.
    Both are smoothed first: recompression and resampling change the grain of a textured
    photo, not its regions (and the overlap loses the pixels the smoothing mixes with the outside)."""
    if both.sum() < 64:
        return -1.0
    rows, cols = np.nonzero(both)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    both = eroded(both[box], len(_SMOOTH) // 2)
    if both.sum() < 64:
        return -1.0
    grey_a, grey_b = _smoothed(grey_a[box]), _smoothed(grey_b[box])
    x, y = grey_b[both] / 255.0, grey_a[both] / 255.0
    spread = float(y.std())
    if spread < 1e-3:
        return -1.0
    curve = np.polyfit(x, y, _TONE_DEGREE)
    misfit = np.zeros(grey_a.shape)
    misfit[both] = (y - np.polyval(curve, x)) ** 2
    worst = max((float(np.sqrt(misfit[tile][inside].mean())) for tile, inside in _tiles(both)), default=0.0)
    return 1.0 - worst / spread


def _tiles(both: Mask) -> Iterator[tuple[tuple[slice, slice], Mask]]:
    """The `GRID` x `GRID` tiles of the overlap's bounding box, as (slices, overlap inside the
    tile), for tiles mostly inside the overlap."""
    rows, cols = np.nonzero(both)
    ys = np.linspace(rows.min(), rows.max() + 1, GRID + 1).round().astype(int)
    xs = np.linspace(cols.min(), cols.max() + 1, GRID + 1).round().astype(int)
    for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
        for x0, x1 in zip(xs[:-1], xs[1:], strict=True):
            tile = (slice(y0, y1), slice(x0, x1))
            inside = both[tile]
            if inside.sum() >= max(16, MIN_COVER * inside.size):
                yield tile, inside


def _smoothed(grey: Floats) -> Floats:
    """`grey` convolved with `_SMOOTH` down and across (edges repeated outwards)."""
    reach = len(_SMOOTH) // 2
    out = np.asarray(grey, np.float64)
    for axis in (0, 1):
        padded = np.pad(out, [(reach, reach) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        n = out.shape[axis]
        out = sum(w * np.take(padded, np.arange(k, k + n), axis=axis) for k, w in enumerate(_SMOOTH))
    return np.asarray(out, np.float64)


def eroded(mask: Mask, steps: int) -> Mask:
    """`mask` less `steps` pixels along its edges."""
    inner = mask.copy()
    for _ in range(steps):
        inner[1:-1, 1:-1] &= inner[:-2, 1:-1] & inner[2:, 1:-1] & inner[1:-1, :-2] & inner[1:-1, 2:]
        inner[0, :] = inner[-1, :] = False
        inner[:, 0] = inner[:, -1] = False
    return np.asarray(inner, np.bool_)


def _correlation(a: Floats, b: Floats) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / norm) if norm > 0 else 0.0
