"""Limits on what reading one hostile file may cost: memory and wall-clock time.

A decompression bomb or a pathological PDF must fail its own page, not take the machine
or the batch with it. The memory cap is an address-space limit (RLIMIT_AS) set in the
processes that decode pages (pool workers, the repair child); the programs they start
(pdftoppm, tesseract) inherit it. The time limit is an alarm in the process running a
page, so a page that overruns is failed even when no single program call did.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import threading
from collections.abc import Iterator

from ocr.errors import OcrError


class PageTimeout(OcrError):
    """A page took longer than its time limit as a whole (rasterize, clean, OCR)."""


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (and its children's) at `megabytes`; 0: no cap."""
    if megabytes <= 0:
        return
    cap = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Raise PageTimeout in this block after `seconds`.

    A no-op off the main thread, or when an alarm is already armed (an RQ job's own
    timeout uses SIGALRM, and it already bounds the job).
    """
    if (
        seconds <= 0
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise PageTimeout(f"{what} took longer than {seconds:.0f} s and was abandoned")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
