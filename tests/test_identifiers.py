"""Identifier extraction, table-driven over forms written on real dossiers and OCR slips."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from indexer.identifiers import (
    Identifier,
    IdentifierError,
    canonical_query,
    clean_text,
    extract,
    jalali_to_iso,
    national_id_valid,
    postal_code_warning,
    text_from_words,
)
from ocr.types import Word

RLM, LRM, ZWNJ = "\u200f", "\u200e", "\u200c"

# (text, [(kind, canonical) or (kind, canonical, {field: value})])
FOUND = [
    # plaques: long form, section, every digit system, OCR slips, Arabic letters
    ("پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی بخش ۱۱", [("plaque", "45/123", {"section": "11"})]),
    ("پلاک ثبتی ١٢٣ فرعی از ٤٥ اصلی بخش ١١", [("plaque", "45/123", {"section": "11"})]),
    ("پلاک ثبتی 123 فرعی از 45 اصلی", [("plaque", "45/123")]),
    ("پلاك ثبتي ۱۲۳ فرعي از ۴۵ اصلي", [("plaque", "45/123")]),
    ("پلاک ثبتی ۱۲۳ فرعى از ۴۵ اصلى", [("plaque", "45/123")]),
    ("پلاک ثبتی ۱۲۳فرعی از۴۵اصلی", [("plaque", "45/123")]),
    ("پلاک ثبتی ۱۲۳ فرعی ۴۵ اصلی", [("plaque", "45/123")]),
    ("پـلاک ثـبـتـی ۱۲۳ فـرعـی از ۴۵ اصـلـی", [("plaque", "45/123")]),
    (
        "پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی واقع در بخش ۱۱ کرج",
        [("plaque", "45/123", {"section": "11"})],
    ),
    ("۱۲۳ فرعی از ۴۵ اصلی، بخش ثبتی ۱۱", [("plaque", "45/123", {"section": "11"})]),
    ("پلاک ثبتی ۴۵ اصلی ۱۲۳ فرعی", [("plaque", "45/123")]),
    ("۱۲۳ و ۱۲۴ فرعی از ۴۵ اصلی", [("plaque", "45/123"), ("plaque", "45/124")]),
    ("پلاک ۴۵ اصلی", [("plaque", "45")]),
    ("پلاک ثبتی ۴۵ اصلی بخش ۱۱", [("plaque", "45", {"section": "11"})]),
    ("پلاک ۴۵/۱۲۳", [("plaque", "45/123")]),
    ("پلاک: ۴۵/۱۲۳", [("plaque", "45/123")]),
    ("پلاک ثبتی شماره ۴۵/۱۲۳", [("plaque", "45/123")]),
    ("پلاک ۴۵ / ۱۲۳", [("plaque", "45/123")]),
    ("پلاک ۴۵" + RLM + "/" + RLM + "۱۲۳", [("plaque", "45/123")]),
    ("پلای ۴۵/۱۲۳", [("plaque", "45/123")]),
    ("پلاك ۴٥/١٢3", [("plaque", "45/123")]),
    ("Registration plaque 45/123", [("plaque", "45/123")]),
    ("Registration plaque 45/123, Section 11", [("plaque", "45/123", {"section": "11"})]),
    ("Plaque No. 45/123", [("plaque", "45/123")]),
    ("Registration plaque 45", [("plaque", "45")]),
    # an RTL A/F read the other way round, settled by the long form on the same page
    ("پلاک ۱۲۳/۴۵، یعنی ۱۲۳ فرعی از ۴۵ اصلی", [("plaque", "45/123"), ("plaque", "45/123")]),
    # renovation codes, including Tesseract's reversed groups
    ("کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی: ۰۰۰-۰۰۰-۰۱۲-۱۲۳-۰۳-۰۸", [("renovation_code", "08-03-123-012-000-000")]),
    ("كد نوسازي: ٠٨-٠٣-١٢٣-٠١٢-٠٠٠-٠٠٠", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی ۰۸-۰۳-۱۲۳-012-000-000", [("renovation_code", "08-03-123-012-000-000")]),
    ("کدنوسازی ۰۸ـ۰۳ـ۱۲۳ـ۰۱۲ـ۰۰۰ـ۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی ۰۸ - ۰۳ - ۱۲۳ - ۰۱۲ - ۰۰۰ - ۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی ۰۸ ۰۳ ۱۲۳ ۰۱۲ ۰۰۰ ۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی ۰۸۰۳۱۲۳۰۱۲۰۰۰۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    (
        "کد نوسازی: ۰۸" + LRM + "-" + LRM + "۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰",
        [("renovation_code", "08-03-123-012-000-000")],
    ),
    ("کد نوساری ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰", [("renovation_code", "08-03-123-012-000-000")]),
    ("کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲", [("renovation_code", "08-03-123-012")]),
    ("کد نوسازی: ۰۱۲-۱۲۳-۰۳-۰۸", [("renovation_code", "08-03-123-012")]),
    ("Renovation code 08-03-123-012-000-000", [("renovation_code", "08-03-123-012-000-000")]),
    (
        "کد نوسازی: ۱۲۳-۴۵۶",
        [("renovation_code", "123-456", {"warning": "renovation code does not have the 2-2-3-3-3-3 shape"})],
    ),
    # postal codes
    ("کد پستی ۳۱۴۵۶۷۸۹۱۳", [("postal_code", "3145678913")]),
    ("کد پستی: ۳۱۴۵۶-۷۸۹۱۳", [("postal_code", "3145678913")]),
    ("کد پستی: ۷۸۹۱۳-۳۱۴۵۶", [("postal_code", "3145678913")]),
    ("کد پستی ۳۱۴۵۶ ۷۸۹۱۳", [("postal_code", "3145678913")]),
    ("کد پستی ۳۱۴56۷۸۹۱۳", [("postal_code", "3145678913")]),
    ("كد پستي ٣١٤٥٦٧٨٩١٣", [("postal_code", "3145678913")]),
    ("کدپستی ۳۱۴۵۶" + RLM + "-" + RLM + "۷۸۹۱۳", [("postal_code", "3145678913")]),
    ("31456-78913", [("postal_code", "3145678913")]),
    ("نشانی: کرج، مهرشهر ۷۸۹۱۳-۳۱۴۵۶", [("postal_code", "3145678913")]),
    ("Postal code: 31456-78913", [("postal_code", "3145678913")]),
    # 0/2 in the first five digits: as written it is wrong, reversed it is right
    ("کد پستی: ۷۸۹۰۱-۳۱۴۵۶", [("postal_code", "3145678901")]),
    (
        "کد پستی: ۴۵۶۷۸-۹۱۳۴۵",
        [("postal_code", "4567891345", {"valid": True, "warning": "digit groups in a right-to-left line: order assumed as written"})],
    ),
    ("کد پستی: ۷۸۹۱۳-۳۰۴۵۶", [("postal_code", "7891330456")]),
    (
        "Postal code: 10234-56789",
        [("postal_code", "1023456789", {"valid": False, "warning": "postal code has 0 or 2 in its first five digits"})],
    ),
    # national ids
    ("کد ملی ۰۰۸۴۵۷۵۹۴۸", [("national_id", "0084575948")]),
    ("کد ملی: ۰۰۸-۴۵۷۵۹۴-۸", [("national_id", "0084575948")]),
    ("کد ملی: ۸-۴۵۷۵۹۴-۰۰۸", [("national_id", "0084575948")]),
    ("كد ملي ٠٠٨٤٥٧٥٩٤٨", [("national_id", "0084575948")]),
    ("کد" + ZWNJ + "ملی " + LRM + "۰۰۸۴۵۷۵۹۴۸" + RLM, [("national_id", "0084575948")]),
    ("شماره ملی: ۰۴۹۹۳۷۰۸۹۹", [("national_id", "0499370899")]),
    ("کد ملی ۹۰۷۴۸۳۳۷۸۰", [("national_id", "9074833780")]),
    ("کد ملی ۳۰۴۰۱۱۹۸۰۱", [("national_id", "3040119801")]),
    ("National ID: 0013542419", [("national_id", "0013542419")]),
    (
        "کد ملی ۸۴۵۷۵۹۴۸",
        [("national_id", "0084575948", {"warning": "national id padded with leading zeros"})],
    ),
    # file numbers
    ("شماره: ۱۲۳۴۵/۸۶", [("file_number", "12345/86")]),
    ("شماره پرونده ۱۲۳۴۵/۸۶", [("file_number", "12345/86")]),
    ("شماره پرونده: ۱۲۳۴۵", [("file_number", "12345")]),
    ("شماره: ۸۶/۱۲۳۴۵", [("file_number", "12345/86")]),
    ("شماره:۱۲۳۴۵-۸۶", [("file_number", "12345-86")]),
    ("شماره پرونده ١٢٣٤٥ / ٨٦", [("file_number", "12345/86")]),
    ("File No. 12345/86", [("file_number", "12345/86")]),
    ("File number: 12345/86", [("file_number", "12345/86")]),
    # permit numbers
    ("شماره پروانه: ۶۰۷۹", [("permit_number", "6079")]),
    ("شماره پروانه ساختمانی ۶۰۷۹", [("permit_number", "6079")]),
    ("پروانه ساختمانی شماره ۶۰۷۹", [("permit_number", "6079")]),
    ("شماره بروانه: ٦٠٧٩", [("permit_number", "6079")]),
    ("Building permit no. 6079", [("permit_number", "6079")]),
    # dates
    ("تاریخ ۱۳۸۴/۰۶/۱۲", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("تاریخ ۱۲/۰۶/۱۳۸۴", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("مورخ ۱۳۸۴.۰۶.۱۲", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("مورخ ۱۳۸۴-۰۶-۱۲", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("مورخ ۸۴/۶/۱۲", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("مورخ ۱۲/۶/۸۴", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("تاریخ ١٣٨٤/٠٦/١٢", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("تاریخ ۱۳۸۴" + RLM + "/" + RLM + "۰۶" + RLM + "/۱۲", [("date", "2005-09-03")]),
    ("تاریخ ۱۳۸۴ / ۶ / ۱۲", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("Date: 2005-09-03", [("date", "2005-09-03", {"jalali": "1384/06/12"})]),
    ("۱۴۰۳/۱۲/۳۰", [("date", "2025-03-20", {"jalali": "1403/12/30"})]),
    ("۱۳۰۰/۰۱/۰۱", [("date", "1921-03-21", {"jalali": "1300/01/01"})]),
    # several kinds on one page, each once, in page order
    (
        "پلاک ثبتی شماره ۴۵/۱۲۳ مورخ ۱۳۸۴/۰۶/۱۲",
        [("plaque", "45/123"), ("date", "2005-09-03")],
    ),
    (
        "پلاک ۴۵/۱۲۳ به مساحت ۲۴۵/۵۰ متر مربع، کد پستی ۳۱۴۵۶۷۸۹۱۳",
        [("plaque", "45/123"), ("postal_code", "3145678913")],
    ),
    (
        "شماره پروانه: ۶۰۷۹ مورخ ۱۳۸۴/۰۶/۱۲\nکد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰",
        [("permit_number", "6079"), ("date", "2005-09-03"), ("renovation_code", "08-03-123-012-000-000")],
    ),
]  # fmt: skip

NOT_FOUND = [
    "مساحت ۲۴۵/۵۰ متر مربع",
    "مساحت ۲۴۵٫۵۰ متر مربع",
    "به مساحت ۱۲۰/۵ مترمربع",
    "پلاک ۲۴۵/۵۰ متر مربع",
    "پلاک ۱۲",
    "خیابان اصلی، کوچه ۱۲",
    "۱۳۸۴/۱۳/۴۰",
    "۱۳۸۴/۰۷/۳۱",
    "۱۴۰۲/۱۲/۳۰",
    "۱۲۸۴/۰۶/۱۲",
    "۱۴۱۰/۰۱/۰۱",
    "1850-01-01",
    "کد ملی ۰۰۸۴۵۷۵۹۴۹",
    "کد ملی ۱۱۱۱۱۱۱۱۱۱",
    "کد ملی ۰۰۰۰۰۰۰۰۰۰",
    "کد ملی ۱۲۳۴۵",
    "کد پستی ۳۱۴۵۶۷۸۹",
    "۳۱۴۵۶۷۸۹۱۳",
    "۱۲۳۴۵۶۷۸۹۰ ریال",
    "شماره ۱۲۳۴۵",
    "تلفن: ۰۲۶-۳۴۵۶۷۸۹۰",
    "تلفن ۳۴۵۶۷-۸۹۰۱۲",
    "Tel: 31456-78913",
    "همراه ۰۹۱۲۳۴۵۶۷۸۹",
    "شماره تماس: ۰۹۱۲-۳۴۵-۶۷۸۹",
    "نسخه ۱.۲.۳",
    "IP 192.168.1.10",
    "ساعت ۱۰:۳۰",
    "۴۵/۱۲۳",
    "متن بدون شماره",
]


def _expected(row: tuple[Any, ...]) -> dict[str, Any]:
    kind, canonical, *rest = row
    return {"kind": kind, "canonical": canonical, **(rest[0] if rest else {})}


def _subset(found: Identifier, want: dict[str, Any]) -> dict[str, Any]:
    return {key: getattr(found, key) for key in want}


@pytest.mark.parametrize(("text", "expected"), FOUND, ids=[row[0] for row in FOUND])
def test_extract_finds(text: str, expected: list[tuple[Any, ...]]) -> None:
    found = extract(text)
    wants = [_expected(row) for row in expected]
    assert [_subset(f, want) for f, want in zip(found, wants, strict=False)] == wants
    assert len(found) == len(wants)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_extract_ignores(text: str) -> None:
    assert extract(text) == []


def test_dates_and_decimals_are_never_plaques_or_file_numbers() -> None:
    kinds = {
        found.kind
        for found in extract(
            "پلاک ۱۳۸۴/۰۶/۱۲ شماره: ۱۳۸۴/۰۶/۱۲ شماره پرونده ۱۳۸۴/۰۶/۱۲ مساحت ۲۴۵/۵۰ متر"
        )
    }
    assert kinds == {"date"}


def test_text_keeps_the_page_spelling_and_offsets_point_into_the_input() -> None:
    page = "سند مالکیت\u200f پلاك ثبتي ۱۲۳ فرعى از ۴۵ اصلى بخش ۱۱ كرج"
    (plaque,) = extract(page)
    assert plaque.text == "۱۲۳ فرعى از ۴۵ اصلى"
    assert page[plaque.start : plaque.end] == plaque.text
    assert plaque.section == "11"


def test_offsets_survive_removed_marks() -> None:
    page = "\u200f\u200fتاریخ\u200e ۱۳۸۴\u200f/۰۶\u200f/۱۲ و کد ملی ۰۰۸۴۵۷۵۹۴۸"
    date, national_id = extract(page)
    assert page[date.start : date.end] == "۱۳۸۴\u200f/۰۶\u200f/۱۲"
    assert date.text == "۱۳۸۴/۰۶/۱۲"
    assert page[national_id.start : national_id.end] == "۰۰۸۴۵۷۵۹۴۸"


def test_clean_text() -> None:
    assert clean_text("كد\u200f نوسازي: ۰۸ـ۰۳\u2013١٢٣") == "کد نوسازی: 08-03-123"
    assert clean_text("کِتاب\u200cها ۲۴۵٫۵") == "کتاب ها 245.5"
    assert clean_text("سطر\nسطر") == "سطر\nسطر"


# --- boxes and confidences from OCR words ----------------------------------------------


def _line(*cells: tuple[str, int, float], line: int = 1) -> list[Word]:
    """Words of one line: (text, left, conf), 10 px high, widths from the text length."""
    return [
        Word(
            text=text,
            conf=conf,
            left=left,
            top=100 * line,
            width=8 * len(text),
            height=10,
            line=line,
        )
        for text, left, conf in cells
    ]


def test_box_and_confidence_cover_the_identifier_words() -> None:
    words = _line(
        ("پلاک", 400, 96.0),
        ("ثبتی", 350, 95.0),
        ("۱۲۳", 310, 91.0),
        ("فرعی", 260, 88.5),
        ("از", 240, 97.0),
        ("۴۵", 220, 72.0),
        ("اصلی", 170, 90.0),
        ("بخش", 130, 40.0),
    )
    text = text_from_words(words)
    assert text == "پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی بخش"
    (plaque,) = extract(text, words)
    assert plaque.canonical == "45/123"
    assert plaque.confidence == 72.0  # the weakest word of the value, not of the line
    assert plaque.box == (170, 100, 310 + 24 - 170, 10)
    assert plaque.to_dict()["box"] == [170, 100, 164, 10]


def test_text_is_built_from_words_when_not_given() -> None:
    words = _line(("کد", 300, 90.0), ("پستی", 250, 90.0), ("۳۱۴۵۶۷۸۹۱۳", 100, 81.0))
    words += _line(("تاریخ", 300, 90.0), ("۱۳۸۴/۰۶/۱۲", 150, 64.0), line=2)
    postal, date = extract("", words)
    assert (postal.canonical, postal.confidence, postal.box) == (
        "3145678913",
        81.0,
        (100, 100, 80, 10),
    )
    assert (date.canonical, date.confidence, date.box) == ("2005-09-03", 64.0, (150, 200, 80, 10))


def test_negative_confidences_are_ignored_and_no_words_means_no_box() -> None:
    words = _line(("شماره:", 300, -1.0), ("۱۲۳۴۵/۸۶", 200, -1.0))
    (number,) = extract("", words)
    assert number.box == (200, 100, 64, 10)
    assert number.confidence is None
    (bare,) = extract("شماره: ۱۲۳۴۵/۸۶")
    assert bare.box is None and bare.confidence is None


@pytest.mark.parametrize(
    ("left_of_31456", "left_of_78913", "canonical"),
    [(100, 180, "3145678913"), (180, 100, "7891331456")],
)
def test_word_boxes_decide_the_order_of_split_groups(
    left_of_31456: int, left_of_78913: int, canonical: str
) -> None:
    # An RTL line lists words right to left; the page shows the number left to right.
    words = _line(
        ("کد", 320, 90.0), ("پستی", 260, 90.0), ("۷۸۹۱۳", left_of_78913, 90.0),
        ("۳۱۴۵۶", left_of_31456, 90.0),
    )  # fmt: skip
    (postal,) = extract(text_from_words(words), words)
    assert postal.canonical == canonical


def test_word_boxes_order_a_split_plaque_and_renovation_code() -> None:
    plaque_words = _line(
        ("پلاک", 300, 90.0), ("۱۲۳", 200, 90.0), ("/", 185, 90.0), ("۴۵", 160, 90.0)
    )
    (plaque,) = extract(text_from_words(plaque_words), plaque_words)
    assert plaque.canonical == "45/123"

    cells = [("کد", 500, 90.0), ("نوسازی:", 430, 90.0)]
    for position, group in enumerate(["۰۰۰", "۰۰۰", "۰۱۲", "۱۲۳", "۰۳", "۰۸"]):
        cells.append((group, 380 - 40 * position, 90.0))
    code_words = _line(*cells)
    (code,) = extract(text_from_words(code_words), code_words)
    assert code.canonical == "08-03-123-012-000-000"


def test_words_on_different_lines_do_not_reorder() -> None:
    words = _line(("شماره:", 300, 90.0), ("۱۲۳۴۵/", 100, 90.0))
    words += _line(("۸۶", 300, 90.0), line=2)
    (number,) = extract("شماره: ۱۲۳۴۵/۸۶", words)
    assert number.canonical == "12345/86"


# --- canonical_query -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "canonical"),
    [
        ("plaque", "۴۵/۱۲۳", "45/123"),
        ("plaque", "٤٥/١٢٣", "45/123"),
        ("plaque", " 45 / 123 ", "45/123"),
        ("plaque", "۴۵", "45"),
        ("plaque", "۱۲۳ فرعی از ۴۵ اصلی", "45/123"),
        ("renovation-code", "۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰", "08-03-123-012-000-000"),
        ("renovation_code", "0803123012000000", "08-03-123-012-000-000"),
        ("renovation-code", "000-000-012-123-03-08", "08-03-123-012-000-000"),
        ("postal-code", "31456-78913", "3145678913"),
        ("postal-code", "۳۱۴۵۶۷۸۹۱۳", "3145678913"),
        ("national-id", "۰۰۸-۴۵۷۵۹۴-۸", "0084575948"),
        ("national_id", "84575948", "0084575948"),
        ("file-number", "۱۲۳۴۵/۸۶", "12345/86"),
        ("file-number", "12345 - 86", "12345-86"),
        ("permit-number", "۶۰۷۹", "6079"),
        ("date", "۱۳۸۴/۰۶/۱۲", "2005-09-03"),
        ("date", "2005-09-03", "2005-09-03"),
    ],
)
def test_canonical_query(kind: str, value: str, canonical: str) -> None:
    assert canonical_query(kind, value) == canonical


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("plaque", "پلاک"),
        ("plaque", "45/123/7"),
        ("postal-code", "31456"),
        ("national-id", "0084575949"),
        ("national-id", "1111111111"),
        ("file-number", "دوازده"),
        ("date", "1384/13/40"),
        ("renovation-code", "کد"),
        ("colour", "1"),
    ],
)
def test_canonical_query_rejects(kind: str, value: str) -> None:
    with pytest.raises(IdentifierError):
        canonical_query(kind, value)


# --- checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0084575948", True),
        ("۰۰۸۴۵۷۵۹۴۸", True),
        ("0499370899", True),
        ("9074833780", True),  # remainder 0: check digit 0
        ("3040119801", True),  # remainder 1: check digit 1
        ("0084575949", False),
        ("3040119802", False),
        ("1111111111", False),
        ("0000000000", False),
        ("008457594", False),
        ("00845759481", False),
        ("008457594x", False),
    ],
)
def test_national_id_valid(value: str, valid: bool) -> None:
    assert national_id_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "warning"),
    [
        ("3145678913", None),
        ("۳۱۴۵۶۷۸۹۱۳", None),
        ("1023456789", "postal code has 0 or 2 in its first five digits"),
        ("3145278913", "postal code has 0 or 2 in its first five digits"),
        ("3145602000", None),
        ("314567891", "postal code must be 10 digits"),
    ],
)
def test_postal_code_warning(value: str, warning: str | None) -> None:
    assert postal_code_warning(value) == warning


@pytest.mark.parametrize(
    ("ymd", "iso"),
    [
        ((1384, 6, 12), "2005-09-03"),
        ((1403, 12, 30), "2025-03-20"),
        ((1300, 1, 1), "1921-03-21"),
        ((1402, 12, 30), None),
        ((1384, 13, 1), None),
        ((1384, 7, 31), None),
        ((1299, 12, 29), None),
        ((1406, 1, 1), None),
    ],
)
def test_jalali_to_iso(ymd: tuple[int, int, int], iso: str | None) -> None:
    assert jalali_to_iso(*ymd) == iso


# --- the value type --------------------------------------------------------------------


def test_to_dict_matches_the_export_format() -> None:
    plaque = Identifier(kind="plaque", text="۱۲۳ فرعی از ۴۵ اصلی", canonical="45/123", section="11")
    assert plaque.to_dict() == {
        "kind": "plaque",
        "text": "۱۲۳ فرعی از ۴۵ اصلی",
        "canonical": "45/123",
        "section": "11",
    }


def test_extracted_identifiers_round_trip_through_dict_and_pickle() -> None:
    words = _line(("تاریخ", 300, 90.0), ("۱۳۸۴/۰۶/۱۲", 150, 64.0))
    (date,) = extract("", words)
    as_dict = date.to_dict()
    assert as_dict["kind"] == "date" and type(as_dict["kind"]) is str
    assert as_dict["jalali"] == "1384/06/12"
    assert Identifier.from_dict(as_dict) == date
    assert pickle.loads(pickle.dumps(date)) == date
