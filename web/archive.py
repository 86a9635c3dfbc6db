"""What the web application reads from an archive, and nothing else: pages by (source
hash, page number), their words and identifiers, parcels, and searches.

Sources and page images are addressed by hash and page number only; a file path comes
from the catalog, never from a request, and is checked to lie inside the archive (or to
be the source's own recorded path) before it is opened. The catalog is opened read-only
unless corrections are allowed. One lock serializes the connection: the server answers
in a thread pool, and one planner's searches take milliseconds.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from indexer.catalog import SCHEMA, Catalog, open_reader
from indexer.dates import iso_to_jalali
from indexer.identifiers import mask_national_id, mask_personal
from indexer.query import SearchQuery
from indexer.search import SearchResult, SqliteSearch, matcher
from ocr.types import Word
from pipeline.store import read_words

SHA_RE = re.compile(r"[0-9a-f]{64}")
_TABLES = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \(\n(.*?)\n\);", re.S)
#: Catalog tables newer than some archives (`ReadOnlyCatalog._stand_in_tables`).
_LATER_TABLES = ("corrections", "page_reviews", "identifier_reviews")
#: Page numbers a request may name (a source of more pages is not a scan).
MAX_PAGE = 100_000


#: Digits with at most three non-alphanumeric characters between each two (spaces,
#: hyphens, slashes, joiners, bidi marks, a line break): any id `mask_personal` masks,
#: labelled or bare, is 10 digits of one such run (8 or more before a lost-digit repair).
_DIGIT_RUN = re.compile(r"\d(?:[^\w]{0,3}\d|_\d)*")
MIN_ID_DIGITS = 8


@lru_cache(maxsize=16_384)
def mask_shown(text: str) -> str:
    """`mask_personal(text)`, without its costly `extract` (about a millisecond a snippet)
    on texts where it can mask nothing: no run of 8 or more digits. The test used to be
    finer (a label, or a bare run whose checksum holds), on the text as `clean_text`
    leaves it, and it disagreed with `mask_personal` where the two cleanings differ (a
    joiner after the id): a snippet could show an id unmasked. Counting digits on the text
    as it is cannot disagree (tests/test_web_units.py checks the two agree)."""
    if not any(
        sum(c.isdigit() for c in m.group()) >= MIN_ID_DIGITS for m in _DIGIT_RUN.finditer(text)
    ):
        return text
    return mask_personal(text)


class ArchiveMissing(FileNotFoundError):
    """No catalog at the archive given to `parvandeh serve`."""


class NotFound(LookupError):
    """A source, page or file that the archive does not hold."""


class ReadOnlyCatalog(Catalog):
    """The catalog through a read-only connection: the same reading methods, and any
    write fails in SQLite itself ("attempt to write a readonly database")."""

    def __init__(self, path: Path) -> None:  # noqa: D107 - no schema migration: it would write
        self.path = Path(path)
        self.db = open_reader(self.path)
        self._stand_in_tables()

    def _stand_in_tables(self) -> None:
        """Empty temporary twins of the catalog tables an older archive lacks (the review
        tables came later): the reading queries join them, and nothing is written."""
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for name, body in _TABLES.findall(SCHEMA):
            if name in _LATER_TABLES and name not in have:
                self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({body})")


def valid_sha(value: str) -> bool:
    return bool(SHA_RE.fullmatch(value))


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page as the viewer shows it (text and identifiers already masked if asked)."""

    page_id: int
    sha256: str
    page: int
    pages: int  # pages of the source file
    state: str
    source: str
    dossier: str
    kind: str
    date: str | None
    confidence: float | None
    text: str
    image: str | None
    wordfile: str | None
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    recipe: str | None = None


def mask_identifier(item: dict[str, Any]) -> dict[str, Any]:
    """An identifier as shown to someone who may not see personal data."""
    if item.get("kind") != "national_id":
        return item
    out = dict(item)
    for key in ("text", "canonical", "corrected_from"):
        if out.get(key):
            out[key] = mask_national_id(str(out[key]))
    return out


