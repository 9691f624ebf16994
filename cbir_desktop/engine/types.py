"""Frozen value types that cross the engine boundary (CLI and GUI read them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TagScore:
    """One tag: a readable word and the confidence in [0, 1] of whatever suggested it."""

    tag: str
    score: float
    index: int = -1  # the classifier's class index, when the tag comes from one
    # "model": the image model's classifier; "learned": the library's own words, learned
    # from folder names and tags; "yours": confirmed or added by the user.
    source: str = "model"


@dataclass(frozen=True)
class TagChange:
    """One tag on one photo in a tag edit: its state before and after. A state is True
    (confirmed or added), False (rejected) or None (no decision: the tag was not the user's)."""

    path: str
    tag: str
    before: bool | None
    after: bool | None


@dataclass(frozen=True)
class TagEdit:
    """What `Library.edit_tags` changed, for an undo/redo stack: `Library.undo_tag_edit(edit)`
    puts every (photo, tag) back in its `before` state, `Library.redo_tag_edit(edit)` in its
    `after` state; the same value serves any number of undos and redos."""

    changes: tuple[TagChange, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the edit changed anything (confirming a confirmed tag does not)."""
        return any(c.before != c.after for c in self.changes)


@dataclass(frozen=True)
class SearchHit:
    """One search result; higher `score` (cosine similarity) is more similar."""

    path: str
    score: float
    tags: tuple[str, ...] = ()
    photo_id: int = 0
    size: int = 0
    mtime: float = 0.0
    width: int = 0
    height: int = 0
    # How likely the photo answers the query, 0..1, meaning the same for every query and
    # query type (calibrated in engine/search/relevance.py); 1.0 where nothing was asked
    # (the library view).
    relevance: float = 1.0
    taken: str = ""  # when the photo was taken, as its metadata says (ISO 8601, local), where a listing read it
    taken_utc: float | None = None  # capture time, seconds since the epoch (None: unknown; sort by `mtime`)
    # The RAW file beside this JPEG (same folder, same stem) when RAW+JPEG pairs show as one
    # photo (`Library.pairs_as_one`): the pair's one result is the JPEG, naming its RAW here.
    raw_path: str | None = None
    # Why the photo matched when a query word named its place, camera or lens ("taken in
    # Lisbon", "Fujifilm X100V"; engine/search/metadata_words.py); "" for what it shows.
    matched: str = ""
    # "text in photo" when the query's words are in the text read from the photo (the OCR step),
    # with `snippet` the text around them ([brackets] mark the words); "" otherwise.
    source: str = ""
    snippet: str = ""


@dataclass(frozen=True)
class PhotoGroup:
    """A group of the library view: a month taken, a place or a folder, with its photo count
    (of the photos the listing's filters allow), so a header can say "March 2019 · 42 photos"."""

    by: str  # "month", "place" or "folder" (api.GROUPINGS)
    key: str  # "2019-03", "Portugal\x1fLisbon", "/photos/trip"; "" for the photos with no date or place
    label: str  # "March 2019", "Lisbon, Portugal", "/photos/trip", "Date unknown", "No place"
    count: int


@dataclass(frozen=True)
class GroupedHits:
    """A page's photos of one group, in the listing's order (a group can go on over the next page)."""

    group: PhotoGroup
    hits: tuple[SearchHit, ...]


@dataclass(frozen=True)
class WordHit:
    """A word similar to a query word."""

    word: str
    score: float


@dataclass(frozen=True)
class IndexProgress:
    """A progress report while indexing; `rate` is photos per second."""

    phase: str  # "waiting", "healed", "scanning", "indexing", "building index", "finding faces", "done"
    done: int
    total: int
    rate: float = 0.0
    eta_s: float | None = None
    path: str = ""  # the photo in hand; "waiting": who holds the library; "healed": what was rebuilt


@dataclass(frozen=True)
class Failure:
    """A file that could not be indexed, with the reason in a few words."""

    path: str
    reason: str


@dataclass
class IndexReport:
    """What an indexing run changed; the CLI prints it and the GUI shows it."""

    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    healed: list[str] = field(default_factory=list)  # derived state rebuilt before indexing
    metadata_read: int = 0  # photos indexed before whose metadata this run read (no model run)
    faces_photos: int = 0  # photos whose faces this run read (the faces step)
    faces_found: int = 0  # faces found in them
    text_photos: int = 0  # photos whose text this run read (the OCR step)
    text_found: int = 0  # those in which it recognised text
    colours_described: int = 0  # photos indexed before whose colours this run described (the colour pass)

    @property
    def indexed(self) -> int:
        return self.added + self.updated


@dataclass(frozen=True)
class PhotoFace:
    """A face in a photo: its box (x, y, w, h) as fractions of the upright photo, the detector's
    score, and the person's name when it has one; `suggested` when the app gave that name and
    nobody has confirmed it yet (the viewer shows it as a question)."""

    box: tuple[float, float, float, float]
    score: float
    person: str | None = None
    suggested: bool = False


@dataclass(frozen=True)
class PersonFace:
    """One face of a person or group, to show: `face_id` (for removing or confirming it), the
    photo's path and the box (x, y, w, h) as fractions of the upright photo."""

    face_id: int
    path: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class PersonGroup:
    """A named person ("p12") or an unnamed automatic group of faces ("g3"): its id, its name
    (None for a group), how many faces it holds (a person's suggestions included: `suggested`
    of them) and a few sample faces, the best first."""

    id: str
    name: str | None
    count: int
    faces: tuple[PersonFace, ...] = ()
    suggested: int = 0


@dataclass(frozen=True)
class ModelInfo:
    """A model the library can use, as the manifest and the runner describe it."""

    id: str
    name: str
    feature_dim: int
    has_tags: bool
    has_words: bool
    licence: str
    source: str
    file: str
    default: bool = False
    provider: str = ""  # filled in only when asked for (loading a model takes time)
    provider_note: str = ""


@dataclass(frozen=True)
class Device:
    """What runs a model: onnxruntime's provider ("CPU", "CUDA") and why, when it is not the first choice."""

    provider: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.provider} ({self.note})" if self.note else self.provider


@dataclass(frozen=True)
class LibraryStatus:
    """A summary of a library for `cbir status` and the GUI's status bar."""

    library: str
    photos: int
    indexed: dict[str, int]
    folders: list[str]
    models: list[str]
    failed: list[Failure]
    problems: list[str] = field(default_factory=list)  # what the integrity checks found
    read_only: str = ""  # why the library cannot be changed ("" when it can)


@dataclass
class TrainingReport:
    """What training learned, or why the learned projection stays off."""

    photos: int = 0
    words: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the library's own terms it can score
    prototypes: list[str] = field(default_factory=list)  # terms with no word vector ("gerenuk")
    seconds: float = 0.0
    off_reason: str = ""

    @property
    def active(self) -> bool:
        return not self.off_reason


@dataclass(frozen=True)
class PhotoMetadata:
    """What a photo's own metadata says (EXIF, HEIF, RAW, XMP), read at indexing time.

    Unknown or unusable values are None, with the reason in `notes` ("impossible date
    0000:00:00", "GPS 0,0"): bad metadata never stops indexing.
    """

    taken_local: str | None = None  # capture time as the camera's clock said it, ISO 8601 ("2019-07-14T18:03:21")
    taken_offset: str | None = None  # its UTC offset when recorded ("+01:00"), else None
    taken_utc: float | None = None  # seconds since the epoch: local time less the offset (or as local, without one)
    taken_source: str = "file"  # where the time came from: "exif", "xmp", "heif", "raw" or "file" (modification time)
    make: str | None = None  # camera maker, tidied ("Fujifilm", "Canon")
    model: str | None = None  # camera model without the maker repeated ("X100V", "EOS 40D")
    lens: str | None = None
    focal_mm: float | None = None
    aperture: float | None = None  # f-number
    exposure_s: float | None = None  # seconds
    iso: int | None = None
    width: int | None = None  # pixels, upright (after orientation)
    height: int | None = None
    lat: float | None = None  # degrees, WGS84
    lon: float | None = None
    city: str | None = None  # from the bundled offline gazetteer, for photos with GPS
    region: str | None = None
    country: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2
    file_type: str | None = None  # "JPEG", "HEIF", "AVIF", "PNG", "TIFF", "WEBP", "RAW"...: for a type filter
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to, besides its content; empty fields narrow nothing.

    Dates compare with the photo's local capture time as ISO text ("2019-06-01T00:00:00"),
    the way the camera's clock read: "June 2019" means June where the photo was taken.
    Several values of one field are alternatives (place Lisbon or Porto); fields combine.
    """

    since: str | None = None  # taken at or after this local time
    before: str | None = None  # taken before this local time
    places: tuple[str, ...] = ()  # a city, region, country or country code
    cameras: tuple[str, ...] = ()  # part of the maker and model ("fuji", "x100v")
    lenses: tuple[str, ...] = ()  # part of the lens name
    folders: tuple[str, ...] = ()  # an absolute folder (and below), or a folder name anywhere in the path
    types: tuple[str, ...] = ()  # file kinds: "raw", "heic", "jpeg", "png", "tiff", "webp", "gif", "bmp", "avif"
    has_gps: bool | None = None
    tags: tuple[str, ...] = ()  # a tag the photo shows (the user's, or a suggestion)
    people: tuple[str, ...] = ()  # a named person in the photo (confirmed or suggested)

    @property
    def empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class FacetCount:
    """One value a filter can take, with how many photos choosing it would list.

    `value` is what the filter term takes ("2019", "2019-06", "Lisbon", "Fujifilm X100V",
    "raw", "yes"); `label` is how the library names it where that differs ("Portugal" for a
    country), else the value; `within` holds the finer values below it (a year's months, a
    country's towns).
    """

    value: str
    count: int
    label: str = ""
    within: tuple[FacetCount, ...] = ()

    @property
    def name(self) -> str:
        return self.label or self.value


@dataclass(frozen=True)
class Facets:
    """What a library holds, counted by the filters a picker offers, for the photos the current
    filters allow (each kind counted without its own filter, so a picker also offers the
    alternatives: with place:Lisbon chosen, Porto still shows with its count)."""

    photos: int = 0  # photos the current filters allow
    years: tuple[FacetCount, ...] = ()  # newest first; within: months ("2019-06"), in calendar order
    places: tuple[FacetCount, ...] = ()  # countries, most photos first; within: towns
    cameras: tuple[FacetCount, ...] = ()  # maker and model ("Fujifilm X100V"), most photos first
    lenses: tuple[FacetCount, ...] = ()
    types: tuple[FacetCount, ...] = ()  # file kinds a type: filter takes ("raw", "heic", "jpeg")
    gps: tuple[FacetCount, ...] = ()  # "yes" (with a position) and "no"
    first_taken: str | None = None  # earliest and latest local capture day ("2019-06-15"), for date ranges
    last_taken: str | None = None


DUPLICATE_LEVELS = ("exact", "same", "series")


@dataclass(frozen=True)
class DuplicateMember:
    """One photo of a duplicate group, with what tells it apart from the group's keeper."""

    path: str
    width: int
    height: int
    size: int  # bytes
    file_format: str  # "JPEG", "HEIF", "PNG", "RAW"...
    taken: str  # capture time as the camera said it (ISO 8601), else the file's time (UTC)
    sharpness: float | None  # variance of the Laplacian of a small grey copy; None: not read
    keep: bool  # the suggested keeper
    differences: tuple[str, ...] = ()  # of "resolution", "file size", "format", "date", "sharpness", vs the keeper
    why: str = ""  # how it was found the same as the group: "same bytes", "same pixels", "same picture", ...
    rejected_in_xmp: bool = False  # its XMP sidecar already rates it -1 (rejected), as `mark_rejected_in_xmp` writes


@dataclass(frozen=True)
class DuplicateGroup:
    """Copies of one photo ("exact", "same") or the shots of one series ("series"); the keeper
    first, then the rest by path."""

    level: str
    members: tuple[DuplicateMember, ...]
    reasons: tuple[str, ...] = ()  # why the keeper is suggested ("the highest resolution", ...)

    @property
    def keeper(self) -> DuplicateMember:
        return next(m for m in self.members if m.keep)

    @property
    def rejects(self) -> tuple[DuplicateMember, ...]:
        return tuple(m for m in self.members if not m.keep)


@dataclass(frozen=True)
class TrashReport:
    """What moving photos to the system trash did: the files moved (and out of the library),
    and those that could not be moved, with the reason (they stay, in the library too)."""

    moved: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class XmpRejection:
    """One photo marked rejected in its XMP sidecar, with what an undo puts back."""

    path: str  # the photo (never modified)
    sidecar: str  # the sidecar written
    before: str | None  # the xmp:Rating it held ("3", "0", "-1"); None: it held none
    created: bool  # there was no sidecar: the app made it
    # The sidecar's bytes before (None: created) and the SHA-256 of those written: while the file
    # is as written, an undo puts the old bytes back exactly; once changed, only the rating.
    previous: bytes | None = field(default=None, repr=False)
    written: str = ""


@dataclass(frozen=True)
class XmpRejectReport:
    """What marking photos rejected in XMP did (`Library.mark_rejected_in_xmp`): the photos
    marked, for `Library.undo_xmp_reject`, and those skipped with the reason (nothing written
    for them). The photos stay in the library."""

    marked: tuple[XmpRejection, ...] = ()
    failed: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class XmpUndoReport:
    """What undoing an XMP reject did: the photos whose sidecars are as they were, and those
    left as they are, with the reason (a sidecar changed since, or no longer writable)."""

    restored: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class BurstStack:
    """The shots of one burst (a series, as the Duplicates window finds them), stacked in the
    library view behind its top photo: the suggested keeper, the sharpest shot."""

    top: str  # the path shown for the whole stack
    members: tuple[str, ...]  # every shot, the top included, in the order they were taken

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class StackMark:
    """How one row of a stacked listing belongs to a burst: its top (with the count of shots
    shown) or, while the stack is open, one of its other shots (`place` of `count`)."""

    top: str  # the stack's top photo: the key to open and close it by
    count: int  # the burst's shots among the photos listed (filters may leave some out)
    is_top: bool
    expanded: bool
    place: int = 1  # this shot's place in the stack as shown, 1 for the top
