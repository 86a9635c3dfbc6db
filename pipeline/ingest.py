"""The ingest orchestrator: discover → ledger → OCR pages → write the catalog.

Reads top to bottom; each stage is a function elsewhere. Only this process writes the
catalog, one page per transaction, so an interrupted run loses at most the pages in flight.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalog import Catalog, PageRecord
from indexer.consensus import apply_consensus
from ocr.page import PageOptions
from ocr.tools import check_environment
from pipeline.discover import Ignored, discover
from pipeline.ledger import Plan, ledger
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
    failed_pages: list[tuple[str, int, str]] = field(default_factory=list)
    ignored: Ignored = field(default_factory=lambda: Ignored(Counter()))

    @property
    def clean(self) -> bool:
        return not self.quarantined and not self.failed_pages


def write_result(catalog: Catalog, archive: Path, result: PageResult, run_id: int, *, keep_images: bool) -> bool:
    """The one writer: page files first, then the catalog row and its index entries."""
    if not result.ok:
        catalog.mark_failed(result.sha256, result.page, result.error or "unknown error", run_id)
        return False
    image = write_image(archive, result.sha256, result.page, result.image, result.image_ext) if keep_images and result.image else None
    wordfile = write_words(archive, result.sha256, result.page, result.words)
    record = PageRecord(
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
    return catalog.record_page(record, run_id)


def plan_run(catalog: Catalog, paths: Iterable[Path], options: IngestOptions, run_id: int, ignored: Ignored) -> Plan:
    found = discover(paths, exclude=[options.archive], ignored=ignored)
    return ledger(catalog, found, run_id=run_id, retry_failed=options.retry_failed)


Runner = Callable[[list[PageRef], PageOptions], Iterator[PageResult]]


def ingest(
    paths: list[Path],
    options: IngestOptions,
    *,
    reporter: Reporter | None = None,
    runner: Runner | None = None,
) -> IngestSummary:
    """Ingest `paths` into `options.archive`; safe to re-run and to interrupt.

    `runner` turns page references into results (default: the local process pool);
    whatever runs the pages, this process alone writes the catalog.
    """
    reporter = reporter or QuietReporter()
    check_environment(options.langs)
    archive = options.archive
    archive.mkdir(parents=True, exist_ok=True)
    with Catalog.open(archive) as catalog:
        run_id = catalog.begin_run({"paths": [str(p) for p in paths], **options.to_dict()})
        summary = IngestSummary(run_id)
        status = "interrupted"
        try:
            plan = plan_run(catalog, paths, options, run_id, summary.ignored)
            summary.files, summary.new_sources, summary.duplicates = plan.files, plan.new_sources, plan.duplicates
            summary.quarantined = list(plan.quarantined)
            summary.pages_queued = len(plan.pages)
            reporter.start(len(plan.pages))
            if runner is None:
                stream = run_local(plan.pages, options.page_options(), jobs=options.workers)
            else:
                stream = runner(plan.pages, options.page_options())
            for result in stream:
                written = write_result(catalog, archive, result, run_id, keep_images=options.keep_images)
                summary.pages_done += written
                summary.pages_failed += not result.ok
                reporter.advance(failed=not result.ok)
            apply_consensus(catalog, catalog.dossiers_of(plan.shas))
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
