"""Scale-out: RQ workers against the local pool, and the memory of a long PDF.

    .venv/bin/python -m bench.scale                       # full size: long (about an hour on 2 cores)
    .venv/bin/python -m bench.scale --pages 24 --large 60 --small 6   # a quick look

Run from the repository root; it starts its own redis-server on 127.0.0.1 (a free port)
and its own workers (`run_worker`, one process each, as `parvandeh worker` runs them).

Throughput, on a generated bench set of --pages pages (samples.generate --preset bench):
ingest with 1 and 2 RQ workers and with the local pool at --jobs 1 and 2, each into a fresh
archive; prints pages/min and the ratios. Targets: 2 workers ≥ 1.8× one worker; RQ within
10% of the local pool at the same parallelism.

RQ lines give `busy`, the share of the wall time the workers spent inside jobs: what is
left is the queue's own latency (dequeue, fork, polling, the tail of the last batches).

Each line also gives the CPU seconds per page of the whole process tree (this process, its
children and all their descendants, live or reaped): on a shared or busy machine wall-clock
ratios wobble with the load, CPU per page much less, and it is what "RQ costs no more than
the local pool" means. The load average is printed with each line for the same reason.

Memory: peak resident memory of the whole process tree (this coordinator, redis-server,
the workers, their work horses and Tesseracts; psutil, sampled every 0.2 s, RSS summed, so
pages shared after fork count twice: an upper bound) while ingesting a --large-page and a
--small-page 300-dpi PDF with 2 workers. Targets: ≤ 1.5 GB, and the two within 10%.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
from PIL import Image
from redis import Redis
from rq import Queue
from rq.worker import Worker

from bench.common import make_set
from pipeline.ingest import IngestSummary, ingest
from pipeline.options import IngestOptions
from pipeline.queue import QUEUE_NAME, QueueRunner
from tests.imaging import A4_MM, ENGLISH_LINES, PERSIAN_LINES, render_page
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
GB = 1 << 30


# -- processes ----------------------------------------------------------------------------


@contextmanager
def workers(redis_url: str, n: int, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """n worker processes, registered before the clock starts, stopped afterwards."""
    code = "import sys; from pipeline.worker import run_worker; run_worker(sys.argv[1], name=sys.argv[2])"
    procs = []
    for i in range(n):
        with (logs / f"worker-{i}.log").open("ab") as out:
            procs.append(subprocess.Popen(
                [sys.executable, "-c", code, redis_url, f"bench-{i}-{time.monotonic_ns()}"],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
            ))
    try:
        conn = Redis.from_url(redis_url)
        deadline = time.monotonic() + 120
        while Worker.count(queue=Queue(QUEUE_NAME, connection=conn)) < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start; see {logs}")
            time.sleep(0.1)
        yield procs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)  # warm shutdown: they are idle by now
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
                proc.wait()


def busy_seconds(redis_url: str) -> float:
    """Seconds the live workers have spent inside jobs (rq counts it per worker)."""
    conn = Redis.from_url(redis_url)
    return sum(w.total_working_time for w in Worker.all(queue=Queue(QUEUE_NAME, connection=conn)))


def _kill_tree(pid: int) -> None:
    with suppress(psutil.NoSuchProcess):
        parent = psutil.Process(pid)
        for proc in [*parent.children(recursive=True), parent]:
            with suppress(psutil.NoSuchProcess):
                proc.kill()


class PeakMemory:
    """Peak of the summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)


def tree_cpu() -> float:
    """CPU seconds so far of this process, its reaped children, and every live descendant
    with its own reaped children: a process exited and waited for is in its parent's
    children times, so nothing is counted twice and nothing that was waited for is lost."""
    own = os.times()
    total = own.user + own.system + own.children_user + own.children_system
    for proc in psutil.Process().children(recursive=True):
        with suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


# -- inputs -------------------------------------------------------------------------------


def make_pdf(path: Path, pages: int, *, dpi: int = 300, distinct: int = 6) -> Path:
    """A `pages`-page A4 PDF at `dpi`: `distinct` rendered pages, repeated, joined by pdfunite."""
    if path.exists():
        return path
    parts = path.parent / f".{path.stem}-parts"
    parts.mkdir(parents=True, exist_ok=True)
    singles = []
    for i in range(distinct):
        lines = [line for pair in zip(PERSIAN_LINES[i:] + PERSIAN_LINES[:i], ENGLISH_LINES, strict=True)
                 for line in pair]
        image = render_page(lines * 2, dpi=dpi, rtl=None, size_mm=A4_MM, font_pt=11, line_spacing=1.6)
        single = parts / f"p{i}.pdf"
        Image.fromarray(image).save(single, "PDF", resolution=dpi)
        singles.append(single)
    order = [str(singles[i % distinct]) for i in range(pages)]
    subprocess.run(["pdfunite", *order, str(path)], check=True)
    shutil.rmtree(parts)
    return path


# -- runs ---------------------------------------------------------------------------------


