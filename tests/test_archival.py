"""Archival exports: the searchable PDF's Persian text layer read back by two extractors
(poppler's pdftotext and PDFium, Chrome's PDF engine), ALTO validated against its XSD,
BagIt bags validated, the parcel table against the samples' ground truth, resumable
exports, PDF/A-2b parts.

The end-to-end tests render Persian pages, OCR them through the real pipeline once per
module, and read what the exports wrote with independent tools.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2
import pytest
import xmlschema
from click.testing import CliRunner, Result
from PIL import Image

from archival.layout import page_lines, word_runs
from archival.pdf import PdfPage, Placement, image_from_pil, with_marks, write_pdf
from cli import cli
from indexer.catalog import open_reader
from indexer.dates import iso_to_jalali
from indexer.normalize import normalize
from ocr.types import Word
from tests.conftest import RESOURCES
from tests.imaging import degrade, render_page

# Bidi controls: the marks the text layer adds, and the embeddings pdftotext writes.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

PHRASE = "شهرداری کرج معاونت شهرسازی و معماری"
LINES = [
    PHRASE,
    "درخواست صدور پروانه ساختمانی برای پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی",
    "تاریخ بازدید کارشناس ۱۳۸۴/۰۶/۱۲ و شماره پرونده ۱۲۳۴۵/۸۶",
    "کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰",
    "پرداخت عوارض نوسازی و پسماند الزامی است",
]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _plain(text: str) -> str:
    """Extracted text with bidi controls dropped and whitespace made single spaces."""
    return " ".join(_BIDI.sub("", text).split())


def pdftotext(path: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if page:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def pdfium_text(path: Path, page: int = 0) -> str:
    doc = pypdfium2.PdfDocument(str(path))
    try:
        return doc[page].get_textpage().get_text_range()
    finally:
        doc.close()


def alto_schema() -> xmlschema.XMLSchema:
    """ALTO 4.2 with its XLink import mapped to the vendored copy: no network."""
    return xmlschema.XMLSchema(
        str(RESOURCES / "alto-4-2.xsd"),
        uri_mapper={"http://www.loc.gov/standards/xlink/xlink.xsd": (RESOURCES / "xlink.xsd").resolve().as_uri()},
        allow="local",
        use_fallback=False,
    )


# -- fast: the pieces ---------------------------------------------------------------------


def test_word_runs_put_numbers_left_to_right_inside_persian() -> None:
    runs = word_runs("پلاک۱۲۳", rtl_line=True)
    assert [(r.text, r.rtl) for r in runs] == [("پلاک", True), ("۱۲۳", False)]
    # on the page the number sits left of the letters of a right-to-left word
    assert runs[1].left < runs[0].left
    assert [(r.text, r.rtl) for r in word_runs("۰۸-۰۳-۱۲۳", rtl_line=True)] == [("۰۸-۰۳-۱۲۳", False)]
    assert [(r.text, r.rtl) for r in word_runs("نوسازی:", rtl_line=True)] == [("نوسازی:", True)]
    assert [(r.text, r.rtl) for r in word_runs("45/123", rtl_line=False)] == [("45/123", False)]


def test_marks_end_number_runs_but_never_split_them() -> None:
    assert with_marks("۱۳۸۴/۰۶/۱۲") == "۱۳۸۴/۰۶/۱۲\u200f"
    assert with_marks("۰۸-۰۳-۱۲۳-۰۱۲") == "۰۸-۰۳-۱۲۳-۰۱۲\u200f"
    assert with_marks("پرونده:") == "پرونده:\u200f"
    assert with_marks("۱۱۹،") == "۱۱۹\u200f،\u200f"
    assert with_marks("می\u200cشود") == "می\u200cشود"  # the half-space stays inside the word


def test_lines_read_right_to_left_with_digit_groups_in_written_order() -> None:
    # Tesseract's reading: logical order, hyphen groups last group first
    words = [
        Word("کد", 90, 900, 100, 40, 30, 1, 1, 1),
        Word("نوسازی:", 90, 780, 100, 100, 30, 1, 1, 1),
        Word("۰۰۰-۰۱۲-۱۲۳-۰۸", 80, 500, 100, 250, 30, 1, 1, 1),
    ]
    (line,) = page_lines(words)
    assert line.rtl and line.lang == "fa"
    assert line.text == "کد نوسازی: ۰۸-۱۲۳-۰۱۲-۰۰۰"


def test_bitonal_images_are_g4_and_render_as_they_were(tmp_path: Path) -> None:
    page = Image.fromarray(render_page(["کمیسیون ماده صد", "پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی"], dpi=150)).point(lambda v: 255 if v > 128 else 0).convert("1")
    image = image_from_pil(page)
    assert image.filter == "/CCITTFaxDecode" and image.bits == 1
    out = tmp_path / "g4.pdf"
    dpi = 150
    write_pdf([PdfPage([], Placement.for_image(image.height, dpi), image.width * 72 / dpi, image.height * 72 / dpi,
                       image=image)], out, title="g4")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(out), str(tmp_path / "r")], check=True, timeout=60)
    rendered = np.asarray(Image.open(next(tmp_path.glob("r*.png"))).convert("L")) < 128
    original = np.asarray(page.convert("L")) < 128
    assert rendered.shape == original.shape
    assert original.sum() > 1000  # there is ink, and it is where it was
    # the renderer may place the image a pixel off; at the best offset the pixels agree
    best = min(int((np.roll(rendered, (dy, dx), (0, 1)) != original).sum()) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert best <= 0.03 * original.sum()


@pytest.mark.parametrize(("rotation", "skew"), [(0, 0.0), (90, 1.5), (180, -2.0), (270, 0.8)])
def test_original_placement_undoes_rotation_deskew_and_rescale(rotation: int, skew: float) -> None:
    """A dot on an original scan, put through ocr.clean's own turns, deskew and rescale,
    maps back from the cleaned image onto the dot on the original page."""
    from archival.pages import StoredPage, original_placement
    from archival.source import PageRow
    from ocr.clean import deskew, rescale, rotate_upright

    original = np.full((700, 500), 255, np.uint8)
    original[100:106, 380:386] = 0  # the dot, at (383, 103) on the original
    cleaned = rescale(deskew(rotate_upright(original, rotation), skew), 200, 300)
    ys, xs = np.nonzero(cleaned < 128)
    row = PageRow(1, 1, "", None, None, 300, False, 200, rotation, skew, "standard", None, None, None, None, None)
    page = StoredPage(row, [], None, cleaned.shape[1], cleaned.shape[0])
    s = 72 / 200
    placement = original_placement(page, orig_w=500, orig_h=700, to_pdf=(s, s, 0.0, 700 * s))
    x, y = placement.point(float(xs.mean()) + 0.5, float(ys.mean()) + 0.5)
    assert abs(x - 383 * s) < 2.5 * s and abs(y - (700 - 103) * s) < 2.5 * s


def test_progress_shows_a_bar_on_a_terminal_only() -> None:
    from archival.export import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, shown in ((io.StringIO(), False), (Terminal(), True)):
        progress = Progress("pdf", stream=stream)
        progress.start(3)
        progress.advance(3)
        progress.stop()
        assert ("export pdf" in stream.getvalue() and "3/3" in stream.getvalue()) is shown
    quiet = Terminal()
    progress = Progress("pdf", quiet=True, stream=quiet)
    progress.start(3)
    progress.stop()
    assert quiet.getvalue() == ""


# -- end to end: a rendered Persian page through ingest and export ------------------------


@pytest.fixture(scope="module")
def persian_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two rendered Persian pages of one dossier, ingested: a clean PNG and a JPEG scanned
    sideways and skewed (so the original's text layer must undo rotation and deskew)."""
    from pipeline.ingest import ingest
    from pipeline.options import IngestOptions

    root = tmp_path_factory.mktemp("persian")
    dossier = root / "scans" / "karaj-1384-0612"
    dossier.mkdir(parents=True)
    page = render_page(LINES, dpi=300)
    Image.fromarray(page).save(dossier / "letter.png", dpi=(300, 300))
    turned = degrade(page, rotate=90, skew=1.2)
    Image.fromarray(turned).save(dossier / "turned.jpg", dpi=(300, 300), quality=85)
    archive = root / "archive"
    summary = ingest([root / "scans"], IngestOptions(archive=archive, jobs=2))
    assert summary.clean, (summary.quarantined, summary.failed_pages)
    return archive


