"""Ledger discovered files: hash them, record sources and paths, and list the pages left.

A source is the SHA-256 of its bytes; its pages are rows `pending → done | failed`, so a
re-run does only what is left and never indexes a page twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.catalog import Catalog
from ocr.errors import UnreadableSource
from ocr.raster import inspect_source, kind_of
from pipeline.discover import Discovered, sha256_file
from pipeline.task import PageRef


@dataclass
class Plan:
    """What a run found and what it has left to do."""

    files: int = 0
    new_sources: int = 0
    duplicates: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    pages: list[PageRef] = field(default_factory=list)
    shas: set[str] = field(default_factory=set)


def _unchanged(known: sqlite3.Row | None, item: Discovered) -> bool:
    return known is not None and known["size"] == item.size and known["mtime_ns"] == item.mtime_ns


def _hash(known: sqlite3.Row | None, item: Discovered) -> str:
    """Reuse the recorded hash when size and mtime are unchanged (as git's index does)."""
    return str(known["sha256"]) if known is not None and _unchanged(known, item) else sha256_file(item.path)


def ledger(
    catalog: Catalog, found: Iterable[Discovered], *, run_id: int, retry_failed: bool = False
) -> Plan:
    """Ledger each file as it is found and return what is left to do."""
    plan = Plan()
    for item in found:
        plan.files += 1
        _ledger_one(catalog, item, plan, run_id=run_id, retry_failed=retry_failed)
    return plan


def _ledger_one(catalog: Catalog, item: Discovered, plan: Plan, *, run_id: int, retry_failed: bool) -> None:
    path = str(item.path)
    known = catalog.known_path(path)
    try:
        sha = _hash(known, item)
    except OSError as e:
        reason = f"cannot read file: {e.strerror or e}"
        catalog.quarantine(path=path, sha256=None, reason=reason, run_id=run_id)
        plan.quarantined.append((item.display, reason))
        return
    source = catalog.source(sha)
    if source is None:
        try:
            info = inspect_source(item.path)
        except UnreadableSource as e:
            catalog.quarantine(path=path, sha256=sha, reason=e.reason, run_id=run_id)
            plan.quarantined.append((item.display, e.reason))
            return
        catalog.add_source(sha256=sha, kind=info.kind, size=item.size, dpis=info.dpis, first_path=path)
        plan.new_sources += 1
    elif sha in plan.shas or source["first_path"] != path:
        plan.duplicates += 1
    if catalog.quarantined(path) is not None:
        catalog.release(path)
    if known is None or known["sha256"] != sha or not _unchanged(known, item):
        catalog.record_path(
            path=path, display=item.display, dossier=item.dossier, sha256=sha, size=item.size, mtime_ns=item.mtime_ns
        )
    if sha in plan.shas:
        return
    plan.shas.add(sha)
    kind = kind_of(item.path)
    for row in catalog.pages_to_do(sha, retry_failed=retry_failed):
        plan.pages.append(PageRef(path, sha, int(row["page"]), kind, row["stated_dpi"]))
