"""What the QA report shows, read from the catalog: one row per page and the summary.

Reads stream in two passes over the catalog (pages, then identifiers), so 100,000 pages
take a few seconds and a few tens of MB; nothing here touches an image.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from indexer.catalog import Catalog

#: A page below this mean word confidence is weak unless ``--below`` says otherwise; the
#: ingest reads pages below 80 again with a stronger recipe, so what stays below it is
#: what the second reading could not mend.
DEFAULT_THRESHOLD = 80.0
#: Histogram bins of page confidence, 0–100.
BIN_WIDTH = 5
#: The columns of pages.csv, in order.
CSV_COLUMNS = (
    "source", "page", "dossier", "mean_confidence", "words", "low_confidence_words", "recipe",
    "rotation", "skew", "dpi", "identifiers", "invalid_identifiers", "consensus_flags", "status",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    """Which pages a report covers: one dossier, pages written since a run."""

    dossier: str | None = None
    since: int | None = None


@dataclass(slots=True)
class IdentifierView:
    kind: str
    text: str
    canonical: str
    valid: bool
    corrected_from: str | None
    warning: str | None
    box: tuple[int, int, int, int] | None
    confidence: float | None
    reviewed: bool
    consensus: str | None  # "corrected" / "kept" (a dossier-consensus flag), or None
    consensus_reason: str | None

    def label(self) -> str:
        return f"{self.kind}={self.canonical}"


@dataclass(slots=True)
class PageRow:
    """One page of the report (done, failed or pending)."""

    id: int
    sha256: str
    page: int
    state: str
    error: str | None
    confidence: float | None
    words: int
    weak_words: int
    recipe: str | None
    rotation: int | None
    skew: float | None
    dpi: int | None
    image: str | None
    wordfile: str | None
    run_id: int | None
    source: str
    dossier: str
    kind: str
    review: str | None
    review_note: str | None
    #: ``kind=value; …`` of all, of invalid and of consensus-flagged identifiers, and the
    #: counts of the last two: what lists and pages.csv show (made by SQL for every page).
    labels: str = ""
    invalid_labels: str = ""
    flag_labels: str = ""
    n_invalid: int = 0
    n_flags: int = 0
    #: Every identifier in full: loaded only for pages shown on their own (`load_identifiers`).
    identifiers: list[IdentifierView] = field(default_factory=list)

    @property
    def invalid(self) -> list[IdentifierView]:
        return [i for i in self.identifiers if not i.valid]

    @property
    def consensus_flags(self) -> list[IdentifierView]:
        return [i for i in self.identifiers if _flagged(i)]

    @property
    def flagged(self) -> bool:
        return bool(self.n_invalid or self.n_flags)

    def kinds(self, labels: str) -> list[str]:
        """The identifier kinds named in one of the ``*_labels`` strings."""
        return [part.split("=", 1)[0] for part in labels.split("; ")] if labels else []

    @property
    def status(self) -> str:
        """``done``/``failed``/``pending``, or the review state of a reviewed done page."""
        return self.review if self.state == "done" and self.review else self.state

    def weak(self, threshold: float) -> bool:
        """Worth a reviewer's look: not yet corrected or reviewed, and below the threshold
        or with flagged identifiers; or the OCR changed under a correction."""
        if self.state != "done" or self.review in ("corrected", "reviewed"):
            return False
        return (
            (self.confidence is not None and self.confidence < threshold)
            or self.flagged
            or self.review == "needs_review"
        )

    def reasons(self, threshold: float) -> list[str]:
        """Why the page is weak, in words a reviewer acts on."""
        out = []
        if self.review == "needs_review":
            out.append(f"the OCR changed under a correction: {self.review_note or 'check it again'}")
        if self.confidence is not None and self.confidence < threshold:
            out.append(f"mean word confidence {self.confidence:.1f} is below {threshold:g}")
        elif self.confidence is not None:
            out.append(f"mean word confidence {self.confidence:.1f} (threshold {threshold:g})")
        if self.weak_words:
            out.append(f"{self.weak_words} of {self.words} words read with low confidence")
        if self.identifiers:
            for i in self.invalid:
                out.append(f"{i.kind} {i.canonical} failed validation" + (f": {i.warning}" if i.warning else ""))
            for i in self.consensus_flags:
                if i.consensus == "kept":
                    out.append(f"{i.kind} {i.canonical} disagrees with the dossier ({i.consensus_reason})")
                else:
                    out.append(f"{i.kind} read {i.corrected_from}, corrected by dossier consensus to {i.canonical}")
        else:
            if self.invalid_labels:
                out.append(f"failed validation: {self.invalid_labels}")
            if self.flag_labels:
                out.append(f"dossier consensus: {self.flag_labels}")
        if self.rotation:
            out.append(f"scanned turned {self.rotation}°")
        if self.skew is not None and abs(self.skew) >= 2:
            out.append(f"skewed {self.skew:.1f}°")
        if self.dpi is not None and self.dpi < 200:
            out.append(f"low resolution ({self.dpi} dpi)")
        return out

    def csv_row(self) -> list[Any]:
        return [
            self.source, self.page, self.dossier, _round(self.confidence), self.words if self.state == "done" else "",
            self.weak_words if self.state == "done" else "", self.recipe or "", "" if self.rotation is None else self.rotation,
            _round(self.skew, 2), "" if self.dpi is None else self.dpi,
            self.labels, self.invalid_labels, self.flag_labels, self.status,
        ]  # fmt: skip


def _flagged(i: IdentifierView) -> bool:
    """A dossier-consensus flag a person has not answered (the SQL of ``IDENTIFIER_SUMMARY_SQL``)."""
    return not i.reviewed and (i.consensus is not None or i.corrected_from is not None)


def _round(value: float | None, digits: int = 1) -> Any:
    return "" if value is None else round(value, digits)


def source_kind(path: str) -> str:
    """PDF, TIFF, JPEG or PNG (the catalog's ``kind`` lumps JPEG and PNG as images)."""
    suffix = PurePosixPath(path).suffix.lower().lstrip(".")
    return {"tif": "TIFF", "tiff": "TIFF", "jpg": "JPEG", "jpeg": "JPEG"}.get(suffix, suffix.upper() or "?")


PAGES_SQL = """
SELECT p.id, p.sha256, p.page, p.state, p.error, p.confidence, p.words, p.weak_words, p.recipe,
       p.rotation, p.skew, p.dpi, p.image, p.wordfile, p.run_id, s.first_path,
       pa.display, pa.dossier, v.status AS review, v.note AS review_note
FROM pages p JOIN sources s ON s.sha256 = p.sha256
LEFT JOIN paths pa ON pa.path = s.first_path
LEFT JOIN page_reviews v ON v.page_id = p.id
WHERE {where}
ORDER BY pa.display, p.page
"""

#: Per page, what lists and pages.csv show of its identifiers, made in SQL: objects for
#: the 700,000 identifiers of 100,000 pages would cost more than the rest of the report.
IDENTIFIER_SUMMARY_SQL = """
SELECT page_id, group_concat(label, '; ') AS labels,
       group_concat(CASE WHEN valid = 0 THEN label END, '; ') AS invalid_labels,
       group_concat(flag, '; ') AS flag_labels, sum(valid = 0) AS n_invalid, count(flag) AS n_flags
FROM (
    SELECT i.page_id, i.valid, i.kind || '=' || i.canonical AS label,
           CASE WHEN r.identifier_id IS NOT NULL THEN NULL
                WHEN c.status = 'kept' THEN i.kind || '=' || i.canonical || ' kept: ' || c.reason
                WHEN i.corrected_from IS NOT NULL
                     THEN i.kind || '=' || i.corrected_from || '->' || i.canonical || ' corrected'
           END AS flag
    FROM identifiers i
    LEFT JOIN identifier_reviews r ON r.identifier_id = i.id
    LEFT JOIN identifier_corrections c ON c.identifier_id = i.id
    ORDER BY i.page_id, i.id
)
GROUP BY page_id
"""

IDENTIFIERS_SQL = """
SELECT i.page_id, i.kind, i.text, i.canonical, i.valid, i.corrected_from, i.warning, i.box,
       i.confidence, r.identifier_id IS NOT NULL AS reviewed, c.status AS consensus, c.reason
FROM identifiers i
LEFT JOIN identifier_reviews r ON r.identifier_id = i.id
LEFT JOIN identifier_corrections c ON c.identifier_id = i.id
WHERE i.page_id IN ({marks})
ORDER BY i.page_id, i.id
"""


def _where(filters: Filters) -> tuple[str, list[Any]]:
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if filters.dossier is not None:
        where.append("pa.dossier = ?")
        params.append(filters.dossier)
    if filters.since is not None:
        where.append("p.run_id >= ?")
        params.append(filters.since)
    return " AND ".join(where), params


def load_pages(catalog: Catalog, filters: Filters) -> list[PageRow]:
    """Every page the filters select, with its identifiers and flags, by path and page."""
    catalog._ensure_corrections()  # the consensus table exists once any ingest ran
    where, params = _where(filters)
    rows: list[PageRow] = []
    by_id: dict[int, PageRow] = {}
    for r in catalog.db.execute(PAGES_SQL.format(where=where), params):
        row = PageRow(
            id=int(r["id"]), sha256=r["sha256"], page=int(r["page"]), state=r["state"], error=r["error"],
            confidence=r["confidence"], words=int(r["words"] or 0), weak_words=int(r["weak_words"] or 0),
            recipe=r["recipe"], rotation=r["rotation"], skew=r["skew"], dpi=r["dpi"], image=r["image"],
            wordfile=r["wordfile"], run_id=r["run_id"], source=r["display"] or r["first_path"],
            dossier=r["dossier"] or "", kind=source_kind(r["display"] or r["first_path"]),
            review=r["review"], review_note=r["review_note"],
        )  # fmt: skip
        rows.append(row)
        by_id[row.id] = row
    for r in catalog.db.execute(IDENTIFIER_SUMMARY_SQL):
        page = by_id.get(int(r["page_id"]))
        if page is not None:
            page.labels, page.invalid_labels = r["labels"] or "", r["invalid_labels"] or ""
            page.flag_labels, page.n_invalid, page.n_flags = r["flag_labels"] or "", int(r["n_invalid"]), int(r["n_flags"])
    return rows


def load_identifiers(catalog: Catalog, rows: Sequence[PageRow]) -> None:
    """Fill ``identifiers`` of these pages in full (boxes, warnings, consensus reasons)."""
    by_id = {r.id: r for r in rows}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in catalog.db.execute(IDENTIFIERS_SQL.format(marks=",".join("?" * len(chunk))), chunk):
            box = json.loads(r["box"]) if r["box"] else None
            by_id[int(r["page_id"])].identifiers.append(IdentifierView(
                r["kind"], r["text"], r["canonical"], bool(r["valid"]), r["corrected_from"], r["warning"],
                (int(box[0]), int(box[1]), int(box[2]), int(box[3])) if box else None, r["confidence"],
                bool(r["reviewed"]), r["consensus"], r["reason"],
            ))  # fmt: skip


# -- the summary ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Pages of one dossier or one source kind."""

    name: str
    pages: int
    done: int
    failed: int
    mean_confidence: float | None
    below: int
    flagged: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "pages": self.pages, "done": self.done, "failed": self.failed,
            "mean_confidence": None if self.mean_confidence is None else round(self.mean_confidence, 2),
            "below_threshold": self.below, "flagged": self.flagged,
        }  # fmt: skip


