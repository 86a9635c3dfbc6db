"""A page's own date: the header's تاریخ, not a date its body quotes; and every date's box.

The end-to-end test holds every bundled sample page's date against samples/ground_truth.json
through what planners see: `export`, `search --json` (and its --from/--to) and `parcel`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from indexer.identifiers import document_date, extract
from ocr.types import Word


def _date(text: str, words: list[Word] | None = None) -> str | None:
    found = document_date(text, extract(text, words))
    return found.canonical if found else None


LETTER = (
    "بسمه تعالی\nشهرداری کرج\nمعاونت شهرسازی و معماری\nشماره: ۳۳۲۹۷/۸۷\nتاریخ: ۱۳۸۷/۰۴/۱۶\n"
    "پیوست: ندارد\nاحتراماً، بازگشت به نامه شماره ۷۵۵۰/۸۶ مورخ ۱۳۸۶/۰۶/۲۸ در خصوص ملک واقع در کرج"
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        (LETTER, "2008-07-06"),
        # the body read before the letterhead (OCR's block order): the labelled date still wins
        ("بر اساس پروانه شماره ٢٤٠٠ مورخ ١٣٨٦/١١/١٢ تکمیل گردیده است.\nتاريخ: ١٣٨٧/٠٤/١٦", "2008-07-06"),
        # a ruling: تاریخ جلسه, and a body date after در تاریخ
        ("تاریخ جلسه: ۱۳۸۶/۱۲/۱۳\nبر اساس بازدید کارشناس در تاریخ ۱۳۸۱/۰۴/۲۷، ملک مذکور", "2008-03-03"),
        ("در تاریخ ۱۳۸۱/۰۴/۲۷ بازدید شد\nتاریخ صدور: ۱۳۸۱/۱۰/۲۵", "2003-01-15"),
        # OCR read the label's ت as ن, and lost the colon
        ("به موجب گزارش مورخ ۱۳۹۶/۰۵/۰۳\nناریخ ۱۳۹۶/۰۶/۱۴", "2017-09-05"),
        ("Date: 1396/07/12\nThe owner applied for a building permit on 1396/05/28.", "2017-10-04"),
        ("An inspection on 1396/06/23 found excess.\nDate of issue: 1396/07/12", "2017-10-04"),
        # no label anywhere: an unlabelled date before a quoted one, then the first
        ("۱۳۸۴/۰۶/۱۲\nنامه مورخ ۱۳۸۳/۰۱/۰۵", "2005-09-03"),
        ("نامه مورخ ۱۳۸۳/۰۱/۰۵ و نامه مورخ ۱۳۸۴/۰۶/۱۲", "2004-03-24"),
        # an impossible date is never the page's
        ("تاریخ: ۱۳۸۴/۱۳/۴۰\nنامه مورخ ۱۳۸۳/۰۱/۰۵", "2004-03-24"),
        ("متن بدون تاریخ", None),
    ],
)
def test_the_page_date_is_the_headers(text: str, iso: str | None) -> None:
    assert _date(text) == iso


def _row(texts: list[str], top: int, *, line: int, right: int = 1100) -> list[Word]:
    """One OCR line of right-to-left words, from the right edge leftwards."""
    out, x = [], right
    for text in texts:
        width = 12 * len(text)
        x -= width
        out.append(Word(text, 91.0, x, top, width, 20, 1, 1, line))
        x -= 10
    return out


def test_letterhead_dates_get_their_boxes_when_text_and_ocr_order_differ() -> None:
    """Tesseract runs the letterhead's two columns into one line (شهرداری کرج … شماره: …) while
    the page text reads them column by column: the header's date was left without a box."""
    words = (
        _row(["شهرداری", "کرج"], 160, line=1) + _row(["شماره:", "۳۳۲۹۷/۸۷"], 160, line=1, right=480)
        + _row(["معاونت", "شهرسازی", "و", "معماری"], 200, line=2)
        + _row(["تاریخ:", "۱۳۸۷/۰۴/۱۶"], 200, line=2, right=480)
        + _row(["شهرداری", "منطقه", "۱۰"], 236, line=3) + _row(["پیوست:", "ندارد"], 236, line=3, right=480)
        + _row(["بر", "اساس", "پروانه", "شماره", "۲۴۰۰", "مورخ", "۱۳۸۶/۱۱/۱۲", "تکمیل", "گردیده", "است."], 470, line=4)
    )  # fmt: skip
    text = (
        "شهرداری کرج\nمعاونت شهرسازی و معماری\nشهرداری منطقه ۱۰\nشماره: ۳۳۲۹۷/۸۷\nتاریخ: ۱۳۸۷/۰۴/۱۶\n"
        "پیوست: ندارد\nبر اساس پروانه شماره ۲۴۰۰ مورخ ۱۳۸۶/۱۱/۱۲ تکمیل گردیده است."
    )
    found = extract(text, words)
    boxes = {i.canonical: i.box for i in found}
    by_text = {w.text: w for w in words}
    for canonical, written in [("2008-07-06", "۱۳۸۷/۰۴/۱۶"), ("2008-02-01", "۱۳۸۶/۱۱/۱۲"), ("33297/87", "۳۳۲۹۷/۸۷")]:
        w = by_text[written]
        assert boxes[canonical] == (w.left, w.top, w.width, w.height), canonical
    assert _date(text, words) == "2008-07-06"


