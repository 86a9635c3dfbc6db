"""Distributed ingest on a real redis-server with real worker processes.

Each test gets a flushed Redis database and its own workers (`python -c run_worker(…)`),
runs the coordinator (`ingest(…, runner=QueueRunner(…))`) and checks the catalog: every
page done exactly once (written once: `attempts == 1`, the FTS index consistent), and,
from the workers' logs, which jobs ran where and how often.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from PIL import Image
from redis import Redis
from rq import Queue
from rq.worker import Worker

from ocr.page import PageOptions
from pipeline.ingest import ingest
from pipeline.options import IngestOptions
from pipeline.queue import QUEUE_NAME, QueueRunner, batch_id, job_timeout, page_budget, queue_status
from pipeline.task import PageRef, PageResult
from pipeline.worker import map_path, parse_path_map
from tests.imaging import ENGLISH_LINES, PERSIAN_LINES, degrade, mixed_lines, render_page
from tests.redis_server import RedisServer, shared_url

ROOT = Path(__file__).resolve().parent.parent
A3_MM = (297.0, 420.0)
JOB_LINE = re.compile(r"parvandeh\.worker: job (pv-[0-9a-f]+):")


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server_url() -> Iterator[str]:
    url = shared_url()
    if url:
        yield url
        return
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """A dedicated database, flushed before and after the test."""
    conn = Redis.from_url(redis_server_url)
    conn.flushdb()
    try:
        yield redis_server_url
    finally:
        conn.flushdb()
        conn.close()


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill_tree(self) -> None:
        """SIGKILL the worker, its work horse, its scheduler and their Tesseracts: a host lost."""
        try:
            parent = psutil.Process(self.process.pid)
            tree = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def jobs(self) -> list[str]:
        return JOB_LINE.findall(self.log.read_text(errors="replace")) if self.log.exists() else []


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(url: str, name: str, *, path_map: dict[str, str] | None = None, wait: bool = True) -> WorkerProcess:
        log = tmp_path / f"{name}.log"
        code = (
            "import json, sys; from pipeline.worker import run_worker; "
            "run_worker(sys.argv[1], name=sys.argv[2], path_map=json.loads(sys.argv[3]), heartbeat=1)"
        )
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", code, url, name, json.dumps(path_map or {})],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        worker = WorkerProcess(name, proc, log)
        started.append(worker)
        if wait:
            wait_for_workers(url, [name])
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill_tree()


def wait_for_workers(url: str, names: list[str], timeout: float = 60) -> None:
    conn = Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        present = {w.name for w in Worker.all(queue=Queue(QUEUE_NAME, connection=conn))}
        if set(names) <= present:
            return
        time.sleep(0.1)
    raise AssertionError(f"workers {names} did not start")


def tesseracts_of(job_ids: set[str], wait: float = 0.3) -> list[int]:
    """Tesseract processes still running for these jobs (a horse passes RQ_JOB_ID down)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in psutil.process_iter(["name"]):
            with contextlib.suppress(psutil.Error):
                if proc.info["name"] == "tesseract" and proc.environ().get("RQ_JOB_ID") in job_ids:
                    found.append(proc.pid)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def make_scans(root: Path, pages: int, *, start: int = 0) -> Path:
    """Small A6 pages at 200 dpi (about half a second of OCR each), two dossiers."""
    for i in range(start, start + pages):
        folder = root / f"dossier-{i % 2 + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [PERSIAN_LINES[i % len(PERSIAN_LINES)], ENGLISH_LINES[i % len(ENGLISH_LINES)]]
        image = render_page(lines, dpi=200, rtl=None, size_mm=(105.0, 148.0))
        Image.fromarray(image).save(folder / f"scan_{i:02d}.png", dpi=(200, 200))
    return root


