"""Bursts stacked for the library view, on real photos: the shots of one camera a second apart
behind their sharpest, in the order taken; a listing page folded behind its tops."""

from __future__ import annotations

from pathlib import Path

from helpers import burst_photos, caltech_copy, camera_photo

from cbir_desktop.engine.api import open_library, stacked_rows, stacks_by_path
from cbir_desktop.engine.types import PhotoGroup


def test_a_burst_is_stacked_behind_its_sharpest_shot_in_the_order_taken(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    shots = burst_photos(photos, 4, sharpest=2)
    caltech_copy(photos / "leopard.jpg", "Leopards/image_0001.jpg")  # no camera: never in a burst
    caltech_copy(photos / "ant.jpg", "ant/image_0001.jpg")
    camera_photo(photos / "later.jpg", "blue", "2021:05:01 11:00:00", "Fujifilm", "X100V")  # an hour after
    with open_library(library_dir) as library:
        library.index([photos])
        (stack,) = library.burst_stacks()
        assert stack.members == tuple(str(p) for p in shots)
        assert stack.top == str(shots[2])  # the sharp one, though not the first taken
        assert stack.count == 4
        assert library.burst_stacks(window_s=0.5) == []  # the shots are a second apart


def test_shots_of_another_camera_or_no_camera_at_the_same_time_are_not_stacked(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    burst_photos(photos / "fuji", 2)
    burst_photos(photos / "canon", 1, start_second=1, make="Canon", model="EOS R6", prefix="IMG_")
    with open_library(library_dir) as library:
        library.index([photos])
        (stack,) = library.burst_stacks()
    assert [Path(p).parent.name for p in stack.members] == ["fuji", "fuji"]


def test_a_listing_page_folds_each_burst_behind_its_top_and_opens_it_in_place(tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    shots = [str(p) for p in burst_photos(photos, 3, sharpest=1)]
    caltech_copy(photos / "leopard.jpg", "Leopards/image_0001.jpg")
    with open_library(library_dir) as library:
        library.index([photos])
        stack_of = stacks_by_path(library.burst_stacks())
        (section,) = library.grouped("folder")
    rows = [section.group, *section.hits]
    folded = stacked_rows(rows, stack_of)
    names = [Path(row.path).name if not isinstance(row, PhotoGroup) else "header" for row, _ in folded]
    assert sorted(names) == ["DSCF0001.jpg", "header", "leopard.jpg"]
    top_mark = next(mark for row, mark in folded if mark is not None)
    assert (top_mark.top, top_mark.count, top_mark.is_top, top_mark.expanded) == (shots[1], 3, True, False)

    opened = stacked_rows(rows, stack_of, expanded={shots[1]})
    paths = [row.path for row, _ in opened if not isinstance(row, PhotoGroup)]
    at = paths.index(shots[1])
    assert paths[at : at + 3] == [shots[1], shots[0], shots[2]]  # the others right after the top, as taken
    assert [(m.is_top, m.place) for _, m in opened if m is not None] == [(True, 1), (False, 2), (False, 3)]

    # Filters apply: the shots a filtered listing leaves out are not counted, and one shot is no stack.
    without_top = [row for row in rows if getattr(row, "path", "") != shots[1]]
    (mark,) = [m for _, m in stacked_rows(without_top, stack_of) if m is not None]
    assert (mark.count, mark.top) == (2, shots[1])
    alone = [row for row in rows if getattr(row, "path", "") not in shots[1:]]
    assert all(m is None for _, m in stacked_rows(alone, stack_of))


def test_a_group_whose_shots_all_went_behind_a_top_in_another_group_loses_its_header(
        tmp_path, tiny_models, library_dir):
    photos = tmp_path / "photos"
    burst_photos(photos / "a", 1, sharpest=0)
    burst_photos(photos / "b", 1, start_second=1, sharpest=1)  # blurred: the top is a's
    with open_library(library_dir) as library:
        library.index([photos])
        stack_of = stacks_by_path(library.burst_stacks())
        sections = library.grouped("folder")
    rows = [row for section in sections for row in (section.group, *section.hits)]
    folded = stacked_rows(rows, stack_of)
    assert [isinstance(row, PhotoGroup) for row, _ in folded] == [True, False]