class ArchiveReader:
    """The archive as the web application reads it (see the module docstring)."""

    def __init__(self, archive: Path, *, writable: bool = False, show_personal_data: bool = False) -> None:
        self.archive = Path(archive).resolve()
        path = self.archive / "catalog.sqlite"
        if not path.is_file():
            raise ArchiveMissing(f"no archive at {archive} (run `parvandeh ingest PATH --archive {archive}` first)")
        self.writable = writable
        self.show_personal_data = show_personal_data
        self.catalog: Catalog = Catalog(path, any_thread=True) if writable else ReadOnlyCatalog(path)
        self._search = SqliteSearch(self.catalog)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._search.close()
            self.catalog.close()

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The catalog's connection, held by this thread alone."""
        with self._lock:
            yield self.catalog.db

    # -- search -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """What `parvandeh search` finds, masked the way it masks."""
        with self._lock:
            result = self._search.search(query)
        return result if self.show_personal_data else result.masked(mask_shown)

    def dossiers(self) -> list[str]:
        with self.locked() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT dossier FROM paths ORDER BY dossier")]

    # -- pages ----------------------------------------------------------------------------

    def page(self, sha256: str, page: int) -> PageInfo:
        if not valid_sha(sha256) or not 1 <= page <= MAX_PAGE:
            raise NotFound(f"no page {page} of {sha256[:64]!r}")
        with self.locked() as db:
            row = db.execute(
                """SELECT p.id, p.sha256, p.page, p.state, p.text, p.confidence, p.document_date,
                          p.image, p.wordfile, p.recipe, s.pages AS source_pages, s.kind, s.first_path,
                          pa.display, pa.dossier
                   FROM pages p JOIN sources s ON s.sha256 = p.sha256
                   LEFT JOIN paths pa ON pa.path = s.first_path
                   WHERE p.sha256 = ? AND p.page = ?""",
                (sha256, page),
            ).fetchone()
            if row is None:
                raise NotFound(f"no page {page} of source {sha256[:12]}")
            identifiers = self.catalog.identifiers_for([int(row["id"])])[int(row["id"])]
        text = row["text"] or ""
        if not self.show_personal_data:
            text = mask_shown(text)
            identifiers = [mask_identifier(i) for i in identifiers]
        return PageInfo(
            page_id=int(row["id"]), sha256=row["sha256"], page=int(row["page"]), pages=int(row["source_pages"]),
            state=row["state"], source=row["display"] or row["first_path"], dossier=row["dossier"] or "",
            kind=row["kind"], date=row["document_date"], confidence=row["confidence"], text=text,
            image=row["image"], wordfile=row["wordfile"], identifiers=identifiers, recipe=row["recipe"],
        )

    def identifier_boxes(self, page_id: int) -> list[dict[str, Any]]:
        """Each identifier's kind, canonical value (masked if asked) and box on the image."""
        import json

        with self.locked() as db:
            rows = db.execute(
                "SELECT kind, canonical, box FROM identifiers WHERE page_id = ? AND box IS NOT NULL ORDER BY id",
                (page_id,),
            ).fetchall()
        out = []
        for r in rows:
            item = mask_identifier({"kind": r["kind"], "canonical": r["canonical"]})
            item["box"] = [int(v) for v in json.loads(r["box"])]
            out.append(item)
        return out

    def personal_boxes(self, info: PageInfo) -> list[tuple[int, int, int, int]]:
        """Where national ids are on the page image (their identifiers' boxes, and words
        that `mask_shown` would mask), to paint over; none when personal data is shown."""
        if self.show_personal_data or info.state != "done":
            return []
        boxes = [tuple(b["box"]) for b in self.identifier_boxes(info.page_id) if b["kind"] == "national_id"]
        try:
            words = self.words(info)
        except (NotFound, OSError, ValueError):
            words = []
        boxes += [w.box for w in words if w.width > 0 and w.height > 0 and mask_shown(w.text) != w.text]
        return sorted(set(boxes))  # type: ignore[arg-type]

    def file_in_archive(self, rel: str | None) -> Path:
        """A catalog-named file under the archive's pages/ folder, or NotFound."""
        if not rel:
            raise NotFound("the archive keeps no file for this page")
        path = (self.archive / rel).resolve()
        if not path.is_relative_to(self.archive / "pages") or not path.is_file():
            raise NotFound("the page's file is not in the archive")
        return path

    def words(self, info: PageInfo) -> list[Word]:
        path = self.file_in_archive(info.wordfile)
        return read_words(self.archive, path.relative_to(self.archive).as_posix())

    def hit_boxes(self, info: PageInfo, query: SearchQuery) -> list[tuple[int, int, int, int]]:
        """Boxes of the page's words that the query matches, with the index's matching
        (`indexer.search.matcher`: normalized letters and digits, prefixes, fuzzy slips)."""
        if not query.clauses:
            return []
        try:
            words = self.words(info)
        except (NotFound, OSError, ValueError):
            return []
        matches = matcher(query)
        return [w.box for w in words if w.text.strip() and w.width > 0 and w.height > 0 and matches(w.text)]

    def original(self, sha256: str) -> tuple[Path, str, str]:
        """The original scan of a source: its path (one that still holds the same size),
        its kind and the file name it was discovered under."""
        if not valid_sha(sha256):
            raise NotFound("not a source hash")
        with self.locked() as db:
            source = db.execute("SELECT kind, size, first_path FROM sources WHERE sha256 = ?", (sha256,)).fetchone()
            if source is None:
                raise NotFound(f"no source {sha256[:12]}")
            paths = [r[0] for r in db.execute(
                "SELECT path FROM paths WHERE sha256 = ? ORDER BY (path = ?) DESC, seen DESC",
                (sha256, source["first_path"]),
            )]
        for p in paths:
            candidate = Path(p)
            try:
                if candidate.is_file() and candidate.stat().st_size == int(source["size"]):
                    return candidate, source["kind"], candidate.name
            except OSError:
                continue
        raise NotFound("the original scan is no longer where it was discovered")

    # -- parcels ------------------------------------------------------------------------

    def parcel(self, canonical: str) -> list[dict[str, Any]]:
        """Every page naming the plaque, oldest first (what `parvandeh parcel` lists)."""
        with self.locked():
            rows = self.catalog.pages_with_identifier("plaque", canonical)
        return [
            {"dossier": r["dossier"], "source": r["display"], "sha256": r["sha256"], "page": r["page"],
             "date": r["document_date"], "jalali": iso_to_jalali(r["document_date"]), "written": r["written"]}
            for r in rows
        ]


@lru_cache(maxsize=4096)
def _image_size(path: str, mtime_ns: int) -> tuple[int, int]:
    with Image.open(path) as img:
        return img.size


def image_size(path: Path) -> tuple[int, int]:
    """Width and height of an image file (its header only), remembered per version."""
    return _image_size(str(path), path.stat().st_mtime_ns)