def test_a_common_word_out_of_place_gets_no_box_rather_than_a_wrong_one() -> None:
    from indexer.identifiers import clean_text
    from indexer.identifiers.words import _align_words

    text = "و ۱۳۸۴/۰۶/۱۲ و\nنامه و پاسخ"
    words = [Word("نامه", 90, 500, 100, 40, 20, 1, 1, 2), Word("و", 90, 470, 100, 8, 20, 1, 1, 2),
             Word("و", 90, 400, 10, 8, 20, 1, 1, 1)]  # fmt: skip
    spans = _align_words(clean_text(text), words)
    assert [(text[s:e], i) for s, e, i in spans] == [("نامه", 0), ("و", 1)]


def test_a_repeated_word_out_of_order_goes_where_the_words_after_it_follow() -> None:
    """Two تاریخ labels, both far from where OCR's order has got to: each goes to the one
    its own date follows."""
    from indexer.identifiers import clean_text
    from indexer.identifiers.words import _align_words

    body = "احتراماً در خصوص پرونده مذکور به اطلاع می‌رساند که بررسی انجام شد و نتیجه اعلام گردید"
    text = f"تاریخ: ۱۳۸۶/۰۱/۰۱\n{body}\nتاریخ: ۱۳۸۷/۰۴/۱۶\nپایان"
    order = [*body.split(), "پایان", "تاریخ:", "۱۳۸۷/۰۴/۱۶", "تاریخ:", "۱۳۸۶/۰۱/۰۱"]
    words = [Word(t, 90, 1000 - 40 * i, 10 * i, 30, 20, 1, 1, i) for i, t in enumerate(order)]
    clean = clean_text(text)
    at = {i: s for s, _e, i in _align_words(clean, words)}
    late, early = order.index("تاریخ:"), len(order) - 2
    assert at[late] == clean.index("تاریخ: 1387") and at[early] == clean.index("تاریخ: 1386")


# -- end to end over the bundled samples ---------------------------------------------------


def _invoke(*args: str) -> dict | list:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if args[0] == "export":
        return [json.loads(line) for line in result.output.splitlines()]
    return json.loads(result.output)


@pytest.mark.slow
def test_every_sample_page_has_its_ground_truth_date(ingested: Path, ground_truth: dict) -> None:
    from indexer.dates import iso_to_jalali

    archive = ["--archive", str(ingested)]
    exported = {(r["source"], r["page"]): r for r in _invoke("export", *archive)}
    rows, wrong = [], []
    for page in ground_truth["pages"]:
        key = (page["source"], page["page"])
        stored = exported[key]["document_date"]
        rows.append(f"{page['source']} p.{page['page']}: expected {page['document_date']} "
                    f"({iso_to_jalali(page['document_date'])}), stored {stored} ({iso_to_jalali(stored)})")
        if stored != page["document_date"]:
            wrong.append(key)
    print("\n".join(["", "page date: expected vs stored", *rows]))
    assert not wrong, rows

    for dossier in sorted({p["dossier"] for p in ground_truth["pages"]}):
        result = _invoke("search", "--dossier", dossier, "--json", "--limit", "100", *archive)
        for hit in result["hits"]:
            truth = next(p for p in ground_truth["pages"] if (p["source"], p["page"]) == (hit["source"], hit["page"]))
            assert hit["date"] == truth["document_date"]
            assert hit["jalali"] == iso_to_jalali(truth["document_date"])

    # the example: 1387/04/16 is not before the end of 1386
    before_1387 = _invoke("search", "--dossier", "karaj-1386-8360", "--to", "1386/12/29", "--json", *archive)
    assert "karaj-1386-8360/scan_02.png" not in {h["source"] for h in before_1387["hits"]}
    assert {h["source"] for h in before_1387["hits"]} == {"karaj-1386-8360/scan_01.tif"}

    # parcel lists mentions oldest first, by the pages' own dates
    for plaque in sorted({i["canonical"] for p in ground_truth["pages"] for i in p["identifiers"] if i["kind"] == "plaque"}):
        mentions = _invoke("parcel", plaque, "--json", *archive)["mentions"]
        dates = [m["date"] for m in mentions]
        assert dates == sorted(dates), (plaque, dates)
        for m in mentions:
            assert m["jalali"] == iso_to_jalali(m["date"])
