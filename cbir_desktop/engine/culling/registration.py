"""Is one photo a crop, a small rotation or a rescale of another? Fourier-Mellin registration.

Perceptual hashes (hashes.py) miss a crop or a photo straightened by a few degrees; image
vectors find them but also find different photos of the same subject. This check aligns the
two small grey copies (signature.GREY_SIDE pixels) and asks how well they agree once aligned:
the magnitude of a Fourier transform ignores translation, and in log-polar coordinates a
rotation and a scale become shifts, which phase correlation finds (Reddy & Chatterji 1996).
The second image is then turned and scaled back, the remaining shift found the same way, and
the answer is the normalised correlation of the edges of the two where they overlap: close to
1 for the same shot, low for a different shot, however alike the subject; and, for shots so
alike that most edges coincide (two motorbikes of one model in one pose, portraits a second
apart), how well the grey levels of one follow the other's in the worst part of the overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from .tiles import eroded, worst_tone

SIDE = 128  # the square both grey copies are padded into
_ANGLES = 180
_RADII = 128
# Holds a grey copy and the other turned (at most sqrt(2) x SIDE) side by side: no wrap-around.
CANVAS = 320
MIN_OVERLAP = 0.25
_MARGIN = 2  # pixels left out along a picture's edges
GOOD_ENOUGH = 0.8  # an agreement that needs no second try (the other half turn)
PEAKS = 4  # shifts tried: the highest correlation peaks  # of the smaller image's area: less overlap says nothing

Grey = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Alignment:
    angle: float  # degrees, counter-clockwise, applied to the second image
    scale: float
    agreement: float  # normalised correlation of edges in the overlap, -1..1
    tone: float = -1.0  # how well one's grey levels follow the other's, in the worst part of the overlap (tiles.py)


def align(first: Grey, second: Grey) -> Alignment:
    """The best alignment of `second` onto `first` and how well they then agree."""
    a, b = _padded(first), _padded(second)
    angle, scale = _rotation_and_scale(a, b)
    best = Alignment(0.0, 1.0, -1.0)
    for turn in (angle, angle + 180.0):
        agreement, tone = _agreement(first, second, turn, scale)
        if agreement > best.agreement:
            best = Alignment(turn, scale, agreement, tone)
        if best.agreement >= GOOD_ENOUGH:
            break
    return best


def _padded(grey: Grey) -> Floats:
    out = np.zeros((SIDE, SIDE))
    h, w = grey.shape
    values = grey.astype(np.float64)
    out[:h, :w] = (values - values.mean()) * _hann(h, w)
    return out


def _hann(h: int, w: int) -> Floats:
    return np.outer(np.hanning(h), np.hanning(w))


def _rotation_and_scale(a: Floats, b: Floats) -> tuple[float, float]:
    la, lb = _log_polar(_spectrum(a)), _log_polar(_spectrum(b))
    (dy, dx), _ = _phase_shift(la, lb)
    base = np.exp(np.log(SIDE / 2) / _RADII)
    angle = -dy * 180.0 / _ANGLES
    return float(angle), float(base ** (-dx))


def _spectrum(image: Floats) -> Floats:
    magnitude = np.abs(np.fft.fftshift(np.fft.fft2(image)))
    fy = np.cos(np.pi * np.linspace(-0.5, 0.5, SIDE))
    emphasis = np.outer(fy, fy)
    high_pass = (1.0 - emphasis) * (2.0 - emphasis)
    return magnitude * high_pass


def _log_polar(spectrum: Floats) -> Floats:
    centre = SIDE / 2
    theta = np.linspace(0, np.pi, _ANGLES, endpoint=False)[:, None]
    radius = np.exp(np.linspace(0, np.log(SIDE / 2), _RADII, endpoint=False))[None, :]
    y = centre + radius * np.sin(theta)
    x = centre + radius * np.cos(theta)
    return _bilinear(spectrum, y, x)


def _bilinear(image: Floats, y: Floats, x: Floats) -> Floats:
    y0 = np.clip(np.floor(y).astype(int), 0, image.shape[0] - 2)
    x0 = np.clip(np.floor(x).astype(int), 0, image.shape[1] - 2)
    fy, fx = np.clip(y - y0, 0, 1), np.clip(x - x0, 0, 1)
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return np.asarray(top * (1 - fy) + bottom * fy, np.float64)


def _phase_shift(a: Floats, b: Floats) -> tuple[tuple[float, float], float]:
    """The shift (rows, columns) that moves `b` onto `a`, to a fraction of a pixel (a parabola
    through the peak and its neighbours: a scale off by one log-polar step, 3%, blurs the
    comparison of the edges), and the correlation peak's height."""
    cross = np.fft.fft2(a) * np.conj(np.fft.fft2(b))
    cross /= np.maximum(np.abs(cross), 1e-12)
    surface = np.real(np.fft.ifft2(cross))
    peak = np.unravel_index(int(np.argmax(surface)), surface.shape)
    shift = []
    for axis, (p, n) in enumerate(zip(peak, surface.shape, strict=True)):
        before, after = list(peak), list(peak)
        before[axis], after[axis] = (p - 1) % n, (p + 1) % n
        left, centre, right = surface[tuple(before)], surface[peak], surface[tuple(after)]
        bend = left - 2 * centre + right
        fraction = 0.5 * (left - right) / bend if bend < 0 else 0.0
        whole = float(p) if p <= n // 2 else float(p - n)
        shift.append(whole + float(np.clip(fraction, -0.5, 0.5)))
    return (shift[0], shift[1]), float(surface[peak])


