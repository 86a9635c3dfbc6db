"""What the exports read: the catalog's finished pages, one source file at a time.

Read-only queries of our own over a read-only connection (`indexer.catalog.open_reader`),
iterated with a cursor: however large the archive, only one source file's page rows are
held at a time. Nothing here writes the catalog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from indexer.catalog import open_reader


@dataclass(frozen=True, slots=True)
class PageRow:
    """One finished page as the catalog records it."""

    id: int
    page: int
    text: str
    confidence: float | None
    words: int | None
    dpi: int
    dpi_estimated: bool
    stated_dpi: int | None
    rotation: int
    skew: float
    recipe: str
    document_date: str | None
    image: str | None
    wordfile: str | None
    updated: str | None
    run_id: int | None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A source file (its bytes' SHA-256) with where it was found and its finished pages."""

    sha256: str
    kind: str
    size: int
    page_count: int
    path: str  # where it was first found (absolute, as ingested)
    display: str  # relative to the ingest root
    dossier: str
    added: str
    pages: tuple[PageRow, ...]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything an export writes from this file changes."""
        parts = [self.sha256, self.display, self.dossier]
        parts += [f"{p.page}:{p.updated}:{p.image}:{p.wordfile}" for p in self.pages]
        return "|".join(parts)

    def out_name(self, suffix: str = "") -> PurePosixPath:
        """A safe relative output path for this file: its displayed path, plus ``suffix``."""
        parts = [p for p in PurePosixPath(self.display).parts if p not in ("", "/", ".", "..")]
        return PurePosixPath(*parts[:-1], parts[-1] + suffix) if parts else PurePosixPath(self.sha256 + suffix)


_PAGES = """
SELECT p.id, p.sha256, p.page, p.text, p.confidence, p.words, p.dpi, p.dpi_estimated,
       p.stated_dpi, p.rotation, p.skew, p.recipe, p.document_date, p.image, p.wordfile,
       p.updated, p.run_id,
       s.kind, s.size, s.pages AS page_count, s.first_path, s.added,
       pa.display, pa.dossier
FROM pages p
JOIN sources s ON s.sha256 = p.sha256
LEFT JOIN paths pa ON pa.path = s.first_path
WHERE p.state = 'done' {where}
ORDER BY pa.dossier, pa.display, p.sha256, p.page
"""


def reader(archive: Path) -> sqlite3.Connection:
    return open_reader(Path(archive) / "catalog.sqlite")


def _page(row: sqlite3.Row) -> PageRow:
    return PageRow(
        id=int(row["id"]), page=int(row["page"]), text=row["text"] or "", confidence=row["confidence"],
        words=row["words"], dpi=int(row["dpi"] or 300), dpi_estimated=bool(row["dpi_estimated"]),
        stated_dpi=row["stated_dpi"], rotation=int(row["rotation"] or 0), skew=float(row["skew"] or 0.0),
        recipe=row["recipe"] or "standard", document_date=row["document_date"], image=row["image"],
        wordfile=row["wordfile"], updated=row["updated"], run_id=row["run_id"],
    )


def source_files(db: sqlite3.Connection, *, dossier: str | None = None) -> Iterator[SourceFile]:
    """Every source file with finished pages, dossier by dossier, pages in order."""
    where, params = ("AND pa.dossier = ?", (dossier,)) if dossier else ("", ())
    cursor = db.execute(_PAGES.format(where=where), params)
    current: list[sqlite3.Row] = []
    for row in cursor:
        if current and row["sha256"] != current[0]["sha256"]:
            yield _source(current)
            current = []
        current.append(row)
    if current:
        yield _source(current)


def _source(rows: list[sqlite3.Row]) -> SourceFile:
    first = rows[0]
    display = first["display"] or Path(first["first_path"]).name
    return SourceFile(
        sha256=first["sha256"], kind=first["kind"], size=int(first["size"]), page_count=int(first["page_count"]),
        path=first["first_path"], display=display, dossier=first["dossier"] or "",
        added=first["added"], pages=tuple(_page(r) for r in rows),
    )


def count_pages(db: sqlite3.Connection, *, dossier: str | None = None) -> int:
    if dossier:
        sql = """SELECT count(*) FROM pages p JOIN sources s ON s.sha256 = p.sha256
                 JOIN paths pa ON pa.path = s.first_path WHERE p.state = 'done' AND pa.dossier = ?"""
        return int(db.execute(sql, (dossier,)).fetchone()[0])
    return int(db.execute("SELECT count(*) FROM pages WHERE state = 'done'").fetchone()[0])


def identifiers_of(db: sqlite3.Connection, page_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The valid identifiers of these pages, in page order."""
    out: dict[int, list[dict[str, Any]]] = {pid: [] for pid in page_ids}
    for start in range(0, len(page_ids), 500):
        chunk = page_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"""SELECT page_id, kind, text, canonical, section, jalali, valid, confidence, corrected_from
                FROM identifiers WHERE page_id IN ({marks}) ORDER BY page_id, id""",
            chunk,
        ):
            out[row["page_id"]].append(dict(row))
    return out


def run_options(db: sqlite3.Connection, run_id: int | None) -> dict[str, Any]:
    import json

    if run_id is None:
        return {}
    row = db.execute("SELECT started, finished, options FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        return {}
    return {"run": run_id, "started": row["started"], "finished": row["finished"], "options": json.loads(row["options"])}
