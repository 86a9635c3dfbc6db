"""QA reviewers' corrections: a page's text or one identifier set right by a person.

A correction is kept in the catalog with who, when and why (``corrections``, one row per
correction, append-only), and changes what the page shows and is indexed under at once:

* ``pages.text`` and the page's full-text rows become the corrected text; the OCR's own
  text stays in ``page_reviews.ocr_text`` (and each text correction keeps the text it
  replaced in ``old``), so nothing the OCR read is lost;
* a corrected identifier gets the new ``canonical`` (so ``search --plaque`` and
  ``parcel`` find it), keeps the page's own reading in ``corrected_from`` and what the
  page says in ``text``; ``identifier_reviews`` marks it so dossier consensus
  (``indexer.consensus``) never overrides a person's decision;
* a corrected text names the page's identifiers: they are extracted again from it (an
  identifier the OCR read too keeps its box and confidence, one only the person's text
  names is marked as the person's), identifier corrections are applied over them, and
  the page's date follows. From then on they follow the corrected text, not the OCR.

Corrections survive everything that rewrites a page: a re-ingest (done pages are never
OCR'd again), ``reindex`` (it reads ``pages.text`` and ``identifiers``), a re-extraction
of identifiers (``Catalog.replace_identifiers``) and a re-OCR (``Catalog.requeue_page``
then ``ingest``): the catalog re-applies a page's corrections over the new reading
(``reapply``) and, when the OCR text changed under a correction, sets the page's review
status to ``needs_review`` so it heads the review queue again.

This module knows text and identifiers only (no images), like the rest of ``indexer/``.
"""

from __future__ import annotations

import csv
import getpass
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.dates import iso_to_jalali
from indexer.identifiers import IdentifierError, canonical_query, document_date, extract
from indexer.normalize import fold_digits

if TYPE_CHECKING:
    from indexer.catalog import Catalog

__all__ = [
    "CSV_COLUMNS",
    "NONE",
    "Correction",
    "CorrectionError",
    "PageReview",
    "correct_identifier",
    "correct_text",
    "corrections_for",
    "default_reviewer",
    "import_csv",
    "mark_reviewed",
    "reapply",
    "replace_words",
    "resolve_page",
    "reviews_for",
]

#: Review statuses. A page without a ``page_reviews`` row has never been reviewed.
REVIEWED, CORRECTED, NEEDS_REVIEW = "reviewed", "corrected", "needs_review"
#: In an identifier correction, ``-`` as OLD adds an identifier the OCR missed, as NEW
#: removes one that is not on the page.
NONE = "-"
#: The columns of a corrections CSV (``import_csv``); ``by`` and ``reason`` may be absent.
CSV_COLUMNS = ("source", "page", "kind", "old", "new", "by", "reason")
IDENTIFIER_KINDS = (
    "plaque", "renovation_code", "postal_code", "national_id", "file_number", "permit_number", "date",
)  # fmt: skip


class CorrectionError(ValueError):
    """A correction that cannot be applied: unknown page, identifier not on the page, …"""


@dataclass(frozen=True, slots=True)
class Correction:
    """One stored correction. ``target`` is ``text``, ``identifier`` or ``reviewed`` (a
    page accepted as it is); ``kind`` is the identifier kind."""

    id: int
    page_id: int
    target: str
    kind: str | None
    old: str | None
    new: str | None
    by: str
    at: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "page_id"}


@dataclass(frozen=True, slots=True)
class PageReview:
    """A page's review state: ``reviewed``, ``corrected`` or ``needs_review`` (the OCR
    changed under a correction); ``ocr_text`` is the OCR's own text of the page."""

    page_id: int
    status: str
    ocr_text: str
    note: str | None
    by: str
    at: str


