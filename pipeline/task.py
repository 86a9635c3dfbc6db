"""The page task: a page reference and options in, a typed result out.

Pure and picklable, so the local process pool and an RQ worker on another host run the
very same function. Failures of one page are returned, not raised, so a batch goes on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
from threadpoolctl import threadpool_limits

from indexer.catalog import IndexText, index_text
from indexer.identifiers import document_date, extract
from ocr.errors import MissingDependency, OcrError
from ocr.limits import deadline, limit_memory
from ocr.page import PageOptions, encode_image, read_page
from ocr.tesseract import assemble_text
from ocr.types import CleanInfo, Word

WEAK_WORD = 60.0  # a word Tesseract is less sure of than this is a QA candidate


@dataclass(frozen=True, slots=True)
class PageRef:
    path: str
    sha256: str
    page: int
    kind: str
    stated_dpi: int | None = None


@dataclass(frozen=True, slots=True)
class PageResult:
    sha256: str
    page: int
    error: str | None = None
    text: str = ""
    words: tuple[Word, ...] = ()
    confidence: float = 0.0
    clean: CleanInfo = field(default_factory=CleanInfo)
    image: bytes = b""
    image_ext: str = ""
    identifiers: tuple[dict[str, Any], ...] = ()
    tried: tuple[tuple[str, float], ...] = ()
    index: IndexText | None = None  # normalized here so the one writer only writes
    #: The page's own date (its header's, not one its body quotes), ISO: chosen here, from
    #: the text the identifiers were found in, so the one writer does not assemble it again.
    document_date: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def weak_words(self) -> int:
        return sum(1 for w in self.words if w.conf < WEAK_WORD)


def init_worker(memory_limit: int = 0) -> None:
    """One thread per worker for Tesseract (OpenMP), OpenCV and numpy's BLAS: the pool
    supplies the parallelism. Idle BLAS threads spin, and on cores Tesseract needs that
    cost a fifth of the throughput (measured with the glyph reading of numbers).
    `memory_limit` (MB) caps the worker and the programs it starts (ocr.limits)."""
    global _THREAD_LIMITS
    limit_memory(memory_limit)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cv2.setNumThreads(1)
    _THREAD_LIMITS = threadpool_limits(limits=1)


_THREAD_LIMITS: threadpool_limits | None = None  # kept: the limits hold while it lives


def extraction_text(words: list[Word] | tuple[Word, ...]) -> str:
    """The text identifiers are extracted from, and their ``start``/``end`` index.

    The stored text has digit groups in written order; the extractor reads Tesseract's own
    order, which it was built on and whose reversal it undoes with the word boxes.
    """
    return assemble_text(words, written_order=False)


def identifiers_from_words(words: list[Word] | tuple[Word, ...]) -> tuple[dict[str, Any], ...]:
    """Identifiers of a page from its OCR words (also how a re-extraction runs, OCR once)."""
    return read_identifiers(words)[0]


def read_identifiers(words: list[Word] | tuple[Word, ...]) -> tuple[tuple[dict[str, Any], ...], str | None]:
    """A page's identifiers and its own date (``indexer.identifiers.document_date``), from
    one assembly of the extraction text."""
    text = extraction_text(words)
    found = extract(text, words)
    date = document_date(text, found)
    return tuple(i.to_dict() for i in found), (date.canonical if date else None)


def run_page(ref: PageRef, options: PageOptions) -> PageResult:
    started = time.perf_counter()
    try:
        with deadline(options.timeout, f"page {ref.page}"):
            read = read_page(Path(ref.path), ref.page, kind=ref.kind, stated_dpi=ref.stated_dpi, options=options)
    except MissingDependency:
        raise
    except OcrError as e:
        return PageResult(ref.sha256, ref.page, error=str(e), seconds=time.perf_counter() - started)
    except MemoryError:
        return PageResult(ref.sha256, ref.page, error=f"page {ref.page} needs more memory than the "
                          f"{options.memory_limit} MB limit (--memory-limit)", seconds=time.perf_counter() - started)
    except Exception as e:  # noqa: BLE001 - one bad page must not stop the batch
        return PageResult(
            ref.sha256, ref.page, error=f"unexpected {type(e).__name__}: {e}", seconds=time.perf_counter() - started
        )
    image, ext = encode_image(read.image)
    identifiers, date = read_identifiers(read.reading.words)
    return PageResult(
        sha256=ref.sha256,
        page=ref.page,
        text=read.reading.text,
        words=read.reading.words,
        confidence=read.reading.confidence,
        clean=read.clean,
        image=image,
        image_ext=ext,
        identifiers=identifiers,
        tried=read.tried,
        index=index_text(read.reading.text),
        document_date=date,
        seconds=time.perf_counter() - started,
    )


def run_batch(refs: Sequence[PageRef], options: PageOptions) -> list[PageResult]:
    """An RQ job is a batch of pages, not one tiny job per page."""
    init_worker()  # no memory cap: an RQ worker may run jobs in its own process (SimpleWorker)
    return [run_page(ref, options) for ref in refs]
