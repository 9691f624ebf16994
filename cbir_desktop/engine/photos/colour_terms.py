"""A photo's colours in words: how much of it is each of the 11 basic colour terms.

Computed at indexing from the small decoded copy the model gets (no second decode), kept as
`DESCRIPTION_SIZE` bytes a photo (storage/colour_rows.py), and read by colour words in text
search (search/colour_words.py). The rule, stated so it can be checked:

1. The photo is shrunk to `SIDE` x `SIDE` pixels and each pixel converted to CIELAB (D65),
   then to lightness L, chroma C = |(a, b)| and hue angle h in degrees.
2. Achromatic (C < `GREY_CHROMA`): black below L 30, white from L 78, grey between.
3. Chromatic, by hue band: 345-20 pink from L 60, else red; 20-50 red (pink when light and
   pale: L >= 75, C < 45; brown when dark and dull: L < 50, C < 40); 50-80 orange (brown when
   L < 50 or C < 25: tan, beige, chocolate); 80-110 yellow (brown when L < 55 or C < 25:
   olive, khaki); 110-200 green; 200-310 blue (pure sRGB blue is at 306); 310-345 purple,
   pink from L 60.
4. Each pixel counts by its place: the subject is usually central, so a pixel weighs
   0.25 + exp(-d^2 / (2 x 0.25^2)), d its distance from the centre in photo widths/heights
   (1.25 at the centre, 0.39 at the middle of an edge, 0.27 in a corner).

Besides the 11 fractions: the weighted mean chroma (colourfulness) and the spread of (a, b)
around their mean (a sepia or tinted photo has some chroma but almost no spread), from which
`monochrome` says how near to black and white a photo is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

TERMS = ("black", "white", "grey", "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown")
CHROMA, SPREAD = len(TERMS), len(TERMS) + 1  # positions of the two measures after the fractions
DESCRIPTION_SIZE = len(TERMS) + 2
RULE_VERSION = 1  # bump when the rule changes: the colour pass then describes every photo again
SIDE = 48  # pixels a side: 2,304 pixels say how much of each colour there is, in about 1 ms
GREY_CHROMA = 10.0  # CIELAB chroma below which a pixel has no hue worth naming
CHROMA_SCALE = 2.0  # stored byte = chroma x 2: chroma up to 127 fits a byte (sRGB tops at ~134)
CENTRE_SIGMA, BORDER_FLOOR = 0.25, 0.25
# Monochrome: 1 for no chroma at all, 0 from a spread plus half the chroma of 20 (a muted
# colour photo: chroma 8, spread 8 -> 0.4; a sepia print: chroma 17, spread 7.5 -> 0.2; a plain
# sky-blue photo, chroma 26 and no spread, 0.35: a toned print ranks below greyscale ones).
MONOCHROME_SCALE = 20.0

Description = npt.NDArray[np.uint8]


def describe_colours(image: Image.Image) -> Description:
    """The photo's colour description: `DESCRIPTION_SIZE` bytes (fractions x 255, then
    chroma and spread x `CHROMA_SCALE`). Pure; about 1 ms for any size of `image`."""
    small = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    lab = _to_lab(np.asarray(small, np.float32).reshape(-1, 3) / 255.0)
    terms = _term_of(lab)
    weights = _WEIGHTS
    total = float(weights.sum())
    fractions = np.bincount(terms, weights=weights, minlength=len(TERMS)) / total
    ab = lab[:, 1:]
    chroma = float(np.hypot(ab[:, 0], ab[:, 1]) @ weights) / total
    mean_ab = (ab * weights[:, None]).sum(axis=0) / total
    spread = float(np.sqrt(((ab - mean_ab) ** 2).sum(axis=1) @ weights / total))
    out = np.empty(DESCRIPTION_SIZE, np.uint8)
    out[: len(TERMS)] = np.clip(np.rint(fractions * 255.0), 0, 255)
    out[CHROMA] = np.clip(round(chroma * CHROMA_SCALE), 0, 255)
    out[SPREAD] = np.clip(round(spread * CHROMA_SCALE), 0, 255)
    return out


def fractions(descriptions: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The colour-term fractions (rows of photos, columns in `TERMS` order) of stored descriptions."""
    return (descriptions[..., : len(TERMS)].astype(np.float32) / 255.0).astype(np.float32)


def monochrome(descriptions: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """How near each photo is to black and white (greyscale, sepia, a tint): 1 for no chroma at
    all, falling to 0 with the spread of its hues plus half its chroma (`MONOCHROME_SCALE`)."""
    chroma = descriptions[..., CHROMA].astype(np.float32) / CHROMA_SCALE
    spread = descriptions[..., SPREAD].astype(np.float32) / CHROMA_SCALE
    return np.clip(1.0 - (spread + 0.5 * chroma) / MONOCHROME_SCALE, 0.0, 1.0).astype(np.float32)


def _to_lab(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """sRGB in [0, 1] (rows of pixels) to CIELAB under D65."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)
    return lab.astype(np.float32)


_RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]],
                       np.float32)
_WHITE = np.array([0.9505, 1.0, 1.089], np.float32)
_T = {term: i for i, term in enumerate(TERMS)}


def _term_of(lab: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """Each pixel's basic colour term (an index into `TERMS`), by the rule in the module's docstring."""
    lightness, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    light = lightness >= 60
    pinkish = (hue >= 345) | (hue < 20)
    reddish = (hue >= 20) & (hue < 50)
    orangish = (hue >= 50) & (hue < 80)
    yellowish = (hue >= 80) & (hue < 110)
    purplish = (hue >= 310) & (hue < 345)
    conditions = [
        (chroma < GREY_CHROMA) & (lightness < 30), (chroma < GREY_CHROMA) & (lightness >= 78),
        chroma < GREY_CHROMA,
        pinkish & light, pinkish,
        reddish & (lightness >= 75) & (chroma < 45), reddish & (lightness < 50) & (chroma < 40), reddish,
        orangish & ((lightness < 50) | (chroma < 25)), orangish,
        yellowish & ((lightness < 55) | (chroma < 25)), yellowish,
        (hue >= 110) & (hue < 200), (hue >= 200) & (hue < 310),
        purplish & light, purplish,
    ]
    choices = ["black", "white", "grey", "pink", "red", "pink", "brown", "red", "brown", "orange",
               "brown", "yellow", "green", "blue", "pink", "purple"]
    return np.select(conditions, [_T[c] for c in choices], default=_T["grey"]).astype(np.int64)


def _centre_weights() -> npt.NDArray[np.float64]:
    """Each of the `SIDE` x `SIDE` pixels' weight (rows first), heavier towards the centre."""
    axis = (np.arange(SIDE) + 0.5) / SIDE - 0.5
    d2 = axis[:, None] ** 2 + axis[None, :] ** 2
    weights: npt.NDArray[np.float64] = (BORDER_FLOOR + np.exp(-d2 / (2 * CENTRE_SIGMA**2))).ravel()
    return weights


_WEIGHTS = _centre_weights()  # the same for every photo: computed once