def _catalog_lines(archive: Path, display: str) -> list[str]:
    db = open_reader(archive / "catalog.sqlite")
    try:
        (text,) = db.execute(
            "SELECT p.text FROM pages p JOIN sources s USING (sha256) JOIN paths pa ON pa.path = s.first_path "
            "WHERE pa.display = ?", (display,),
        ).fetchone()
    finally:
        db.close()
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("original", [False, True], ids=["cleaned", "original"])
def test_pdf_text_layer_reads_back_in_logical_order(persian_archive: Path, tmp_path: Path, original: bool) -> None:
    out = tmp_path / "pdf"
    args = ["export", "--archive", str(persian_archive), "--format", "pdf", "-o", str(out), "-q"]
    result = _run(*args, *(["--original"] if original else []))
    assert result.exit_code == 0, result.output
    for display in ("karaj-1384-0612/letter.png", "karaj-1384-0612/turned.jpg"):
        pdf = out / f"{display}.pdf"
        stored = _catalog_lines(persian_archive, display)
        # the OCR read the page: the phrase and the numbers are in the catalog as written
        assert PHRASE in stored, stored
        for extractor in (pdftotext, pdfium_text):
            text = _plain(extractor(pdf))
            assert PHRASE in text, (extractor.__name__, text)
            for number in ("۱۳۸۴/۰۶/۱۲", "۱۲۳۴۵/۸۶", "۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰"):
                if any(number in line for line in stored):
                    assert number in text, (extractor.__name__, number, text)
            # every stored line comes back whole, words in reading order
            for line in stored:
                assert _plain(line) in text, (extractor.__name__, line, text)
        # a phrase copied from the PDF finds the page: search's normalization folds the marks
        assert normalize(PHRASE) in normalize(_BIDI.sub("", pdftotext(pdf)))


