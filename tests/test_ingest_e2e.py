"""End to end on the committed sample scans: ingest, export, search, re-run, kill, bad files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, env=env, timeout=900)


def _export(archive: Path) -> list[dict]:
    result = CliRunner().invoke(cli, ["export", "--format", "jsonl", "--archive", str(archive)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def _table(archive: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute(sql).fetchall()


def test_export_has_every_page_once(ingested: Path, ground_truth: dict) -> None:
    rows = _export(ingested)
    expected = {(p["source"], p["page"]) for p in ground_truth["pages"]}
    got = [(r["source"], r["page"]) for r in rows]
    assert sorted(got) == sorted(expected)
    for row in rows:
        assert set(row) >= {"source", "sha256", "dossier", "page", "text", "confidence", "identifiers"}
        assert len(row["sha256"]) == 64 and 0 <= row["confidence"] <= 100
        assert row["dossier"] == row["source"].split("/")[0]
    persian = [r for r in rows if "شهرداری" in r["text"] or "کرج" in r["text"]]
    assert persian, "no page read Persian text"


def test_pages_keep_their_cleaned_image_and_words(ingested: Path) -> None:
    rows = _table(ingested, "SELECT image, wordfile, dpi, rotation FROM pages")
    for image, wordfile, dpi, _rotation in rows:
        assert (ingested / image).stat().st_size > 0
        assert (ingested / wordfile).stat().st_size > 0
        assert 100 <= dpi <= 600


def test_a_phrase_from_the_ground_truth_is_found(ingested: Path, ground_truth: dict) -> None:
    page = next(p for p in ground_truth["pages"] if p["language"] == "fa" and p["degradation"].get("rotation", 0) == 0)
    words = [w for w in page["text"].split() if len(w) > 3 and not any(c.isdigit() for c in w)]
    phrase = " ".join(words[2:4])
    result = CliRunner().invoke(cli, ["search", phrase, "--json", "--archive", str(ingested), "--limit", "50"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert (page["source"], page["page"]) in {(h["source"], h["page"]) for h in hits}, phrase
    assert any("<mark>" in h["snippet"] for h in hits)


def test_second_ingest_does_no_work_and_changes_nothing(ingested: Path, sample_scans: Path) -> None:
    before = _table(ingested, "SELECT sha256, page, state, text, updated FROM pages ORDER BY 1, 2")
    proc = _cli("ingest", str(sample_scans), "--archive", str(ingested), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert " 0 pages OCR'd" in proc.stdout and "0 new" in proc.stdout
    assert _table(ingested, "SELECT sha256, page, state, text, updated FROM pages ORDER BY 1, 2") == before


def test_killed_ingest_resumes_with_each_page_once(tmp_path: Path, scans_copy: Path) -> None:
    archive = tmp_path / "archive"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "ingest", str(scans_copy), "--archive", str(archive), "--jobs", "2", "-q"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.3)
        if (archive / "catalog.sqlite").exists():
            try:
                done = _table(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0]
            except sqlite3.OperationalError:
                continue
            if done >= 2:
                break
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    total = _table(archive, "SELECT count(*) FROM pages")[0][0]
    assert 2 <= _table(archive, "SELECT count(*) FROM pages WHERE state = 'done'")[0][0] < total

    again = _cli("ingest", str(scans_copy), "--archive", str(archive), "-q")
    assert again.returncode == 0, again.stderr
    assert _table(archive, "SELECT count(*) FROM pages WHERE state != 'done'")[0][0] == 0
    rows = _export(archive)
    assert len(rows) == len({(r["sha256"], r["page"]) for r in rows}) == total
    assert _table(archive, "SELECT count(*) FROM page_text")[0][0] == total
    assert _table(archive, "SELECT count(*) FROM pages_fts")[0][0] == total


def test_bad_files_are_quarantined_and_the_batch_goes_on(tmp_path: Path, sample_scans: Path) -> None:
    folder = tmp_path / "mixed" / "dossier-bad"
    folder.mkdir(parents=True)
    good = next(p for p in sorted(sample_scans.rglob("*")) if p.suffix.lower() in {".png", ".jpg"})
    shutil.copy(good, folder / good.name)
    pdf = next(sample_scans.rglob("*.pdf"))
    (folder / "truncated.pdf").write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 3])  # qpdf recovers its page 1
    (folder / "cut.pdf").write_bytes(pdf.read_bytes()[:300])  # nothing left to recover
    (folder / "empty.tif").write_bytes(b"")
    (folder / "note.jpg").write_text("این فایل تصویر نیست", encoding="utf-8")
    archive = tmp_path / "archive"

    proc = _cli("ingest", str(tmp_path / "mixed"), "--archive", str(archive), "-q")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "2 pages OCR'd" in proc.stdout
    assert "repaired: dossier-bad/truncated.pdf: 1 page recovered by qpdf" in proc.stderr
    status = _cli("status", "--archive", str(archive))
    assert status.returncode == 0
    for name, reason in [("cut.pdf", "damaged PDF (cut off"), ("empty.tif", "empty"), ("note.jpg", "not an image")]:
        line = next(line for line in status.stdout.splitlines() if name in line)
        assert reason.lower() in line.lower()
    repaired = next(line for line in status.stdout.splitlines() if "truncated.pdf" in line)
    assert "1 page recovered by qpdf" in repaired
    as_json = json.loads(_cli("status", "--archive", str(archive), "--json").stdout)
    assert [Path(r["path"]).name for r in as_json["repaired"]] == ["truncated.pdf"]
    assert len(_export(archive)) == 2
    # a re-run still reports them, and touches nothing already ingested
    before = _table(archive, "SELECT sha256, page, updated FROM pages")
    assert _cli("ingest", str(tmp_path / "mixed"), "--archive", str(archive), "-q").returncode == 3
    assert _table(archive, "SELECT sha256, page, updated FROM pages") == before
