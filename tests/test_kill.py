"""Kills and two ingests at once, with real processes.

An ingest SIGKILLed (its whole process group, the OCR workers with it) at random moments,
five times, then run to the end: every page is in the catalog once, with its identifiers
and full-text row once, SQLite and FTS5 find nothing wrong, and the ledger says done for
every page. A second ingest on a busy archive stops at once naming the holder, or waits
with --wait; a killed holder leaves no lock behind.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pipeline.errors import ExitCode
from pipeline.lock import LOCK_NAME
from pipeline.store import read_words
from pipeline.task import identifiers_from_words

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
#: The committed samples: PDF, TIFF, JPEG and PNG in three dossiers, ten pages. Fewer let a
#: quiet machine finish the whole set before the first kill, and later runs have nothing to
#: do, so no kill lands mid-run.
PAGES = 10


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _ingest(scans: Path, archive: Path, *extra: str, log: Path) -> subprocess.Popen[bytes]:
    """`parvandeh ingest` in its own session, so that os.killpg reaches its OCR workers."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "ingest", str(scans), "--archive", str(archive), "--jobs", "2",
             "-q", *extra],
            env=_env(), start_new_session=True, stdout=out, stderr=out,
        )


def _query(archive: Path, sql: str, *params: object) -> list[tuple]:
    db = sqlite3.connect(archive / "catalog.sqlite", timeout=30)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _done(archive: Path) -> int:
    try:
        return _query(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _check_consistent(archive: Path) -> None:
    """What must hold after any kill: no page twice, nothing half-written."""
    if not (archive / "catalog.sqlite").exists():
        return
    assert _query(archive, "PRAGMA integrity_check") == [("ok",)]
    assert _query(archive, "PRAGMA foreign_key_check") == []
    db = sqlite3.connect(archive / "catalog.sqlite")
    try:  # FTS5's own check: the index matches its content table exactly
        db.execute("INSERT INTO pages_fts(pages_fts) VALUES ('integrity-check')")
    finally:
        db.close()
    assert _query(archive, "SELECT sha256, page FROM pages GROUP BY sha256, page HAVING count(*) > 1") == []
    # a done page has its one full-text row; no other page has any, nor identifiers
    assert _query(archive, """SELECT p.id FROM pages p LEFT JOIN page_text t ON t.page_id = p.id
                              WHERE (p.state = 'done') != (t.page_id IS NOT NULL)""") == []
    assert _query(archive, """SELECT DISTINCT i.page_id FROM identifiers i JOIN pages p ON p.id = i.page_id
                              WHERE p.state != 'done'""") == []


def _subset(tmp_path: Path, sample_scans: Path) -> Path:
    scans = tmp_path / "scans"
    shutil.copytree(sample_scans, scans)
    return scans


def test_killed_five_times_then_finished_has_every_page_once(tmp_path: Path, sample_scans: Path) -> None:
    scans, archive, log = _subset(tmp_path, sample_scans), tmp_path / "archive", tmp_path / "ingest.log"
    seed = int(os.environ.get("PARVANDEH_KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    moments = []
    for n in range(5):
        proc = _ingest(scans, archive, log=log)
        started, before = time.monotonic(), _done(archive)
        if n % 2:  # just after a commit: page files, rows and index entries being written
            while proc.poll() is None and _done(archive) == before and time.monotonic() - started < 120:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))
        else:  # anywhere: start-up, discovery, hashing, the first pages' OCR
            time.sleep(rng.uniform(0.3, 4.0))
        if n == 2 and proc.poll() is None:  # meanwhile, a second ingest is refused, naming this one
            second = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(scans), "--archive",
                                     str(archive), "-q"], env=_env(), capture_output=True, text=True, timeout=120)
            if proc.poll() is None:
                assert second.returncode == ExitCode.ARCHIVE_BUSY, second.stderr
                assert f"PID {proc.pid}" in second.stderr and "--wait" in second.stderr
        alive = proc.poll() is None
        if alive:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        moments.append(f"{time.monotonic() - started:.1f}s{'' if alive else ' (had finished)'}: {_done(archive)} done")
        _check_consistent(archive)
    print(f"\nkill seed {seed}; kills at " + "; ".join(moments))
    assert sum("had finished" not in m for m in moments) >= 3, moments  # the kills did happen mid-run

    final = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(scans), "--archive", str(archive),
                            "-q"], env=_env(), capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr + log.read_text(errors="replace")
    _check_consistent(archive)
    assert _query(archive, "SELECT state, count(*) FROM pages GROUP BY state") == [("done", PAGES)]
    assert _query(archive, "SELECT count(*) FROM page_text")[0][0] == PAGES
    # each page's identifiers once: exactly what its stored words give, no more
    for page_id, wordfile in _query(archive, "SELECT id, wordfile FROM pages"):
        stored = Counter(k for (k,) in _query(archive, "SELECT kind FROM identifiers WHERE page_id = ?", page_id))
        assert stored == Counter(i["kind"] for i in identifiers_from_words(read_words(archive, wordfile)))
    # every killed run is marked so, the last one finished; none is left "running"
    runs = [s for (s,) in _query(archive, "SELECT status FROM runs ORDER BY id")]
    assert runs[-1] == "finished" and "running" not in runs and "killed" in runs
    status = json.loads(subprocess.run([sys.executable, str(ROOT / "cli.py"), "status", "--json", "--archive",
                                        str(archive)], env=_env(), capture_output=True, text=True).stdout)
    assert status["pages"] == {"total": PAGES, "done": PAGES, "pending": 0, "failed": 0}
    assert not (archive / LOCK_NAME).read_text()  # released: the file names no holder


