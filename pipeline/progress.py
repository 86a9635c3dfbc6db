"""Progress: a live bar on a terminal, plain log lines otherwise (cron, CI, `| tee`)."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, *, failed: bool = False) -> None: ...
    def stop(self) -> None: ...


def rate_line(done: int, total: int, failed: int, elapsed: float) -> str:
    per_min = done / elapsed * 60 if elapsed > 0 else 0.0
    left = total - done
    eta = left / per_min * 60 if per_min > 0 else 0.0
    pct = 100 * done / total if total else 100.0
    return (
        f"{done}/{total} pages ({pct:.0f}%), {failed} failed, {per_min:.1f} pages/min, "
        f"ETA {int(eta // 60)}m{int(eta % 60):02d}s"
    )


class _PagesPerMinute(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed * 60:.1f} pages/min" if speed else "– pages/min", style="cyan")


class BarReporter:
    """rich's progress bar: pages done, pages/minute, ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self.failed = 0
        self.progress = Progress(
            TextColumn("[bold]OCR[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            _PagesPerMinute(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]}"),
            console=console,
        )
        self.task = self.progress.add_task("ocr", total=0, failed="")

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)
        self.progress.start()

    def advance(self, *, failed: bool = False) -> None:
        self.failed += failed
        note = f"[red]{self.failed} failed[/]" if self.failed else ""
        self.progress.update(self.task, advance=1, failed=note)

    def stop(self) -> None:
        self.progress.stop()


class LogReporter:
    """One line every `every` seconds and at the end, for logs."""

    def __init__(self, stream: TextIO | None = None, every: float = 15.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.total = self.done = self.failed = 0
        self.started = self.last = 0.0

    def start(self, total: int) -> None:
        self.total = total
        self.started = self.last = time.monotonic()
        print(f"ingest: {total} pages to OCR", file=self.stream, flush=True)

    def advance(self, *, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line()

    def stop(self) -> None:
        if self.total:
            self._line()

    def _line(self) -> None:
        line = rate_line(self.done, self.total, self.failed, time.monotonic() - self.started)
        print(f"ingest: {line}", file=self.stream, flush=True)


class QuietReporter:
    def start(self, total: int) -> None:
        pass

    def advance(self, *, failed: bool = False) -> None:
        pass

    def stop(self) -> None:
        pass


def reporter_for(stream: TextIO | None = None, *, quiet: bool = False) -> Reporter:
    stream = stream or sys.stdout
    if quiet:
        return QuietReporter()
    if stream.isatty():
        return BarReporter(Console(file=stream))
    return LogReporter()
