"""Camera and lens names as people say them: "NIKON CORPORATION" "NIKON D300" is a Nikon D300.

EXIF Make is the maker's legal name in whatever case its firmware wrote ("PENTAX Corporation ",
"EASTMAN KODAK COMPANY", "samsung"), and Model often repeats it ("Canon EOS 40D"). A camera
filter lists makers and models, so both are tidied here, once, at indexing time: one spelling
per maker, the model without the maker in front.
"""

from __future__ import annotations

import re

# Cleaned, lower-case maker names (and first words of them) to the brand's usual spelling.
_BRANDS = {
    "nikon": "Nikon", "canon": "Canon", "fujifilm": "Fujifilm", "fuji": "Fujifilm", "fuji photo film": "Fujifilm",
    "sony": "Sony", "olympus": "Olympus", "om digital solutions": "OM System", "om system": "OM System",
    "panasonic": "Panasonic", "pentax": "Pentax", "ricoh": "Ricoh", "samsung": "Samsung", "apple": "Apple",
    "google": "Google", "huawei": "Huawei", "honor": "Honor", "xiaomi": "Xiaomi", "htc": "HTC", "lg": "LG",
    "lge": "LG", "leica": "Leica", "hasselblad": "Hasselblad", "eastman kodak": "Kodak", "kodak": "Kodak",
    "konica minolta": "Konica Minolta", "minolta": "Minolta", "konica": "Konica", "casio": "Casio",
    "sigma": "Sigma", "nokia": "Nokia", "hmd global": "HMD", "motorola": "Motorola", "oneplus": "OnePlus",
    "oppo": "OPPO", "vivo": "vivo", "realme": "realme", "dji": "DJI", "gopro": "GoPro", "zte": "ZTE",
    "sharp": "Sharp", "sanyo": "Sanyo", "phase one": "Phase One", "blackberry": "BlackBerry",
    "microsoft": "Microsoft", "asus": "ASUS", "epson": "Epson", "polaroid": "Polaroid", "yi": "YI",
    "insta360": "Insta360", "nothing": "Nothing", "fairphone": "Fairphone", "blackmagic": "Blackmagic",
}
# Legal-form and filler words that end a maker's name; dropped, last first, before the lookup.
_SUFFIX = re.compile(
    r"[\s,]+(?:corporation|corp|co|company|ltd|limited|inc|ag|gmbh|sa|a/s|imaging|camera|electronics|"
    r"optical|mobile|communications?|technolog(?:y|ies)|telecom|international)\.?$",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


def tidy_make(raw: object) -> str | None:
    """The maker's usual name ("NIKON CORPORATION" -> "Nikon"); None when there is none."""
    text = _clean(raw)
    if not text:
        return None
    short = text.strip(" ,.")
    while (suffix := _SUFFIX.search(short)) and suffix.start() > 0:  # "RICOH IMAGING COMPANY, LTD."
        short = short[: suffix.start()].strip(" ,.")
    key = short.lower()
    words = key.split()
    for candidate in (key, " ".join(words[:2]), words[0]):
        if candidate in _BRANDS:
            return _BRANDS[candidate]
    # An unknown maker keeps its spelling, except shouting: "BLACKWIDGET" -> "Blackwidget".
    return short.title() if short.isupper() and len(short) > 4 and " " not in short else short


def tidy_model(raw: object, make: object = None) -> str | None:
    """The model without its maker in front ("Canon EOS 40D" -> "EOS 40D"); `make` is the raw
    EXIF Make. A model that is only the maker's name stays as it is."""
    text = _clean(raw)
    if not text:
        return None
    names = {name.lower() for name in _maker_names(make) if name}
    lowered = text.lower()
    for name in sorted(names, key=len, reverse=True):
        # Only before a space: "OM-1" and "LG-H850" are model names, not "OM" or "LG" plus one.
        if lowered.startswith(name + " ") and text[len(name):].strip():
            return text[len(name):].strip()
    return text


def tidy_lens(raw: object) -> str | None:
    """A lens name, or None for what is not one: a bare number or hex bytes (a maker's lens
    ID, "163", "A5 40 3C 8E"), which only the maker's tables turn into a name."""
    text = _clean(raw)
    if not text or re.fullmatch(r"[\d\s]+|(?:[0-9A-Fa-f]{2}\s+)+[0-9A-Fa-f]{2}", text):
        return None
    return text


def _maker_names(make: object) -> list[str]:
    raw = _clean(make)
    if not raw:
        return []
    tidy = tidy_make(raw) or ""
    names = [raw, raw.split()[0], tidy]
    if tidy == "Kodak":
        names.append("Kodak")
    return names


def _clean(raw: object) -> str:
    """Text without NULs and padding; EXIF strings are often fixed-width ("TCT          ")."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = str(raw).split("\x00", 1)[0]
    return _SPACE.sub(" ", text).strip()
