"""Identifiers read again from the stored OCR of the pages already in an archive.

An upgrade whose extractor reads more (a way clerks write a number that it did not know,
an OCR slip it now repairs) helps the pages ingested after it; the pages already in the
archive go on being found by what the older extractor made of them. ``reextract`` reads
each done page's stored words (``pages/…/pNNNN.words.json.gz``) through today's extractor,
OCR once, and writes what it finds:

* the page's identifiers, with a reviewer's corrections applied over them again (as an
  ingest's re-OCR does: ``Catalog.replace_identifiers``);
* the page's own date, as ingest picks it (``document_date``), except on a page a
  reviewer has worked on, whose date stays as the review left it;
* dossier consensus over the dossiers it touched.

It takes the archive's lock, as an ingest does, so the two never interleave. The full-text
index is not touched: it holds the page text, which a re-extraction does not change. An
Elasticsearch backend is refilled from the catalog with ``parvandeh reindex``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.catalog import Catalog
from indexer.consensus import ConsensusReport, apply_consensus
from pipeline.lock import ArchiveLock
from pipeline.store import read_words
from pipeline.task import read_identifiers

Key = tuple[str, str, bool]  # kind, canonical, valid


@dataclass
class ReextractReport:
    pages: int = 0  # done pages read again
    no_words: int = 0  # done pages without stored words, which cannot be read again
    unreadable: list[str] = field(default_factory=list)  # pages whose word file is gone or damaged: why
    changed_pages: int = 0  # pages whose identifiers differ afterwards
    added: Counter[str] = field(default_factory=Counter)  # identifiers by kind found now, not before
    removed: Counter[str] = field(default_factory=Counter)  # found before, not now
    redated: int = 0  # pages whose own date changed
    consensus: ConsensusReport = field(default_factory=ConsensusReport)


def reextract(
    archive: Path,
    *,
    dossier: str | None = None,
    wait: bool = False,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReextractReport:
    """Extract the identifiers of every done page of ``archive`` (of one ``dossier``) again
    from its stored words, then run consensus; see the module's docstring."""
    with ArchiveLock(archive, wait=wait, command="reextract", on_wait=on_wait), Catalog.open(archive) as catalog:
        rows = list(catalog.done_pages())
        if dossier is not None:
            paths = catalog.primary_paths()
            rows = [r for r in rows if r["sha256"] in paths and paths[r["sha256"]]["dossier"] == dossier]
        before = _identifier_keys(catalog)
        report = read_again(catalog, archive, rows, progress=progress)
        report.consensus = apply_consensus(catalog, catalog.dossiers_of(r["sha256"] for r in rows))
        after = _identifier_keys(catalog)
    for page_id in before.keys() | after.keys():
        was, now = before.get(page_id, Counter()), after.get(page_id, Counter())
        if was != now:
            report.changed_pages += 1
            report.added.update(k[0] for k in (now - was).elements())
            report.removed.update(k[0] for k in (was - now).elements())
    return report


def read_again(
    catalog: Catalog,
    archive: Path,
    rows: Iterable[sqlite3.Row] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ReextractReport:
    """The identifiers and own date of these done pages (all of them when None) read again
    from their stored words and written; no consensus, no lock (the caller's)."""
    todo = list(catalog.done_pages() if rows is None else rows)
    report = ReextractReport()
    for n, row in enumerate(todo, start=1):
        if progress is not None:
            progress(n, len(todo))
        if not row["wordfile"]:
            report.no_words += 1
            continue
        try:
            words = read_words(archive, row["wordfile"])
        except (OSError, EOFError, ValueError, KeyError, TypeError) as e:  # gone, truncated, not ours
            report.unreadable.append(f"{row['first_path']} p.{row['page']}: {row['wordfile']}: {e}")
            continue
        identifiers, date = read_identifiers(words)
        page_id = int(row["id"])
        catalog.replace_identifiers(page_id, list(identifiers))
        report.redated += catalog.redate_page(page_id, date)
        report.pages += 1
    return report


def _identifier_keys(catalog: Catalog) -> dict[int, Counter[Key]]:
    """Each page's identifiers as a planner's search sees them: kind, value, valid."""
    out: dict[int, Counter[Key]] = {}
    for row in catalog.db.execute("SELECT page_id, kind, canonical, valid FROM identifiers"):
        out.setdefault(int(row["page_id"]), Counter())[(row["kind"], row["canonical"], bool(row["valid"]))] += 1
    return out