@dataclass
class Run:
    summary: IngestSummary
    seconds: float
    cpu: float  # CPU seconds of the whole process tree
    load: float  # 1-minute load average when the run started

    @property
    def rate(self) -> float:
        return self.summary.pages_done / self.seconds * 60

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / max(self.summary.pages_done, 1)

    def line(self, name: str, extra: str = "") -> str:
        return (f"{name:<22} pages={self.summary.pages_done:<4} {self.seconds:7.1f} s  "
                f"pages/min={self.rate:6.1f}  cpu/page={self.cpu_per_page:5.2f} s  load={self.load:4.1f}{extra}")


def timed_ingest(inputs: Path, archive: Path, *, jobs: int = 1, runner: QueueRunner | None = None) -> Run:
    shutil.rmtree(archive, ignore_errors=True)
    load = os.getloadavg()[0]
    cpu = tree_cpu()
    started = time.perf_counter()
    summary = ingest([inputs], IngestOptions(archive=archive, jobs=jobs), runner=runner)
    seconds = time.perf_counter() - started
    time.sleep(0.5)  # let the pool's forkserver reap its workers, so their CPU is counted
    cpu = tree_cpu() - cpu
    if not summary.clean:
        raise RuntimeError(f"ingest was not clean: {summary.failed_pages[:3]} {summary.quarantined[:3]}")
    return Run(summary, seconds, cpu, load)


def throughput(scans: Path, work: Path, redis_url: str, batch_size: int) -> list[str]:
    runs: dict[str, Run] = {}
    lines = []
    for jobs in (1, 2):
        runs[f"local{jobs}"] = run = timed_ingest(scans, work / f"local-{jobs}", jobs=jobs)
        lines.append(run.line(f"local pool --jobs {jobs}"))
        print(lines[-1], flush=True)
    for n in (1, 2):
        archive = work / f"rq-{n}"
        with workers(redis_url, n, work):
            queue_runner = QueueRunner(redis_url, batch_size=batch_size, namespace=str(archive))
            runs[f"rq{n}"] = run = timed_ingest(scans, archive, runner=queue_runner)
            busy = busy_seconds(redis_url) / (run.seconds * n)
        lines.append(run.line(f"rq {n} worker(s)", f"  batch={batch_size} busy={busy:.0%}"))
        print(lines[-1], flush=True)
    rq1, rq2, local1, local2 = runs["rq1"], runs["rq2"], runs["local1"], runs["local2"]
    lines.append(
        f"ratios: rq 2 workers / 1 worker = {rq2.rate / rq1.rate:.2f}x (target >= 1.8); "
        f"rq / local pages/min at 1 = {rq1.rate / local1.rate:.2f}, at 2 = {rq2.rate / local2.rate:.2f} "
        "(target 0.90-1.10)"
    )
    lines.append(
        f"cpu per page, rq / local: at 1 = {rq1.cpu_per_page / local1.cpu_per_page:.2f}, "
        f"at 2 = {rq2.cpu_per_page / local2.cpu_per_page:.2f} (1.00 = no queue overhead)"
    )
    print(*lines[-2:], sep="\n", flush=True)
    return lines


def memory(work: Path, redis_url: str, large: int, small: int, batch_size: int) -> list[str]:
    peaks: dict[int, int] = {}
    lines = []
    for pages in (small, large):
        folder = work / f"pdf-{pages}"
        make_pdf(folder / f"dossier-{pages}" / f"long-{pages}.pdf", pages)
        archive = work / f"mem-{pages}"
        with workers(redis_url, 2, work):
            queue_runner = QueueRunner(redis_url, batch_size=batch_size, namespace=str(archive))
            with PeakMemory() as peak:
                run = timed_ingest(folder, archive, runner=queue_runner)
        peaks[pages] = peak.peak
        lines.append(run.line(f"{pages}-page PDF, rq 2", f"  peak tree RSS={peak.peak / GB:.2f} GB"))
        print(lines[-1], flush=True)
    lines.append(
        f"memory: {large}-page / {small}-page peak = {peaks[large] / peaks[small]:.2f}x (target <= 1.10); "
        f"largest {max(peaks.values()) / GB:.2f} GB (target <= 1.5)"
    )
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=120, help="pages in the throughput set")
    ap.add_argument("--large", type=int, default=300, help="pages of the long PDF")
    ap.add_argument("--small", type=int, default=30, help="pages of the short PDF")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=Path("bench/out/scale"), help="sets and archives (reused)")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()

    os.environ["OMP_THREAD_LIMIT"] = "1"
    args.work.mkdir(parents=True, exist_ok=True)
    scans = args.work / f"set-{args.pages}"
    server = RedisServer().start()
    try:
        print(f"cpus={len(os.sched_getaffinity(0))} redis={server.url} work={args.work}", flush=True)
        if not args.skip_throughput:
            make_set(scans, pages=args.pages, seed=args.seed)
            throughput(scans / "scans", Path(tempfile.mkdtemp(dir=args.work)), server.url, args.batch_size)
        if not args.skip_memory:
            memory(args.work, server.url, args.large, args.small, args.batch_size)
    finally:
        server.close()


if __name__ == "__main__":
    main()