@pytest.mark.slow
def test_original_pdf_keeps_the_jpeg_bytes_and_turns_the_page_upright(persian_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    assert _run("export", "--archive", str(persian_archive), "--format", "pdf", "-o", str(out), "-q",
                "--original").exit_code == 0
    db = open_reader(persian_archive / "catalog.sqlite")
    path, rotation = db.execute(
        "SELECT s.first_path, p.rotation FROM pages p JOIN sources s USING (sha256) WHERE s.first_path LIKE '%turned.jpg'"
    ).fetchone()
    db.close()
    with pikepdf.open(out / "karaj-1384-0612/turned.jpg.pdf") as pdf:
        page = pdf.pages[0]
        (image,) = page.get_images().values()
        assert image.Filter == "/DCTDecode"
        assert image.read_raw_bytes() == Path(path).read_bytes()  # not decoded, not recompressed
        assert int(page.obj.get("/Rotate", 0)) == rotation % 360 != 0


@pytest.mark.slow
def test_pdf_has_the_pdfa_2b_parts_pikepdf_can_check(persian_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    assert _run("export", "--archive", str(persian_archive), "--format", "pdf", "-o", str(out), "-q").exit_code == 0
    with pikepdf.open(out / "karaj-1384-0612/letter.png.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta.pdfa_status == "2B"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and int(intent.DestOutputProfile.N) == 3
        assert not pdf.is_encrypted
        assert len(pdf.trailer.ID) == 2
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor  # embedded
            assert "/Group" not in page.obj  # no transparency group
        assert subprocess.run(["qpdf", "--check", str(out / "karaj-1384-0612/letter.png.pdf")],
                              capture_output=True, timeout=60).returncode == 0


@pytest.mark.slow
def test_export_resumes_and_skips_what_is_complete(persian_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    first = _run("export", "--archive", str(persian_archive), "--format", "pdf", "-o", str(out), "-q")
    assert "2 written, 0 unchanged" in first.output
    letter = out / "karaj-1384-0612/letter.png.pdf"
    before = letter.stat().st_mtime_ns
    (out / "karaj-1384-0612/turned.jpg.pdf").unlink()  # as if the first run had stopped there
    second = _run("export", "--archive", str(persian_archive), "--format", "pdf", "-o", str(out), "-q")
    assert "1 written, 1 unchanged" in second.output
    assert letter.stat().st_mtime_ns == before
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_alto_and_hocr_carry_lines_language_and_confidence(persian_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "alto"
    assert _run("export", "--archive", str(persian_archive), "--format", "alto", "-o", str(out), "-q").exit_code == 0
    schema = alto_schema()
    files = sorted(out.rglob("*.alto.xml"))
    assert len(files) == 2
    for path in files:
        errors = [str(e) for e in schema.iter_errors(str(path))]
        assert not errors, errors[:3]
    xml = (out / "karaj-1384-0612/letter.png.p0001.alto.xml").read_text(encoding="utf-8")
    assert 'LANG="fa"' in xml and 'WC="0.' in xml and "rotation=0" in xml
    assert 'CONTENT="شهرداری"' in xml
    hocr = tmp_path / "hocr"
    assert _run("export", "--archive", str(persian_archive), "--format", "hocr", "-o", str(hocr), "-q").exit_code == 0
    turned = (hocr / "karaj-1384-0612/turned.jpg.hocr").read_text(encoding="utf-8")
    assert "x_rotation 270" in turned or "x_rotation 90" in turned
    assert 'lang="fa" dir="rtl"' in turned and "x_wconf" in turned
    from xml.etree import ElementTree

    ElementTree.fromstring(turned.encode("utf-8"))  # well-formed XHTML


# -- the samples: ALTO, bags and the parcel table --------------------------------------------


@pytest.mark.slow
def test_sample_alto_validates(ingested: Path, tmp_path: Path) -> None:
    out = tmp_path / "alto"
    assert _run("export", "--archive", str(ingested), "--format", "alto", "-o", str(out), "-q").exit_code == 0
    schema = alto_schema()
    files = sorted(out.rglob("*.alto.xml"))
    assert len(files) == 10
    for path in files:
        assert schema.is_valid(str(path)), next(iter(schema.iter_errors(str(path))))


@pytest.mark.slow
def test_bags_validate_and_hold_what_an_archive_needs(ingested: Path, tmp_path: Path) -> None:
    import bagit

    out = tmp_path / "bags"
    result = _run("export", "--archive", str(ingested), "--format", "bagit", "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    bags = sorted(p for p in out.iterdir() if p.is_dir())
    assert [b.name for b in bags] == ["karaj-1381-0351", "karaj-1386-8360", "karaj-1396-9223"]
    script = Path(sys.executable).with_name("bagit.py")
    for bag_dir in bags:
        bag = bagit.Bag(str(bag_dir))
        bag.validate()  # full: every payload file's SHA-256
        assert "sha256" in bag.algorithms
        check = subprocess.run([sys.executable, str(script), "--validate", str(bag_dir)],
                               capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stderr
        data = bag_dir / "data"
        assert sorted(p.name for p in (data / "originals").iterdir())
        assert list((data / "pdf").iterdir()) and list((data / "alto").iterdir()) and list((data / "text").iterdir())
        assert (data / "identifiers.csv").read_text(encoding="utf-8").startswith("source,page,kind")
        for alto_file in (data / "alto").iterdir():  # each ALTO names the image its boxes are on
            name = re.search(r"<fileName>([^<]+)</fileName>", alto_file.read_text(encoding="utf-8"))
            assert name and (data / name.group(1)).is_file(), alto_file.name
        for prov in (data / "provenance").iterdir():
            record = json.loads(prov.read_text(encoding="utf-8"))
            original = data / "originals" / Path(record["source"]["path"]).name
            import hashlib

            assert hashlib.sha256(original.read_bytes()).hexdigest() == record["source"]["sha256"]
            steps = [s["step"] for s in record["pages"][0]["cleaning_steps"]]
            assert steps[:4] == ["estimate resolution", "rotate", "remove borders and punch holes", "deskew"]
            assert record["ocr_engine_at_export"]["version"].startswith("tesseract")
            assert {m["language"] for m in record["ocr_engine_at_export"]["models"]} >= {"fas", "eng"}
            assert all(len(m["sha256"]) == 64 for m in record["ocr_engine_at_export"]["models"])
    # a second run finds every bag complete and unchanged
    again = _run("export", "--archive", str(ingested), "--format", "bagit", "-o", str(out), "-q")
    assert "0 written, 3 unchanged" in again.output


def _truth_parcels(ground_truth: dict) -> dict[str, dict]:
    by_dossier: dict[str, list[dict]] = {}
    for page in ground_truth["pages"]:
        by_dossier.setdefault(page["dossier"], []).append(page)
    out: dict[str, dict] = {}
    for dossier, pages in by_dossier.items():
        for page in pages:
            for i in page["identifiers"]:
                if i["kind"] != "plaque":
                    continue
                row = out.setdefault(i["canonical"], {"dossiers": set(), "sections": set(), "renovation": set(),
                                                      "postal": set(), "dates": {}})
                row["dossiers"].add(dossier)
                if i.get("section"):
                    row["sections"].add(i["section"])
        for row in out.values():
            if dossier in row["dossiers"]:
                for page in pages:
                    row["dates"][(page["source"], page["page"])] = page["document_date"]
                    for i in page["identifiers"]:
                        if i["kind"] == "renovation_code":
                            row["renovation"].add(i["canonical"])
                        elif i["kind"] == "postal_code":
                            row["postal"].add(i["canonical"])
    return out


@pytest.mark.slow
def test_parcel_table_matches_the_samples_ground_truth(ingested: Path, ground_truth: dict, tmp_path: Path) -> None:
    import csv

    table = tmp_path / "parcels.csv"
    assert _run("export", "--archive", str(ingested), "--format", "parcels", "-o", str(table)).exit_code == 0
    rows = {r["plaque"]: r for r in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))}
    truth = _truth_parcels(ground_truth)
    assert set(rows) == set(truth)
    for plaque, want in truth.items():
        row = rows[plaque]
        assert set(row["dossiers"].split(";")) == want["dossiers"]
        assert row["section"] in want["sections"]
        assert row["renovation_code"].split(";")[0] in want["renovation"]
        assert row["postal_code"].split(";")[0] in want["postal"]
        # Dates: the table spans its dossiers' document dates, as the ground truth has them.
        dates = sorted(want["dates"].values())
        assert (row["first_date"], row["last_date"]) == (dates[0], dates[-1]), plaque
        assert row["first_date_jalali"] == iso_to_jalali(dates[0])
        assert row["first_date_jalali"].count("/") == 2
    geo = tmp_path / "parcels.geojson"
    assert _run("export", "--archive", str(ingested), "--format", "parcels", "-o", str(geo)).exit_code == 0
    collection = json.loads(geo.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["plaque"] for f in collection["features"]} == set(truth)
    assert all(f["geometry"] is None for f in collection["features"])


@pytest.mark.slow
def test_every_sample_line_reads_back_from_the_pdfs(ingested: Path, tmp_path: Path) -> None:
    """Real layouts (letterheads, two-column forms, rulings, an English summary): every
    line the catalog holds comes back whole from pdftotext; from PDFium too, except lines
    with paired punctuation, which PDFium mirrors inside right-to-left text (docs/archival.md)."""
    import unicodedata

    out = tmp_path / "pdf"
    assert _run("export", "--archive", str(ingested), "--format", "pdf", "-o", str(out), "-q").exit_code == 0
    db = open_reader(ingested / "catalog.sqlite")
    pages = db.execute(
        "SELECT pa.display, p.page, p.text FROM pages p JOIN sources s USING (sha256) "
        "JOIN paths pa ON pa.path = s.first_path ORDER BY 1, 2"
    ).fetchall()
    db.close()
    checked = 0
    for display, number, text in pages:
        pdf = out / (display if display.endswith(".pdf") else f"{display}.pdf")
        poppler, pdfium = _plain(pdftotext(pdf, page=number)), _plain(pdfium_text(pdf, page=number - 1))
        for line in filter(str.strip, text.splitlines()):
            checked += 1
            assert _plain(line) in poppler, (display, number, line)
            if not any(unicodedata.mirrored(ch) for ch in line):
                assert _plain(line) in pdfium, (display, number, line)
    assert checked > 200


@pytest.mark.slow
def test_sample_original_pdf_copies_the_scan_pdf_page(ingested: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    assert _run("export", "--archive", str(ingested), "--format", "pdf", "-o", str(out), "-q",
                "--original").exit_code == 0
    text = _plain(pdftotext(out / "karaj-1381-0351/scan_01.pdf", page=1))
    assert "شهرداری کرج" in text
    assert shutil.which("pdftotext")
