"""Reading a page: text assembly from Tesseract's words, recognition settings, read_page,
and one ingest-then-search run on a rotated, skewed, low-dpi Persian page.

The assembly tests build ``Word`` boxes by hand (milliseconds); the rest run Tesseract
and are marked ``slow``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from ocr.page import PageOptions, missed_regions, read_page
from ocr.tesseract import Reading, assemble_text, osd, recognize, written_digit_groups
from ocr.types import Word
from tests.imaging import ENGLISH_LINES, PERSIAN_LINES, degrade, render_page, word_recall

# --------------------------------------------------------------------- text assembly


def _word(text: str, left: int, top: int, width: int = 80, height: int = 30, line: int = 1, block: int = 1) -> Word:
    return Word(text, 90.0, left, top, width, height, block=block, par=1, line=line)


def _rtl_line(texts: list[str], right: int, top: int, *, line: int, block: int = 1) -> list[Word]:
    """Words of one right-to-left line in logical order, laid out from ``right`` leftwards."""
    out, x = [], right
    for t in texts:
        x -= 80
        out.append(_word(t, x, top, line=line, block=block))
        x -= 20
    return out


def test_form_rows_are_read_across_right_cell_first() -> None:
    # Tesseract reads a two-column form column by column (right block, then left block);
    # the printed order is row by row, the right-hand cell first.
    cells = [(f"راست{i}", f"چپ{i}") for i in range(6)]
    title = _rtl_line(["پروانه", "ساختمانی"], 1400, 400, line=1)
    right = [w for i, (r, _) in enumerate(cells) for w in _rtl_line([r, "الف"], 2000, 500 + 60 * i, line=i + 1, block=2)]
    left = [w for i, (_, x) in enumerate(cells) for w in _rtl_line([x, "ب"], 1000, 500 + 60 * i, line=i + 1, block=3)]
    lines = assemble_text(title + right + left).splitlines()
    assert lines[0] == "پروانه ساختمانی"
    assert lines[1:] == [line for r, x in cells for line in (f"{r} الف", f"{x} ب")]


def test_a_letterhead_is_read_column_by_column() -> None:
    # Letterhead on the right, number/date/attachment block on the left, at the page top:
    # the right column whole, then the left one, as the page is meant to be read.
    words = (
        _rtl_line(["شهرداری", "کرج", "شماره:", "۱۲۳/۸۵"], 2000, 100, line=1)  # run together by Tesseract
        + _rtl_line(["معاونت", "شهرسازی"], 2000, 160, line=2)
        + _rtl_line(["تاریخ:", "۱۳۸۵/۱۰/۰۲"], 700, 160, line=1, block=2)
        + _rtl_line(["پیوست:", "ندارد"], 700, 220, line=1, block=3)
        + _rtl_line(["موضوع:", "اعلام", "تخلف"], 2000, 320, line=1, block=4)
    )
    words[2:4] = [_word(w.text, w.left - 900, w.top, line=1) for w in words[2:4]]  # far left cell
    assert assemble_text(words).splitlines() == [
        "شهرداری کرج",
        "معاونت شهرسازی",
        "شماره: ۱۲۳/۸۵",
        "تاریخ: ۱۳۸۵/۱۰/۰۲",
        "پیوست: ندارد",
        "موضوع: اعلام تخلف",
    ]


def test_english_pages_read_left_cell_first() -> None:
    words = [_word("File", 100, 100), _word("No.", 200, 100), _word("Date", 1500, 100), _word("2005", 1600, 100)]
    assert assemble_text(words).splitlines() == ["File No.", "Date 2005"]


def test_hyphen_joined_digit_groups_come_back_in_written_order() -> None:
    # Tesseract 5.3 gives ۰۲-۰۹-۲۱۹-۱۱۲-۰۰۰-۰۰۰ as ۰۰۰-۰۰۰-۱۱۲-۲۱۹-۰۹-۰۲ on an RTL line;
    # slash-joined dates and plaques come back as written and are left alone.
    assert written_digit_groups("کد نوسازی: ۰۰۰-۰۰۰-۱۱۲-۲۱۹-۰۹-۰۲") == "کد نوسازی: ۰۲-۰۹-۲۱۹-۱۱۲-۰۰۰-۰۰۰"
    assert written_digit_groups("کد پستی: 78913-31456 مسکونی - تجاری") == "کد پستی: 31456-78913 مسکونی - تجاری"
    assert written_digit_groups("تاریخ ۱۳۸۴/۰۶/۱۲") == "تاریخ ۱۳۸۴/۰۶/۱۲"
    words = _rtl_line(["کد", "پستی:", "۷۸۹۱۳-۳۱۴۵۶"], 2000, 100, line=1)
    assert assemble_text(words, written_order=True) == "کد پستی: ۳۱۴۵۶-۷۸۹۱۳"
    assert assemble_text(words) == "کد پستی: ۳۱۴۵۶-۷۸۹۱۳"  # the stored text: as written on the page
    assert assemble_text(words, written_order=False) == "کد پستی: ۷۸۹۱۳-۳۱۴۵۶"  # what the extractor reads
    english = [_word("Postal", 100, 100), _word("code", 200, 100), _word("31456-78913", 300, 100)]
    assert assemble_text(english, written_order=True) == "Postal code 31456-78913"


def test_specks_read_as_words_are_dropped_and_small_real_marks_kept() -> None:
    from ocr.page import without_specks
    from ocr.tesseract import reading_of

    line = _rtl_line(["شماره", "پرونده:", "۱۲۳۴۵/۸۶"], right=1100, top=100, line=1)
    specks = [_word("۱", 300, 40, 2, 2), _word(".", 500, 300, 3, 2), _word("|", 700, 41, 2, 3)]
    small_but_real = [_word("۰", 900, 300, 3, 3, line=2), _word("-", 940, 302, 4, 2, line=2)]
    kept = without_specks(reading_of([*line, *specks, *small_but_real]), dpi=150)
    assert [w.text for w in kept.words] == [*(w.text for w in line), "۰", "-"]
    assert kept.text.splitlines()[0] == "شماره پرونده: ۱۲۳۴۵/۸۶"
    untouched = reading_of(line)
    assert without_specks(untouched, dpi=150) is untouched


def test_readings_far_below_the_text_and_unreadable_marks_are_dropped() -> None:
    """Specks the size of a dot beside a line, read as ۳ or 7, and a logo's strokes that
    Tesseract could not read at all (confidence 0) go; low real words stay."""
    from ocr.page import without_specks
    from ocr.tesseract import reading_of

    line = _rtl_line(["شماره", "پرونده:", "۱۲۳۴۵/۸۶", "مورخ"], right=1100, top=100, line=1)
    body = _rtl_line(["ساختمان", "مسکونی", "کرج"], right=1100, top=200, line=2)
    low_real = [
        _word("و", 600, 210, 14, 13, line=2),  # و is half a word's height
        _word("۰", 560, 210, 5, 5, line=2),  # a zero is a dot
        replace(_word("متر", 480, 200, 40, 30, line=2), conf=0.0),  # unsure, but three letters
    ]
    specks = [
        _word("۳", 300, 112, 6, 4),  # 0.13 of the text's height
        replace(_word("7", 250, 113, 7, 3), conf=62.0),
        replace(_word("تث", 200, 30, 52, 22, line=0), conf=0.0),  # a logo's strokes
    ]
    kept = without_specks(reading_of([*line, *body, *low_real, *specks]), dpi=180)
    assert sorted(w.text for w in kept.words) == sorted(w.text for w in [*line, *body, *low_real])
    assert kept.text.splitlines()[0] == "شماره پرونده: ۱۲۳۴۵/۸۶ مورخ"


def test_a_pen_stroke_read_as_a_short_word_is_dropped() -> None:
    """A signature's stroke across the page read as تس (two letters in a box eleven word
    heights wide) goes; a word as wide as its letters, a long kashida'd heading, a
    confident reading and a number read short stay."""
    from ocr.page import without_specks
    from ocr.tesseract import reading_of

    line = _rtl_line(["امضای", "درخواست‌کننده"], right=1100, top=100, line=1)
    heading = _word("بســـــــــم", 300, 200, 420, 30, line=2)  # ten signs, kashida and all
    sure = _word("۱۲۳۴۵", 200, 300, 130, 30, line=3)
    scrawl = replace(_word("تس", 120, 400, 660, 40, line=4), conf=34.0)
    # a number read as one digit: the glyph reader reads it again (ocr.digits), so it stays
    number_read_short = replace(_word("۳", 300, 500, 150, 30, line=5), conf=56.0)
    kept = without_specks(reading_of([*line, heading, sure, scrawl, number_read_short]), dpi=300)
    assert [w.text for w in kept.words] == [*(w.text for w in line), heading.text, sure.text, "۳"]
    confident = replace(scrawl, conf=91.0)  # Tesseract sure of it: kept, whatever its box
    assert [w.text for w in without_specks(reading_of([*line, confident]), dpi=300).words][-1] == "تس"


def test_table_rules_read_as_digits_are_dropped_but_a_typed_one_is_kept() -> None:
    from ocr.page import without_rule_marks
    from ocr.tesseract import reading_of

    rules = np.zeros((400, 1200), np.uint8)
    rules[:, 598:606] = 255  # the middle rule of a two-column form, dilated
    words = [
        *_rtl_line(["تعداد", "طبقات:", "۴"], right=1150, top=100, line=1),
        _word("۱", 597, 95, 8, 40),  # the rule between the cells
        _word("|تعداد", 560, 160, 60, 30, line=2),  # a label the rule stuck to
        _word("۱", 300, 100, 14, 30),  # a typed ۱ in the left-hand cell
    ]
    cleaned = without_rule_marks(reading_of(words), rules)
    texts = [w.text for w in cleaned.words]
    assert texts.count("۱") == 1 and "تعداد" in texts and "|تعداد" not in texts
    assert without_rule_marks(reading_of(words), None).words == reading_of(words).words


def test_assembly_of_nothing_is_empty() -> None:
    assert assemble_text([]) == ""


def _line_bands(page: np.ndarray) -> list[tuple[int, int]]:
    rows = (page < 128).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def test_missed_regions_finds_the_line_no_word_covers() -> None:
    page = render_page(PERSIAN_LINES[:3], dpi=150, font_pt=12, line_spacing=2.2)
    bands = _line_bands(page)
    assert len(bands) == 3
    cols = np.flatnonzero((page < 128).any(axis=0))
    left, width = int(cols[0]), int(cols[-1] - cols[0] + 1)
    read = tuple(_word("x", left, a, width, b - a) for i, (a, b) in enumerate(bands) if i != 1)
    boxes = missed_regions(page, read, dpi=150)
    assert boxes and all(type(v) is int for box in boxes for v in box)
    for _x, y, _w, h in boxes:  # the line, perhaps in pieces, and nothing else
        assert y <= bands[1][0] and y + h >= bands[1][1] and h < 2 * (bands[1][1] - bands[1][0])
    assert sum(w for _x, _y, w, _h in boxes) >= 0.5 * width
    everything = (*read, _word("x", left, bands[1][0], width, bands[1][1] - bands[1][0]))
    assert missed_regions(page, everything, dpi=150) == []


# ---------------------------------------------------------------- recognition (slow)

DPI = 300


def _scan(tmp_path: Path, page: np.ndarray, *, dpi: int, name: str = "page.png") -> Path:
    path = tmp_path / name
    Image.fromarray(page).save(path, dpi=(dpi, dpi))
    return path


@pytest.mark.slow
def test_read_page_recovers_a_rotated_skewed_low_dpi_persian_page(tmp_path: Path) -> None:
    lines = PERSIAN_LINES[:8]
    page = render_page(lines, dpi=150, font_pt=12, line_spacing=1.6)
    scan = degrade(page, rotate=90, skew=-2.5, border=True, uneven=True, dpi=150)
    read = read_page(_scan(tmp_path, scan, dpi=150), 1, options=PageOptions())
    assert read.clean.rotation == 270 and read.clean.skew == pytest.approx(-2.5, abs=0.2)
    assert read.clean.dpi == 150 and read.tried[0][0] == "standard"
    assert word_recall(read.reading.text, lines) >= 0.9
    assert "کمیسیون ماده صد" in read.reading.text
    assert not any(c.isascii() and c.isalpha() for c in read.reading.text)  # no Latin junk


@pytest.mark.slow
def test_a_300_dpi_persian_page_is_read_at_the_reading_resolution(tmp_path: Path) -> None:
    # At 300 dpi Tesseract 5.3's fas model loses whole short lines it reads at 150-200.
    lines = PERSIAN_LINES
    page = render_page(lines, dpi=DPI, font_pt=12, line_spacing=1.6)
    read = read_page(_scan(tmp_path, page, dpi=DPI), 1, options=PageOptions())
    target = PageOptions().read_dpi
    assert target < DPI and read.clean.dpi == target and f"read at {target}" in read.clean.steps
    assert read.image.shape[0] == pytest.approx(page.shape[0] * target / DPI, abs=2)
    assert word_recall(read.reading.text, lines) >= 0.9


@pytest.mark.slow
def test_an_english_page_falls_back_to_every_language(tmp_path: Path) -> None:
    lines = ENGLISH_LINES[:6]
    page = render_page(lines, dpi=DPI, rtl=False, line_spacing=1.6)
    read = read_page(_scan(tmp_path, page, dpi=DPI), 1, options=PageOptions())
    assert "Municipality" in read.reading.text and word_recall(read.reading.text, lines) >= 0.9
    assert read.reading.confidence >= 80


@pytest.mark.slow
def test_fas_alone_keeps_latin_junk_off_persian_lines() -> None:
    lines = PERSIAN_LINES[:6]
    page = render_page(lines, dpi=150, font_pt=12, line_spacing=1.6)
    text = recognize(page, lang="fas", dpi=150).text
    assert word_recall(text, lines) >= 0.9
    assert not any(c.isascii() and c.isalpha() for c in text)


@pytest.mark.slow
def test_english_lines_on_a_persian_page_are_read_in_english(tmp_path: Path) -> None:
    """`fas` alone reads an English line as Persian-looking junk; that line is read again
    with `eng` and replaced, the Persian lines keep their Persian reading."""
    english = ENGLISH_LINES[:2]
    persian = PERSIAN_LINES[:6]
    page = render_page([*persian[:4], *english, *persian[4:]], dpi=180, rtl=None, font_pt=12, line_spacing=1.6)
    scan = _scan(tmp_path, page, dpi=180)
    per_page = read_page(scan, 1, options=PageOptions(line_languages=False))
    per_line = read_page(scan, 1, options=PageOptions())
    assert word_recall(per_page.reading.text, english) < 0.5  # the regression this guards
    assert "Municipality" in per_line.reading.text and word_recall(per_line.reading.text, english) >= 0.9
    assert word_recall(per_line.reading.text, persian) >= 0.95
    assert per_line.reading.confidence > per_page.reading.confidence
    lines = per_line.reading.text.splitlines()  # the English lines stay where they were printed
    assert lines.index(next(t for t in lines if "Municipality" in t)) == 4


@pytest.mark.slow
def test_a_stamped_persian_line_is_not_turned_into_english() -> None:
    from ocr.page import _other_language_lines

    lines = PERSIAN_LINES[:6]
    page = degrade(render_page(lines, dpi=150, font_pt=12, line_spacing=1.6), dpi=150, seed=4, noise=40.0)
    first = recognize(page, lang="fas", dpi=150)
    weak = Reading(
        tuple(replace(w, conf=min(w.conf, 30.0)) for w in first.words), first.text, 30.0
    )  # every line looks weak: each is read again in English, none may be taken
    again = _other_language_lines(page, weak, 150, PageOptions())
    assert not any(c.isascii() and c.isalpha() for c in again.text)
    assert again.words == weak.words


@pytest.mark.slow
def test_second_look_reads_a_line_the_first_reading_lost(tmp_path: Path) -> None:
    from ocr.page import _second_look

    lines = PERSIAN_LINES[:4]
    page = render_page(lines, dpi=150, font_pt=12, line_spacing=2.2)
    full = recognize(page, lang="fas", dpi=150)
    lost_line = max(w.line for w in full.words if w.block == 1 and w.par == 1)
    kept = tuple(w for w in full.words if not (w.block == 1 and w.par == 1 and w.line == lost_line))
    partial = Reading(kept, "", 80.0)
    found = _second_look(page, partial, 150, PageOptions())
    assert len(found.words) > len(kept)
    assert all(type(v) is int for w in found.words for v in w.box)  # the catalog stores them as JSON
    assert word_recall(found.text, lines) >= word_recall(full.text, lines) - 0.05


def _stamped(page: np.ndarray, *, level: int, centre: tuple[int, int], radius: int) -> np.ndarray:
    """A rubber-stamp ring with bars in lighter ink over the page, darkening what is under it."""
    import cv2

    stamp = np.full_like(page, 255)
    x, y = centre
    cv2.circle(stamp, centre, radius, level, thickness=12)
    for dy in (-radius // 3, 0, radius // 3):
        cv2.line(stamp, (x - radius + 20, y + dy), (x + radius - 20, y + dy + 15), level, thickness=8)
    return (page.astype(np.uint16) * stamp // 255).astype(np.uint8)  # ink multiplies


def test_keep_darkest_ink_drops_the_stamp_and_keeps_the_type() -> None:
    from ocr.page import keep_darkest_ink

    page = render_page(PERSIAN_LINES[:4], dpi=180, font_pt=12, line_spacing=1.6)
    stamped = _stamped(page, level=120, centre=(page.shape[1] // 2, 200), radius=140)
    kept = keep_darkest_ink(stamped)
    stamp_only = (page == 255) & (stamped < 200)
    type_core = page < 60
    assert np.mean(kept[stamp_only] == 255) > 0.99
    assert np.mean(kept[type_core] < 128) > 0.97
    plain = keep_darkest_ink(page)  # no stamp: the type keeps its core
    assert np.mean(plain[type_core] < 128) > 0.97


@pytest.mark.slow
def test_second_look_reads_a_signature_block_under_a_stamp() -> None:
    """The two typed lines of a signature block, a stamp over them, lost by the first
    reading: the second look reads them once the stamp's lighter ink is set aside."""
    from ocr.page import _second_look
    from ocr.tesseract import recognize_region

    body, block = PERSIAN_LINES[:4], PERSIAN_LINES[6:8]
    page = render_page([*body, "", "", *block], dpi=180, font_pt=12, line_spacing=1.6)
    rows = np.flatnonzero((page < 128).any(axis=1))
    top_of_block = round(128 + 6 * 0.99 * 12 / 72 * 180 * 1.6) - 10  # the block's first row
    block_rows = rows[rows >= top_of_block]
    centre = (page.shape[1] // 2, int((block_rows[0] + block_rows[-1]) // 2))
    page = _stamped(page, level=120, centre=centre, radius=140)
    first = recognize(page, lang="fas", dpi=180)
    kept = tuple(wd for wd in first.words if wd.top + wd.height < top_of_block)
    found = _second_look(page, Reading(kept, "", 90.0), 180, PageOptions())
    read = " ".join(wd.text for wd in found.words[len(kept) :])
    assert word_recall(read, block) >= 0.8
    h, w = page.shape
    region = (0, top_of_block, w, int(block_rows[-1]) + 20 - top_of_block)
    as_is = recognize_region(page, region, lang="fas", dpi=180, block=1)
    assert word_recall(" ".join(wd.text for wd in as_is), block) < word_recall(read, block)


@pytest.mark.slow
def test_second_look_reads_table_cells_the_first_reading_lost() -> None:
    """A form's rules join every unread cell into one table-sized blob; with the rules
    painted out the second look finds and reads the cells."""
    from ocr.clean import remove_rules
    from ocr.page import _second_look
    from tests.test_clean import _form

    page, cells, _grid = _form(dpi=180)
    full = recognize(page, lang="fas", dpi=180)
    h = page.shape[0]
    lost = [wd for wd in full.words if h * 0.35 < wd.top < h * 0.55]  # a band of rows unread
    kept = tuple(wd for wd in full.words if wd not in lost)
    assert lost and kept
    found = _second_look(remove_rules(page, dpi=180), Reading(kept, "", 90.0), 180, PageOptions())
    read = " ".join(wd.text for wd in found.words[len(kept) :])
    assert word_recall(read, [" ".join(wd.text for wd in lost)]) >= 0.8


@pytest.mark.slow
def test_osd_has_no_opinion_on_a_blank_page() -> None:
    assert osd(np.full((1240, 874), 255, np.uint8), dpi=150) is None


# ------------------------------------------------------------------ end to end (slow)


@pytest.mark.slow
def test_ingest_then_search_finds_a_phrase_from_a_rotated_skewed_low_dpi_page(tmp_path: Path) -> None:
    from cli import cli

    page = render_page(PERSIAN_LINES[:8], dpi=150, font_pt=12, line_spacing=1.6)
    scan = degrade(page, rotate=180, skew=3.0, uneven=True, border=True, dpi=150)
    folder = tmp_path / "scans" / "dossier-1"
    folder.mkdir(parents=True)
    Image.fromarray(scan).save(folder / "scan_01.png")  # no dpi in the file either
    archive = tmp_path / "archive"
    runner = CliRunner()
    ingest = runner.invoke(cli, ["ingest", str(tmp_path / "scans"), "--archive", str(archive), "--jobs", "1"])
    assert ingest.exit_code == 0, ingest.output
    search = runner.invoke(cli, ["search", "عقب‌نشینی سه متر", "--json", "--archive", str(archive)])
    assert search.exit_code == 0, search.output
    hits = json.loads(search.output)["hits"]
    assert [(h["source"], h["page"]) for h in hits] == [("dossier-1/scan_01.png", 1)]


@pytest.mark.slow
def test_recipes_are_compared_before_the_word_checks_which_run_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks change words and their confidences. The recipes are compared on what
    Tesseract read, and only the chosen reading is checked: a correction must not decide
    which cleaning wins, and it costs one page's work, not two."""
    import ocr.page as page_module

    checked: list[np.ndarray] = []
    real = page_module._checked

    def counting(image: np.ndarray, *args: object) -> object:
        checked.append(image)
        return real(image, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(page_module, "_checked", counting)
    page = render_page(PERSIAN_LINES[:4], dpi=150, font_pt=12, line_spacing=1.6)
    read = read_page(_scan(tmp_path, page, dpi=150), 1, options=PageOptions(second_chance_below=101))
    assert [recipe for recipe, _ in read.tried] == ["standard", "strong"]
    assert len(checked) == 1 and checked[0] is read.image
    assert word_recall(read.reading.text, PERSIAN_LINES[:4]) >= 0.9


@pytest.mark.slow
def test_an_unsure_latin_number_is_read_again_in_english() -> None:
    """`fas` read a clean serif 3183750813 beside a Persian label as ``32-9-13(`` at
    confidence 32 (the bench's 1381 permit); `eng` reads the same box surely."""
    from ocr.page import latin_numbers

    face = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 30)
    image = Image.new("L", (420, 90), 255)
    ImageDraw.Draw(image).text((30, 25), "3183750813", font=face, fill=20)
    gray = np.asarray(image)
    [word] = recognize(gray, lang="eng", dpi=180, psm=7).words
    misread = replace(word, text="32-9-13(", conf=32.0)
    assert [w.text for w in latin_numbers(gray, [misread], dpi=180)] == ["3183750813"]
    persian = replace(word, text="۳۲-۹-۱۳(", conf=32.0)  # Persian digits: not eng's to read
    sure = replace(word, text="3183750818", conf=91.0)  # a sure reading stays
    assert latin_numbers(gray, [persian], dpi=180) == [persian]
    assert latin_numbers(gray, [sure], dpi=180) == [sure]