def histogram(values: Iterable[float], width: int = BIN_WIDTH) -> list[int]:
    """Counts of ``values`` (0–100) in bins of ``width``; 100 falls in the last bin."""
    bins = [0] * math.ceil(100 / width)
    for v in values:
        bins[min(len(bins) - 1, max(0, int(v // width)))] += 1
    return bins


def group(name: str, rows: Sequence[PageRow], threshold: float) -> Group:
    confs = [r.confidence for r in rows if r.state == "done" and r.confidence is not None]
    return Group(
        name=name, pages=len(rows), done=sum(r.state == "done" for r in rows),
        failed=sum(r.state == "failed" for r in rows),
        mean_confidence=statistics.fmean(confs) if confs else None,
        below=sum(c < threshold for c in confs),
        flagged=sum(r.flagged for r in rows),
    )  # fmt: skip


def groups_by(rows: Sequence[PageRow], key: str, threshold: float) -> list[Group]:
    """Groups by ``dossier`` or ``kind``, weakest mean first."""
    buckets: dict[str, list[PageRow]] = defaultdict(list)
    for r in rows:
        buckets[getattr(r, key)].append(r)
    out = [group(name, members, threshold) for name, members in buckets.items()]
    out.sort(key=lambda g: (g.mean_confidence is None, g.mean_confidence or 0.0, g.name))
    return out


def summary(rows: Sequence[PageRow], threshold: float) -> dict[str, Any]:
    """The report's summary as JSON-ready data (what ``report --json`` prints)."""
    done = [r for r in rows if r.state == "done"]
    confs = [r.confidence for r in done if r.confidence is not None]
    states = Counter(r.state for r in rows)
    reviews = Counter(r.review for r in done if r.review)
    return {
        "pages": len(rows),
        "done": states.get("done", 0),
        "failed": states.get("failed", 0),
        "pending": states.get("pending", 0),
        "threshold": threshold,
        "mean_confidence": round(statistics.fmean(confs), 2) if confs else None,
        "median_confidence": round(statistics.median(confs), 2) if confs else None,
        "below_threshold": sum(c < threshold for c in confs),
        "weak_pages": sum(r.weak(threshold) for r in done),
        "invalid_identifier_pages": sum(bool(r.n_invalid) for r in done),
        "consensus_flag_pages": sum(bool(r.n_flags) for r in done),
        "reviewed": dict(sorted(reviews.items())),
        "histogram": {"bin_width": BIN_WIDTH, "counts": histogram(confs)},
    }
