"""One long-running writer per archive: an ingest holds the archive's lock while it runs.

The lock is `flock` on `ingest.lock` in the archive folder. The kernel releases it when
its holder's file is closed, which includes the process dying in any way (SIGKILL, a lost
machine's NFS client aside), so a killed ingest never leaves a stale lock behind and the
next run needs no clean-up. The file also says who holds it (PID, host, run, command),
for the message the second ingest prints.

Short catalog writes (a QA correction, consensus) do not take this lock: SQLite's WAL and
its busy timeout serialise them with the ingest's short transactions, so they never wait
for a whole ingest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pipeline.errors import ArchiveBusy

LOCK_NAME = "ingest.lock"
POLL_SECONDS = 0.2


def describe(holder: dict[str, Any]) -> str:
    """`ingest run #3 (PID 4242 on scan-01, since 2026-12-02T13:10:00Z)`, from what is known."""
    what = f"{holder.get('command') or 'ingest'} run #{holder['run']}" if holder.get("run") else (
        holder.get("command") or "another ingest")
    where = [f"PID {holder['pid']}" + (f" on {holder['host']}" if holder.get("host") else "")] if holder.get("pid") else []
    if holder.get("since"):
        where.append(f"since {holder['since']}")
    return what + (f" ({', '.join(where)})" if where else "")


class ArchiveLock:
    """Exclusive use of `archive` by one long writer; a context manager.

    Without `wait`, a held lock raises `ArchiveBusy` at once, naming its holder; with it,
    `on_wait(holder)` is called once and the lock is waited for (at most `timeout`
    seconds, then `ArchiveBusy`).
    """

    def __init__(
        self, archive: Path, *, wait: bool = False, timeout: float | None = None, command: str = "ingest",
        on_wait: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.path = Path(archive) / LOCK_NAME
        self.wait, self.timeout, self.command, self.on_wait = wait, timeout, command, on_wait
        self.fd: int | None = None
        self.holder: dict[str, Any] = {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not self._try(fd):
                holder = self.read_holder()
                if not self.wait:
                    raise ArchiveBusy(self.path.parent, describe(holder))
                if self.on_wait is not None:
                    self.on_wait(holder)
                self._block(fd, holder)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        self.note(run=None)

    def _try(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _block(self, fd: int, holder: dict[str, Any]) -> None:
        # Polled rather than a blocking flock, so Ctrl-C and the timeout are seen at once.
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while not self._try(fd):
            if deadline is not None and time.monotonic() >= deadline:
                raise ArchiveBusy(self.path.parent, describe(self.read_holder() or holder), waited=self.timeout)
            time.sleep(POLL_SECONDS)

    def note(self, **fields: Any) -> None:
        """Record who holds the lock (and, once it is known, the run id) in the lock file."""
        if self.fd is None:
            return
        if not self.holder:
            self.holder = {
                "pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "argv": sys.argv[1:],
            }
        self.holder.update({k: v for k, v in fields.items() if v is not None})
        data = json.dumps(self.holder, ensure_ascii=False).encode("utf-8")
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def read_holder(self) -> dict[str, Any]:
        """What the lock file says about its holder ({} when it says nothing readable)."""
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            if isinstance(data, dict):
                return data
        return {}

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)  # says nothing once nobody holds it
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