def _agreement(first: Grey, second: Grey, angle: float, scale: float) -> tuple[float, float]:
    """Turn and scale `second`, find the shift onto `first`, correlate their edges where they
    overlap; and how well one's grey levels follow the other's there (tiles.worst_tone)."""
    if not 0.2 < scale < 5.0:
        return -1.0, -1.0
    if scale > 1.0:  # shrink, never enlarge: the moved copy stays small and the canvas too
        first, second, angle, scale = second, first, -angle, 1.0 / scale
    image = Image.fromarray(second)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    moved = np.asarray(image.resize(size, Image.Resampling.BILINEAR).rotate(
        angle, Image.Resampling.BILINEAR, expand=True), np.float64)
    mask = np.asarray(Image.new("L", size, 255).rotate(angle, Image.Resampling.NEAREST, expand=True)) > 0
    m_a = np.zeros((CANVAS, CANVAS), bool)
    m_b = np.zeros((CANVAS, CANVAS), bool)
    m_a[: first.shape[0], : first.shape[1]] = True
    m_b[: moved.shape[0], : moved.shape[1]] = mask
    edges_a = np.zeros((CANVAS, CANVAS))
    edges_b = np.zeros((CANVAS, CANVAS))
    # Edges inside each picture only, not the steps at its borders or at a turned copy's corners.
    edges_a[: first.shape[0], : first.shape[1]] = _edges(first.astype(np.float64)) * eroded(np.ones(first.shape, bool),
                                                                                            _MARGIN)
    edges_b[: moved.shape[0], : moved.shape[1]] = _edges(moved) * eroded(mask, _MARGIN)
    smaller = min(first.size, int(mask.sum()))
    best, shift = -1.0, (0, 0)
    for dy, dx in _peaks(edges_a, edges_b):  # a textured picture has echoes of the true shift
        correlation = _overlap_correlation(edges_a, edges_b, m_a, m_b, dy, dx, smaller)
        if correlation > best:
            best, shift = correlation, (dy, dx)
    if best <= -1.0:
        return best, best
    grey_a, grey_b = np.zeros((CANVAS, CANVAS)), np.zeros((CANVAS, CANVAS))
    grey_a[: first.shape[0], : first.shape[1]] = first
    grey_b[: moved.shape[0], : moved.shape[1]] = moved
    return best, worst_tone(grey_a, np.roll(grey_b, shift, axis=(0, 1)), _both(m_a, m_b, *shift))


def _overlap_correlation(edges_a: Floats, edges_b: Floats, m_a: npt.NDArray[np.bool_], m_b: npt.NDArray[np.bool_],
                         dy: int, dx: int, smaller: int) -> float:
    b_edges = np.roll(edges_b, (dy, dx), axis=(0, 1))
    both = _both(m_a, m_b, dy, dx)
    if both.sum() < MIN_OVERLAP * smaller or both.sum() < 64:
        return -1.0
    x, y = edges_a[both], b_edges[both]
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / norm) if norm > 0 else -1.0


def _both(m_a: npt.NDArray[np.bool_], m_b: npt.NDArray[np.bool_], dy: int, dx: int) -> npt.NDArray[np.bool_]:
    """Where both pictures are, `m_b` shifted by (dy, dx), less a pixel along the edges."""
    both = m_a & np.roll(m_b, (dy, dx), axis=(0, 1))
    both[1:-1, 1:-1] &= both[:-2, 1:-1] & both[2:, 1:-1] & both[1:-1, :-2] & both[1:-1, 2:]
    return both


def _peaks(a: Floats, b: Floats, count: int = PEAKS) -> list[tuple[int, int]]:
    """The shifts of the `count` highest peaks of the phase correlation of `a` and `b`."""
    cross = np.fft.rfft2(a) * np.conj(np.fft.rfft2(b))
    cross /= np.maximum(np.abs(cross), 1e-12)
    surface = np.fft.irfft2(cross, s=a.shape)
    flat = surface.ravel()
    highest = np.argpartition(flat, -count * 20)[-count * 20 :]
    found: list[tuple[int, int]] = []
    for index in highest[np.argsort(flat[highest])[::-1]]:
        y, x = np.unravel_index(int(index), surface.shape)
        shift = (int(y) if y <= surface.shape[0] // 2 else int(y) - surface.shape[0],
                 int(x) if x <= surface.shape[1] // 2 else int(x) - surface.shape[1])
        if all(abs(shift[0] - fy) > 2 or abs(shift[1] - fx) > 2 for fy, fx in found):
            found.append(shift)
        if len(found) == count:
            break
    return found


def _edges(image: Floats) -> Floats:
    gy, gx = np.gradient(image)
    return np.asarray(np.hypot(gx, gy), np.float64)
