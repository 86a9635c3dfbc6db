"""Ledger discovered files: hash them, record sources and paths, and list the pages left.

A source is the SHA-256 of its bytes; its pages are rows `pending → done | failed`, so a
re-run does only what is left and never indexes a page twice.

Opening a file is the file's own business: whatever goes wrong while counting its pages
quarantines that file (or fails the pages found damaged) and the ledger goes on. A PDF
poppler cannot open is repaired first (ocr.repair): the repaired copy lives in the
archive's `repaired/` folder, named by the original's hash, and its pages are read from it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalog import Catalog
from ocr.errors import EncryptedSource, UnreadableSource
from ocr.raster import INSPECT_TIMEOUT, DamagedPdf, SourceInfo, inspect_source, kind_of
from ocr.repair import repair_pdf
from pipeline.discover import Discovered, sha256_file
from pipeline.task import PageRef

log = logging.getLogger("parvandeh.ledger")


@dataclass
class Plan:
    """What a run found and what it has left to do."""

    files: int = 0
    new_sources: int = 0
    duplicates: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)
    pages: list[PageRef] = field(default_factory=list)
    shas: set[str] = field(default_factory=set)


def _unchanged(known: sqlite3.Row | None, item: Discovered) -> bool:
    return known is not None and known["size"] == item.size and known["mtime_ns"] == item.mtime_ns


def _hash(known: sqlite3.Row | None, item: Discovered) -> str:
    """Reuse the recorded hash when size and mtime are unchanged (as git's index does)."""
    return str(known["sha256"]) if known is not None and _unchanged(known, item) else sha256_file(item.path)


@dataclass(frozen=True, slots=True)
class OpenLimits:
    """What opening one file may cost: seconds (each program it runs) and MB (the repair)."""

    file_timeout: float = INSPECT_TIMEOUT
    memory_limit: int = 0


def repaired_copy(catalog: Catalog, sha256: str) -> Path:
    """Where a source's repaired copy lives: the archive's work folder, by the original's hash."""
    return catalog.path.parent / "repaired" / sha256[:2] / f"{sha256}.pdf"


@dataclass(frozen=True, slots=True)
class Opened:
    info: SourceInfo
    repaired: str | None = None  # what the repair did, when the pages are read from a copy
    lost: tuple[int, ...] = ()  # pages the repair could not recover


def open_source(catalog: Catalog, path: Path, sha256: str, limits: OpenLimits) -> Opened:
    """Count a file's pages, repairing a damaged PDF first."""
    try:
        return Opened(inspect_source(path, timeout=limits.file_timeout))
    except DamagedPdf as damaged:
        copy = repaired_copy(catalog, sha256)
        try:
            repair = repair_pdf(path, copy, timeout=limits.file_timeout, memory_mb=limits.memory_limit)
            info = inspect_source(copy, timeout=limits.file_timeout)
        except EncryptedSource:
            raise  # not damaged: locked, and the reason says so
        except UnreadableSource as e:
            copy.unlink(missing_ok=True)
            raise UnreadableSource(f"{damaged.reason}, not repairable: {e.reason}") from e
    broken = tuple(sorted({*info.broken, *repair.lost}))
    lost = tuple(n for n, _ in repair.lost)
    return Opened(SourceInfo(info.kind, info.pages, info.dpis, broken), repair.fixed, lost)


def ledger(
    catalog: Catalog,
    found: Iterable[Discovered],
    *,
    run_id: int,
    retry_failed: bool = False,
    limits: OpenLimits | None = None,
) -> Plan:
    """Ledger each file as it is found and return what is left to do."""
    plan = Plan()
    for item in found:
        plan.files += 1
        _ledger_one(catalog, item, plan, run_id=run_id, retry_failed=retry_failed, limits=limits or OpenLimits())
    return plan


def _quarantine(catalog: Catalog, item: Discovered, plan: Plan, sha: str | None, reason: str, run_id: int) -> None:
    catalog.quarantine(path=str(item.path), sha256=sha, reason=reason, run_id=run_id)
    plan.quarantined.append((item.display, reason))


def _ledger_one(
    catalog: Catalog, item: Discovered, plan: Plan, *, run_id: int, retry_failed: bool, limits: OpenLimits
) -> None:
    path = str(item.path)
    known = catalog.known_path(path)
    try:
        sha = _hash(known, item)
    except OSError as e:
        _quarantine(catalog, item, plan, None, f"cannot read file: {e.strerror or e}", run_id)
        return
    source = catalog.source(sha)
    if source is None:
        try:
            opened = open_source(catalog, item.path, sha, limits)
        except UnreadableSource as e:
            _quarantine(catalog, item, plan, sha, e.reason, run_id)
            return
        except OSError as e:  # moved, unmounted or unreadable since it was hashed
            _quarantine(catalog, item, plan, sha, f"cannot read file: {e.strerror or type(e).__name__}", run_id)
            return
        except Exception as e:  # noqa: BLE001 - a file that breaks a reader is that file's failure, not the batch's
            log.exception("opening %s", item.path)
            _quarantine(catalog, item, plan, sha, f"unexpected {type(e).__name__} while opening it (-v shows where)",
                        run_id)
            return
        info = opened.info
        if len(info.broken) >= info.pages:
            repaired_copy(catalog, sha).unlink(missing_ok=True)
            _quarantine(catalog, item, plan, sha, info.broken[0][1], run_id)
            return
        catalog.add_source(sha256=sha, kind=info.kind, size=item.size, dpis=info.dpis, first_path=path)
        for page, reason in info.broken:
            catalog.mark_failed(sha, page, reason, run_id)
        if opened.repaired:
            catalog.record_repair(sha, opened.repaired, opened.lost)
            plan.repaired.append((item.display, opened.repaired))
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
    read_from = path
    todo = catalog.pages_to_do(sha, retry_failed=retry_failed)
    repair = catalog.repair(sha) if todo else None
    if repair is not None:
        todo = [row for row in todo if int(row["page"]) not in repair[1]]
        copy = repaired_copy(catalog, sha)
        if not copy.exists():  # the work folder was cleared: repair again
            try:
                repair_pdf(item.path, copy, timeout=limits.file_timeout, memory_mb=limits.memory_limit)
            except UnreadableSource as e:
                _quarantine(catalog, item, plan, sha, f"its repaired copy is gone and repairing again failed: {e.reason}",
                            run_id)
                return
        read_from = str(copy)
    for row in todo:
        plan.pages.append(PageRef(read_from, sha, int(row["page"]), kind, row["stated_dpi"]))