_HOLDER = """
import sys, time
from pathlib import Path
from pipeline.lock import ArchiveLock
with ArchiveLock(Path(sys.argv[1]), command="test holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def _hold(archive: Path) -> subprocess.Popen[str]:
    """Another process holding the archive's lock until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(archive)], env=_env(), start_new_session=True,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_ingest_stops_naming_the_holder_and_writes_nothing(tmp_path: Path, sample_scans: Path) -> None:
    scans, archive = _subset(tmp_path, sample_scans), tmp_path / "archive"
    holder = _hold(archive)
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", str(scans), "--archive", str(archive)],
                              env=_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == ExitCode.ARCHIVE_BUSY == 5
        assert f"in use by test holder (PID {holder.pid} on " in proc.stderr and "--wait" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (archive / "catalog.sqlite").exists()  # it stopped before touching anything
        # a short write (a QA correction, say) is not held up by the ingest's lock
        from indexer.catalog import Catalog

        began = time.monotonic()
        with Catalog.open(archive) as catalog, catalog.transaction():
            catalog.db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
        assert time.monotonic() - began < 5
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


def test_with_wait_the_second_ingest_runs_once_the_holder_is_gone(tmp_path: Path, sample_scans: Path) -> None:
    scans, archive, log = tmp_path / "scans", tmp_path / "archive", tmp_path / "wait.log"
    (scans / "d").mkdir(parents=True)
    shutil.copy(sample_scans / "karaj-1386-8360/scan_02.png", scans / "d/scan.png")
    holder = _hold(archive)
    waiting = _ingest(scans, archive, "--wait", log=log)
    try:
        deadline = time.monotonic() + 60
        while "waiting" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"waiting: archive {archive} is in use by test holder (PID {holder.pid}" in log.read_text()
        time.sleep(1)
        assert waiting.poll() is None and _done(archive) == 0
        os.killpg(holder.pid, signal.SIGKILL)  # the kernel releases a dead holder's lock
        holder.wait()
        assert waiting.wait(timeout=200) == 0, log.read_text()
    finally:
        for proc in (holder, waiting):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert _done(archive) == 1
    _check_consistent(archive)
