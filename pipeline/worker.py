"""The worker side of distributed ingest: an RQ worker that OCRs batches of pages.

Run one per core on each OCR host (`parvandeh worker --queue redis://…`). It is rq's
forking `Worker`: each job runs in a work horse forked from a parent that only watches it,
so a horse killed outright (out of memory, SIGKILL) is noticed by the parent and the job
is retried, and the parent keeps heartbeating while the horse works, which is how the
coordinator tells a slow page from a dead host. Workers never touch the catalog.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import FrameType

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import get_current_job
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty
from rq.worker import Worker

from ocr.page import PageOptions
from ocr.tools import check_environment
from pipeline import task
from pipeline.errors import OptionsError
from pipeline.queue import QUEUE_NAME, connect, display_url, wire_format
from pipeline.task import PageRef, PageResult

log = logging.getLogger("parvandeh.worker")

PATH_MAP_ENV = "PARVANDEH_PATH_MAP"
HEARTBEAT = 5  # seconds between a busy worker's heartbeats (rq's default is 30)
WORKER_TTL = 60  # an idle worker heartbeats every WORKER_TTL - 15 s
MAINTENANCE = 60  # seconds between rq's registry clean-ups (rq's default is 600)


class BatchTimeout(BaseException):
    """A batch ran past its job timeout.

    A BaseException, not rq's JobTimeoutException, because the page task turns every
    Exception into a failed page and goes on: rq's own timeout would fail one page and
    let the batch run on unbounded, instead of failing the job so that it is retried.
    """


class BatchDeathPenalty(UnixSignalDeathPenalty):
    """rq's SIGALRM timeout, raising BatchTimeout for jobs (other timeouts are unchanged)."""

    def handle_death_penalty(self, signum: int, frame: FrameType | None) -> None:
        if isinstance(self._exception, type) and issubclass(self._exception, JobTimeoutException):
            raise BatchTimeout(f"batch exceeded its job timeout of {self._timeout} s")
        super().handle_death_penalty(signum, frame)


class WireMismatch(Exception):
    """The coordinator runs a parvandeh whose job and result types differ from this worker's."""


class PageWorker(Worker):
    """rq's forking Worker with the batch timeout, remembering whether it was asked to stop."""

    death_penalty_class = BatchDeathPenalty
    stop_requested = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


# -- path mapping -------------------------------------------------------------------------


def parse_path_map(items: Iterable[str]) -> dict[str, str]:
    """`OLD=NEW` pairs from the command line: scans under OLD on the coordinator are under NEW here."""
    out: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise OptionsError(f"--path-map takes OLD=NEW (two absolute paths), not {item!r}")
        old, new = old.strip(), new.strip()
        if not old.startswith("/") or not new.startswith("/"):
            raise OptionsError(f"--path-map paths must be absolute: {item!r}")
        out[old.rstrip("/") or "/"] = new.rstrip("/") or "/"
    return out


def map_path(path: str, path_map: Mapping[str, str]) -> str:
    """Rewrite the longest matching OLD prefix (whole path components only) to NEW."""
    for old in sorted(path_map, key=len, reverse=True):
        if path == old:
            return path_map[old]
        prefix = old if old.endswith("/") else old + "/"
        if path.startswith(prefix):
            new = path_map[old]
            return (new if new.endswith("/") else new + "/") + path[len(prefix):]
    return path


def path_map_from_env() -> dict[str, str]:
    raw = os.environ.get(PATH_MAP_ENV, "")
    return dict(json.loads(raw)) if raw else {}


# -- the job ------------------------------------------------------------------------------


def run_batch(refs: Sequence[PageRef], options: PageOptions, *, wire: str | None = None) -> list[PageResult]:
    """The RQ job: map the scans' paths to this host's mount, then run the pages.

    The map comes from the environment (set by run_worker, inherited by the forked horse),
    so the coordinator never needs to know where each host mounts the scans. A job from a
    coordinator with other job and result types is refused before any page is run.
    """
    if wire is not None and wire != wire_format():
        raise WireMismatch(
            f"worker {socket.gethostname()} runs a parvandeh with other job/result types "
            f"({wire_format()}) than the coordinator ({wire}): deploy one version everywhere"
        )
    path_map = path_map_from_env()
    if path_map:
        refs = [replace(ref, path=map_path(ref.path, path_map)) for ref in refs]
    job = get_current_job()
    log.info("job %s: %d page(s)", job.id if job else "-", len(refs))
    try:
        return task.run_batch(refs, options)
    except BatchTimeout:
        _stop_strays()
        raise


def _stop_strays() -> None:
    """Kill the Tesseract a timed-out page left running, so it stops eating the core.

    Only in a forked horse, which rq makes the leader of its own process group: there,
    everything else in the group is ours to end.
    """
    if os.getpgrp() != os.getpid():
        return
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgrp(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the worker process -------------------------------------------------------------------


def run_worker(
    redis_url: str,
    *,
    burst: bool = False,
    path_map: Mapping[str, str] | None = None,
    name: str | None = None,
    heartbeat: int = HEARTBEAT,
    langs: Sequence[str] = ("fas", "eng"),
) -> None:
    """Work the parvandeh queue until stopped (SIGTERM/Ctrl-C: finish the job, then exit).

    `burst` exits once the queue is empty. If Redis goes away the worker waits for it and
    starts over, rather than exiting, so a Redis restart needs no visit to every host.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread per worker: run a worker per core
    if path_map:
        os.environ[PATH_MAP_ENV] = json.dumps(dict(path_map))
    check_environment(list(langs))  # a host without Tesseract or a model must not take jobs
    _log_to_stderr()
    conn = connect(redis_url)
    base = name or f"{socket.gethostname()}.{os.getpid()}"
    pause = 0.0
    for attempt in itertools.count():
        worker = PageWorker(
            [QUEUE_NAME],
            name=base if attempt == 0 else f"{base}.{attempt}",
            connection=conn,
            job_monitoring_interval=heartbeat,
            worker_ttl=WORKER_TTL,
            maintenance_interval=MAINTENANCE,
        )
        started = time.monotonic()
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        except (RedisConnectionError, RedisTimeoutError) as e:
            log.warning("lost Redis at %s (%s)", display_url(redis_url), e)
        if burst or worker.stop_requested:
            return
        _wait_for_redis(conn, redis_url)
        # rq's loop also quits on errors that are not Redis's: do not spin if they recur.
        pause = 0.0 if time.monotonic() - started > 60 else min(2 * pause or 1.0, 60.0)
        time.sleep(pause)


def _wait_for_redis(conn: Redis, redis_url: str) -> None:
    """Ping until Redis answers; rq's own loop gives up on some connection errors."""
    delay = 1.0
    told = False
    while True:
        try:
            conn.ping()
            if told:
                log.warning("Redis is back; working again")
            return
        except (RedisConnectionError, RedisTimeoutError) as e:
            if not told:
                log.warning("waiting for Redis at %s (%s)", display_url(redis_url), e)
                told = True
        time.sleep(delay)
        delay = min(2 * delay, 15.0)


def _log_to_stderr() -> None:
    """A worker is a long-running process: its own log lines go to stderr, one per job."""
    logger = logging.getLogger("parvandeh")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the CLI's root handler would print warnings a second time