def rows(archive: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute(sql).fetchall()


def assert_each_page_once(archive: Path, pages: int) -> None:
    """Every page done, written exactly once, and the full-text index matches its content."""
    assert rows(archive, "SELECT state, count(*) FROM pages GROUP BY state") == [("done", pages)]
    assert rows(archive, "SELECT count(*) FROM pages WHERE attempts != 1") == [(0,)]
    assert rows(archive, "SELECT count(*) FROM page_text") == [(pages,)]
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        db.execute("INSERT INTO pages_fts (pages_fts) VALUES ('integrity-check')")


def options(archive: Path) -> IngestOptions:
    return IngestOptions(archive=archive, jobs=1)


def runner(url: str, archive: Path, **kw: object) -> QueueRunner:
    settings: dict = {"batch_size": 2, "retry_intervals": [0], "dead_after": 4.0, "namespace": str(archive)}
    settings.update(kw)
    return QueueRunner(url, **settings)


# -- pure pieces --------------------------------------------------------------------------


def test_batch_ids_are_deterministic_and_scoped() -> None:
    refs = [PageRef("/scans/a.pdf", "a" * 64, 1, "pdf"), PageRef("/scans/a.pdf", "a" * 64, 2, "pdf")]
    moved = [PageRef("/mnt/other/a.pdf", "a" * 64, 1, "pdf"), PageRef("/x/a.pdf", "a" * 64, 2, "pdf")]
    assert batch_id("/archive", refs) == batch_id("/archive", moved)  # pages, not paths
    assert batch_id("/archive", refs) != batch_id("/other-archive", refs)
    assert batch_id("/archive", refs) != batch_id("/archive", refs[:1])
    assert re.fullmatch(r"pv-[0-9a-f]{40}", batch_id("/archive", refs))


def test_job_timeout_grows_with_the_batch() -> None:
    assert job_timeout(page_budget(PageOptions(timeout=300)), 4) == 4 * (4 * 300 + 60)
    assert job_timeout(0.25, 1) == 1


def test_path_map_rewrites_whole_components_longest_first() -> None:
    mapping = parse_path_map(["/srv/scans=/mnt/archive", "/srv/scans/1384=/data/1384/"])
    assert map_path("/srv/scans/1383/a.pdf", mapping) == "/mnt/archive/1383/a.pdf"
    assert map_path("/srv/scans/1384/b.tif", mapping) == "/data/1384/b.tif"
    assert map_path("/srv/scansX/c.png", mapping) == "/srv/scansX/c.png"
    from pipeline.errors import OptionsError

    with pytest.raises(OptionsError):
        parse_path_map(["relative=/abs"])
    with pytest.raises(OptionsError):
        parse_path_map(["/no-equals-sign"])


# -- (a) two workers --------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_ingest_every_page_once(redis_url: str, start_worker: Callable[..., WorkerProcess],
                                            tmp_path: Path) -> None:
    coordinator_root = tmp_path / "coordinator" / "scans"
    worker_root = tmp_path / "worker-host" / "scans"
    make_scans(coordinator_root, 8)
    # Both workers see the scans under another mount point than the coordinator.
    workers = [start_worker(redis_url, f"w{n}", path_map={str(coordinator_root.resolve()): str(worker_root.resolve())}, wait=False)
               for n in range(2)]
    wait_for_workers(redis_url, ["w0", "w1"])
    queue_runner = runner(redis_url, tmp_path / "archive")

    def moved_then_queued(refs: list[PageRef], page_options: PageOptions) -> Iterator[PageResult]:
        worker_root.parent.mkdir(parents=True)
        coordinator_root.rename(worker_root)  # after the ledger: only the mapped path works now
        yield from queue_runner(refs, page_options)

    summary = ingest([coordinator_root], options(tmp_path / "archive"), runner=moved_then_queued)

    assert (summary.pages_done, summary.pages_failed) == (8, 0)
    assert_each_page_once(tmp_path / "archive", 8)
    ran = Counter(job for w in workers for job in w.jobs())
    assert len(ran) == 4 and set(ran.values()) == {1}, ran  # four batches of two, each run once
    assert all(w.jobs() for w in workers), "both workers should have taken batches"
    assert queue_runner.stats.enqueued == 4 and queue_runner.stats.collected == 4
    status = queue_status(redis_url)
    assert (status["queued"], status["started"], status["finished"], status["failed"]) == (0, 0, 0, 0)
    assert {w["name"] for w in status["workers"] if w["alive"]} == {"w0", "w1"}
    texts = [t for (t,) in rows(tmp_path / "archive", "SELECT text FROM pages")]
    assert any("شهرداری" in t or "کرج" in t for t in texts)


# -- (b) a worker killed mid-job --------------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_a_killed_worker_job_is_finished_by_another(redis_url: str, start_worker: Callable[..., WorkerProcess],
                                                    tmp_path: Path) -> None:
    scans = make_scans(tmp_path / "scans", 8)
    victim = start_worker(redis_url, "victim", wait=False)
    survivor = start_worker(redis_url, "survivor", wait=False)
    wait_for_workers(redis_url, ["victim", "survivor"])
    killed: list[str] = []

    def kill_victim_mid_job() -> None:
        """Once the victim's horse is OCRing a batch, kill the whole worker."""
        conn = Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = next((w["current_job"] for w in queue_status(redis_url)["workers"]
                        if w["name"] == "victim" and w["current_job"]), None)
            if job and conn.hget(f"rq:job:{job}", "status") == b"started":
                time.sleep(0.2)
                killed.append(job)
                victim.kill_tree()
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_victim_mid_job)
    killer.start()
    queue_runner = runner(redis_url, tmp_path / "archive", retries=2)
    summary = ingest([scans], options(tmp_path / "archive"), runner=queue_runner)
    killer.join()

    assert killed, "the victim never started a job"
    assert victim.process.returncode == -signal.SIGKILL
    assert (summary.pages_done, summary.pages_failed) == (8, 0), summary.failed_pages
    assert_each_page_once(tmp_path / "archive", 8)
    assert queue_runner.stats.reaped == 1
    assert killed[0] in survivor.jobs(), "the survivor should have run the killed job again"


