"""Damaged files (samples/hostile.py): every one is read, repaired or refused with a reason,
and none of them stops the batch, hangs it, or costs more than the memory cap."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from indexer.catalog import Catalog
from ocr.errors import UnreadableSource
from ocr.limits import PageTimeout, deadline
from ocr.page import PageOptions
from ocr.raster import load_page
from ocr.repair import repair_pdf
from pipeline.discover import discover
from pipeline.ledger import OpenLimits, ledger, repaired_copy
from pipeline.runner import run_pool
from pipeline.task import PageRef, PageResult
from samples import hostile

# Library words that must never reach an archivist as a reason.
FOREIGN_WORDS = ("continuing anyway", "Syntax Error", "Syntax Warning", "Errno", "exceeds limit", "Traceback",
                 "Missing dimensions", "decoder error", "TypeError", "could be decompression bomb")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, hostile.Hostile]]:
    folder = tmp_path_factory.mktemp("hostile") / "dossier-hostile"
    return folder, {h.name: h for h in hostile.write_corpus(folder)}


@pytest.fixture(scope="module")
def ledgered(corpus: tuple[Path, dict[str, hostile.Hostile]], tmp_path_factory: pytest.TempPathFactory):
    folder, items = corpus
    archive = tmp_path_factory.mktemp("archive")
    catalog = Catalog.open(archive)
    plan = ledger(catalog, discover([folder]), run_id=1, limits=OpenLimits(file_timeout=60, memory_limit=2048))
    yield catalog, plan, items, archive
    catalog.close()


def _outcomes(catalog: Catalog, plan: Any) -> dict[str, dict[str, Any]]:
    """File name → quarantine reason, or its pages' states and errors."""
    out: dict[str, dict[str, Any]] = {}
    for display, reason in plan.quarantined:
        out[Path(display).name] = {"quarantined": reason}
    for row in catalog.db.execute(
        "SELECT pa.display, p.page, p.state, p.error FROM pages p JOIN paths pa USING (sha256) ORDER BY p.page"
    ):
        entry = out.setdefault(Path(row["display"]).name, {"pages": {}})
        entry["pages"][row["page"]] = (row["state"], row["error"])
    return out


def test_every_damaged_file_is_ledgered_or_quarantined_with_an_honest_reason(ledgered) -> None:
    catalog, plan, items, _ = ledgered
    outcomes = _outcomes(catalog, plan)
    assert set(outcomes) == set(items), set(items) ^ set(outcomes)
    for name, outcome in outcomes.items():
        reasons = [outcome["quarantined"]] if "quarantined" in outcome else [
            e for _, e in outcome["pages"].values() if e
        ]
        for reason in reasons:
            assert reason and not any(w.lower() in str(reason).lower() for w in FOREIGN_WORDS), (name, reason)
        expect = items[name].expect
        if expect == "refuse":
            assert "quarantined" in outcome, (name, outcome)
        if expect in ("read", "partial"):
            assert "pages" in outcome, (name, outcome)
            states = [s for s, _ in outcome["pages"].values()]
            assert "pending" in states, (name, outcome)
            assert ("failed" in states) == (expect == "partial"), (name, outcome)


def test_every_planned_page_renders_or_fails_with_a_reason(ledgered) -> None:
    """Rendering (no OCR) each pending page: pixels, or UnreadableSource; never another exception."""
    _, plan, items, _ = ledgered
    rendered: dict[str, list[bool]] = {}
    for ref in plan.pages:
        name = next(n for n in items if ref.path.endswith(n)) if not ref.path.endswith(".pdf") or any(
            ref.path.endswith(n) for n in items) else "(repaired)"
        try:
            page = load_page(Path(ref.path), ref.page, kind=ref.kind, dpi_hint=ref.stated_dpi, timeout=60)
            assert page.gray.size > 0 and min(page.gray.shape) > 0
            rendered.setdefault(name, []).append(True)
        except UnreadableSource as e:
            assert not any(w.lower() in e.reason.lower() for w in FOREIGN_WORDS), (ref, e.reason)
            rendered.setdefault(name, []).append(False)
    for name, item in items.items():
        if item.expect == "read" and name in rendered:
            assert all(rendered[name]), name
    assert rendered["vector-art.pdf"] == [True]  # pure vector art is rasterized, not quarantined
    assert rendered["tiff-last-page-cut.tif"] == [True, True]  # the intact pages of the cut TIFF
    assert rendered["tiff-ifd-loop.tif"] == [True, True]  # the loop is not followed round again
    assert rendered["huge-second-page.pdf"] == [True, False]  # 200 x 200 inches: refused before poppler


