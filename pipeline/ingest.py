"""The ingest orchestrator: discover → ledger → OCR pages → write the catalog.

Reads top to bottom; each stage is a function elsewhere. Only this process writes the
catalog. Finished pages are committed at once, or in batches when they come faster than
one per `WRITE_BATCH_SECONDS` (`BatchWriter`), so a killed run loses at most the pages
finished in that last moment and the pages in flight, which the next run OCRs again; an
interrupted or failing run commits what it holds before it stops.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.catalog import Catalog, PageRecord
from indexer.consensus import apply_consensus
from ocr.page import PageOptions
from ocr.tools import check_environment
from pipeline.discover import Ignored, discover
from pipeline.ledger import OpenLimits, Plan, ledger
from pipeline.lock import ArchiveLock
from pipeline.options import IngestOptions
from pipeline.progress import QuietReporter, Reporter
from pipeline.runner import run_local
from pipeline.store import write_image, write_words
from pipeline.task import PageRef, PageResult

log = logging.getLogger("parvandeh.ingest")


@dataclass
class IngestSummary:
    run_id: int
    files: int = 0
    new_sources: int = 0
    duplicates: int = 0
    pages_queued: int = 0
    pages_done: int = 0
    pages_failed: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)  # read from a repaired copy
    failed_pages: list[tuple[str, int, str]] = field(default_factory=list)
    ignored: Ignored = field(default_factory=lambda: Ignored(Counter()))
    #: Paths given that hold no scan file (an empty folder, an unmounted share, a .txt).
    empty_paths: list[Path] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every input given was ingested: nothing quarantined or failed, no path without scans."""
        return not self.quarantined and not self.failed_pages and not self.empty_paths


# A page costs a second or more of OCR and a commit a few milliseconds (a WAL sync and
# FTS5's segment flush), so committing twice a second costs nothing at OCR speed and
# lets the catalog take 2,000+ pages a second when it is fed faster (re-indexing, a
# cluster of workers).
WRITE_BATCH_PAGES = 500
WRITE_BATCH_SECONDS = 0.5


def page_record(archive: Path, result: PageResult, *, keep_images: bool) -> PageRecord:
    """A finished page's catalog row; its files (cleaned image, words) are written first."""
    image = write_image(archive, result.sha256, result.page, result.image, result.image_ext) if keep_images and result.image else None
    wordfile = write_words(archive, result.sha256, result.page, result.words)
    return PageRecord(
        sha256=result.sha256,
        page=result.page,
        text=result.text,
        confidence=result.confidence,
        words=len(result.words),
        weak_words=result.weak_words,
        dpi=result.clean.dpi,
        dpi_estimated=result.clean.dpi_estimated,
        rotation=result.clean.rotation,
        skew=result.clean.skew,
        recipe=result.clean.recipe,
        seconds=round(result.seconds, 3),
        image=image,
        wordfile=wordfile,
        document_date=result.document_date,
        identifiers=result.identifiers,
        index=result.index,
    )


