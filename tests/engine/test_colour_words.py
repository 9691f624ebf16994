"""Colour words in text search over real photo files in real tiny libraries: the colour
description computed at indexing, colour-only queries, "black and white", colour + object as a
conjunction, and the colour pass that describes a library's older photos."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
from helpers import COLOURS, solid
from PIL import Image, ImageDraw

from cbir_desktop.engine.api import open_library
from cbir_desktop.engine.handles import CATALOGUE_FILE
from cbir_desktop.engine.indexing import colours_step
from cbir_desktop.engine.indexing.colours_step import describe_colours_step
from cbir_desktop.engine.photos.colour_terms import DESCRIPTION_SIZE, TERMS, describe_colours, fractions, monochrome
from cbir_desktop.engine.search.colour_words import (
    BLACK_AND_WHITE,
    combine_with_colour,
    split_colour_words,
)
from cbir_desktop.engine.storage.catalogue import Catalogue
from cbir_desktop.engine.storage.colour_rows import colour_descriptions


def _centred(path: Path, border: tuple[int, int, int], centre: tuple[int, int, int], share: float = 0.35,
             size: tuple[int, int] = (320, 240)) -> Path:
    """A photo of one colour with a disc of another in its middle, covering `share` of it."""
    image = Image.new("RGB", size, border)
    radius = (share * size[0] * size[1] / np.pi) ** 0.5
    cx, cy = size[0] / 2, size[1] / 2
    ImageDraw.Draw(image).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=centre)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92)
    return path


def _greyscale(path: Path) -> Path:
    """A black-and-white photo: shapes and a gradient in greys only."""
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 60, 220, 180), fill=(40, 40, 40))
    draw.rectangle((20, 20, 80, 90), fill=(230, 230, 230))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92)
    return path


def _names(hits: list) -> list[str]:
    return [Path(hit.path).name for hit in hits]


def test_each_basic_colour_is_named_by_its_term() -> None:
    samples = {"black": (12, 12, 12), "white": (248, 248, 246), "grey": (128, 128, 128), "red": (220, 20, 20),
               "orange": (255, 150, 0), "yellow": (235, 225, 30), "green": (20, 200, 30), "blue": (25, 30, 210),
               "purple": (128, 0, 128), "pink": (255, 105, 180), "brown": (120, 70, 20)}
    for term, rgb in samples.items():
        shares = fractions(describe_colours(Image.new("RGB", (90, 60), rgb)))
        assert TERMS[int(np.argmax(shares))] == term and shares.max() > 0.99, term


def test_the_centre_of_a_photo_counts_more_than_its_border(tmp_path: Path) -> None:
    red, blue = COLOURS["red"], COLOURS["blue"]
    inside = describe_colours(Image.open(_centred(tmp_path / "a.jpg", blue, red, share=0.35)))
    outside = describe_colours(Image.open(_centred(tmp_path / "b.jpg", red, blue, share=0.35)))
    red_at = TERMS.index("red")
    assert fractions(inside)[red_at] > 0.45 > 0.35  # more than its share of the pixels
    assert fractions(outside)[red_at] < 0.55 < 0.65


def test_red_finds_the_red_photo_before_the_blue_one(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    solid(photos / "blue.jpg", "blue", size=(200, 150))
    solid(photos / "red.jpg", "red", size=(200, 150))
    solid(photos / "green.png", "green", size=(200, 150))
    _centred(photos / "red_middle.jpg", COLOURS["blue"], COLOURS["red"])
    _centred(photos / "red_edges.jpg", COLOURS["red"], COLOURS["blue"])
    with open_library(tmp_path / "lib") as library:
        assert library.index([photos]).added == 5
        found = _names(library.search_text("red", k=5))
        assert found[:3] == ["red.jpg", "red_middle.jpg", "red_edges.jpg"]  # the middle matters more
        assert found.index("blue.jpg") > found.index("red_edges.jpg")
        assert _names(library.search_text("Blue", k=1)) == ["blue.jpg"]
        assert _names(library.search_text("gray", k=5)) != []  # a synonym is a colour word too
        hits = library.search_text("red", k=5)
        assert hits[0].relevance >= 0.8 and hits[-1].relevance < 0.4  # strong; weak (hidden)


def test_black_and_white_finds_the_greyscale_photo(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    _greyscale(photos / "bw.jpg")
    for name in ("red", "green", "yellow", "purple"):
        solid(photos / f"{name}.jpg", name, size=(200, 150))
    _centred(photos / "mixed.jpg", COLOURS["yellow"], COLOURS["blue"])
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        for query in ("black and white", "b&w", "monochrome photo", "Black-and-white"):
            assert _names(library.search_text(query, k=3))[0] == "bw.jpg", query


def test_colour_and_object_rank_a_photo_with_both_above_photos_with_one(tiny_models: Path, tmp_path: Path) -> None:
    # The tiny model sees a photo's mean colour: "forest" is nearest its "green" class, so the
    # green photos are the forest ones; the red one is red but no forest, the green one a
    # forest with no red; the green one with a red middle is both.
    photos = tmp_path / "photos"
    solid(photos / "green.jpg", "green", size=(200, 150))
    solid(photos / "red.jpg", "red", size=(200, 150))
    solid(photos / "blue.jpg", "blue", size=(200, 150))
    solid(photos / "grey.jpg", "grey", size=(200, 150))
    _centred(photos / "both.jpg", COLOURS["green"], COLOURS["red"], share=0.3)
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
        assert _names(library.search_text("forest", k=2)) == ["green.jpg", "both.jpg"]  # object alone
        assert _names(library.search_text("red", k=2)) == ["red.jpg", "both.jpg"]  # colour alone
        found = _names(library.search_text("red forest", k=5))
        assert found[0] == "both.jpg"
        hits = library.search_text("red forest", k=5)
        assert hits[0].relevance >= hits[1].relevance and hits[0].score > 2 * hits[1].score


def test_combining_is_a_conjunction_not_an_average() -> None:
    object_scores = np.array([0.9, 0.9, 0.2, 0.55], np.float32)
    colour = np.array([0.0, 0.8, 1.0, 0.8], np.float32)
    combined = combine_with_colour(object_scores, colour)
    assert int(np.argmax(combined)) == 1
    assert combined[0] == 0.0 and combined[2] == 0.0  # either one missing leaves nothing
    assert combined[3] < combined[1] and 0.0 <= combined.min() and combined.max() <= 1.0


def test_queries_split_into_colour_words_and_the_rest() -> None:
    assert split_colour_words("yellow flower") == split_colour_words("Yellow  flower")
    query = split_colour_words("yellow flower")
    assert (query.colours, query.rest) == (("yellow",), "flower")
    query = split_colour_words("black and white photo of a dog")
    assert (query.colours, query.rest) == ((BLACK_AND_WHITE,), "photo of a dog")
    query = split_colour_words("red and blue")
    assert (query.colours, query.rest) == (("red", "blue"), "")
    assert split_colour_words("grey cats").colours == ("grey",)
    assert split_colour_words("gray").colours == ("grey",)
    assert split_colour_words("dog on the beach").colours == ()
    names = {"red fox", "golden retriever"}
    assert split_colour_words("Red Fox", names).colours == ()  # a class name is a thing, not a colour
    assert split_colour_words("red fox in snow", names).colours == ("red",)


def test_greyscale_and_sepia_are_near_black_and_white_and_colour_photos_are_not() -> None:
    grey = Image.linear_gradient("L").resize((120, 90)).convert("RGB")
    sepia = Image.merge("RGB", [p.point(lambda v, f=f: int(v * f)) for p, f in
                                zip(grey.split(), (1.0, 0.85, 0.65), strict=True)])
    colourful = Image.new("RGB", (120, 90), COLOURS["red"])
    ImageDraw.Draw(colourful).rectangle((30, 20, 90, 70), fill=COLOURS["green"])
    scores = monochrome(np.stack([describe_colours(im) for im in (grey, sepia, colourful)]))
    assert scores[0] > 0.95 and scores[0] > scores[1] > 0.1 > scores[2] == 0.0


def test_an_older_library_gets_its_colours_from_the_colour_pass(tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    solid(photos / "blue.jpg", "blue", size=(200, 150))
    solid(photos / "red.jpg", "red", size=(200, 150))
    solid(photos / "yellow.jpg", "yellow", size=(200, 150))
    _greyscale(photos / "bw.jpg")
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
    with sqlite3.connect(tmp_path / "lib" / CATALOGUE_FILE) as db:  # as a version 10 library holds them
        db.executescript("DROP TABLE photo_colours; PRAGMA user_version = 10;")
    with open_library(tmp_path / "lib") as library:
        assert library.search_text("red", k=5) == []  # nothing described yet
        report = library.index()
        assert (report.colours_described, report.added, report.unchanged) == (4, 0, 4)
        assert _names(library.search_text("red", k=1)) == ["red.jpg"]
        assert _names(library.search_text("black and white", k=1)) == ["bw.jpg"]
        assert library.index().colours_described == 0  # done once


def test_a_photo_the_colour_pass_cannot_read_is_not_tried_again_until_it_changes(
        tiny_models: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    solid(photos / "red.jpg", "red", size=(200, 150))
    broken = solid(photos / "blue.jpg", "blue", size=(200, 150))
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
    catalogue = Catalogue(tmp_path / "lib" / CATALOGUE_FILE)
    try:
        with catalogue.transaction():
            catalogue.db.execute("DELETE FROM photo_colours")
        stat = broken.stat()
        broken.write_bytes(b"not a photo any more".ljust(stat.st_size, b"."))  # same size and time: not re-indexed
        os.utime(broken, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        first = list(describe_colours_step(catalogue, [str(photos)], threading.Event(), threads=1))
        assert first[-1].done == first[-1].total == 2
        assert list(describe_colours_step(catalogue, [str(photos)], threading.Event(), threads=1)) == []
        assert len(colour_descriptions(catalogue, DESCRIPTION_SIZE)[0]) == 1  # the red photo alone
    finally:
        catalogue.close()


def test_the_colour_pass_resumes_where_a_cancel_stopped_it(tiny_models: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    photos = tmp_path / "photos"
    for name in ("red", "green", "blue", "yellow", "purple"):
        solid(photos / f"{name}.jpg", name)
    with open_library(tmp_path / "lib") as library:
        library.index([photos])
    catalogue = Catalogue(tmp_path / "lib" / CATALOGUE_FILE)
    try:
        with catalogue.transaction():
            catalogue.db.execute("DELETE FROM photo_colours")
        monkeypatch.setattr(colours_step, "COLOUR_BATCH", 2)
        cancel = threading.Event()
        step = describe_colours_step(catalogue, [str(photos)], cancel, threads=1)
        progress = [next(step), next(step)]  # the start, then the first batch stored
        cancel.set()
        try:
            next(step)
        except StopIteration as stop:
            first = stop.value
        assert [(p.done, p.total) for p in progress] == [(0, 5), (2, 5)]
        assert (first.photos, first.cancelled) == (2, True)
        rest = list(describe_colours_step(catalogue, [str(photos)], threading.Event()))
        assert rest[-1].done == rest[-1].total == 3
        count = catalogue.db.execute("SELECT COUNT(*) FROM photo_colours").fetchone()[0]
        assert count == 5
    finally:
        catalogue.close()
