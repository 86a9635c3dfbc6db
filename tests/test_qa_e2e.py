"""The QA reviewer's whole job, through the CLI, on an OCR'd archive of the bench set.

14 pages of `samples.generate --preset bench` (seed 5) are OCR'd for real (about two
minutes on 2 idle cores, four on a busy shared machine; marked slow). The reviewer finds the 10 weakest pages in the
report, reads why each is weak, corrects two misread words and one identifier (the
generator's ground truth says what the page really says, standing in for the reviewer's
eyes), and finds the corrected words and identifier by search; the corrections survive a
re-ingest of the same folder, and the export keeps both the OCR and the corrected text.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from indexer.catalog import Catalog
from indexer.query import match_tokens
from tests.conftest import ROOT, tesseract_ready

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # OCR of 14 pages: 2-5 minutes on 2 shared cores

PAGES, SEED = 14, 5
SEARCH_FLAGS = {"plaque": "--plaque", "renovation_code": "--renovation-code", "postal_code": "--postal-code",
                "file_number": "--file-number", "permit_number": "--permit-number"}


def run(*args: str) -> Any:
    out = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert out.exit_code == 0, out.output
    return out.output


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json"))


@pytest.fixture(scope="module")
def bench_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[tuple[str, int], dict[str, Any]]]:
    if not tesseract_ready():
        pytest.fail("tesseract with fas+eng+osd and poppler-utils are required (scripts/setup.sh)")
    root = tmp_path_factory.mktemp("qa-bench")
    subprocess.run([sys.executable, "-m", "samples.generate", "--out", str(root / "set"), "--preset", "bench",
                    "--pages", str(PAGES), "--seed", str(SEED)], check=True, capture_output=True, cwd=ROOT)
    archive = root / "archive"
    ingest = subprocess.run([sys.executable, "-m", "cli", "ingest", str(root / "set" / "scans"), "--archive",
                             str(archive), "--jobs", str(min(2, os.cpu_count() or 1)), "-q"],
                            capture_output=True, text=True, timeout=900, cwd=ROOT)  # fmt: skip
    assert ingest.returncode in (0, 3), ingest.stderr
    truth = json.loads((root / "set" / "ground_truth.json").read_text(encoding="utf-8"))
    return archive, root / "set" / "scans", {(p["source"], p["page"]): p for p in truth["pages"]}


def misread_words(ocr: str, truth: str) -> list[tuple[str, str]]:
    """(what OCR wrote, what the page says) for single words OCR got wrong, where the right
    word is nowhere else on the page and the wrong one is there once."""
    o_raw, t_raw = ocr.split(), truth.split()
    o_n = [" ".join(match_tokens(w)) for w in o_raw]
    t_n = [" ".join(match_tokens(w)) for w in t_raw]
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, o_n, t_n, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 != 1 or j2 - j1 != 1:
            continue
        wrong, right = o_n[i1], t_n[j1]
        if (right.isalpha() and len(right) >= 3 and t_raw[j1] == right and right not in o_n
                and wrong.isalpha() and wrong not in t_n and o_n.count(wrong) == 1 and ocr.count(o_raw[i1]) == 1):
            out.append((o_raw[i1], t_raw[j1]))
    return out


def pick_identifier(rows: list[dict[str, str]], export: dict[Any, Any], truth: dict[Any, Any]) -> Any:
    """(page, kind, search flag, OLD, NEW): the first identifier, weakest page first, that
    OCR misread (one wrong reading, one real value missing), else one it missed (OLD "-")."""
    missed = None
    for r in rows:
        key = (r["source"], int(r["page"]))
        for kind, flag in SEARCH_FLAGS.items():
            read = {i["canonical"] for i in export[key]["identifiers"] if i["kind"] == kind}
            real = {i["canonical"] for i in truth[key]["identifiers"] if i["kind"] == kind}
            if read - real and len(real - read) == 1:
                return key, kind, flag, sorted(read - real)[0], next(iter(real - read))
            if missed is None and real - read and not read - real:
                missed = key, kind, flag, "-", sorted(real - read)[0]
    return missed


def hits(archive: Path, *args: str) -> set[tuple[str, int]]:
    found = run_json("search", *args, "--limit", "1000", "--archive", str(archive))
    return {(h["source"], h["page"]) for h in found["hits"]}


def test_a_reviewer_finds_the_weakest_pages_and_corrects_them(bench_archive: Any, tmp_path: Path) -> None:
    archive, scans, truth = bench_archive
    report = tmp_path / "report"
    summary = run_json("report", "--archive", str(archive), "-o", str(report))
    assert summary["done"] == PAGES

    # The 10 weakest pages: pages.csv sorted by confidence, and the report's first page
    # lists them in that order, each linked to a page saying why it is weak.
    with (report / "pages.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == PAGES
    weakest = sorted(rows, key=lambda r: float(r["mean_confidence"]))[:10]
    index = (report / "index.html").read_text(encoding="utf-8")
    positions = [index.find(f'>{r["source"]}</a>') for r in weakest]
    assert all(p > 0 for p in positions)
    details = sorted((report / "page").glob("*.html"))
    assert len(details) >= 10
    for r in weakest:
        page = next(p for p in details if f'<span dir="auto">{r["source"]}</span> · page {r["page"]}<' in p.read_text(encoding="utf-8"))
        html = page.read_text(encoding="utf-8")
        assert f"mean word confidence {float(r['mean_confidence']):.1f}" in html
        assert 'id="reasons"' in html and ("low confidence" in html or "failed validation" in html)
        assert 'dir="rtl" lang="fa"' in html and 'id="page-image"' in html
        if int(r["low_confidence_words"]):
            assert 0 < html.count('class="word-box"') <= int(r["low_confidence_words"])
    queue = run_json("review", "--next", "--limit", "10", "--archive", str(archive))
    assert len(queue["pages"]) == 10 and queue["total"] == PAGES

    # Two misread words, from the weakest pages (the ground truth plays the reviewer's eyes).
    export = {(p["source"], p["page"]): p for p in map(json.loads, run("export", "--archive", str(archive)).splitlines())}
    fixes: list[tuple[tuple[str, int], str, str]] = []
    for r in weakest:
        key = (r["source"], int(r["page"]))
        for wrong, right in misread_words(export[key]["text"], truth[key]["text"]):
            if len(fixes) < 2 and key not in {k for k, _, _ in fixes}:
                fixes.append((key, wrong, right))
    assert len(fixes) == 2, "the weakest pages should hold at least two misread words"
    for n, (key, wrong, right) in enumerate(fixes):
        assert key in hits(archive, wrong) and key not in hits(archive, right)
        corrected = tmp_path / f"{key[0].replace('/', '_')}-{key[1]}.txt"
        corrected.write_text(export[key]["text"].replace(wrong, right, 1), encoding="utf-8")
        source = key[0] if n == 0 else export[key]["sha256"][:12]  # the path search shows, or a sha256 prefix
        run("correct", source, str(key[1]), "--text-file", str(corrected), "--by", "qa-reviewer",
            "--reason", f"OCR read {wrong}", "--archive", str(archive))

    # One identifier OCR got wrong (or missed), corrected to what the page says.
    wrong_id = pick_identifier(sorted(rows, key=lambda r: float(r["mean_confidence"])), export, truth)
    assert wrong_id is not None, "OCR should misread or miss at least one identifier of the bench pages"
    key, kind, flag, old, new = wrong_id
    assert key not in hits(archive, flag, new)
    run("correct", export[key]["sha256"], str(key[1]), "--identifier", kind, old, new, "--by", "qa-reviewer",
        "--archive", str(archive))

    def check() -> None:
        for k, wrong, right in fixes:
            assert k in hits(archive, right), f"{right} should now find {k}"
            assert k not in hits(archive, wrong), f"{wrong} should no longer find {k}"
        assert key in hits(archive, flag, new)
        if kind == "plaque":
            parcel = run_json("parcel", new, "--archive", str(archive))
            assert (key[0], key[1]) in {(m["source"], m["page"]) for m in parcel["mentions"]}

    check()
    # A re-ingest of the same folder OCRs nothing again and resets nothing.
    again = subprocess.run([sys.executable, "-m", "cli", "ingest", str(scans), "--archive", str(archive), "-q"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)  # fmt: skip
    assert again.returncode in (0, 3), again.stderr
    assert "0 pages OCR'd" in again.stdout
    check()
    # A re-OCR of a corrected page (back to pending, then ingest) re-applies its correction.
    with Catalog.open(archive) as catalog:
        assert catalog.requeue_page(export[fixes[0][0]]["sha256"], fixes[0][0][1])
    again = subprocess.run([sys.executable, "-m", "cli", "ingest", str(scans), "--archive", str(archive), "-q"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)  # fmt: skip
    assert again.returncode in (0, 3), again.stderr
    assert "1 page OCR'd" in again.stdout
    check()
    # The export keeps both readings and who corrected what.
    after = {(p["source"], p["page"]): p for p in map(json.loads, run("export", "--archive", str(archive)).splitlines())}
    for k, wrong, right in fixes:
        assert right in after[k]["text"] and wrong in after[k]["ocr_text"] and after[k]["ocr_text"] == export[k]["text"]
        assert after[k]["corrections"][0]["by"] == "qa-reviewer"
    ident = next(i for i in after[key]["identifiers"] if i["kind"] == kind and i["canonical"] == new)
    assert "correction" in ident
    if old != "-":
        own = next(i.get("corrected_from") or i["canonical"] for i in export[key]["identifiers"]
                   if i["kind"] == kind and i["canonical"] == old)  # the page's own reading, before consensus
        assert ident["corrected_from"] == own
    # Corrected pages leave the queue; the report says they are corrected.
    corrected_keys = {k for k, _, _ in fixes} | {key}
    queue = run_json("review", "--limit", "100", "--archive", str(archive))
    assert queue["total"] == PAGES - len(corrected_keys)
    assert not corrected_keys & {(p["source"], p["page"]) for p in queue["pages"]}
    summary = run_json("report", "--archive", str(archive), "-o", str(report))
    assert summary["reviewed"] == {"corrected": len(corrected_keys)}