def test_a_tiff_cut_in_its_last_page_keeps_its_first_pages(ledgered) -> None:
    catalog, plan, _, _ = ledgered
    pages = _outcomes(catalog, plan)["tiff-last-page-cut.tif"]["pages"]
    assert pages[1] == ("pending", None) and pages[2] == ("pending", None)
    state, reason = pages[3]
    assert state == "failed" and "page 3 is cut off" in reason and "truncated" in reason
    zero = _outcomes(catalog, plan)["tiff-zero-height.tif"]["pages"]
    assert zero[1][0] == "pending" and zero[2][0] == "failed" and "0 pixels" in zero[2][1]


def test_a_fake_pdf_says_what_it_is_and_not_what_poppler_muttered(ledgered) -> None:
    catalog, plan, _, _ = ledgered
    reason = dict((Path(d).name, r) for d, r in plan.quarantined)["fake.pdf"]
    assert reason.startswith("not a PDF") and "text file" in reason
    assert "continuing" not in reason
    assert dict((Path(d).name, r) for d, r in plan.quarantined)["encrypted.pdf"] == "encrypted PDF: it needs a password to open"


def test_damaged_pdfs_are_repaired_into_the_archive_and_the_original_is_untouched(
    ledgered, corpus: tuple[Path, dict[str, hostile.Hostile]]
) -> None:
    catalog, plan, items, archive = ledgered
    folder, _ = corpus
    repaired = dict((Path(d).name, note) for d, note in plan.repaired)
    # poppler refuses these three; qpdf rebuilds them
    assert {"lying-page-count.pdf", "header-flipped-pdf.pdf", "cut-pdf-98.pdf"} <= set(repaired)
    assert "2 pages recovered" in repaired["lying-page-count.pdf"]  # not the 40 its page tree claims
    for name in repaired:
        original = folder / name
        assert original.read_bytes() == items[name].data  # originals are never modified
        sha = hashlib.sha256(items[name].data).hexdigest()
        copy = repaired_copy(catalog, sha)
        assert copy.is_file() and copy.is_relative_to(archive)
        refs = [r for r in plan.pages if r.sha256 == sha]
        assert refs and all(r.path == str(copy) for r in refs)
        assert catalog.repair(sha) is not None
    assert {row["note"] for row in catalog.repaired_list()} == set(repaired.values())


def test_a_repair_is_bounded_in_time(tmp_path: Path) -> None:
    src = tmp_path / "x.pdf"
    src.write_bytes(hostile.lying_count_pdf())
    started = time.monotonic()
    with pytest.raises(UnreadableSource, match="longer than"):
        repair_pdf(src, tmp_path / "out.pdf", timeout=0.05, memory_mb=0)
    assert time.monotonic() - started < 5 and not (tmp_path / "out.pdf").exists()


def test_a_page_deadline_stops_python_and_the_programs_it_waits_for() -> None:
    started = time.monotonic()
    with pytest.raises(PageTimeout, match="longer than"), deadline(0.3, "page 1"):
        subprocess.run(["sleep", "5"], check=False)
    assert time.monotonic() - started < 2
    outside = subprocess.Popen(["sleep", "30"])  # not the page's: spared
    with pytest.raises(PageTimeout), deadline(0.3, "page 1"):
        child = subprocess.Popen(["sleep", "30"])  # waited on the way pytesseract and pdf2image wait
        child.communicate()
    assert child.wait(timeout=5) == -9  # killed, not left running
    assert outside.poll() is None
    outside.kill()
    outside.wait()
    with deadline(1.0, "page 1"):  # a page within its limit is left alone
        time.sleep(0.05)


def _crash_on_page_two(ref: PageRef, options: PageOptions) -> PageResult:
    """A stand-in page task: page 2 kills its worker the way a decoder crash would."""
    if ref.page == 2:
        os._exit(11)
    return PageResult(ref.sha256, ref.page, text=f"page {ref.page}")


def test_a_page_that_kills_its_worker_fails_alone_and_the_batch_goes_on() -> None:
    refs = [PageRef("/nonexistent.tif", "f" * 64, n, "tiff") for n in range(1, 6)]
    options = PageOptions(glyph_numbers=False, word_check=False, join_words=False, fix_slips=False)
    results = {r.page: r for r in run_pool(refs, options, jobs=2, task=_crash_on_page_two)}
    assert sorted(results) == [1, 2, 3, 4, 5]
    assert [p for p, r in results.items() if not r.ok] == [2]
    assert "crashed the process reading it" in (results[2].error or "")


def test_the_memory_cap_fails_a_page_without_taking_the_worker_pool(tmp_path: Path) -> None:
    """A page that needs more than the cap to decode fails with the reason; the next page reads."""
    big = tmp_path / "big.tif"
    Image.new("L", (9000, 9000), 255).save(big, compression="tiff_lzw")  # 81 Mpx, ~100 KB on disk
    refs = [PageRef(str(big), "b" * 64, 1, "tiff")]
    options = PageOptions(memory_limit=520, glyph_numbers=False, word_check=False, join_words=False, fix_slips=False)
    (result,) = run_pool(refs, options, jobs=1)
    assert not result.ok and "needs more memory to decode" in (result.error or ""), result.error


