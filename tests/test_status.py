"""`parvandeh status` says why: each quarantined file and failed page with its reason, and
`status --json` with the same content."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from indexer.catalog import Catalog, PageRecord

TORN = "/scans/karaj-1386-8360/پرونده ۱۲.pdf"
REASON = "PDF is damaged (its cross-reference table is cut short); qpdf could not repair it"


def _archive(tmp_path: Path) -> Path:
    """Two sources: a PDF with one page read and one failed, and a quarantined file."""
    archive = tmp_path / "archive"
    with Catalog.open(archive) as cat:
        run = cat.begin_run({"paths": ["/scans"]})
        sha = "a" * 64
        cat.add_source(sha256=sha, kind="pdf", size=10, dpis=[300, 300], first_path="/scans/karaj-1386-8360/scan_01.pdf")
        cat.record_path(path="/scans/karaj-1386-8360/scan_01.pdf", display="karaj-1386-8360/scan_01.pdf",
                        dossier="karaj-1386-8360", sha256=sha, size=10, mtime_ns=1)
        cat.record_page(PageRecord(sha, 1, "شهرداری کرج", 90.0, 2, 0, 300, False, 0, 0.0, "standard", 1.0), run_id=run)
        cat.mark_failed(sha, 2, "OCR took longer than 300 s (--page-timeout)", run)
        cat.quarantine(path=TORN, sha256=None, reason=REASON, run_id=run)
        cat.finish_run(run, "finished")
    return archive


def _status(archive: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["status", "--archive", str(archive), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_status_lists_each_quarantined_file_and_failed_page_with_its_reason(tmp_path: Path) -> None:
    lines = _status(_archive(tmp_path)).splitlines()
    assert "pages:   2 total, 1 done, 0 pending, 1 failed" in lines
    assert any(line.startswith("last run: #1 finished") for line in lines)
    assert "quarantined files: 1" in lines
    assert f"  {TORN}: {REASON}" in lines
    assert "failed pages: 1 (ingest --retry-failed to try again)" in lines
    assert "  /scans/karaj-1386-8360/scan_01.pdf p.2: OCR took longer than 300 s (--page-timeout)" in lines


def test_status_json_has_the_same_content(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    report = json.loads(_status(archive, "--json"))
    assert report["pages"] == {"total": 2, "done": 1, "pending": 0, "failed": 1}
    assert report["sources"] == 1 and report["paths"] == 1
    assert report["last_run"]["id"] == 1 and report["last_run"]["status"] == "finished"
    assert report["last_run"]["pages_done"] == 1 and report["last_run"]["pages_failed"] == 1
    assert [(q["path"], q["reason"], q["run"]) for q in report["quarantined"]] == [(TORN, REASON, 1)]
    assert [(f["source"], f["page"], f["error"], f["attempts"]) for f in report["failed_pages"]] == [
        ("/scans/karaj-1386-8360/scan_01.pdf", 2, "OCR took longer than 300 s (--page-timeout)", 1)]
    # every reason the human output gives is in the JSON, and the other way round
    human = _status(archive)
    for item in report["quarantined"]:
        assert f"{item['path']}: {item['reason']}" in human
    for item in report["failed_pages"]:
        assert f"{item['source']} p.{item['page']}: {item['error']}" in human


def test_status_of_an_empty_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    Catalog.open(archive).close()
    report = json.loads(_status(archive, "--json"))
    assert report["last_run"] is None and report["quarantined"] == [] and report["failed_pages"] == []
    assert report["pages"] == {"total": 0, "done": 0, "pending": 0, "failed": 0}
