"""The QA report: its files and CSV, and in a real browser (Debian's chromium) the weak
page's image with its boxes, and Persian text laid out right-to-left.

The archive is made without OCR: a page image drawn with Pillow (raqm shapes the
Persian), its words' boxes taken from the drawing, written through the page store and
the catalog as an ingest writes them, so where each box must be is known exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont, features

from cli import cli
from indexer.catalog import Catalog, PageRecord
from ocr.types import Word
from pipeline.store import write_image, write_words
from qa import report as qa_report
from qa.data import CSV_COLUMNS, histogram
from qa.report import ReportError, ReportOptions, build_report
from tests.browser import artefact
from tests.imaging import PERSIAN_FONT

WEAK_SHA, GOOD_SHA, FAILED_SHA = "d1" * 32, "e2" * 32, "f3" * 32
LINES = [
    ["شهرداری", "کرج", "معاونت", "شهرسازی"],
    ["پلاک", "ثبتی", "۱۲۳", "فرعی", "از", "۴۵", "اصلی"],
    ["کمیسیون", "ماده", "صد", "رای", "به", "تخریب", "داد"],
]
#: Words OCR was unsure of (confidence below 60), by (line, word).
LOW = {(0, 3): 22.0, (1, 2): 41.0, (2, 5): 55.0}
SIZE = (900, 600)


def draw_page() -> tuple[bytes, list[Word]]:
    """A page with three right-to-left lines, and its words with the boxes drawn."""
    assert features.check("raqm"), "Pillow needs raqm (libraqm0, libfribidi0) to shape Persian"
    img = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(PERSIAN_FONT, 40)
    words: list[Word] = []
    for n, line in enumerate(LINES):
        right, top = SIZE[0] - 60, 80 + n * 150
        for m, word in enumerate(line):
            left, t, r, b = draw.textbbox((0, 0), word, font=font, direction="rtl", language="fa")
            x = right - (r - left)
            draw.text((x - left, top), word, font=font, fill=0, direction="rtl", language="fa")
            conf = LOW.get((n, m), 93.0)
            words.append(Word(word, conf, x, top + t, r - left, b - t, 1, 1, n + 1))
            right = x - 22
    buf = io.BytesIO()
    img.convert("1").save(buf, format="PNG")
    return buf.getvalue(), words


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    image, words = draw_page()
    plaque_words = [w for w in words if w.line == 2]
    left = min(w.left for w in plaque_words)
    top = min(w.top for w in plaque_words)
    box = [left, top, max(w.left + w.width for w in plaque_words) - left, max(w.top + w.height for w in plaque_words) - top]
    with Catalog.open(archive) as catalog:
        for sha, name, pages in ((WEAK_SHA, "karaj-12/scan_01.tif", 1), (GOOD_SHA, "karaj-12/letter.jpg", 1),
                                 (FAILED_SHA, "karaj-30/scan_09.pdf", 2)):
            path = f"/scans/{name}"
            catalog.add_source(sha256=sha, kind="tiff", size=1, dpis=[300] * pages, first_path=path)
            catalog.record_path(path=path, display=name, dossier=name.split("/")[0], sha256=sha, size=1, mtime_ns=1)
        text = "\n".join(" ".join(line) for line in LINES)
        catalog.record_page(PageRecord(
            WEAK_SHA, 1, text, 58.5, len(words), len(LOW), 300, False, 0, -1.2, "standard", 2.0,
            image=write_image(archive, WEAK_SHA, 1, image, "png"), wordfile=write_words(archive, WEAK_SHA, 1, words),
            identifiers=[
                {"kind": "plaque", "text": "۱۲۳ فرعی از ۴۵ اصلی", "canonical": "45/123", "box": box, "confidence": 70.0},
                {"kind": "postal_code", "text": "۳۱۴۵۶۷", "canonical": "314567", "valid": False,
                 "warning": "a postal code has 10 digits"},
            ],
        ), run_id=1)  # fmt: skip
        catalog.record_page(PageRecord(GOOD_SHA, 1, "Summary of the commission ruling", 96.0, 5, 0, 300, False,
                                       0, 0.0, "standard", 1.0), run_id=1)
        catalog.record_page(PageRecord(FAILED_SHA, 1, "رونوشت به منطقه هشت", 88.0, 4, 0, 300, False, 0, 0.0,
                                       "standard", 1.0), run_id=2)
        catalog.mark_failed(FAILED_SHA, 2, "page timed out after 300 s", run_id=2)
        catalog.quarantine(path="/scans/karaj-30/broken.pdf", sha256=None, reason="cannot read: PDF is encrypted",
                           run_id=2)
    return archive


def test_report_files_summary_and_csv(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = build_report(ReportOptions(archive=archive, output=out))
    s = result.summary
    assert (s["pages"], s["done"], s["failed"], s["below_threshold"], s["weak_pages"]) == (4, 3, 1, 1, 1)
    assert s["quarantined"] == [{"path": "/scans/karaj-30/broken.pdf", "reason": "cannot read: PDF is encrypted"}]
    assert s["histogram"]["counts"][11] == 1 and sum(s["histogram"]["counts"]) == 3
    assert [k["name"] for k in s["by_kind"]] == ["TIFF", "PDF", "JPEG"]
    with (out / "pages.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_source = {(r[0], r[1]): dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    assert len(by_source) == 4
    weak = by_source[("karaj-12/scan_01.tif", "1")]
    assert (weak["mean_confidence"], weak["low_confidence_words"], weak["status"]) == ("58.5", "3", "done")
    assert weak["identifiers"] == "plaque=45/123; postal_code=314567"
    assert weak["invalid_identifiers"] == "postal_code=314567"
    assert by_source[("karaj-30/scan_09.pdf", "2")]["status"] == "failed"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "cdn" not in index.lower() and "http://" not in index.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert (out / "static" / "Vazirmatn-Regular.woff2").is_file()
    assert (out / "thumb" / f"{WEAK_SHA[:16]}-p0001.jpg").is_file()
    assert Image.open(out / "thumb" / f"{WEAK_SHA[:16]}-p0001.jpg").size[0] <= qa_report.THUMB_SIZE[0]


def test_filters_and_the_below_threshold(archive: Path, tmp_path: Path) -> None:
    s = build_report(ReportOptions(archive=archive, output=tmp_path / "a", dossier="karaj-30")).summary
    assert (s["pages"], s["failed"]) == (2, 1)
    s = build_report(ReportOptions(archive=archive, output=tmp_path / "b", since=2)).summary
    assert s["pages"] == 2
    s = build_report(ReportOptions(archive=archive, output=tmp_path / "c", below=90)).summary
    assert s["below_threshold"] == 2
    with (tmp_path / "c" / "pages.csv").open(encoding="utf-8") as f:
        assert sorted(r["source"] for r in csv.DictReader(f)) == ["karaj-12/scan_01.tif", "karaj-30/scan_09.pdf"]


def test_a_folder_with_other_files_is_refused(archive: Path, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError):
        build_report(ReportOptions(archive=archive, output=tmp_path / "mine"))
    build_report(ReportOptions(archive=archive, output=tmp_path / "again"))
    build_report(ReportOptions(archive=archive, output=tmp_path / "again"))  # its own report is replaced


def test_lists_page_through(archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa_report, "PER_PAGE", 2)
    out = tmp_path / "report"
    build_report(ReportOptions(archive=archive, output=out))
    first = (out / "list" / "0001.html").read_text(encoding="utf-8")
    second = (out / "list" / "0002.html").read_text(encoding="utf-8")
    assert 'href="0002.html"' in first and 'href="0001.html"' in second
    assert "karaj-12/scan_01.tif" in first  # weakest first
    assert "karaj-30/scan_09.pdf" in second and "failed" in second


def test_histogram_bins() -> None:
    assert histogram([0, 4.9, 5, 99.9, 100]) == [2, 1] + [0] * 17 + [2]


def test_cli_report_json(archive: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["report", "--archive", str(archive), "-o", str(tmp_path / "r"), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["weak_pages"] == 1
    assert (tmp_path / "r" / "index.html").is_file()


def _reddish(pixels: np.ndarray) -> float:
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return float(np.mean((r - g > 25) & (r - b > 25)))


def test_the_weak_page_in_a_browser(archive: Path, tmp_path: Path, page: object) -> None:
    out = tmp_path / "report"
    build_report(ReportOptions(archive=archive, output=out))
    pg = page  # playwright Page
    pg.goto((out / "index.html").as_uri())  # type: ignore[attr-defined]
    assert pg.locator("svg.histogram rect.bar").count() == 20  # type: ignore[attr-defined]
    assert pg.locator("#below-count").inner_text() == "1"  # type: ignore[attr-defined]
    pg.screenshot(path=str(artefact("qa-report-index.png")), full_page=True)  # type: ignore[attr-defined]
    pg.locator("table.pages a", has_text="karaj-12/scan_01.tif").first.click()  # type: ignore[attr-defined]
    pg.wait_for_load_state("load")  # type: ignore[attr-defined]
    assert pg.url.startswith("file://") and "/page/" in pg.url  # type: ignore[attr-defined]

    img = pg.locator("#page-image")  # type: ignore[attr-defined]
    assert img.evaluate("i => i.complete && i.naturalWidth") == SIZE[0]
    boxes = pg.locator("rect.word-box")  # type: ignore[attr-defined]
    assert boxes.count() == len(LOW)
    assert sorted(float(boxes.nth(i).get_attribute("data-conf")) for i in range(boxes.count())) == sorted(LOW.values())
    # Shaded by confidence: the least sure word is the darkest.
    opacity = {float(boxes.nth(i).get_attribute("data-conf")): float(boxes.nth(i).get_attribute("fill-opacity"))
               for i in range(boxes.count())}
    assert opacity[22.0] > opacity[41.0] > opacity[55.0]
    assert pg.locator("rect.id-box").count() == 1  # type: ignore[attr-defined]
    assert "invalid" in pg.locator("table.identifiers tr.invalid").inner_text()  # type: ignore[attr-defined]

    text = pg.locator("#ocr-text")  # type: ignore[attr-defined]
    assert text.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert text.get_attribute("lang") == "fa"
    assert "شهرسازی" in text.inner_text()
    assert pg.locator("#ocr-text mark.low").count() == len(LOW)  # type: ignore[attr-defined]
    # Right-to-left for real: the first word of a line is drawn to the right of the second.
    first, second = (pg.evaluate(  # type: ignore[attr-defined]
        """w => { const el = document.querySelector('#ocr-text'); const r = document.createRange();
                  const t = el.firstChild; const i = t.textContent.indexOf(w);
                  r.setStart(t, i); r.setEnd(t, i + w.length); return r.getBoundingClientRect().left; }""", w)
        for w in ("شهرداری", "کرج"))
    assert first > second

    shot = artefact("qa-report-weak-page.png")
    pg.locator("#scan").screenshot(path=str(shot))  # type: ignore[attr-defined]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    frame = pg.locator("#scan .frame").bounding_box()  # type: ignore[attr-defined]
    scan = pg.locator("#scan").bounding_box()  # type: ignore[attr-defined]
    scale = frame["width"] / SIZE[0]
    _, words = draw_page()
    for (n, m), _conf in LOW.items():
        w = next(w for w in words if w.line == n + 1 and w.text == LINES[n][m])
        x0 = int((frame["x"] - scan["x"]) + w.left * scale)
        y0 = int((frame["y"] - scan["y"]) + w.top * scale)
        inside = pixels[y0 + 2 : y0 + int(w.height * scale) - 2, x0 + 2 : x0 + int(w.width * scale) - 2]
        assert _reddish(inside) > 0.3, f"no red box over {w.text}"
    # Paper away from any word stays white: the boxes are where the words are, not all over.
    blank = pixels[int(frame["y"] - scan["y"] + 560 * scale) :, int(frame["x"] - scan["x"]) : int(frame["x"] - scan["x"] + 200 * scale)]
    assert _reddish(blank) < 0.01
    pg.screenshot(path=str(artefact("qa-report-weak-page-full.png")), full_page=True)  # type: ignore[attr-defined]


def test_every_report_file_is_local(archive: Path, tmp_path: Path) -> None:
    """No file of the report points outside it (it is copied and opened from disk)."""
    out = tmp_path / "report"
    build_report(ReportOptions(archive=archive, output=out))
    for path in out.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"[a-z]+:", ref), (path, ref)
            assert (path.parent / ref).resolve().exists(), (path.name, ref)