def default_reviewer() -> str:
    """The OS user: who a correction is by when ``--by`` is not given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


# -- finding the page ---------------------------------------------------------------------


def resolve_page(catalog: Catalog, source: str, page: int) -> int:
    """The page id of ``page`` of ``source``: a sha256, a unique prefix of one (6+ hex
    digits), or a path as ``search`` and ``export`` show it. Only done pages are found."""
    sha = _resolve_source(catalog.db, source.strip())
    row = catalog.db.execute(
        "SELECT id, state FROM pages WHERE sha256 = ? AND page = ?", (sha, page)
    ).fetchone()
    if row is None:
        total = catalog.db.execute("SELECT pages FROM sources WHERE sha256 = ?", (sha,)).fetchone()[0]
        raise CorrectionError(f"{source} has no page {page} (it has {total})")
    if row["state"] != "done":
        raise CorrectionError(f"page {page} of {source} is {row['state']}, not OCR'd: nothing to correct")
    return int(row["id"])


def _resolve_source(db: sqlite3.Connection, source: str) -> str:
    shas = {r[0] for r in db.execute("SELECT sha256 FROM paths WHERE display = ? OR path = ?", (source, source))}
    if not shas and re.fullmatch(r"[0-9a-fA-F]{6,64}", source):
        shas = {
            r[0] for r in db.execute(
                "SELECT sha256 FROM sources WHERE sha256 >= ? AND sha256 < ? LIMIT 2",
                (source.lower(), source.lower() + "g"),
            )
        }  # fmt: skip
    if not shas:
        raise CorrectionError(f"no source {source!r} in the catalog (give its sha256 or its path as search shows it)")
    if len(shas) > 1:
        raise CorrectionError(f"{source!r} names {len(shas)} sources: give more of the sha256")
    return shas.pop()


# -- reading ------------------------------------------------------------------------------


def corrections_for(catalog: Catalog, page_ids: Sequence[int]) -> dict[int, list[Correction]]:
    """Each page's corrections, oldest first (pages without any are left out)."""
    out: dict[int, list[Correction]] = {}
    for start in range(0, len(page_ids), 500):
        chunk = tuple(page_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        for row in catalog.db.execute(
            f"SELECT * FROM corrections WHERE page_id IN ({marks}) ORDER BY page_id, id", chunk
        ):
            out.setdefault(int(row["page_id"]), []).append(_correction(row))
    return out


def reviews_for(catalog: Catalog, page_ids: Sequence[int]) -> dict[int, PageReview]:
    """The review state of those pages that have one."""
    out: dict[int, PageReview] = {}
    for start in range(0, len(page_ids), 500):
        chunk = tuple(page_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        for row in catalog.db.execute(f"SELECT * FROM page_reviews WHERE page_id IN ({marks})", chunk):
            out[int(row["page_id"])] = PageReview(
                int(row["page_id"]), row["status"], row["ocr_text"], row["note"], row["by"], row["at"]
            )
    return out


def _correction(row: sqlite3.Row) -> Correction:
    return Correction(
        int(row["id"]), int(row["page_id"]), row["target"], row["kind"], row["old"], row["new"],
        row["by"], row["at"], row["reason"],
    )  # fmt: skip


# -- correcting ---------------------------------------------------------------------------


def correct_text(catalog: Catalog, page_id: int, text: str, *, by: str | None = None, reason: str | None = None) -> Correction:
    """Replace the page's text with ``text`` and re-index the page in the same transaction."""
    from indexer.catalog import _FtsRows

    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise CorrectionError("the corrected text is empty (to accept the page as it is, mark it reviewed)")
    with catalog.transaction():
        current = _page_text(catalog, page_id)
        if text == current:
            raise CorrectionError("the corrected text is the page's text already")
        correction = _log(catalog, page_id, "text", None, current, text, by, reason)
        _ensure_review(catalog, page_id, current, by=correction.by, at=correction.at)
        catalog.db.execute("UPDATE pages SET text = ? WHERE id = ?", (text, page_id))
        fts = _FtsRows()
        catalog._index_page(page_id, text, None, fts)
        fts.write(catalog.db)
        _, identifiers, marks = reapply(catalog, page_id, None, _stored_identifiers(catalog, page_id))
        catalog._write_identifiers(page_id, identifiers)
        mark_identifiers(catalog, page_id, marks)
        own = document_date(text, extract(text))
        if own is not None and any(i["kind"] == "date" and i["canonical"] == own.canonical for i in identifiers):
            catalog.db.execute("UPDATE pages SET document_date = ? WHERE id = ?", (own.canonical, page_id))
        else:  # no date, or the person set the text's own date right: as an identifier correction does
            _redate(catalog, page_id)
    return correction


def _stored_identifiers(catalog: Catalog, page_id: int) -> list[dict[str, Any]]:
    """The page's identifier rows as the writer takes them (box decoded)."""
    rows = [dict(r) for r in catalog.db.execute("SELECT * FROM identifiers WHERE page_id = ? ORDER BY id", (page_id,))]
    for r in rows:
        r["box"] = json.loads(r["box"]) if r.get("box") else None
    return rows


def _from_text(text: str, read: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bool]]:
    """The identifiers a corrected text names, and for each whether the page's reading
    (``read``) had it. One the reading had keeps its box and confidence, so the viewer
    still marks it on the scan; one only the person's text names has neither."""
    known: dict[tuple[str, str], dict[str, Any]] = {}
    for r in read:
        for value in (r.get("corrected_from"), r["canonical"]):
            if value:
                known.setdefault((r["kind"], value), r)
    out, had = [], []
    for ident in extract(text):
        item = ident.to_dict()
        item.pop("start", None), item.pop("end", None)
        item.pop("box", None), item.pop("confidence", None)
        old = known.get((item["kind"], item["canonical"]))
        if old is not None:
            item.update({k: old[k] for k in ("box", "confidence") if old.get(k) is not None})
        out.append(item)
        had.append(old is not None)
    return out, had


def replace_words(text: str, old: str, new: str) -> str:
    """``text`` with every occurrence of ``old`` replaced by ``new``.

    ``old`` matches whatever keyboard and marks the page was read with: ی/ي/ى, ک/ك,
    Persian, Arabic-Indic or ASCII digits, and bidi marks or a zero-width non-joiner
    between letters, so a reviewer types the word as they see it.
    """
    if not old.strip():
        raise CorrectionError("the word to replace is empty")
    found = _loose(old).subn(lambda _m: new, text)
    if found[1] == 0:
        raise CorrectionError(f"{old!r} is not in the page's text")
    return found[0]


_VARIANTS = {"ی": "یيى", "ي": "یيى", "ى": "یيى", "ک": "کك", "ك": "کك", "ه": "هة", "ة": "هة"}
_MARKS = "[\u200c\u200e\u200f\u061c]*"


def _loose(word: str) -> re.Pattern[str]:
    parts = []
    for char in word.strip():
        if char in _VARIANTS:
            parts.append(f"[{_VARIANTS[char]}]")
        elif char.isdigit():
            d = int(fold_digits(char))
            parts.append(f"[{d}{chr(0x06F0 + d)}{chr(0x0660 + d)}]")
        elif char.isspace():
            parts.append(r"\s+")
            continue
        else:
            parts.append(re.escape(char))
        parts.append(_MARKS)
    return re.compile("".join(parts[:-1]) if parts and parts[-1] == _MARKS else "".join(parts))


def correct_identifier(
    catalog: Catalog, page_id: int, kind: str, old: str, new: str, *, by: str | None = None, reason: str | None = None
) -> Correction:
    """Correct one identifier of the page: ``old`` (its canonical, as written, or ``-`` to
    add one the OCR missed) becomes ``new`` (any spelling ``search`` accepts, or ``-`` to
    remove it). The page's own reading stays in ``corrected_from``; the correction in
    ``corrections``."""
    kind = _kind(kind)
    new_value = NONE if new.strip() == NONE else _canonical(kind, new)
    with catalog.transaction():
        rows = [dict(r) for r in catalog.db.execute(
            "SELECT * FROM identifiers WHERE page_id = ? ORDER BY id", (page_id,)
        )]  # fmt: skip
        match = _find(rows, kind, old)
        if old.strip() != NONE and match is None:
            have = ", ".join(sorted({r["canonical"] for r in rows if r["kind"] == kind})) or "none"
            raise CorrectionError(f"the page has no {kind} {old!r} (its {kind} readings: {have})")
        if old.strip() == NONE and new_value == NONE:
            raise CorrectionError("OLD and NEW cannot both be -")
        correction = _log(catalog, page_id, "identifier", kind, old.strip(), new_value, by, reason)
        _ensure_review(catalog, page_id, _page_text(catalog, page_id), by=correction.by, at=correction.at)
        if match is None:  # add
            cur = catalog.db.execute(
                """INSERT INTO identifiers (page_id, kind, text, canonical, jalali, valid, warning)
                   VALUES (?, ?, ?, ?, ?, 1, ?)""",
                (page_id, kind, new.strip(), new_value, _jalali(kind, new_value), _note(correction, None)),
            )
            _mark_identifier(catalog, int(cur.lastrowid or 0), correction.id)
        elif new_value == NONE:
            catalog.db.execute("DELETE FROM identifiers WHERE id = ?", (match["id"],))
        else:
            fields = _corrected_fields(match, new_value, correction)
            catalog.db.execute(
                """UPDATE identifiers SET canonical = :canonical, corrected_from = :corrected_from,
                   valid = 1, warning = :warning, jalali = :jalali WHERE id = :id""",
                {**fields, "id": match["id"]},
            )
            _drop_consensus_flag(catalog, int(match["id"]))
            _mark_identifier(catalog, int(match["id"]), correction.id)
        if kind == "date":
            _redate(catalog, page_id)
    return correction


def mark_reviewed(catalog: Catalog, page_id: int, *, by: str | None = None, reason: str | None = None) -> Correction:
    """Accept the page as it reads now: it leaves the review queue, and the acceptance is
    logged like a correction (who, when, why)."""
    with catalog.transaction():
        correction = _log(catalog, page_id, "reviewed", None, None, None, by, reason)
        current = _page_text(catalog, page_id)
        if _ensure_review(catalog, page_id, current, by=correction.by, at=correction.at, status=REVIEWED):
            made = catalog.db.execute(
                "SELECT count(*) FROM corrections WHERE page_id = ? AND target != 'reviewed'", (page_id,)
            ).fetchone()[0]
            catalog.db.execute(
                "UPDATE page_reviews SET status = ?, note = NULL, by = ?, at = ? WHERE page_id = ?",
                (CORRECTED if made else REVIEWED, correction.by, correction.at, page_id),
            )
    return correction


def _kind(kind: str) -> str:
    key = kind.strip().lower().replace("-", "_")
    if key not in IDENTIFIER_KINDS:
        raise CorrectionError(f"unknown identifier kind {kind!r} (one of {', '.join(IDENTIFIER_KINDS)})")
    return key


def _canonical(kind: str, value: str) -> str:
    try:
        return canonical_query(kind, value)
    except IdentifierError as e:
        raise CorrectionError(f"NEW: {e}") from e


def _same(kind: str, value: str, wanted: str) -> bool:
    return fold_digits(value) == fold_digits(wanted)


def _find(rows: Sequence[dict[str, Any]], kind: str, old: str) -> dict[str, Any] | None:
    """The identifier ``old`` names: by canonical, by the page's own reading, or as written."""
    old = old.strip()
    if old == NONE:
        return None
    try:
        wanted = canonical_query(kind, old)
    except IdentifierError:
        wanted = fold_digits(old)  # an invalid reading is named as stored
    same_kind = [r for r in rows if r["kind"] == kind]
    for key in ("canonical", "corrected_from"):
        for r in same_kind:
            if r[key] is not None and (_same(kind, r[key], wanted) or _same(kind, r[key], old)):
                return r
    for r in same_kind:
        if " ".join(r["text"].split()) == " ".join(old.split()):
            return r
    return None


def _corrected_fields(row: dict[str, Any], new_value: str, correction: Correction) -> dict[str, Any]:
    """An identifier row's columns once ``correction`` sets it to ``new_value``."""
    own = row.get("corrected_from") or row["canonical"]
    return {
        "canonical": new_value,
        "corrected_from": own if own != new_value else None,
        "valid": 1,
        "warning": _note(correction, own),
        "jalali": _jalali(row["kind"], new_value) or row.get("jalali"),
    }


def _note(correction: Correction, own: str | None) -> str:
    read = f": the page read {own}" if own else ": added, the OCR missed it"
    return f"corrected by {correction.by} on {correction.at[:10]}{read}"


def _jalali(kind: str, value: str) -> str | None:
    return iso_to_jalali(value) if kind == "date" and value != NONE else None


def _redate(catalog: Catalog, page_id: int) -> None:
    """The page's document date follows its (first) date identifier."""
    row = catalog.db.execute(
        "SELECT canonical FROM identifiers WHERE page_id = ? AND kind = 'date' ORDER BY id LIMIT 1", (page_id,)
    ).fetchone()
    catalog.db.execute("UPDATE pages SET document_date = ? WHERE id = ?", (row[0] if row else None, page_id))


def _page_text(catalog: Catalog, page_id: int) -> str:
    row = catalog.db.execute("SELECT text, state FROM pages WHERE id = ?", (page_id,)).fetchone()
    if row is None or row["state"] != "done":
        raise CorrectionError(f"page id {page_id} is not an OCR'd page")
    return str(row["text"] or "")


def _log(
    catalog: Catalog, page_id: int, target: str, kind: str | None, old: str | None, new: str | None,
    by: str | None, reason: str | None,
) -> Correction:
    from indexer.catalog import now

    who, at = (by or "").strip() or default_reviewer(), now()
    cur = catalog.db.execute(
        "INSERT INTO corrections (page_id, target, kind, old, new, by, at, reason) VALUES (?,?,?,?,?,?,?,?)",
        (page_id, target, kind, old, new, who, at, reason or None),
    )
    return Correction(int(cur.lastrowid or 0), page_id, target, kind, old, new, who, at, reason or None)


def _ensure_review(
    catalog: Catalog, page_id: int, ocr_text: str, *, by: str, at: str, status: str = CORRECTED
) -> bool:
    """Create the page's review row (keeping the OCR's text) or move it to ``status``.
    True when the row existed already."""
    existed = catalog.db.execute("SELECT 1 FROM page_reviews WHERE page_id = ?", (page_id,)).fetchone()
    if existed is None:
        catalog.db.execute(
            "INSERT INTO page_reviews (page_id, status, ocr_text, note, by, at) VALUES (?, ?, ?, NULL, ?, ?)",
            (page_id, status, ocr_text, by, at),
        )
        return False
    if status == CORRECTED:
        catalog.db.execute(
            "UPDATE page_reviews SET status = 'corrected', note = NULL, by = ?, at = ? WHERE page_id = ?",
            (by, at, page_id),
        )
    return True


def _mark_identifier(catalog: Catalog, identifier_id: int, correction_id: int) -> None:
    catalog.db.execute(
        "INSERT OR REPLACE INTO identifier_reviews (identifier_id, correction_id) VALUES (?, ?)",
        (identifier_id, correction_id),
    )


def _drop_consensus_flag(catalog: Catalog, identifier_id: int) -> None:
    """A person decided this identifier: dossier consensus's flag on it is answered."""
    catalog._ensure_corrections()
    catalog.db.execute("DELETE FROM identifier_corrections WHERE identifier_id = ?", (identifier_id,))


# -- surviving a re-OCR or a re-extraction -----------------------------------------------------


def has_review(db: sqlite3.Connection, page_id: int) -> bool:
    """Whether the page was ever corrected or reviewed (the writer's fast check)."""
    return db.execute("SELECT 1 FROM page_reviews WHERE page_id = ?", (page_id,)).fetchone() is not None


def reapply(
    catalog: Catalog, page_id: int, ocr_text: str | None, identifiers: Sequence[dict[str, Any]]
) -> tuple[str | None, list[dict[str, Any]], list[int | None]]:
    """A page's corrections applied over a new reading (inside the writer's transaction).

    ``ocr_text`` is the new OCR text (None when only the identifiers were extracted
    again). Returns the text to show and index (None: unchanged), the identifiers to
    write, and for each the correction that set it (None: as read). When the OCR text
    differs from the one the page was reviewed on, the new one is kept as the page's
    OCR text and the page is set to ``needs_review`` with a note: a correction is never
    dropped silently.
    """
    from indexer.catalog import now

    review = catalog.db.execute("SELECT * FROM page_reviews WHERE page_id = ?", (page_id,)).fetchone()
    corrections = corrections_for(catalog, [page_id]).get(page_id, [])
    texts = [c for c in corrections if c.target == "text"]
    out = [dict(i) for i in identifiers]
    marks: list[int | None] = [None] * len(out)
    if texts:  # the identifiers are those of the text a person set, not of the OCR's
        last = texts[-1]
        out, had = _from_text(last.new or "", out)
        marks = [None if h else last.id for h in had]
        for item, h in zip(out, had, strict=True):
            if not h:
                mine = f"named by the text {last.by} corrected on {last.at[:10]}; the OCR did not read it"
                item["warning"] = "; ".join(w for w in (item.get("warning"), mine) if w)
    unmatched: list[str] = []
    for c in corrections:
        if c.target != "identifier" or c.kind is None or c.old is None or c.new is None:
            continue
        match = _find(out, c.kind, c.old)
        at = next((n for n, i in enumerate(out) if i is match), None)
        if at is not None and c.new == NONE:
            del out[at], marks[at]
        elif at is not None:
            own = out[at].get("corrected_from") or out[at]["canonical"]
            out[at].update(_corrected_fields(out[at], c.new, c), valid=True, corrected_from=own if own != c.new else None)
            marks[at] = c.id
        elif c.new != NONE:
            present = next((n for n, i in enumerate(out) if i["kind"] == c.kind and i["canonical"] == c.new), None)
            if present is not None:
                marks[present] = c.id
            else:  # the new reading lost it (or it was added): the person's value stands
                out.append({"kind": c.kind, "text": c.new, "canonical": c.new, "valid": True,
                            "jalali": _jalali(c.kind, c.new), "warning": _note(c, None)})  # fmt: skip
                marks.append(c.id)
                if c.old != NONE:
                    unmatched.append(f"{c.kind} {c.old}")
    text = texts[-1].new if texts else None
    if review is not None and ocr_text is not None:
        changed = ocr_text != review["ocr_text"]
        made = [c for c in corrections if c.target != "reviewed"]
        notes = []
        if changed and made:
            notes.append(f"the OCR text changed under {len(made)} correction(s); the corrections were re-applied")
        elif changed:
            notes.append("the OCR text changed since the page was reviewed")
        if unmatched:
            notes.append("the new reading has no " + ", ".join(unmatched))
        status, note = review["status"], review["note"]
        if notes:
            status, note = NEEDS_REVIEW, "; ".join(notes)
        catalog.db.execute(
            "UPDATE page_reviews SET ocr_text = ?, status = ?, note = ?, at = ? WHERE page_id = ?",
            (ocr_text, status, note, now() if notes else review["at"], page_id),
        )
    return text, out, marks


def mark_identifiers(catalog: Catalog, page_id: int, marks: Sequence[int | None]) -> None:
    """After the writer wrote a page's identifiers in ``reapply``'s order: mark those a
    correction set (``identifier_reviews``), and drop consensus flags on them."""
    if not any(m is not None for m in marks):
        return
    ids = [r[0] for r in catalog.db.execute("SELECT id FROM identifiers WHERE page_id = ? ORDER BY id", (page_id,))]
    for identifier_id, correction_id in zip(ids, marks, strict=False):
        if correction_id is not None:
            _mark_identifier(catalog, identifier_id, correction_id)
            _drop_consensus_flag(catalog, identifier_id)


# -- a corrections CSV ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    source: str
    page: int
    kind: str
    old: str
    new: str
    by: str | None
    reason: str | None


def read_csv(path: Path) -> list[CsvRow]:
    """Rows of a corrections CSV (UTF-8, a header naming ``CSV_COLUMNS``; ``by`` and
    ``reason`` optional). ``kind`` is ``text`` (``old`` a word or phrase of the page,
    every occurrence replaced by ``new``; ``old`` empty: ``new`` is the whole page text)
    or an identifier kind (``old`` → ``new`` as in ``correct --identifier``)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS[:5] if c not in (reader.fieldnames or [])]
        if missing:
            raise CorrectionError(f"{path}: missing column(s) {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})")
        unknown = [c for c in reader.fieldnames or [] if c not in CSV_COLUMNS]
        if unknown:
            raise CorrectionError(f"{path}: unknown column(s) {', '.join(unknown)}")
        rows = []
        for row in reader:
            line = reader.line_num
            try:
                page = int(fold_digits((row["page"] or "").strip()))
            except ValueError:
                raise CorrectionError(f"{path}:{line}: page {row['page']!r} is not a number") from None
            rows.append(CsvRow(
                line, (row["source"] or "").strip(), page, (row["kind"] or "").strip().lower(),
                row["old"] or "", row["new"] or "", (row.get("by") or "").strip() or None,
                (row.get("reason") or "").strip() or None,
            ))  # fmt: skip
    return rows


def import_csv(catalog: Catalog, path: Path, *, by: str | None = None) -> list[Correction]:
    """Apply every row of a corrections CSV in one transaction: all or none, and an error
    names the line. ``by`` is used for rows without a ``by`` of their own."""
    rows = read_csv(path)
    done: list[Correction] = []
    with catalog.transaction():
        for row in rows:
            try:
                page_id = resolve_page(catalog, row.source, row.page)
                who = row.by or by
                if row.kind == "text":
                    text = row.new if not row.old.strip() else replace_words(_page_text(catalog, page_id), row.old, row.new)
                    done.append(correct_text(catalog, page_id, text, by=who, reason=row.reason))
                else:
                    done.append(correct_identifier(catalog, page_id, row.kind, row.old, row.new, by=who, reason=row.reason))
            except CorrectionError as e:
                raise CorrectionError(f"{path}:{row.line}: {e} (nothing was imported)") from e
    return done


def corrections_json(corrections: Iterable[Correction]) -> str:
    return json.dumps([c.to_dict() for c in corrections], ensure_ascii=False)
