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


def _crashed(ref: PageRef, options: PageOptions) -> PageResult:
    cap = f" past the {options.memory_limit} MB limit (--memory-limit)" if options.memory_limit else ""
    return PageResult(ref.sha256, ref.page, error=(
        f"page {ref.page} crashed the process reading it twice (out of memory{cap}, "
        "or a damaged file that breaks the decoder)"
    ))


class _Pool:
    """A process pool that can be replaced when a page kills one of its workers."""

    def __init__(self, options: PageOptions, jobs: int, task: Callable[[PageRef, PageOptions], PageResult]) -> None:
        self.options, self.jobs, self.task = options, jobs, task
        self.context = multiprocessing.get_context("forkserver")
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=self.context, initializer=init_worker,
            initargs=(self.options.memory_limit,),
        )

    def submit(self, ref: PageRef) -> Future[PageResult]:
        return self.pool.submit(self.task, ref, self.options)

    def renew(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def close(self, *, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


def run_pool(
    refs: Iterable[PageRef],
    options: PageOptions,
    *,
    jobs: int,
    task: Callable[[PageRef, PageOptions], PageResult] = run_page,
) -> Iterator[PageResult]:
    """Yield results as they finish; at most 2×jobs pages are in flight at once.

    A page that kills its worker (a decoder crash, the memory cap) breaks the whole pool
    and every page in flight with it: those pages are run again one at a time in a fresh
    pool, so only the page that kills a worker a second time is failed.
    """
    if options.glyph_numbers:
        glyph_model()  # rendered (first run) or loaded here, so workers find it cached
    if options.checks_words:
        model_words("fas")  # likewise the dictionary's word list
    pending: dict[Future[PageResult], PageRef] = {}
    queue = iter(refs)
    pool = _Pool(options, jobs, task)
    try:
        while True:
            while len(pending) < 2 * jobs:
                ref = next(queue, None)
                if ref is None:
                    break
                pending[pool.submit(ref)] = ref
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken: list[PageRef] = []
            for future in done:
                ref = pending.pop(future)
                try:
                    yield _outcome(future, ref)
                except BrokenProcessPool:
                    broken.append(ref)
            if broken:
                suspects = list(broken)
                for future, ref in pending.items():  # finished before the pool broke: kept
                    if future.done() and not future.cancelled() and future.exception() is None:
                        yield future.result()
                    else:
                        suspects.append(ref)
                pending.clear()
                pool.renew()
                for ref in suspects:
                    yield _alone(pool, ref, options)
    except BaseException:
        for future in pending:
            future.cancel()
        pool.close(wait=False)
        raise
    pool.close()


def _alone(pool: _Pool, ref: PageRef, options: PageOptions) -> PageResult:
    """Run one suspect page by itself; a second crash fails it and renews the pool."""
    future = pool.submit(ref)
    try:
        return _outcome(future, ref)
    except BrokenProcessPool:
        pool.renew()
        return _crashed(ref, options)


def _outcome(future: Future[PageResult], ref: PageRef) -> PageResult:
    try:
        return future.result()
    except (BrokenProcessPool, MissingDependency):
        raise
    except Exception as e:  # noqa: BLE001 - unpicklable or crashed task: fail the page, not the batch
        return PageResult(ref.sha256, ref.page, error=f"worker error {type(e).__name__}: {e}")


def run_local(refs: list[PageRef], options: PageOptions, *, jobs: int) -> Iterator[PageResult]:
    """Pages run in worker processes; inline (in this process) only with one job and no
    memory cap, since a cap would hold the coordinator too and a crash would end the batch."""
    if (jobs <= 1 or len(refs) <= 1) and not options.memory_limit:
        return run_inline(refs, options)
    return run_pool(refs, options, jobs=max(1, min(jobs, len(refs))))
