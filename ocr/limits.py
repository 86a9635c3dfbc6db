"""Limits on what reading one hostile file may cost: memory and wall-clock time.

A decompression bomb or a pathological PDF must fail its own page, not take the machine
or the batch with it. The memory cap is an address-space limit (RLIMIT_AS) set in the
processes that decode pages (pool workers, the repair child); the programs they start
(pdftoppm, tesseract) inherit it. The time limit is an alarm in the process running a
page, so a page that overruns is failed even when no single program call did.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

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


def children() -> set[int]:
    """This process's direct children (Linux /proc; empty elsewhere)."""
    out: set[int] = set()
    for listing in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out.update(int(pid) for pid in listing.read_text().split())
    return out


def kill_children(spare: set[int]) -> None:
    """SIGKILL this process's children but `spare`: libraries that wait on a program
    (pytesseract, pdf2image) do not kill it when an exception interrupts the wait."""
    for pid in children() - spare:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Raise PageTimeout in this block after `seconds`; a no-op off the main thread.

    An alarm already armed (an RQ job's timeout, pytest-timeout) is kept: when it is due
    first its own handler runs at its time, and whatever of it is left is re-armed after.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    outer_first = 0 < outer <= seconds
    started = time.monotonic()
    previous = signal.getsignal(signal.SIGALRM)
    before = children()  # started outside the block (a test's Redis): not the page's to kill

    def expired(signum: int, frame: FrameType | None) -> None:
        if outer_first and callable(previous):
            previous(signum, frame)
            return
        kill_children(before)  # pdftoppm or tesseract the page was waiting for: nobody reads them now
        raise PageTimeout(f"{what} took longer than {seconds:.0f} s and was abandoned")

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, outer if outer_first else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        left = outer - (time.monotonic() - started)
        if outer > 0 and not outer_first:
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
