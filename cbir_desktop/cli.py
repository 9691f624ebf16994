"""The `cbir` command line: a thin shell over `cbir_desktop.engine.api`."""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .engine.api import (
    DUPLICATE_LEVELS,
    GROUPINGS,
    RELEVANT_FROM,
    SORTS,
    Library,
    default_library_dir,
    find_photo_faces,
    list_models,
    open_library,
    parse_query,
    read_photo_metadata,
    relevance_band,
    repair_library,
    sort_hits,
)
from .engine.errors import EngineError, LibraryNotFound, NotInLibrary, UnknownWord, display_path, sentences
from .engine.types import (
    DuplicateGroup,
    IndexProgress,
    IndexReport,
    PersonGroup,
    PhotoMetadata,
    SearchHit,
    TagScore,
    WordHit,
)
from .version import version_text


class _QueryAction(argparse.Action):
    """Collects --image and --text into one list, keeping their command-line order."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        queries = list(getattr(namespace, self.dest, None) or [])
        queries.append(((option_string or "--text").lstrip("-"), values))
        setattr(namespace, self.dest, queries)


def _count(text: str) -> int:
    """-k: a whole number of results, 1 or more (argparse turns the error into a usage line)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of results (1 or more)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cbir", description="Search your photos by example or by word, offline."
    )
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument("--library", metavar="DIR",
                        help=f"library folder (default: $CBIR_LIBRARY or {default_library_dir()})")
    parser.add_argument("--word-vectors", metavar="FILE",
                        help="a GloVe text file (e.g. glove.6B.300d.txt) to use instead of the "
                             "shipped word vectors (default: $CBIR_WORD_VECTORS)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="index photo folders (no folder: rescan the remembered ones)")
    p.add_argument("folders", nargs="*", metavar="FOLDER")
    p.add_argument("--model", help="model id (see `cbir models`)")
    p.add_argument("--batch-size", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-faces", action="store_true", help="skip the faces step (finding faces after the image model)")
    p.add_argument("--no-text", action="store_true",
                   help="skip reading text in photos this time (the next run reads what is unread)")

    p = sub.add_parser("search", help="search by image file or by word/phrase")
    p.add_argument("-k", type=_count, default=10, help="results per query (default 10)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per query per line, with all k results and their relevance")
    p.add_argument("--all", action="store_true",
                   help="print all k results, also those below the relevance cut-off")
    p.add_argument("--image", action=_QueryAction, dest="queries", metavar="FILE",
                   help="find photos like this image file (repeatable)")
    p.add_argument("--text", action=_QueryAction, dest="queries", metavar="TEXT",
                   help="find photos of this word or phrase (repeatable)")
    p.add_argument("--like-person", action=_QueryAction, dest="queries", metavar="FILE",
                   help="more of this person: photos with faces nearest the main face in FILE (repeatable)")
    p.add_argument("--model", help="model id")
    p.add_argument("--sort", choices=SORTS, default="relevance",
                   help="order of the results: relevance (default) or date, newest taken first; among the "
                        "k best, those past the relevance cut-off first (filters alone always list by date)")
    _add_filter_options(p)

    p = sub.add_parser("list", help="the library's photos in groups: months taken (newest first), places or folders")
    p.add_argument("--by", choices=GROUPINGS, default="month",
                   help="month taken (default; photos with no date last), place (country, town) or folder")
    p.add_argument("--json", action="store_true", help="one JSON object per group per line, with its photos")
    _add_filter_options(p)

    p = sub.add_parser("words", help="words similar to a word")
    p.add_argument("-k", type=_count, default=10)
    p.add_argument("--json", action="store_true")
    p.add_argument("words", nargs="+", metavar="WORD")

    p = sub.add_parser("tags", help="auto-tags of image files; add, reject or write them to XMP")
    p.add_argument("-k", type=_count, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--add", action="append", default=[], metavar="TAG",
                   help="confirm or add a tag on library photos (repeatable)")
    p.add_argument("--remove", action="append", default=[], metavar="TAG",
                   help="reject a tag on library photos (repeatable)")
    p.add_argument("--write-xmp", action="store_true",
                   help="write confirmed tags to .xmp sidecars beside the photos (photos untouched)")
    p.add_argument("--model", help="model id")

    p = sub.add_parser("info", help="what photos' own metadata says: date, camera, exposure, place")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("faces", help="the faces found in photos (boxes as fractions of the upright photo); "
                                     "--delete-all forgets every face and person of the library")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("--delete-all", action="store_true",
                   help="delete all face data (faces, names, groups, suggestions; photos and tags stay), "
                        "after asking on a terminal")
    p.add_argument("--yes", action="store_true", help="with --delete-all: do not ask (needed when not on a terminal)")
    p.add_argument("files", nargs="*", metavar="FILE")

    p = sub.add_parser("people", help="people and unnamed groups of faces; name, merge, remove, suggestions")
    p.add_argument("--json", action="store_true", help="one JSON object per person or group per line")
    people_sub = p.add_subparsers(dest="action")
    q = people_sub.add_parser("name", help="name a group (g3) or rename a person (p2)")
    q.add_argument("id", metavar="ID")
    q.add_argument("name", metavar="NAME")
    q = people_sub.add_parser("merge", help="make the second person or group part of the first")
    q.add_argument("ids", nargs=2, metavar="ID")
    q = people_sub.add_parser("remove", help="take faces from their person; never suggested for them again")
    q.add_argument("faces", nargs="+", type=int, metavar="FACE_ID")
    q = people_sub.add_parser("suggestions", help="faces suggested for a person; --accept or --reject them all")
    q.add_argument("person", metavar="NAME")
    verdict = q.add_mutually_exclusive_group()
    verdict.add_argument("--accept", action="store_true", help="confirm every suggestion")
    verdict.add_argument("--reject", action="store_true", help="reject every suggestion")

    p = sub.add_parser("duplicates", help="groups of duplicate photos, each with the copy to keep; "
                                          "--trash-rejects moves the others to the system trash, "
                                          "--reject-xmp marks them rejected in XMP")
    p.add_argument("--level", choices=DUPLICATE_LEVELS, default="same",
                   help="exact: the same bytes or pixels; same (default): the same shot in another size, format, "
                        "orientation, crop or edit; series: shots of one scene taken moments apart by one camera")
    p.add_argument("--window", type=float, metavar="SECONDS",
                   help="series: the most seconds between two shots (default: the library's setting, 30)")
    p.add_argument("--json", action="store_true", help="one JSON object per group per line")
    rejects = p.add_mutually_exclusive_group()
    rejects.add_argument("--trash-rejects", action="store_true",
                         help="move all but the suggested keeper of each group to the system trash, after a "
                              "summary and a question (never deleted: restore them from the trash)")
    rejects.add_argument("--reject-xmp", action="store_true",
                         help="instead of moving them, mark all but each keeper rejected (xmp:Rating -1) in their "
                              ".xmp sidecars, for culling in another tool (photos untouched), after the same question")
    p.add_argument("--yes", action="store_true", help="with --trash-rejects or --reject-xmp: do not ask")

    p = sub.add_parser("status", help="what the library holds, and whether it is sound")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("repair", help="restore a damaged catalogue from its backups, rebuild the rest")

    p = sub.add_parser("settings", help="the library's settings; `settings pairs on|off` changes one")
    p.add_argument("name", nargs="?", choices=["pairs", "faces", "small-faces", "expansion", "text"],
                   help="pairs: a RAW and the JPEG beside it (same name) show as one photo, the JPEG; "
                        "faces: indexing finds faces; small-faces: faces from 1/30 of a photo's long side "
                        "instead of 1/20 (about 1.5x slower; every photo is read again); "
                        "expansion: image search expands the query over its nearest photos and searches "
                        "vectors augmented by each photo's nearest (the next `index` brings them up to date); "
                        "text: indexing reads text in photos (signs, receipts, documents) for text search")
    p.add_argument("value", nargs="?", choices=["on", "off"])

    p = sub.add_parser("models", help="models available; `models import FILE.onnx` adds one")
    p.add_argument("--json", action="store_true")
    models_sub = p.add_subparsers(dest="models_command", metavar="import")
    q = models_sub.add_parser("import", help="add an ONNX model exported elsewhere to this library")
    q.add_argument("file", metavar="FILE.onnx")
    q.add_argument("--name", help="model id to use (default: the file name)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The engine's warnings (a damaged file it works around) read like the CLI's own lines.
    logging.basicConfig(format="cbir: %(message)s", level=logging.WARNING)
    # Undecodable bytes in file names go back out as the same bytes.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]  # TextIO lacks it; checked above
    try:
        with sentences(args.library or str(default_library_dir())):  # OS and SQLite failures too
            return COMMANDS[args.command](args)
    except EngineError as exc:
        print(f"cbir: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cbir: interrupted; run the same command again to resume.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _open(args: argparse.Namespace, create: bool = False) -> Library:
    return open_library(args.library, create=create, model_id=getattr(args, "model", None),
                        word_vectors=args.word_vectors)


def cmd_index(args: argparse.Namespace) -> int:
    with _open(args, create=True) as library:
        if not args.folders and not library.folders():
            print("cbir: no folders to index; name one: cbir index FOLDER", file=sys.stderr)
            return 1
        for folder in args.folders:
            library.add_folder(folder)  # checks every folder exists before any work
        printer = _ProgressPrinter(sys.stderr)
        gen = library.iter_index(args.folders or None, batch_size=getattr(args, "batch_size", None),
                                 faces=not getattr(args, "no_faces", False),  # `cbir repair` indexes too
                                 text=not getattr(args, "no_text", False))
        try:
            while True:
                printer.update(next(gen))
        except StopIteration as stop:
            report: IndexReport = stop.value
        printer.finish()
        _print_report(report)
        if report.added or report.updated or report.moved or report.removed:
            _learn(library)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Each file's metadata as the library stored it (a file not in the library: read now)."""
    def show(library: Library | None, full: str) -> None:
        metadata, stored = _metadata(library, full)
        if args.json:
            fields = {k: v for k, v in metadata.__dict__.items() if k != "notes"}
            print(json.dumps({**_json_path(full), "in_library": stored, **fields, "notes": list(metadata.notes)}))
        else:
            _print_metadata(full, metadata, stored)

    return _each_file(args, show)


def cmd_faces(args: argparse.Namespace) -> int:
    """Each file's faces as the library stored them (a file not in the library: found now), or
    with --delete-all every face of the library forgotten."""
    if args.delete_all:
        if args.files:
            print("cbir: --delete-all deletes the whole library's face data; name no files", file=sys.stderr)
            return 2
        return _delete_face_data(args)
    if not args.files:
        print("cbir: name the photos to show faces of: cbir faces FILE…", file=sys.stderr)
        return 2
    def show(library: Library | None, full: str) -> None:
        stored = library is not None
        try:
            faces = library.faces(full) if library is not None else find_photo_faces(full)
        except NotInLibrary:
            faces, stored = find_photo_faces(full), False
        boxes = [{"box": [round(v, 4) for v in f.box], "score": round(f.score, 3), "person": f.person}
                 for f in faces]
        if args.json:
            print(json.dumps({**_json_path(full), "in_library": stored, "faces": boxes}))
            return
        print(f"{display_path(full)}: {len(faces)} face{'s' if len(faces) != 1 else ''}"
              + ("" if stored else "  (not in the library: found now)"))
        for face in faces:
            x, y, w, h = face.box
            print(f"  x {x:.3f}  y {y:.3f}  w {w:.3f}  h {h:.3f}  score {face.score:.2f}"
                  + (f"  {face.person}" if face.person else ""))

    return _each_file(args, show)


def _delete_face_data(args: argparse.Namespace) -> int:
    """Forget every face and person of the library, once the user said yes (`--yes`, or `y` on a
    terminal); refuses when nobody can be asked."""
    with _open(args) as library:
        faces, people = library.face_data_size()
        named = f"{people} named {'person' if people == 1 else 'people'}"
        if not args.yes:
            if not sys.stdin.isatty():
                print("cbir: deleting all face data needs a yes: run it on a terminal, or add --yes", file=sys.stderr)
                return 1
            answer = input(f"Delete all face data: {faces} face{'s' if faces != 1 else ''} and {named}? "
                           "Photos and tags stay. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing deleted")
                return 1
        removed = library.delete_face_data()
        print(f"deleted {removed} face{'s' if removed != 1 else ''} and {named} (photos and tags kept)")
    return 0


def _each_file(args: argparse.Namespace, show: Callable[[Library | None, str], None]) -> int:
    """`show` each of `args.files` with the library when there is one (a file outside it is read
    now); a file that fails is said in one line; exit 1 when every file failed."""
    try:
        library: Library | None = _open(args)
    except LibraryNotFound:
        library = None
    failed = 0
    try:
        for path in args.files:
            full = os.path.abspath(path)
            try:
                show(library, full)
            except EngineError as exc:
                failed += 1
                print(json.dumps({**_json_path(full), "error": str(exc)}) if args.json
                      else f"{display_path(full)}: {exc}")
    finally:
        if library is not None:
            library.close()
    return 1 if failed == len(args.files) else 0


def cmd_people(args: argparse.Namespace) -> int:
    """List people and unnamed groups, or make a decision about them."""
    with _open(args) as library:
        if args.action == "name":
            _print_people([library.name_group(args.id, args.name)], args.json)
        elif args.action == "merge":
            _print_people([library.merge_people(*args.ids)], args.json)
        elif args.action == "remove":
            removed = library.remove_faces(args.faces)
            print(f"{removed} face{'s' if removed != 1 else ''} removed from their person")
        elif args.action == "suggestions":
            faces = library.suggestions(args.person)
            if args.accept or args.reject:
                ids = [face.face_id for face in faces]
                done = (library.confirm_suggestions if args.accept else library.reject_suggestions)(args.person, ids)
                print(f"{done} suggestion{'s' if done != 1 else ''} {'accepted' if args.accept else 'rejected'}")
            else:
                for face in faces:
                    print(json.dumps({"face": face.face_id, **_json_path(face.path), "box": _box(face.box)})
                          if args.json else f"  face {face.face_id}  {display_path(face.path)}")
        else:
            _print_people(library.people(), args.json)
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    """Print the groups of one level; with --trash-rejects, move all but each keeper to the trash;
    with --reject-xmp, mark them rejected in their XMP sidecars instead."""
    flag = "--trash-rejects" if args.trash_rejects else "--reject-xmp" if args.reject_xmp else ""
    if flag and not args.yes and not sys.stdin.isatty():
        print(f"cbir: {flag} asks before {'moving files' if args.trash_rejects else 'writing sidecars'} and there "
              "is no terminal to ask; add --yes", file=sys.stderr)
        return 1
    with _open(args) as library:
        def reading(done: int, total: int) -> None:
            if sys.stderr.isatty():
                print(f"\rReading {done} of {total} photos", end="\n" if done == total else "", file=sys.stderr)

        groups = library.duplicates(args.level, args.window, progress=reading)
        for number, group in enumerate(groups, 1):
            _print_duplicates(number, group, args.json)
        if not groups and not args.json:
            print(f"No duplicates at the {args.level!r} level.")
        if not flag:
            return 0
        rejects = [m for group in groups for m in group.rejects]
        if not rejects:
            print(f"Nothing to {'move to the trash' if args.trash_rejects else 'mark rejected'}.", file=sys.stderr)
            return 0
        size = sum(m.size for m in rejects) / 1e6
        fate = "go to the trash" if args.trash_rejects else "be marked rejected (xmp:Rating -1) in their XMP sidecars"
        print(f"{len(rejects)} photo{'s' if len(rejects) != 1 else ''} ({size:.1f} MB) of {len(groups)} group"
              f"{'s' if len(groups) != 1 else ''} will {fate}; the {len(groups)} keepers stay.",
              file=sys.stderr)
        if not args.yes:
            question = "Move them to the trash?" if args.trash_rejects else "Mark them rejected?"
            print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                print("Nothing moved." if args.trash_rejects else "Nothing written.", file=sys.stderr)
                return 1
        if args.reject_xmp:
            return _reject_in_xmp(library, [m.path for m in rejects])
        report = library.trash_photos([m.path for m in rejects])
        for failure in report.failed:
            print(f"cbir: {display_path(failure.path)}: not moved ({failure.reason})", file=sys.stderr)
        print(f"{len(report.moved)} photo{'s' if len(report.moved) != 1 else ''} moved to the trash "
              "and out of the library.", file=sys.stderr)
        return 1 if report.failed else 0


def _reject_in_xmp(library: Library, paths: list[str]) -> int:
    """Mark `paths` rejected in their sidecars; say which were skipped and why."""
    report = library.mark_rejected_in_xmp(paths)
    for failure in report.failed:
        print(f"cbir: {display_path(failure.path)}: not marked ({failure.reason})", file=sys.stderr)
    done = len(report.marked)
    print(f"{done} photo{'s' if done != 1 else ''} marked rejected (xmp:Rating -1) in XMP sidecars; "
          "the photos and the library are unchanged.", file=sys.stderr)
    return 1 if report.failed else 0


def _print_duplicates(number: int, group: DuplicateGroup, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"group": number, "level": group.level, "keeper": _json_path(group.keeper.path)["path"],
                          "reasons": list(group.reasons), "members": [
                              {**_json_path(m.path), "keep": m.keep, "width": m.width, "height": m.height,
                               "size": m.size, "format": m.file_format, "taken": m.taken,
                               "sharpness": None if m.sharpness is None else round(m.sharpness, 1),
                               "differences": list(m.differences), "found": m.why,
                               "rejected_in_xmp": m.rejected_in_xmp}
                              for m in group.members]}))
        return
    print(f"Group {number} ({len(group.members)} photos): keep {display_path(group.keeper.path)} "
          f"({', '.join(group.reasons)})")
    for m in group.members:
        sharp = "" if m.sharpness is None else f"  sharpness {m.sharpness:.0f}"
        differs = f"  differs: {', '.join(m.differences)}" if m.differences else ""
        marked = "  (rejected in XMP)" if m.rejected_in_xmp else ""
        print(f"  {'keep' if m.keep else '    '}  {display_path(m.path)}  {m.width}x{m.height}  "
              f"{m.size / 1e3:.0f} KB  {m.file_format}  {m.taken}{sharp}{differs}{marked}")


def _print_people(groups: Sequence[PersonGroup], as_json: bool) -> None:
    if not groups and not as_json:
        print("no people yet: index photos with faces (cbir index), then name a group")
    for group in groups:
        if as_json:
            print(json.dumps({"id": group.id, "name": group.name, "count": group.count,
                              "suggested": group.suggested,
                              "faces": [{**_json_path(f.path), "face": f.face_id, "box": _box(f.box)}
                                        for f in group.faces]}))
            continue
        said = f" ({group.suggested} suggested)" if group.suggested else ""
        print(f"{group.id}  {group.name or '(unnamed)'} · {group.count} face{'s' if group.count != 1 else ''}{said}")
        for face in group.faces:
            print(f"    face {face.face_id}  {display_path(face.path)}")


def _box(box: tuple[float, float, float, float]) -> list[float]:
    return [round(v, 4) for v in box]


def _metadata(library: Library | None, path: str) -> tuple[PhotoMetadata, bool]:
    if library is not None:
        try:
            return library.metadata(path), True
        except NotInLibrary:
            pass
    return read_photo_metadata(path), False


def _print_metadata(path: str, m: PhotoMetadata, stored: bool) -> None:
    print(display_path(path) + ("" if stored else "  (not in the library: read from the file)"))
    source = {"exif": "EXIF", "heif": "HEIF", "raw": "RAW", "xmp": "XMP", "file": "the file's date"}
    rows = [
        ("taken", f"{(m.taken_local or '').replace('T', ' ')} {m.taken_offset or ''}".strip()
         + f"  ({source.get(m.taken_source, m.taken_source)})" if m.taken_local else ""),
        ("camera", " ".join(v for v in (m.make, m.model) if v)),
        ("lens", m.lens or ""),
        ("exposure", ", ".join(v for v in (_shutter(m.exposure_s), f"f/{m.aperture:.3g}" if m.aperture else "",
                                            f"ISO {m.iso}" if m.iso else "",
                                            f"{m.focal_mm:.3g} mm" if m.focal_mm else "") if v)),
        ("size", f"{m.width} x {m.height}" if m.width and m.height else ""),
        ("place", ", ".join(v for v in (m.city, m.region, m.country) if v)
         + (f" ({m.country_code})" if m.country_code else "")),
        ("GPS", f"{m.lat:.6f}, {m.lon:.6f}" if m.lat is not None and m.lon is not None else ""),
        ("type", m.file_type or ""),
    ]
    for label, value in rows:
        if value:
            print(f"  {label:<9} {value}")
    for note in m.notes:
        print(f"  {'note':<9} {note}")


def _shutter(seconds: float | None) -> str:
    if not seconds:
        return ""
    return f"1/{round(1 / seconds)} s" if seconds < 0.5 else f"{seconds:.3g} s"


def cmd_repair(args: argparse.Namespace) -> int:
    report = repair_library(args.library)
    if report.damaged:
        print(f"the catalogue was damaged ({'; '.join(report.problems[:3])}); "
              f"the damaged file is kept as {display_path(report.kept_aside)}")
        rows = report.rows
        print(f"rebuilt it with {rows.get('photos', 0)} photos, {rows.get('user_tags', 0)} of your tags and "
              f"rejections, {rows.get('folders', 0)} folders and {rows.get('vectors', 0)} stored vectors"
              + (f", using backups {', '.join(report.backups_used)}" if report.backups_used else ", without backups"))
    else:
        print("the catalogue is sound; rebuilding every index and what text search learned")
    args.folders = []
    return cmd_index(args)


def _learn(library: Library, out: TextIO | None = None) -> None:
    """Relearn text search from folder names and tags after they changed."""
    out = out or sys.stdout
    learned = library.train_words()
    if learned.active:
        print(f"learned {len(learned.words)} words and {len(learned.terms)} terms from the folder names "
              f"and tags of {learned.photos} photos in {learned.seconds:.1f} s", file=out)
    else:
        print(f"text search uses the built-in vocabulary only: {learned.off_reason}", file=out)


def _print_report(report: IndexReport) -> None:
    if report.metadata_read:
        print(f"read the metadata of {report.metadata_read} photos indexed before (no model run)")
    if report.colours_described:
        print(f"described the colours of {report.colours_described} photos indexed before (for colour words)")
    rate = report.indexed / report.seconds if report.seconds > 0 else 0.0
    print(
        f"added {report.added}, updated {report.updated}, moved {report.moved}, "
        f"removed {report.removed}, unchanged {report.unchanged}, failed {len(report.failed)} "
        f"in {report.seconds:.1f} s ({rate:.1f} photos/s)"
    )
    if report.faces_photos:
        print(f"found {report.faces_found} faces in {report.faces_photos} photos")
    if report.text_photos:
        print(f"read text in {report.text_found} of {report.text_photos} photos")
    for failure in report.failed[:20]:
        print(f"  skipped {display_path(failure.path)}: {failure.reason}")
    if len(report.failed) > 20:
        print(f"  ... and {len(report.failed) - 20} more (cbir status lists them all)")


def _answer_each(
    items: Sequence[Any],
    run: Callable[[Any], Sequence[Any]],
    as_json: bool,
    json_query: Callable[[Any], Any],
    json_result: Callable[[Any], dict[str, Any]],
    print_text: Callable[[Any, Sequence[Any], str | None], None],
) -> int:
    """Answer queries in order; one that fails still gets its line (JSON: with "error").

    Exit status 1 only when every query failed.
    """
    failed = 0
    for item in items:
        try:
            results, error = run(item), None
        except EngineError as exc:
            results, error = [], str(exc)
            failed += 1
        if as_json:
            record: dict[str, Any] = {"query": json_query(item), "results": [json_result(r) for r in results]}
            if error:
                record["error"] = error
            print(json.dumps(record))
        else:
            print_text(item, results, error)
    return 1 if failed == len(items) else 0


def cmd_search(args: argparse.Namespace) -> int:
    option_terms = _filter_option_terms(args)
    queries = args.queries or ([("filters", "")] if option_terms else [])
    if not queries:
        print("cbir: give at least one --image FILE or --text TEXT, or filters (--place, --year...)",
              file=sys.stderr)
        return 1

    respelt: dict[str, str] = {}  # a clearly misspelt word -> the spelling searched instead

    def run(query: tuple[str, str]) -> list[SearchHit]:
        kind, value = query
        typed = parse_query(" ".join([value if kind in ("text", "filters") else "", *option_terms]))
        by_file = {"image": library.search_image, "like-person": library.search_person_like}
        if kind in by_file:
            return by_file[kind](value, args.k, filters=typed.filters)
        if not typed.text:  # filters alone: the photos they allow, newest taken first
            return library.filtered(typed.filters, 0, args.k)
        try:
            return library.search_text(typed.text, args.k, filters=typed.filters)
        except UnknownWord as exc:
            if not exc.best:
                raise
            respelt[value] = exc.best
            return library.search_text(exc.best, args.k, filters=typed.filters)

    def as_json(query: tuple[str, str]) -> dict[str, Any]:
        kind, value = query
        filters = {"filters": option_terms} if option_terms else {}
        if kind in ("image", "like-person"):
            return {kind.replace("-", "_"): _json_path(os.path.abspath(value))["path"], **filters}
        return {"text": value, **({"respelt": respelt[value]} if value in respelt else {}), **filters}

    def print_text(query: tuple[str, str], hits: Sequence[SearchHit], error: str | None) -> None:
        kind, value = query
        label = display_path(os.path.abspath(value)) if kind in ("image", "like-person") else value
        if value in respelt and kind == "text":
            label = f"{value} (no such word; showing {respelt[value]})"
        label = " ".join(part for part in (label, *option_terms) if part)
        print(f"{label}: {error}" if error else f"{label}:")
        if not error:
            _print_answer(hits, args.all, filtered=bool(option_terms) or _has_filter(value, kind),
                          listing=kind == "filters" or (kind == "text" and not _content(value)))

    with _open(args) as library:
        return _answer_each(  # in command-line order, each query's hits in the order asked for
            queries, lambda query: sort_hits(run(query), args.sort), args.json, as_json,
            lambda h: {**_json_path(h.path), "score": h.score, "relevance": h.relevance,
                       "relevant": h.relevance >= RELEVANT_FROM, "tags": list(h.tags), **_json_raw(h),
                       **({"matched": h.matched} if h.matched else {}),
                       **({"source": h.source, "snippet": h.snippet} if h.source else {})}, print_text,
        )


def cmd_list(args: argparse.Namespace) -> int:
    filters = parse_query(" ".join(_filter_option_terms(args))).filters
    with _open(args) as library:
        sections = library.grouped(args.by, filters, limit=None)
    if not sections and not filters.empty:
        print("no photo matches these filters")
    for section in sections:
        group = section.group
        if args.json:
            print(json.dumps({"group": group.label, "key": group.key, "count": group.count,
                              "photos": [{**_json_path(h.path), "taken": h.taken} for h in section.hits]}))
            continue
        print(f"{group.label} · {group.count} photo{'s' if group.count != 1 else ''}")
        for hit in section.hits:
            print(f"  {display_path(hit.path)}")
    return 0


def _print_answer(hits: Sequence[SearchHit], everything: bool, filtered: bool, listing: bool) -> None:
    """A search's hits; filters alone list photos by date; a filter that leaves nothing says so."""
    if not hits and filtered:
        print("  no photo matches these filters")
    elif listing:
        for hit in hits:
            print(f"  {display_path(hit.path)}")
            _print_raw(hit)
    else:
        _print_hits(hits, everything)


def _content(value: str) -> str:
    try:
        return parse_query(value).text
    except EngineError:
        return value


def _has_filter(value: str, kind: str) -> bool:
    try:
        return kind == "text" and not parse_query(value).filters.empty
    except EngineError:
        return False


FILTER_OPTIONS = (("from", "DATE", "taken on or after (a year, month or day: 2019, 2019-06, 2019-06-15)"),
                  ("to", "DATE", "taken on or before"), ("year", "YEAR", "taken in that year"),
                  ("month", "YYYY-MM", "taken in that month"), ("date", "DAY", "taken that day"),
                  ("place", "PLACE", "town, region, country or country code (repeatable: any of them)"),
                  ("camera", "NAME", "part of the camera's maker and model (repeatable)"),
                  ("lens", "NAME", "part of the lens name (repeatable)"),
                  ("folder", "FOLDER", "a folder (and below), or a folder name anywhere in the path (repeatable)"),
                  ("type", "TYPE", "raw, heic, jpeg, png, tiff, webp, gif, bmp, avif (repeatable)"),
                  ("tag", "TAG", "a tag the photo shows (repeatable)"),
                  ("person", "NAME", "a named person in the photo (repeatable: any of them)"))


def _add_filter_options(p: argparse.ArgumentParser) -> None:
    """The filters, as options; the same as `key:value` terms in --text."""
    group = p.add_argument_group("filters (also as key:value terms in --text: \"beach place:lisbon year:2019\")")
    for key, metavar, help_ in FILTER_OPTIONS:
        group.add_argument(f"--{key}", action="append", default=[], metavar=metavar, help=help_, dest=f"f_{key}")
    gps = group.add_mutually_exclusive_group()
    gps.add_argument("--gps", action="store_const", const="yes", dest="f_gps", help="only photos with a position")
    gps.add_argument("--no-gps", action="store_const", const="no", dest="f_gps", help="only photos without")


def _filter_option_terms(args: argparse.Namespace) -> list[str]:
    """The filter options as `key:value` terms (one parser for both ways of writing them)."""
    terms = [f'{key}:"{value}"' if any(c.isspace() for c in value) else f"{key}:{value}"
             for key, _, _ in FILTER_OPTIONS for value in getattr(args, f"f_{key}", [])]
    if getattr(args, "f_gps", None):
        terms.append(f"gps:{args.f_gps}")
    return terms


def _print_hits(hits: Sequence[SearchHit], everything: bool) -> None:
    """Hits with their score and relevance (percent and band); those below the relevance
    cut-off only when `everything`, else counted on a last line."""
    shown = [hit for hit in hits if everything or hit.relevance >= RELEVANT_FROM]
    for hit in shown:
        tags = f"  [{', '.join(hit.tags)}]" if hit.tags else ""
        tags += f"  ({hit.matched})" if hit.matched else ""  # a query word named its place or camera
        percent = int(hit.relevance * 100 + 1e-6)  # rounded down: a hit below the cut-off never shows its figure
        print(f"  {hit.score:.3f}  {percent:>3d}% {relevance_band(hit.relevance):<8}  "
              f"{display_path(hit.path)}{tags}")
        _print_raw(hit)
        if hit.snippet:  # the query's words written in the photo (the OCR step)
            print(f"    {hit.source}: {hit.snippet}")
    below = len(hits) - len(shown)
    if below and not shown:
        print(f"  nothing relevant: the {below} best matches are below the relevance cut-off (--all shows them)")
    elif below:
        print(f"  {below} more below the relevance cut-off: --all shows them")


def _print_raw(hit: SearchHit) -> None:
    """A paired JPEG's RAW, on its own line under it."""
    if hit.raw_path:
        print(f"    + RAW: {display_path(hit.raw_path)}")


def _json_raw(hit: SearchHit) -> dict[str, str]:
    """A paired JPEG's RAW for JSON ("raw_path", and "raw_path_base64" for undecodable bytes)."""
    if not hit.raw_path:
        return {}
    return {f"raw_{key}": value for key, value in _json_path(hit.raw_path).items()}


def cmd_settings(args: argparse.Namespace) -> int:
    if args.name and not args.value:
        print("cbir: say `on` or `off`, e.g. `cbir settings pairs off`", file=sys.stderr)
        return 1
    with _open(args) as library:
        if args.name == "pairs":
            library.set_pairs_as_one(args.value == "on")
        if args.name == "faces":
            library.set_face_recognition(args.value == "on")
        if args.name == "text":
            library.set_text_reading(args.value == "on")
        if args.name == "small-faces":
            library.set_face_detail("small" if args.value == "on" else "standard")
        if args.name == "expansion":
            library.set_image_expansion(args.value == "on")
        state = "on" if library.pairs_as_one else "off"
        print(f"pairs  {state}  (a RAW and the JPEG beside it show as one photo, the JPEG: "
              "`cbir settings pairs on|off`)")
        print(f"faces  {'on' if library.face_recognition else 'off'}  (indexing finds faces: "
              "`cbir settings faces on|off`)")
        print(f"small-faces  {'on' if library.face_detail == 'small' else 'off'}  (faces from 1/30 of the long "
              "side instead of 1/20, slower: `cbir settings small-faces on|off`)")
        print(f"expansion  {'on' if library.image_expansion else 'off'}  (image search with query expansion "
              "over augmented vectors: `cbir settings expansion on|off`)")
        print(f"text  {'on' if library.text_reading else 'off'}  (indexing reads text in photos for search: "
              "`cbir settings text on|off`)")
    return 0


def cmd_words(args: argparse.Namespace) -> int:
    def print_text(word: str, hits: Sequence[WordHit], error: str | None) -> None:
        print(f"{word}: {error}" if error else f"{word}: " + ", ".join(h.word for h in hits))

    with _open(args, create=True) as library:
        return _answer_each(
            args.words, lambda word: library.similar_words(word, args.k), args.json,
            lambda word: word, lambda h: {"word": h.word, "score": h.score}, print_text,
        )


def cmd_tags(args: argparse.Namespace) -> int:
    def print_text(path: str, tags: Sequence[TagScore], error: str | None) -> None:
        shown = ", ".join(f"{t.tag} (yours)" if t.source == "yours" else
                          f"{t.tag} ({t.score:.2f}{', learned' if t.source == 'learned' else ''})" for t in tags)
        print(f"{display_path(path)}: {error or shown}")

    with _open(args, create=True) as library:
        if args.add or args.remove:
            library.edit_tags(args.files, args.add, args.remove)
            _learn(library, sys.stderr)  # stdout stays the tags (or JSON)
        if args.write_xmp:
            for sidecar in library.write_xmp(args.files):
                print(f"wrote {display_path(str(sidecar))}")
            return 0
        return _answer_each(
            args.files, lambda path: library.tags(path, args.k), args.json,
            lambda path: _json_path(os.path.abspath(path))["path"],
            lambda t: {"tag": t.tag, "score": round(t.score, 6), "source": t.source}, print_text,
        )


def _json_path(path: str) -> dict[str, str]:
    """A path for JSON: text when it is valid UTF-8; otherwise a readable form with \\xNN
    escapes plus the exact bytes in base64 (JSON strings cannot hold undecodable bytes)."""
    try:
        path.encode("utf-8")
        return {"path": path}
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        return {"path": display_path(path), "path_base64": base64.b64encode(raw).decode("ascii")}


def cmd_status(args: argparse.Namespace) -> int:
    with _open(args) as library:
        status = library.status()
        if args.json:
            print(json.dumps({
                "library": status.library, "photos": status.photos, "indexed": status.indexed,
                "folders": [_json_path(f)["path"] for f in status.folders], "models": status.models,
                "model": library.model_id, "problems": status.problems, "read_only": status.read_only,
                "failed": [{**_json_path(f.path), "reason": f.reason} for f in status.failed],
            }))
            return 1 if status.problems else 0
        print(f"library  {status.library}")
        if status.read_only:
            print(f"read-only ({status.read_only}): searching works, indexing and tag edits are off")
        print("checks   " + ("ok" if not status.problems else f"{len(status.problems)} problem(s)"))
        for problem in status.problems:
            print(f"  {problem}")
        if any("catalogue" in p or "database" in p for p in status.problems):
            print("  run `cbir repair` to fix it")
        print(f"photos   {status.photos}")
        for model, count in sorted(status.indexed.items()):
            print(f"indexed  {count} with {model}" + ("  (current)" if model == library.model_id else ""))
        for folder in status.folders:
            print(f"folder   {display_path(folder)}")
        print(f"failed   {len(status.failed)}")
        for failure in status.failed:
            print(f"  {display_path(failure.path)}: {failure.reason}")
    return 1 if status.problems else 0


def cmd_models(args: argparse.Namespace) -> int:
    if args.models_command == "import":
        with _open(args, create=True) as library:
            model_id, notes = library.import_model(args.file, args.name)
            print(f"imported {model_id} into {library.root}; use it with --model {model_id}")
            for note in notes:
                print(f"  note: {note}")
        return 0
    library_dir = Path(args.library).expanduser() if args.library else default_library_dir()
    rows = [info.__dict__ for info in list_models(library_dir, devices=True)]
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['id']:<22} {row['feature_dim']:>5}-d  {row['provider']:<5} "
              f"{row['licence']:<12} {row['name']}")
        if row["provider_note"]:
            print(f"    {row['provider_note']}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "index": cmd_index, "search": cmd_search, "words": cmd_words, "tags": cmd_tags,
    "info": cmd_info, "status": cmd_status, "models": cmd_models, "repair": cmd_repair,
    "list": cmd_list,
    "settings": cmd_settings, "faces": cmd_faces, "people": cmd_people,
    "duplicates": cmd_duplicates,
}


class _ProgressPrinter:
    """done/total, photos per second and ETA on stderr; one line redrawn on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.drawn = False
        self.waiting = False

    def update(self, progress: IndexProgress) -> None:
        now = time.monotonic()
        counted = progress.phase in ("indexing", "reading metadata", "describing colours", "finding faces")
        final = not counted or progress.done == progress.total
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        if counted:
            eta = f", ETA {_duration(progress.eta_s)}" if progress.eta_s is not None else ""
            text = (f"{progress.phase} {progress.done}/{progress.total} "
                    f"({progress.rate:.1f} photos/s{eta})")
        elif progress.phase == "done":
            return
        elif progress.phase == "waiting":
            if self.waiting:
                return
            self.waiting = True
            text = f"waiting for {progress.path}, which is changing this library..."
        elif progress.phase == "healed":
            text = f"rebuilt {progress.path}"
        else:
            text = f"{progress.phase}..."
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


if __name__ == "__main__":
    sys.exit(main())