# The batch (a cut multi-page TIFF, a Persian-named JPEG, broken files) and one of
# each outcome: 9 pages to OCR; the fast tests above take the whole corpus.
E2E_FILES = ("tiff-last-page-cut.tif", "cut-tiff-98.tif", "تصویر-سالم.jpg", "fake.pdf", "lying-page-count.pdf",
             "vector-art.pdf", "png-bomb.png", "jpeg-cut-mid-scan.jpg", "empty.png", "cut-pdf-25.pdf",
             "encrypted.pdf", "giant-image.pdf")


@pytest.mark.slow
def test_a_hostile_batch_ends_exit_3_and_leaves_the_good_pages_alone(
    tmp_path: Path, corpus: tuple[Path, dict[str, hostile.Hostile]]
) -> None:
    """The issue's report: a cut TIFF, a Persian-named JPEG and broken files in one batch,
    ingested into an archive that already holds good pages."""
    archive = tmp_path / "archive"
    good = tmp_path / "good" / "dossier-good"
    hostile.write_good(good)
    first = _cli("ingest", str(good.parent), "--archive", str(archive), "-q", "-j", "2")
    assert first.returncode == 0, first.stderr
    before = _rows(archive, "SELECT sha256, page, text, updated FROM pages ORDER BY sha256, page")
    assert len(before) == 7 and all(text for _, _, text, _ in before)

    _, items = corpus
    folder = tmp_path / "hostile" / "dossier-hostile"
    hostile.write_corpus(folder, [items[name] for name in E2E_FILES])
    started = time.monotonic()
    proc = _cli("ingest", str(folder.parent), "--archive", str(archive), "-q", "-j", "2", "--file-timeout", "60")
    assert time.monotonic() - started < 240
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "error:" not in proc.stderr
    assert "repaired: dossier-hostile/lying-page-count.pdf" in proc.stderr

    after = _rows(archive, "SELECT sha256, page, text, updated FROM pages ORDER BY sha256, page")
    assert [r for r in after if r[0] in {b[0] for b in before}] == before  # good pages unchanged
    found = json.loads(_cli("search", hostile.WORDS[0], "--archive", str(archive), "--json", "--limit", "100").stdout)
    sources = {Path(h["source"]).name for h in found["hits"]}
    assert {"good.pdf", "good.tif", "good.jpg", "good.png"} <= sources
    assert "تصویر-سالم.jpg" in sources and "tiff-last-page-cut.tif" in sources

    status = _cli("status", "--archive", str(archive)).stdout
    assert "fake.pdf: not a PDF" in status
    assert "tiff-last-page-cut.tif p.3: page 3 is cut off" in status
    states = dict(_rows(archive, """SELECT pa.display, group_concat(p.state) FROM pages p JOIN paths pa USING (sha256)
                                    GROUP BY pa.display"""))
    assert states["dossier-hostile/vector-art.pdf"] == "done"  # read, maybe empty, never quarantined
    assert states["dossier-hostile/tiff-last-page-cut.tif"] == "done,done,failed"
    assert states["dossier-hostile/cut-tiff-98.tif"] == "done,done,failed"  # was "error: Missing dimensions", exit 1
    assert _rows(archive, "PRAGMA integrity_check") == [("ok",)]


ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, env=env,
                          timeout=300)


def _rows(archive: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return [tuple(r) for r in db.execute(sql)]


def test_a_dangling_link_and_a_vanished_file_are_quarantined_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "in" / "پرونده-۱۲"
    folder.mkdir(parents=True)
    (folder / "good.png").write_bytes(hostile.good_png())
    (folder / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    with Catalog.open(tmp_path / "archive") as catalog:
        plan = ledger(catalog, discover([folder.parent]), run_id=1)
        reasons = dict((Path(d).name, r) for d, r in plan.quarantined)
        assert reasons == {"dangling.jpg": "cannot read file: No such file or directory"}
        assert [Path(r.path).name for r in plan.pages] == ["good.png"]


def test_a_repair_is_bounded_in_memory(tmp_path: Path) -> None:
    src = tmp_path / "x.pdf"
    original = hostile.lying_count_pdf()  # once: Pillow stamps the PDF with the time it was made
    src.write_bytes(original)
    with pytest.raises(UnreadableSource, match="out of memory past 20 MB"):
        repair_pdf(src, tmp_path / "out.pdf", timeout=60, memory_mb=20)  # Python alone needs more
    assert not (tmp_path / "out.pdf").exists() and src.read_bytes() == original
    assert repair_pdf(src, tmp_path / "out.pdf", timeout=60, memory_mb=512).pages == 2
