"""The ingest's one writer commits finished pages in batches: by count, by age, and on
every way out (end of the stream, Ctrl-C, a failing runner), so nothing OCR'd is lost
but what a kill catches uncommitted.

The runner is a stand-in that "reads" each page as a known Persian line, so these tests
cover the writing, not the OCR.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.catalog import Catalog
from ocr.page import PageOptions
from pipeline.ingest import BatchWriter, ingest
from pipeline.options import IngestOptions
from pipeline.task import PageRef, PageResult

LINE = "پروانه ساختمانی پلاک ۴۵/۱۲۳ صادر گردید"


def _result(ref: PageRef) -> PageResult:
    return PageResult(ref.sha256, ref.page, text=f"{LINE} صفحه {ref.page}", confidence=90.0)


def _done(archive: Path) -> int:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute("SELECT count(*) FROM pages WHERE state = 'done'").fetchone()[0]


def _fts_rows(archive: Path) -> int:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute("SELECT count(*) FROM page_text").fetchone()[0]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pages_are_committed_at_once_when_slow_and_in_batches_when_fast(tmp_path: Path, sample_scans: Path) -> None:
    archive = tmp_path / "archive"
    refs: list[PageRef] = []

    def collect(pages: list[PageRef], _options: PageOptions) -> Iterator[PageResult]:
        refs.extend(pages)
        return iter(())

    ingest([sample_scans], IngestOptions(archive=archive, jobs=1), runner=collect)  # the ledger only
    assert len(refs) >= 8
    clock = _Clock()
    with Catalog.open(archive) as catalog:
        writer = BatchWriter(catalog, archive, 1, keep_images=False, max_pages=3, max_seconds=2.0, clock=clock)
        writer.add(_result(refs[0]))
        assert _done(archive) == 1  # nothing committed for a while: at once
        clock.now = 0.5
        writer.add(_result(refs[1]))
        writer.add(_result(refs[2]))
        assert _done(archive) == 1  # fast: waiting
        writer.add(_result(refs[3]))
        assert _done(archive) == 4  # three waiting make a batch
        clock.now = 1.0
        writer.add(_result(refs[4]))
        assert _done(archive) == 4
        clock.now = 3.0
        writer.add(_result(refs[5]))
        assert _done(archive) == 6  # the last commit is two seconds old
        writer.add(PageResult(refs[6].sha256, refs[6].page, error="Tesseract failed"))
        with sqlite3.connect(archive / "catalog.sqlite") as db:  # a failure is marked at once
            assert db.execute("SELECT count(*) FROM pages WHERE state = 'failed'").fetchone()[0] == 1
        writer.add(_result(refs[7]))
        assert _done(archive) == 6
        writer.flush()
        assert writer.written == 7 and _fts_rows(archive) == 7


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_pages_read_before_an_interruption_are_kept(tmp_path: Path, sample_scans: Path, stop: type) -> None:
    archive = tmp_path / "archive"

    def interrupted(pages: list[PageRef], _options: PageOptions) -> Iterator[PageResult]:
        for ref in pages[:3]:
            yield _result(ref)
        raise stop("stopped")

    with pytest.raises(stop):
        ingest([sample_scans], IngestOptions(archive=archive, jobs=1), runner=interrupted)
    assert _done(archive) == 3 and _fts_rows(archive) == 3
    with Catalog.open(archive) as catalog:
        runs = catalog.db.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert [r["status"] for r in runs] == ["interrupted"]

    summary = ingest([sample_scans], IngestOptions(archive=archive, jobs=1), runner=lambda p, o: map(_result, p))
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        pending = db.execute("SELECT count(*) FROM pages WHERE state != 'done'").fetchone()[0]
    assert pending == 0 and summary.pages_done == _done(archive) - 3


def test_a_batch_is_found_by_search_once_written(tmp_path: Path, sample_scans: Path) -> None:
    archive = tmp_path / "archive"
    summary = ingest([sample_scans], IngestOptions(archive=archive, jobs=1), runner=lambda p, o: map(_result, p))
    from indexer.query import SearchQuery
    from indexer.search import SqliteSearch

    with Catalog.open(archive) as catalog:
        hits = SqliteSearch(catalog).search(SearchQuery.build("پروانه ساختمانی", limit=100))
    assert summary.pages_done == _done(archive) == len(hits.hits) >= 6


def _segments(archive: Path) -> int:
    """Rows of the FTS5 index's data table: every segment adds some, a merge leaves few."""
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute("SELECT count(*) FROM pages_fts_data").fetchone()[0]


def test_the_index_is_merged_after_a_run_that_added_enough_pages(tmp_path: Path) -> None:
    from indexer.catalog import PageRecord
    from indexer.query import SearchQuery
    from indexer.search import SqliteSearch

    archive = tmp_path / "archive"
    words = ["پروانه", "ساختمانی", "نوسازی", "کمیسیون", "شهرداری", "تخریب", "پلاک", "گوهردشت"]

    def write(catalog: Catalog, first: int, count: int) -> None:
        for n in range(first, first + count):  # a transaction a page: a segment each
            sha = f"{n:064d}"
            catalog.add_source(sha256=sha, kind="pdf", size=1, dpis=[300], first_path=f"/s/{n}.pdf")
            catalog.record_path(path=f"/s/{n}.pdf", display=f"d/{n}.pdf", dossier="d", sha256=sha, size=1, mtime_ns=1)
            text = " ".join(words[(n + i) % len(words)] for i in range(n % 5 + 2))
            catalog.record_page(PageRecord(sha, 1, text, 90.0, 5, 0, 300, False, 0, 0.0, "standard", 0.1), run_id=1)

    def found(catalog: Catalog) -> list[dict[str, object]]:
        with SqliteSearch(catalog) as search:
            return [search.search(SearchQuery.build(w, limit=200)).to_dict() for w in [*words, "نوساز*"]]

    with Catalog.open(archive) as catalog:
        write(catalog, 1, 120)
        before, spread = found(catalog), _segments(archive)
        assert catalog.merge_index()
        assert _segments(archive) < spread / 3
        assert found(catalog) == before  # the same hits, scores and order
        assert not catalog.merge_index()  # nothing added since
        write(catalog, 121, 5)  # under 5% of the index
        assert not catalog.merge_index()
        assert catalog.merge_index(force=True)
        write(catalog, 126, 10)  # 10 of 135 pages
        assert catalog.merge_index()


def test_an_ingest_that_wrote_pages_merges_the_index(tmp_path: Path, sample_scans: Path) -> None:
    archive = tmp_path / "archive"
    ingest([sample_scans], IngestOptions(archive=archive, jobs=1), runner=lambda p, o: map(_result, p))
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        merged = db.execute("SELECT value FROM meta WHERE key = 'index_merged_through'").fetchone()
        highest = db.execute("SELECT max(page_id) FROM page_text").fetchone()[0]
    assert merged is not None and int(merged[0]) == highest
