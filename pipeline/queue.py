"""The coordinator side of distributed ingest: batches of pages go to RQ, results come back.

Workers (`pipeline.worker`) run the pages; this process alone writes the catalog, exactly
as with the local pool. What the coordinator needs in order to resume lives in Redis, not
in its memory: the ids of the jobs it enqueued and not yet wrote stay in one Redis set per
archive, and a job's results stay in Redis until it has written them. A killed coordinator
therefore loses nothing; the same ingest run again adopts those jobs, collects the
finished ones, waits for the rest and enqueues only the pages no job covers.

Design notes are in docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any, ClassVar, TypeVar, get_args, get_type_hints

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Retry
from rq.exceptions import DeserializationError, DuplicateJobError, NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result
from rq.scheduler import RQScheduler
from rq.worker import Worker

from ocr.page import PageOptions
from pipeline.task import PageRef, PageResult

log = logging.getLogger("parvandeh.queue")

QUEUE_NAME = "parvandeh"
JOB_FUNC = "pipeline.worker.run_batch"
JOB_PREFIX = "pv-"
OWNED_KEY = "parvandeh:owned:{namespace}"
DAY = 24 * 3600
NO_WORKERS_AFTER = 10.0  # seconds with work waiting and no worker before saying so
TESSERACT_CALLS_PER_PAGE = 4
PAGE_OVERHEAD = 60.0  # seconds a page may spend rasterizing and cleaning, besides Tesseract
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
GONE = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)

T = TypeVar("T")
PageKey = tuple[str, int]


def connect(redis_url: str) -> Redis:
    """One Redis client; short socket timeouts so an unreachable server is noticed, not waited on."""
    return Redis.from_url(
        redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=15, socket_keepalive=True
    )


def display_url(redis_url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"//[^@/]*@", "//***@", redis_url)


def page_key(ref: PageRef | PageResult) -> PageKey:
    return (ref.sha256, ref.page)


def batch_id(namespace: str, refs: Sequence[PageRef]) -> str:
    """Deterministic: the same pages of the same archive make the same job id on every run."""
    digest = hashlib.sha256(namespace.encode())
    for ref in refs:
        digest.update(f"\n{ref.sha256}:{ref.page}".encode())
    return JOB_PREFIX + digest.hexdigest()[:40]


def owned_key(namespace: str) -> str:
    return OWNED_KEY.format(namespace=hashlib.sha256(namespace.encode()).hexdigest()[:16])


@cache
def wire_format() -> str:
    """A fingerprint of the pickled types a job carries, both ways.

    Jobs and results are pickled dataclasses, restored field by field in order: a worker
    running a parvandeh whose PageResult gained a field would hand back results with their
    values shifted. Coordinator and workers compare this before any page is run.
    """
    found: list[type] = []
    for root in (PageRef, PageOptions, PageResult):
        _dataclasses_in(root, found)
    shape = ";".join(f"{c.__module__}.{c.__qualname__}({','.join(f.name for f in fields(c))})" for c in found)
    return hashlib.sha256(shape.encode()).hexdigest()[:12]


def _dataclasses_in(tp: Any, found: list[type]) -> None:
    if isinstance(tp, type) and is_dataclass(tp):
        if tp not in found:
            found.append(tp)
            for hint in get_type_hints(tp).values():
                _dataclasses_in(hint, found)
        return
    for arg in get_args(tp):
        _dataclasses_in(arg, found)


def page_budget(options: PageOptions) -> float:
    """Seconds one page may take on a worker: every Tesseract call it may make (two
    cleaning recipes, each read Persian-first and again with all languages when weak),
    plus rasterizing and cleaning. A generous hang-catcher, not a performance target."""
    return TESSERACT_CALLS_PER_PAGE * options.timeout + PAGE_OVERHEAD


def job_timeout(page_seconds: float, pages: int) -> int:
    """rq's alarm for a batch: every page may use its whole budget (whole seconds, at least 1)."""
    return max(1, math.ceil(page_seconds * pages))