class BatchWriter:
    """The one writer: page rows and index entries committed a batch at a time.

    A page is committed at once when the last commit is `max_seconds` old; pages that
    come faster wait for the next such moment or for `max_pages` of them, and `flush`
    (the ingest calls it on every way out) commits what is left. So a slow stream (OCR)
    commits page by page, a fast one (re-indexing, many workers) in batches, and a kill
    loses at most the pages finished within `max_seconds` of the last commit. Failed
    pages are marked at once: they carry no index work.
    """

    def __init__(
        self,
        catalog: Catalog,
        archive: Path,
        run_id: int,
        *,
        keep_images: bool,
        max_pages: int = WRITE_BATCH_PAGES,
        max_seconds: float = WRITE_BATCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog, self.archive, self.run_id = catalog, archive, run_id
        self.keep_images = keep_images
        self.max_pages, self.max_seconds, self.clock = max_pages, max_seconds, clock
        self.pending: list[PageRecord] = []
        self.committed_at = -float("inf")
        self.written = 0  # pages newly marked done, over the writer's life

    def add(self, result: PageResult) -> None:
        if not result.ok:
            self.catalog.mark_failed(result.sha256, result.page, result.error or "unknown error", self.run_id)
            return
        self.add_record(page_record(self.archive, result, keep_images=self.keep_images))

    def add_record(self, record: PageRecord) -> None:
        self.pending.append(record)
        if len(self.pending) >= self.max_pages or self.clock() - self.committed_at >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            self.written += self.catalog.record_pages(batch, self.run_id)
            self.committed_at = self.clock()


def plan_run(
    catalog: Catalog, paths: Iterable[Path], options: IngestOptions, run_id: int, ignored: Ignored,
    empty: list[Path] | None = None,
) -> Plan:
    """The run's plan; the given paths under which no scan file was found go to `empty`."""
    paths, scans_under = list(paths), Counter[Path]()
    found = discover(paths, exclude=[options.archive], ignored=ignored, scans_under=scans_under)
    limits = OpenLimits(file_timeout=options.file_timeout, memory_limit=options.memory_limit)
    plan = ledger(catalog, found, run_id=run_id, retry_failed=options.retry_failed, limits=limits)
    if empty is not None:
        empty.extend(p for p in paths if not scans_under[p])
    return plan


Runner = Callable[[list[PageRef], PageOptions], Iterator[PageResult]]


def ingest(
    paths: list[Path],
    options: IngestOptions,
    *,
    reporter: Reporter | None = None,
    runner: Runner | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> IngestSummary:
    """Ingest `paths` into `options.archive`; safe to re-run and to interrupt.

    One ingest at a time holds the archive (`pipeline.lock`): another one raises
    `ArchiveBusy`, or with `options.wait` waits for it (`on_wait(holder)` is told once).

    `runner` turns page references into results (default: the local process pool);
    whatever runs the pages, this process alone writes the catalog. A runner whose
    `commit_each_result` is true (the Redis queue, which forgets a job once its results
    are taken) gets each result committed before the next is asked for.
    """
    reporter = reporter or QuietReporter()
    check_environment(options.langs)
    archive = options.archive
    archive.mkdir(parents=True, exist_ok=True)
    with ArchiveLock(archive, wait=options.wait, on_wait=on_wait) as lock, Catalog.open(archive) as catalog:
        catalog.end_dead_runs()  # runs left "running" by a killed ingest: none runs now
        run_id = catalog.begin_run({"paths": [str(p) for p in paths], **options.to_dict()})
        lock.note(run=run_id)
        summary = IngestSummary(run_id)
        status = "interrupted"
        try:
            plan = plan_run(catalog, paths, options, run_id, summary.ignored, summary.empty_paths)
            summary.files, summary.new_sources, summary.duplicates = plan.files, plan.new_sources, plan.duplicates
            summary.quarantined = list(plan.quarantined)
            summary.repaired = list(plan.repaired)
            summary.pages_queued = len(plan.pages)
            reporter.start(len(plan.pages))
            if runner is None:
                stream = run_local(plan.pages, options.page_options(), jobs=options.workers)
            else:
                stream = runner(plan.pages, options.page_options())
            writer = BatchWriter(catalog, archive, run_id, keep_images=options.keep_images)
            commit_each = getattr(runner, "commit_each_result", False)  # see QueueRunner
            try:
                for result in stream:
                    writer.add(result)
                    if commit_each:
                        writer.flush()
                    summary.pages_failed += not result.ok
                    reporter.advance(failed=not result.ok)
            finally:  # Ctrl-C or a failure: keep what was OCR'd
                writer.flush()
                summary.pages_done = writer.written
            apply_consensus(catalog, catalog.dossiers_of(plan.shas))
            if summary.pages_done:
                catalog.merge_index()  # when this run (and those since the last merge) added enough
            _collect_failures(catalog, plan, summary)
            status = "finished"
        finally:
            reporter.stop()
            catalog.finish_run(run_id, status)
    return summary


def _collect_failures(catalog: Catalog, plan: Plan, summary: IngestSummary) -> None:
    """Failed pages of this run's inputs, including ones left failed by earlier runs."""
    for row in catalog.failed_pages():
        if row["sha256"] in plan.shas:
            summary.failed_pages.append((row["first_path"], int(row["page"]), row["error"] or ""))