@pytest.mark.redis
@pytest.mark.slow
def test_a_killed_work_horse_is_noticed_and_its_job_retried(
    redis_url: str, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    scans = make_scans(tmp_path / "scans", 4)
    worker = start_worker(redis_url, "w0")
    killed: list[int] = []

    def kill_the_horse() -> None:
        """The horse is the worker's child that leads its own process group."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for child in psutil.Process(worker.process.pid).children():
                with contextlib.suppress(psutil.Error, ProcessLookupError):
                    if os.getpgid(child.pid) == child.pid:
                        time.sleep(0.2)
                        child.kill()
                        killed.append(child.pid)
                        return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_horse)
    killer.start()
    queue_runner = runner(redis_url, tmp_path / "archive", batch_size=4)
    summary = ingest([scans], options(tmp_path / "archive"), runner=queue_runner)
    killer.join()

    assert killed and worker.process.poll() is None  # the worker itself lived on
    assert (summary.pages_done, summary.pages_failed) == (4, 0)
    assert_each_page_once(tmp_path / "archive", 4)
    assert len(worker.jobs()) == 2 and len(set(worker.jobs())) == 1  # the same job, tried twice
    assert queue_runner.stats.reaped == 0  # rq's own worker handled it


@pytest.mark.redis
@pytest.mark.slow
def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_queued_again(
    redis_url: str, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    scans = make_scans(tmp_path / "scans", 2)
    conn = Redis.from_url(redis_url)
    queue = Queue(QUEUE_NAME, connection=conn)

    def take_then_die() -> None:
        """Move the job to rq's intermediate list as a dequeue does, then never start it."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not conn.lmove(queue.key, queue.intermediate_queue_key):
            time.sleep(0.02)
        start_worker(redis_url, "late")

    taker = threading.Thread(target=take_then_die)
    taker.start()
    queue_runner = runner(redis_url, tmp_path / "archive", dead_after=2.0)
    summary = ingest([scans], options(tmp_path / "archive"), runner=queue_runner)
    taker.join()

    assert (summary.pages_done, summary.pages_failed) == (2, 0)
    assert_each_page_once(tmp_path / "archive", 2)
    assert queue_runner.stats.reaped == 1


# -- (c) a page that always times out ---------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_a_batch_that_always_times_out_fails_its_pages_with_the_last_error(
    redis_url: str, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    folder = tmp_path / "scans" / "dossier-big"
    folder.mkdir(parents=True)
    # A dense, specked A3 page at 300 dpi: over twenty seconds, its first Tesseract call
    # alone over five. Its batch is given five, so a Tesseract is running when time is up.
    big = degrade(render_page(mixed_lines() * 8, dpi=300, rtl=None, size_mm=A3_MM, font_pt=7,
                              line_spacing=1.3), noise=0.01)
    Image.fromarray(big).save(folder / "big.png", dpi=(300, 300))
    worker = start_worker(redis_url, "w0")
    queue_runner = runner(redis_url, tmp_path / "archive", page_timeout=5.0, retries=1)

    summary = ingest([tmp_path / "scans"], options(tmp_path / "archive"), runner=queue_runner)

    assert (summary.pages_done, summary.pages_failed) == (0, 1)
    [(source, page, error)] = summary.failed_pages
    assert source.endswith("big.png") and page == 1
    assert "after 2 attempt(s)" in error and "BatchTimeout" in error and "5 s" in error, error
    assert rows(tmp_path / "archive", "SELECT state, attempts FROM pages") == [("failed", 1)]
    assert len(worker.jobs()) == 2  # the first try and one retry
    assert not tesseracts_of(set(worker.jobs())), "a timed-out batch left Tesseract running"
    assert queue_runner.stats.failed_jobs == 1
    assert queue_status(redis_url)["failed"] == 0  # written, so forgotten


@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_running_another_version_refuses_the_job(
    redis_url: str, start_worker: Callable[..., WorkerProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = make_scans(tmp_path / "scans", 2)
    worker = start_worker(redis_url, "w0")
    monkeypatch.setattr("pipeline.queue.wire_format", lambda: "0123456789ab")  # the coordinator's types differ

    summary = ingest([scans], options(tmp_path / "archive"), runner=runner(redis_url, tmp_path / "archive", retries=0))

    assert (summary.pages_done, summary.pages_failed) == (0, 2)
    assert all("WireMismatch" in error and "0123456789ab" in error for _, _, error in summary.failed_pages)
    assert len(worker.jobs()) == 0  # refused before any page was run


# -- (d) a result that arrives twice ----------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_a_result_that_arrives_twice_is_written_once(redis_url: str, start_worker: Callable[..., WorkerProcess],
                                                     tmp_path: Path) -> None:
    scans = make_scans(tmp_path / "scans", 4)
    start_worker(redis_url, "w0")
    queue_runner = runner(redis_url, tmp_path / "archive")
    identifiers: dict[tuple[str, int], int] = {}

    def twice(refs: list[PageRef], page_options: PageOptions) -> Iterator[PageResult]:
        for result in queue_runner(refs, page_options):
            identifiers[(result.sha256, result.page)] = len(result.identifiers)
            yield result
            yield result

    summary = ingest([scans], options(tmp_path / "archive"), runner=twice)

    assert summary.pages_done == 4
    assert_each_page_once(tmp_path / "archive", 4)
    got = dict(((sha, page), n) for sha, page, n in rows(
        tmp_path / "archive",
        "SELECT p.sha256, p.page, count(i.id) FROM pages p LEFT JOIN identifiers i ON i.page_id = p.id "
        "GROUP BY p.id",
    ))
    assert got == identifiers and any(identifiers.values())


# -- (e) the coordinator killed mid-run -------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_a_killed_coordinator_resumes_without_duplicate_jobs(
    redis_url: str, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    scans = make_scans(tmp_path / "scans", 10)
    archive = tmp_path / "archive"
    worker = start_worker(redis_url, "w0")
    code = (
        "import sys; from pathlib import Path; from pipeline.ingest import ingest; "
        "from pipeline.options import IngestOptions; from pipeline.queue import QueueRunner; "
        "a = Path(sys.argv[3]); "
        "ingest([Path(sys.argv[2])], IngestOptions(archive=a, jobs=1), "
        "runner=QueueRunner(sys.argv[1], batch_size=3, retry_intervals=[0], namespace=str(a)))"
    )
    coordinator = subprocess.Popen(
        [sys.executable, "-c", code, redis_url, str(scans), str(archive)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and coordinator.poll() is None:
        try:
            done = rows(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0]
        except sqlite3.OperationalError:
            done = 0
        if done >= 2:
            break
        time.sleep(0.05)
    assert coordinator.poll() is None, "the coordinator finished before it could be killed"
    os.killpg(coordinator.pid, signal.SIGKILL)
    coordinator.wait()
    assert 2 <= rows(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0] < 10

    # Batches of two this time: only the resume set, not equal job ids, can find the old jobs.
    queue_runner = runner(redis_url, archive, batch_size=2)
    summary = ingest([scans], options(archive), runner=queue_runner)

    assert summary.pages_failed == 0
    assert_each_page_once(archive, 10)
    assert queue_runner.stats.enqueued == 0, queue_runner.stats  # every page left was already in a job
    assert queue_runner.stats.adopted >= 1
    ran = Counter(worker.jobs())
    assert len(ran) == 4 and set(ran.values()) == {1}, ran  # 3+3+3+1 pages, no batch ran twice


# -- Redis restarted mid-run ------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.slow
def test_the_coordinator_waits_for_a_restarted_redis_and_finishes(
    start_worker: Callable[..., WorkerProcess], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer().start()  # its own server: this test stops it
    try:
        scans = make_scans(tmp_path / "scans", 8)
        archive = tmp_path / "archive"
        start_worker(server.url, "w0")

        def restart_after_first_pages() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if rows(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0] >= 2:
                        break
                except sqlite3.OperationalError:
                    pass
                time.sleep(0.05)
            server.stop()  # no persistence: the queue, the jobs and their results are lost
            time.sleep(2)
            server.start()

        restarter = threading.Thread(target=restart_after_first_pages)
        restarter.start()
        caplog.set_level(logging.WARNING, logger="parvandeh.queue")
        queue_runner = runner(server.url, archive)
        summary = ingest([scans], options(archive), runner=queue_runner)
        restarter.join()

        assert summary.pages_failed == 0
        assert_each_page_once(archive, 8)
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "unreachable" in messages and "back after" in messages, messages
        assert queue_runner.stats.requeued >= 1
    finally:
        server.close()