def last_line(exc_string: str | None) -> str:
    """The exception line of a traceback, which is what an archivist can act on."""
    lines = [line.strip() for line in (exc_string or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error recorded"


@dataclass
class QueueStats:
    """What one run did on the queue, for the summary line and for tests."""

    enqueued: int = 0  # jobs this run created
    adopted: int = 0  # jobs found in Redis from an earlier run (or identical batch) and waited for
    requeued: int = 0  # jobs re-created because Redis lost them or a re-run found them failed
    reaped: int = 0  # jobs taken back from workers that stopped sending heartbeats
    collected: int = 0  # jobs whose results were handed to the writer
    failed_jobs: int = 0  # jobs that failed on every try (their pages come back failed)


@dataclass
class _Batch:
    job_id: str
    refs: tuple[PageRef, ...]  # every page the job runs
    wanted: frozenset[PageKey]  # the pages of this run it answers for


@dataclass
class QueueRunner:
    """A Runner (see pipeline.ingest) that runs pages on RQ workers instead of a local pool.

    Pages go out in batches of `batch_size` per job; at most `max_in_flight` jobs are
    waited on at once, so neither this process nor Redis grows with the number of pages.
    `namespace` scopes job ids and the resume set; the CLI passes the archive's path.
    """

    redis_url: str = field(repr=False)  # may hold a password
    _: KW_ONLY
    batch_size: int = 4
    page_timeout: float | None = None  # seconds per page on a worker; None: page_budget(options)
    retries: int = 3
    retry_intervals: Sequence[int] = (10, 60, 300)
    result_ttl: int = 7 * DAY
    max_in_flight: int = 64
    namespace: str = "default"
    dead_after: float = 30.0  # seconds without a heartbeat before a started job is taken back
    poll_interval: float = 0.25
    stats: QueueStats = field(default_factory=QueueStats, init=False)
    # A job and its results leave Redis as soon as the writer asks for the result after
    # the job's last one: the writer must have committed each result by then.
    commit_each_result: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if self.retries < 0 or any(i < 0 for i in self.retry_intervals):
            raise ValueError("retries and retry intervals cannot be negative")

    def __call__(self, refs: list[PageRef], options: PageOptions) -> Iterator[PageResult]:
        self.stats = QueueStats()
        if not refs:  # nothing left to do needs no Redis
            return iter(())
        return _Run(self, refs, options).results()


class _Run:
    """One call of a QueueRunner: adopt, enqueue, poll, collect, forget."""

    def __init__(self, runner: QueueRunner, refs: Sequence[PageRef], options: PageOptions) -> None:
        self.runner = runner
        self.stats = runner.stats
        self.options = options
        self.refs = refs
        self.conn = connect(runner.redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.conn)
        self.owned = owned_key(runner.namespace)
        self.page_seconds = runner.page_timeout or page_budget(options)
        self.wire = wire_format()
        self.inflight: dict[str, _Batch] = {}
        self.staged: _Batch | None = None
        self.todo: Iterator[PageRef] = iter(())
        self.exhausted = False
        self.heartbeats: dict[str, tuple[bytes | None, float]] = {}  # execution -> (beat, unchanged since)
        self.unstarted: dict[str, float] = {}  # job taken by a worker but not started -> seen since
        self.next_reap = 0.0
        self.redis_down = False
        self.lonely_since = self.next_lonely_note = 0.0
        self.scheduler = RQScheduler(
            [QUEUE_NAME], self.conn, logging_level=logging.WARNING,
            name=f"parvandeh-coordinator-{self.owned.rsplit(':', 1)[-1]}",
        )

    # -- the loop ------------------------------------------------------------------------

    def results(self) -> Iterator[PageResult]:
        try:
            self._redis(self._adopt)
            while True:
                ready = self._redis(self._step)
                for batch, status in ready:
                    results = self._redis(partial(self._fetch, batch, status))
                    if results is None:  # lost from Redis: re-enqueued, still in flight
                        continue
                    del self.inflight[batch.job_id]
                    yield from results  # the caller writes each one before asking for the next
                    self._redis(partial(self._forget, batch.job_id))
                if self.exhausted and self.staged is None and not self.inflight:
                    return
                if not ready:
                    time.sleep(self.runner.poll_interval)
        finally:
            if not self.redis_down:
                self._release_scheduler()
            self.conn.close()

    def _redis(self, fn: Callable[[], T]) -> T:
        """Run one retryable step; while Redis is unreachable, say so once and keep trying."""
        delay, down_since = 0.5, 0.0
        while True:
            try:
                out = fn()
            except REDIS_DOWN as e:
                self.redis_down = True
                if not down_since:
                    down_since = time.monotonic()
                    log.warning(
                        "Redis at %s is unreachable (%s); waiting for it to come back "
                        "(finished pages are kept; Ctrl-C and re-run later also works)",
                        display_url(self.runner.redis_url), e,
                    )
                time.sleep(delay)
                delay = min(2 * delay, 10.0)
                continue
            self.redis_down = False
            if down_since:
                log.warning("Redis is back after %.0f s; resuming", time.monotonic() - down_since)
            return out

    def _step(self) -> list[tuple[_Batch, str | None]]:
        """Top up the jobs in flight, take back dead workers' jobs, and report finished ones."""
        self._top_up()
        if time.monotonic() >= self.next_reap:
            self._reap_dead_workers()
            self._run_due_retries()
            self._check_workers()
            self.next_reap = time.monotonic() + max(1.0, min(5.0, self.runner.dead_after / 4))
        return self._poll()

    # -- enqueueing ----------------------------------------------------------------------

    def _adopt(self) -> None:
        """Wait on the jobs an earlier coordinator enqueued for pages this run still needs."""
        ids = sorted(_text(i) for i in self.conn.smembers(self.owned))
        covers: dict[PageRef, str] = {}
        adopted: dict[str, tuple[PageRef, ...]] = {}
        for job_id, job in zip(ids, Job.fetch_many(ids, connection=self.conn), strict=True):
            refs = _job_refs(job)
            if job is None or refs is None:
                self.conn.srem(self.owned, job_id)
                continue
            if job.get_status(refresh=False) in GONE:
                # Its failure was never written: a re-run gives those pages fresh tries.
                job.delete()
                self.conn.srem(self.owned, job_id)
                continue
            adopted[job_id] = refs
            covers.update((r, job_id) for r in refs)  # the whole ref: a moved scan is not covered
        wanted: dict[str, set[PageKey]] = {}
        for ref in self.refs:
            owner = covers.get(ref)
            if owner is not None:
                wanted.setdefault(owner, set()).add(page_key(ref))
        for job_id, keys in wanted.items():
            self.inflight[job_id] = _Batch(job_id, adopted[job_id], frozenset(keys))
        self.stats.adopted += len(wanted)
        if wanted:
            log.info("resuming %d job(s) enqueued by an earlier run", len(wanted))
        self.todo = (r for r in self.refs if r not in covers)

    def _top_up(self) -> None:
        while len(self.inflight) < self.runner.max_in_flight:
            if self.staged is None:
                refs = tuple(_take(self.todo, self.runner.batch_size))
                if not refs:
                    self.exhausted = True
                    return
                job_id = batch_id(self.runner.namespace, refs)
                self.staged = _Batch(job_id, refs, frozenset(page_key(r) for r in refs))
            self._enqueue(self.staged)
            self.inflight[self.staged.job_id] = self.staged
            self.staged = None

    def _enqueue(self, batch: _Batch) -> None:
        """Create the batch's job unless a job with its id exists (then wait on that one).

        The id goes into the resume set first: a crash in between leaves an id without a
        job, which the next run drops, never a job nobody will collect.
        """
        self.conn.sadd(self.owned, batch.job_id)
        for _ in range(2):
            try:
                self.queue.enqueue_call(
                    JOB_FUNC,
                    args=(list(batch.refs), self.options),
                    kwargs={"wire": self.wire},
                    timeout=job_timeout(self.page_seconds, len(batch.refs)),
                    result_ttl=self.runner.result_ttl,
                    failure_ttl=self.runner.result_ttl,
                    retry=Retry(max=self.runner.retries, interval=list(self.runner.retry_intervals))
                    if self.runner.retries else None,
                    job_id=batch.job_id,
                    description=_describe(batch.refs),
                    meta={"retries": self.runner.retries, "pages": len(batch.refs)},
                    unique=True,
                )
            except DuplicateJobError:
                try:
                    existing = Job.fetch(batch.job_id, connection=self.conn)
                except NoSuchJobError:  # gone in between, or a husk without data
                    self.conn.delete(Job.key_for(batch.job_id))
                    continue
                if existing.get_status(refresh=False) in GONE:
                    existing.delete()
                    self.stats.requeued += 1
                    continue
                self.stats.adopted += 1
                return
            self.stats.enqueued += 1
            return

    # -- collecting ----------------------------------------------------------------------

    def _poll(self) -> list[tuple[_Batch, str | None]]:
        """The in-flight jobs that finished, failed for good, or vanished, in one round trip."""
        ids = list(self.inflight)
        pipe = self.conn.pipeline(transaction=False)
        for job_id in ids:
            pipe.hget(Job.key_for(job_id), "status")
        ready = []
        for job_id, raw in zip(ids, pipe.execute(), strict=True):
            status = _text(raw) if raw else None
            if status is None or status == JobStatus.FINISHED or status in GONE:
                ready.append((self.inflight[job_id], status))
        return ready

    def _fetch(self, batch: _Batch, status: str | None) -> list[PageResult] | None:
        """The batch's results for the pages this run wants; None when the job was lost."""
        try:
            job = Job.fetch(batch.job_id, connection=self.conn)
        except NoSuchJobError:
            job = None
        if job is None or status is None:
            self._lost(batch)
            return None
        if status == JobStatus.FINISHED:
            try:
                value = job.return_value(refresh=True)
            except DeserializationError as e:
                return self._failed(batch, f"results could not be read ({e}); worker and coordinator versions differ?")
            if value is None:
                self._lost(batch)
                return None
            self.stats.collected += 1
            return _select(batch, value)
        self.stats.failed_jobs += 1
        result = job.latest_result()
        retries = int(job.meta.get("retries", self.runner.retries))
        tries = retries - (job.retries_left or 0) + 1
        error = last_line(result.exc_string if result and result.type == Result.Type.FAILED else f"job {status}")
        return self._failed(batch, f"queue job failed after {tries} attempt(s): {error}")

    def _failed(self, batch: _Batch, error: str) -> list[PageResult]:
        self.stats.collected += 1
        return [PageResult(r.sha256, r.page, error=error) for r in batch.refs if page_key(r) in batch.wanted]

    def _lost(self, batch: _Batch) -> None:
        """Redis lost the job (restarted without persistence, result expired): run it again."""
        log.warning("job %s is gone from Redis; enqueueing its %d page(s) again", batch.job_id, len(batch.refs))
        self.conn.delete(Job.key_for(batch.job_id))
        self._enqueue(batch)
        self.stats.requeued += 1

    def _forget(self, job_id: str) -> None:
        """Written to the catalog: the job and its results can go."""
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(job_id, connection=self.conn).delete()
        self.conn.srem(self.owned, job_id)

    # -- failures of workers -------------------------------------------------------------

    def _reap_dead_workers(self) -> None:
        """Take back jobs from workers that died holding them.

        A worker killed outright (SIGKILL, power loss) leaves its job 'started'; rq would
        notice only when the execution's registry score expires and some worker happens to
        run maintenance, so stale executions are handed to rq's abandoned-job handling now
        (it retries them while tries are left). A worker that died between taking a job
        and starting it leaves the job 'queued' in rq's intermediate list, which rq clears
        only after two maintenance passes; those are put back on the queue as they were.
        Staleness is judged by this process's clock (a value that has not changed for
        `dead_after` seconds), so the hosts' clocks need not agree.
        """
        registry = StartedJobRegistry(queue=self.queue)
        entries = [_text(e) for e in self.conn.zrange(registry.key, 0, -1)]
        taken = [_text(j) for j in self.conn.lrange(self.queue.intermediate_queue_key, 0, -1)]
        pipe = self.conn.pipeline(transaction=False)
        for entry in entries:
            pipe.hget(Execution.from_composite_key(entry, self.conn).key, "last_heartbeat")
        for job_id in taken:
            pipe.hget(Job.key_for(job_id), "status")
        answers = pipe.execute()
        beats, statuses = answers[: len(entries)], answers[len(entries):]
        now = time.monotonic()

        stuck = [j for j, status in zip(taken, statuses, strict=True) if status and _text(status) == JobStatus.QUEUED]
        self.unstarted = {j: self.unstarted.get(j, now) for j in stuck}
        for job_id in [j for j, since in self.unstarted.items() if now - since >= self.runner.dead_after]:
            self._requeue_unstarted(job_id, [e for e in entries if e.startswith(job_id + ":")])
            del self.unstarted[job_id]

        stale = [e for e, beat in zip(entries, beats, strict=True) if self._silent(e, beat, now)]
        self.heartbeats = {e: self.heartbeats[e] for e in entries if e in self.heartbeats}
        stale = [e for e in stale if e.split(":")[0] not in stuck]
        if not stale:
            return
        for entry in stale:
            log.warning("job %s: its worker sent no heartbeat for %.0f s; taking it back",
                        entry.split(":")[0], self.runner.dead_after)
        self.conn.zadd(registry.key, dict.fromkeys(stale, 0), xx=True)
        registry.cleanup()  # retries the job if it has tries left, else marks it failed
        self.stats.reaped += len(stale)

    def _silent(self, entry: str, beat: bytes | None, now: float) -> bool:
        """True once an execution's heartbeat has not changed for `dead_after` seconds."""
        previous = self.heartbeats.get(entry)
        since = previous[1] if previous is not None and previous[0] == beat else now
        self.heartbeats[entry] = (beat, since)
        return now - since >= self.runner.dead_after

    def _requeue_unstarted(self, job_id: str, executions: list[str]) -> None:
        """Move a job that was taken but never started from rq's intermediate list back to the queue."""
        log.warning("job %s: taken by a worker that died before starting it; queued again", job_id)
        with self.conn.pipeline() as pipe:  # MULTI: the job is in exactly one of the two lists
            pipe.lrem(self.queue.intermediate_queue_key, 0, job_id)
            for entry in executions:
                pipe.zrem(StartedJobRegistry(queue=self.queue).key, entry)
            self.queue.push_job_id(job_id, pipeline=pipe)
            pipe.execute()
        self.stats.reaped += 1

    def _check_workers(self) -> None:
        """Say so when pages wait and no worker listens, instead of a bar that never moves."""
        if not self.inflight or Worker.count(queue=self.queue) > 0:
            self.lonely_since = 0.0
            return
        now = time.monotonic()
        if not self.lonely_since:
            self.lonely_since = now
        elif now - self.lonely_since >= NO_WORKERS_AFTER and now >= self.next_lonely_note:
            log.warning("no worker is listening on queue %r at %s; start `parvandeh worker --queue URL` "
                        "on the OCR hosts (the jobs wait in Redis)", QUEUE_NAME, display_url(self.runner.redis_url))
            self.next_lonely_note = now + 300

    def _run_due_retries(self) -> None:
        """Be the scheduler for retries' back-off when no worker holds rq's scheduler lock."""
        if self.scheduler.acquire_locks():
            self.scheduler.enqueue_scheduled_jobs()

    def _release_scheduler(self) -> None:
        with contextlib.suppress(*REDIS_DOWN):
            self.scheduler.release_locks()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _take(refs: Iterator[PageRef], n: int) -> Iterator[PageRef]:
    for _ in range(n):
        ref = next(refs, None)
        if ref is None:
            return
        yield ref


def _job_refs(job: Job | None) -> tuple[PageRef, ...] | None:
    """The pages a job runs, or None when it is not one of ours or cannot be read."""
    if job is None:
        return None
    try:
        if job.func_name != JOB_FUNC:
            return None
        refs = job.args[0]
    except (DeserializationError, IndexError, AttributeError, TypeError):
        return None
    return tuple(refs) if all(isinstance(r, PageRef) for r in refs) else None


def _select(batch: _Batch, value: Any) -> list[PageResult]:
    """One result per wanted page, in batch order; a page missing from the results fails."""
    got = {page_key(r): r for r in value if isinstance(r, PageResult)} if isinstance(value, list) else {}
    out = []
    for ref in batch.refs:
        key = page_key(ref)
        if key in batch.wanted:
            out.append(got.get(key) or PageResult(ref.sha256, ref.page, error="missing from its batch's results"))
    return out


def _describe(refs: Sequence[PageRef]) -> str:
    first = refs[0]
    name = first.path.rsplit("/", 1)[-1]
    return f"{len(refs)} page(s) from {name} p.{first.page}"


# -- status ---------------------------------------------------------------------------


def queue_status(redis_url: str, *, connection: Redis | None = None, stale_after: float = 90.0) -> dict[str, Any]:
    """Job counts and workers of the parvandeh queue, for `parvandeh status --queue`.

    `finished` and `failed` count jobs whose results wait to be written by a coordinator
    (a coordinator deletes a job once it has written it). A worker is `alive` while its
    last heartbeat is under `stale_after` seconds old (parvandeh workers beat every 5 s
    when busy, every 45 s when idle); a killed worker lingers until Redis expires it.
    """
    conn = connection or connect(redis_url)
    queue = Queue(QUEUE_NAME, connection=conn)
    workers = []
    now = datetime.now(UTC)
    for worker in sorted(Worker.all(queue=queue), key=lambda w: w.name):
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        workers.append({
            "name": worker.name,
            "host": worker.hostname,
            "pid": worker.pid,
            "state": worker.get_state(),
            "current_job": worker.get_current_job_id(),
            "last_heartbeat": beat.isoformat() if beat else None,
            "alive": beat is not None and (now - beat).total_seconds() <= stale_after,
        })
    return {
        "redis": display_url(redis_url),
        "queue": QUEUE_NAME,
        "queued": queue.count,
        "started": StartedJobRegistry(queue=queue).get_job_count(cleanup=False),
        "scheduled": ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False),
        "failed": FailedJobRegistry(queue=queue).get_job_count(cleanup=False),
        "finished": FinishedJobRegistry(queue=queue).get_job_count(cleanup=False),
        "workers": workers,
    }


def status_lines(status: dict[str, Any]) -> list[str]:
    """`queue_status` as the lines `parvandeh status --queue` prints."""
    lines = [
        f"queue: {status['queue']} on {status['redis']}",
        f"jobs:  {status['queued']} queued, {status['started']} running, {status['scheduled']} waiting to retry, "
        f"{status['finished']} finished and {status['failed']} failed awaiting the coordinator",
        f"workers: {sum(w['alive'] for w in status['workers'])} alive",
    ]
    for w in status["workers"]:
        job = f", job {w['current_job']}" if w["current_job"] else ""
        dead = "" if w["alive"] else " (no heartbeat: lost?)"
        lines.append(f"  {w['name']} on {w['host']}: {w['state']}{job}{dead}")
    return lines


__all__ = [
    "QUEUE_NAME",
    "QueueRunner",
    "QueueStats",
    "batch_id",
    "connect",
    "job_timeout",
    "page_budget",
    "queue_status",
    "status_lines",
    "wire_format",
]
