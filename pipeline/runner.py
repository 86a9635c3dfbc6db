"""Runners turn page references into results; the caller writes them (one writer).

The local runner is a process pool with a bounded number of pages in flight, so memory
does not grow with the size of the batch. The RQ runner (pipeline.queue) has the same shape.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ocr.digits import glyph_model
from ocr.errors import MissingDependency
from ocr.lexicon import model_words
from ocr.page import PageOptions
from pipeline.task import PageRef, PageResult, init_worker, run_page

ResultSink = Callable[[PageResult], None]


def run_inline(refs: Iterable[PageRef], options: PageOptions) -> Iterator[PageResult]:
    init_worker()
    for ref in refs:
        yield run_page(ref, options)


def run_pool(refs: Iterable[PageRef], options: PageOptions, *, jobs: int) -> Iterator[PageResult]:
    """Yield results as they finish; at most 2×jobs pages are in flight at once."""
    if options.glyph_numbers:
        glyph_model()  # rendered (first run) or loaded here, so workers find it cached
    if options.checks_words:
        model_words("fas")  # likewise the dictionary's word list
    context = multiprocessing.get_context("forkserver")
    pending: dict[Future[PageResult], PageRef] = {}
    queue = iter(refs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker) as pool:
        try:
            while True:
                while len(pending) < 2 * jobs:
                    ref = next(queue, None)
                    if ref is None:
                        break
                    pending[pool.submit(run_page, ref, options)] = ref
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    ref = pending.pop(future)
                    yield _outcome(future, ref)
        except BaseException:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _outcome(future: Future[PageResult], ref: PageRef) -> PageResult:
    try:
        return future.result()
    except (BrokenProcessPool, MissingDependency):
        raise
    except Exception as e:  # noqa: BLE001 - unpicklable or crashed task: fail the page, not the batch
        return PageResult(ref.sha256, ref.page, error=f"worker error {type(e).__name__}: {e}")


def run_local(refs: list[PageRef], options: PageOptions, *, jobs: int) -> Iterator[PageResult]:
    if jobs <= 1 or len(refs) <= 1:
        return run_inline(refs, options)
    return run_pool(refs, options, jobs=min(jobs, len(refs)))
