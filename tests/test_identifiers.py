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
    mask_national_id,
    mask_personal,
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
    ("به پلاک ثبتی شماره ۹۰۳۵ فرعی .۱۵۶ اصلی", [("plaque", "156/9035")]),  # از read as a dot
    # the label garbled or merged into the word before: the section after it says plaque
    ("مالک ششدانگ پلاکی ۱۵۶/۹۰۳۵ بخش ۱۱ واقع در کرج", [("plaque", "156/9035", {"section": "11"})]),
    ("مالک ششدانگ ١٥٦/٩٠٣٥ واقع در بخش ١١", [("plaque", "156/9035", {"section": "11"})]),
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
    ("کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲", [("renovation_code", "08-03-123-012", {"valid": False})]),
    ("کد نوسازی: ۰۱۲-۱۲۳-۰۳-۰۸", [("renovation_code", "08-03-123-012", {"valid": False})]),
    ("Renovation code 08-03-123-012-000-000", [("renovation_code", "08-03-123-012-000-000")]),
    (
        "کد نوسازی: ۱۲۳-۴۵۶",
        [("renovation_code", "123-456", {"valid": False, "warning": "renovation code does not have the 2-2-3-3-3-3 shape"})],
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
    # a form's value cell on a line of its own, groups in Tesseract's right-to-left order
    ("کد پستی ملکی:\n٧٨٩١٣-٣١٤٥٦", [("postal_code", "3145678913")]),
    ("کد پستی:\n31456-78913", [("postal_code", "3145678913")]),
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
    # the card's ۴۱۵-۳۴۲۶۴۰-۷ with a hyphen read as ۱, its groups listed from the right
    (
        "کد ملی\n۳۴۲۶۴۰۱۷-۴۱۵",
        [("national_id", "4153426407", {"valid": True, "warning": "a hyphen of the card's groups read as ۱"})],
    ),
    ("كد ملي: ٤١٥-٣٤٢٦٤٠١٧", [("national_id", "4153426407")]),
    ("کد ملی: ۰۰۸-۴۵۷۵۹۴۱۸", [("national_id", "0084575948")]),
    (
        "کد ملی ۸۴۵۷۵۹۴۸",
        [("national_id", "0084575948", {"warning": "national id padded with leading zeros"})],
    ),
    # file numbers
    ("شماره: ۱۲۳۴۵/۸۶", [("file_number", "12345/86")]),
    ("شماره پرونده ۱۲۳۴۵/۸۶", [("file_number", "12345/86")]),
    ("شماره پرونده: ۱۲۳۴۵", [("file_number", "12345")]),
    ("شماره: ۸۶/۱۲۳۴۵", [("file_number", "12345/86", {"valid": True, "warning": None})]),
    (  # the comma after the number, shown on its left by an RTL line, read as a ۰ of the year
        "بازگشت به نامه شماره ۷۷۵۹۸-۸۷۰ مورخ ۱۳۸۷/۱۰/۰۵",
        [("file_number", "77598-87", {"warning": "file number year read with an extra digit"}),
         ("date", "2008-12-25")],
    ),
    (  # the same given year first, as Tesseract lists the groups of an RTL line
        "بازگشت به نامه شماره ۸۷۰-۷۷۵۹۸ مورخ ۱۳۸۷/۱۰/۰۵",
        [("file_number", "77598-87", {"warning": "file number year read with an extra digit"}),
         ("date", "2008-12-25")],
    ),
    # a form's value cell on a line of its own, its groups given from the right
    (
        "تاریخ بازدید: 1389/04/29\nشماره پرونده\n88/23180\nمنطقه",
        [("date", "2010-07-20"), ("file_number", "23180/88", {"valid": True})],
    ),
    (  # a year no date of the page allows: not taken for one, left for QA as written
        "تاریخ: ۱۳۹۱/۰۲/۱۴\nشماره ۴۵/۱۲۳ اصلی",
        [("date", "2012-05-03"), ("file_number", "123/45", {"valid": False})],
    ),
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

# Forms as Tesseract really returns them on the generated and committed scans: labels with
# ملک/آن before the value, کد lost or read as Latin letters, ف/ص/ر/د/س/م read as their
# look-alikes, a number split into words and listed right to left, ۰ lost or gained, / read
# as ۱, a digit read twice in two scripts.
OCR_FOUND = [
    (
        "کد نوسازی ملک ۰۵-۰۳-۲۰۰-۱۴۰-۰۰۰-۰۰۰ و کد پستی آن ۳۱۱۹۸۰۵۳۹۲ اعلام می‌گردد.",
        [("renovation_code", "05-03-200-140-000-000"), ("postal_code", "3119805392")],
    ),
    (
        "کد پستی ملک ٣١١١١٣٧١٥٧ و کد نوسازی آن ١٠-٠٨-٠٤١-٠٩٧-٠٠٠-٠٠٠ می‌باشد.",
        [("postal_code", "3111137157"), ("renovation_code", "10-08-041-097-000-000")],
    ),
    (
        "aS نوسازی ملک 000-000-155-112-04-03 و کد پستی آن ۳۱۶۱۹۸۸۸۸۶ اعلام",
        [("renovation_code", "03-04-112-155-000-000"), ("postal_code", "3161988886")],
    ),
    ("کد توسازی: ۰۰۰-۰۰۰-۰۴۵-۱۰۳-۰۷-۰۷", [("renovation_code", "07-07-103-045-000-000")]),
    ("کد نوسازی ملک :۰۰۰-۰۰۰-۰۲۴-۳۱۸-۰۳-۱۰", [("renovation_code", "10-03-318-024-000-000")]),
    (
        "کد نوسازی: ۰۰-۰۰۰-۰۵۶-۲۳۵-۰۳-۰۳",
        [("renovation_code", "03-03-235-056-000-000", {"valid": True, "warning": "a lost ۰ of a zero group restored"})],
    ),
    ("کد نوسازی: ۰-۱۴۰-۲۰۰-۰۳-۰۵ ۰۰۰-۰۰", [("renovation_code", "05-03-200-140-000-000")]),
    ("کد نوسازی: ۱۸-۳۵۸-۱۰-۰۸ ۰۰-۰ ۰۰-۰", [("renovation_code", "08-10-358-018-000-000")]),
    (
        "کد نوسازی: ۰-۱۴۰-۲۰۰-۰۳-۰۵",
        [("renovation_code", "05-03-200-140-0", {"valid": False})],
    ),
    ("کد نوسازی: ۰۴-۰۶ اه", [("renovation_code", "04-06", {"valid": False})]),
    # a whole code whose label OCR garbled is still a code; other six-group runs are not
    ("کد نوسازي ملكث. ۰۶-۰۳-۱۹۴-۰۳۸-۰۰۰-۰۰۰ کد پستي", [("renovation_code", "06-03-194-038-000-000")]),
    ("شماره ۰۰۰-۰۰۰-۰۳۸-۱۹۴-۰۳-۰۶ ثبت شد", [("renovation_code", "06-03-194-038-000-000")]),
    ("ردیف ۱۲-۳۴-۵۶-۷۸-۹۰-۱۲ جدول", []),
    ("کد ۰۶-۰۳-۱۹۴-۰۳۸-۰۰۰-۰۰-۰۰۰ ثبت", []),
    ("مازاد بر پروانه شماره ۱۶۲۴۱ می‌باشد", [("permit_number", "16241")]),
    # the sentence wrapped between پروانه and شماره (ساره: ش's dots and م lost)
    ("ساختمان در حال احداث مازاد بر پروانه\nشماره ۱۵۴۸۵ می‌باشد", [("permit_number", "15485")]),
    ("ساختمان در حال احداث مازاد بر پروانه\nساره ۱۵۴۸۵ می‌باشد", [("permit_number", "15485")]),
    ("بر اساس پروانه ساختمانی\nشماره ۷۷۸۶ تکمیل", [("permit_number", "7786")]),
    # ... but not a heading, nor a letterhead's office over the letter's own number
    ("پروانه ساختمانی\nشماره ۷۷۸۶", []),
    ("اداره صدور پروانه\nشماره: ۷۷۸۶/۸۵", [("file_number", "7786/85")]),
    (
        "بر اساس پروانه شماره ٢٤٠٠ مورخ ١٣٨٦/١١/١٢ تکمیل گردیده است",
        [("permit_number", "2400"), ("date", "2008-02-01", {"jalali": "1386/11/12"})],
    ),
    ("کذ پستی: ۳۱۶۱۹۸۸۸۸۶", [("postal_code", "3161988886")]),
    ("کد پشتی ملک ۳۱۶۱۸۵۱۸۱۱ و", [("postal_code", "3161851811")]),
    ("کد پستی آن\n٣١٣٤٩٨٣٥٠٦ اعلام", [("postal_code", "3134983506")]),
    ("کد پستی منک ۳۱۳۴۱۸۶۷۲۳ و کد نوسازی آن", [("postal_code", "3134186723")]),
    ("و کد.نستی آن ۳۱۳۶۹۵۶۵۶۹ اعلام می‌گردد", [("postal_code", "3136956569")]),
    ("کد نستی: ۳۱۳۶۹۵۶۵۶۹", [("postal_code", "3136956569")]),
    ("در نستی ۳۱۳۶۹۵۶۵۶۹ نوشت", []),  # نستی alone is not the label
    ("35 ملی: ۵۵۸۲۴۳۱۹۱۸", [("national_id", "5582431918")]),
    ("مالک ملک به aS ملی ۲۰۸۵۶۶۶۰۴۳ درخواست", [("national_id", "2085666043")]),
    ("پلاک ثبتی: ۳۹۲۴ خرعی از ۱۰۳ اصلی بخش ۱۱", [("plaque", "103/3924", {"section": "11"})]),
    # پلاک‌ثبتی of which OCR left پلاکی; پلاکی is also "a plaque" (no section after it here)
    ("مالک ششدانگ پلاکی ۱۵۶/۹۰۳۵ واقع در کرج", [("plaque", "156/9035")]),
    # the card's ۴۱۵-۳۴۲۶۴۰-۷ with the other - read as ۱
    ("کد ملی: ۴۱۵۱۳۴۲۶۴۰-۷", [("national_id", "4153426407")]),
    ("کد ملی: ۳۴۲۶۴۰۱۸-۴۱۵", []),  # no cut at a ۱ gives a check digit that holds
    ("پلاک ثبتی ۱۴۱۲ فرعی از .۲۳۰ chal بخش ۱۱", [("plaque", "230/1412")]),
    ("پلاك ثبتي: ۷۹۸۰ فرعي از ۳۲۹ اضلي بخش ۱۱", [("plaque", "329/7980", {"section": "11"})]),
    (
        "۹۳۳۵ فرعي از ۰ اصلي بخش ۱۱",
        [("plaque", "0/9335", {"valid": False, "warning": "a plaque number never starts with ۰"})],
    ),
    (
        "شماره: ۲۹۸۵۷۱۸۴\nتاریخ: ۱۳۸۴/۰۵/۰۲",
        [("file_number", "29857/84", {"warning": "file number separator read as a digit"}), ("date", "2005-07-24")],
    ),
    ("شماره: ۳۶۱۶۳۸۳\nتاریخ: ۱۳۸۳/۰۸/۰۶", [("file_number", "36163/83"), ("date", "2004-10-27")]),
    ("شماره پرونده: ۲۷۵۲۵/۱۸۱", [("file_number", "27525/81")]),
    ("شماره: ۳۰۵۰۳/٩۹۱\nتاریخ: ۱۳۹۱/۰۳/۰۵", [("file_number", "30503/91"), ("date", "2012-05-25")]),
    ("نامه شماره ۵۲۰۸۹/۹۲۴ مورخ ۱۳۹۴/۰۶/۰۲", [("file_number", "52089/94"), ("date", "2015-08-24")]),
    ("شهرداری کرج شماره: ۵/۹۸ ۹۶۹۷", [("file_number", "96975/98")]),
    ("در خصوص پرونده شماره ۰۶۸۵۳/۹۰ موارد ذیل", [("file_number", "6853/90")]),
    ("در خصوص پرونده شماره,۱۸۰۸۵/۹۸ موارد", [("file_number", "18085/98")]),
    ("بازگشت به نامه شمازه ۴۰۸۷۷/۹۱ مورخ", [("file_number", "40877/91")]),
    ("شهردازی TIS شماره پزونده: 18564/99", [("file_number", "18564/99")]),
    ("تاریخ: ۱۳۸۵/۱۷/۱۲", [("date", "2006-10-04", {"jalali": "1385/07/12", "warning": "date repaired from OCR slips"})]),
    ("تاریخ: ۱۳۸۵/۱۴/۲۶", [("date", "2006-07-17", {"jalali": "1385/04/26"})]),
    ("تاریخ: ۱۳۸۵۱۰۸/۲۰", [("date", "2006-11-11", {"jalali": "1385/08/20"})]),
    ("تاریخ صدور: ۱۳۸۲/۵۱۱۹", [("date", "2003-08-10", {"jalali": "1382/05/19"})]),
    ("تاریخ: ۱۳۹۱۱۰۹۱۰۳", [("date", "2012-11-23", {"jalali": "1391/09/03"})]),
    ("تاریخ: ۱۳۸۱/۰۷۱۲۴", [("date", "2002-10-16", {"jalali": "1381/07/24"})]),
    ("در تاریخ ۰۱۳۹۰/۰۷/۱۰ ملک مذکور", [("date", "2011-10-02", {"jalali": "1390/07/10", "warning": None})]),
    ("تاریخ: .۱۴۰۰/۰۵/۱۶", [("date", "2021-08-07", {"jalali": "1400/05/16"})]),
]  # fmt: skip

# What OCR slips must not be "repaired" into: a guess is worse than nothing.
OCR_NOT_FOUND = [
    "مورخ ۱۳۸۷/۰۸/۱۱۰ تکمیل",  # a stray digit after the day: 10? 11?
    "تاریخ: ۱۳۸۴/۰۷/۳۱",  # the seventh month has 30 days; no slip of / explains it
    "تاریخ: ۱۳۸۴/۱۱/۳۱",
    "شماره: ۱۲۳۴۵۶۷",  # no date on the page says which year ends it
    "عوارض نوسازی ۱۲۳۴۵۶ ریال",
    "کد نوسازی ۱۲ ۳۴",
    "صندوق پستی ۳۱۴۵-۱۲۳",
    "بانک ملی شعبه ۱۲۳",
    "۳ فرعی از ۲۴۵/۵۰ متر مربع",
    "کد ملی: ۴۱۵-۳۴۲۶۴۰۱۸",  # a ۱ for the hyphen, but no check digit holds then
]

NOT_FOUND = [
    "مساحت ۲۴۵/۵۰ متر مربع",
    "زیربنای ۸۱۱/۴۸ متر مربع بخش ۱۱",  # an area, whatever follows it
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
    "۳۱۲۴۵۶۷۸۹۱",  # ten bare digits that are neither a Karaj postal code nor a valid id
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


@pytest.mark.parametrize(("text", "expected"), OCR_FOUND, ids=[row[0] for row in OCR_FOUND])
def test_extract_reads_ocr_output(text: str, expected: list[tuple[Any, ...]]) -> None:
    test_extract_finds(text, expected)


@pytest.mark.parametrize("text", NOT_FOUND + OCR_NOT_FOUND)
def test_extract_ignores(text: str) -> None:
    assert extract(text) == []


def test_an_ambiguous_lost_slash_is_not_guessed() -> None:
    # ۸۵۵۷۱۸۷: 8557/87 with / read as ۱, or 85571/87 with / lost; only the date is sure.
    found = extract("شماره: ۸۵۵۷۱۸۷\nتاریخ: ۱۳۸۷/۰۱/۰۱")
    assert [(f.kind, f.canonical) for f in found] == [("date", "2008-03-20")]


def test_a_year_with_an_extra_digit_takes_the_year_of_the_page() -> None:
    # ۸۳۲ could be 83, 82 or 32: the letter is dated 1383.
    (number, _date) = extract("شماره: ۵۷۲۱۳/۸۳۲\nتاریخ: ۱۳۸۳/۰۴/۱۶")
    assert number.canonical == "57213/83"
    (number, _date) = extract("شماره: ۵۷۲۱۳/۸۳۲\nتاریخ: ۱۳۸۲/۰۴/۱۶")
    assert number.canonical == "57213/82"
    number, _date = extract("شماره: ۵۷۲۱۳/۸۳۲\nتاریخ: ۱۳۷۰/۰۴/۱۶")  # no year fits: kept for QA
    assert (number.canonical, number.valid) == ("57213/832", False)


def test_a_date_whose_year_ocr_read_with_a_four_for_its_three_is_repaired() -> None:
    # ۱۳۹۱ read as ۱۴۹۱ under a garbled label (تاریخ درخواست read as بارخ درخواست)
    (date,) = extract("بارخ درخواست: ۱۴۹۱/۰۲/۱۴")
    assert (date.canonical, date.jalali, date.warning) == (
        "2012-05-03", "1391/02/14", "a ۳ of the year read as ۴",
    )  # fmt: skip
    assert extract("مورخ ١٤/٠٢/١٤٩١ ")[0].jalali == "1391/02/14"  # a reversed RTL date
    # a year of the next few years may be real, 1420 could be 1320 or a garble of 1402:
    # those, and a misshapen date, stay no date
    assert extract("تاریخ: ۱۴۰۶/۰۲/۱۴") == []
    assert extract("تاریخ: ۱۴۲۰/۰۲/۱۴") == []
    assert extract("تاریخ: ۱۴۹۱/۱۳/۱۴") == []


def test_a_year_whose_nine_ocr_read_as_waw_takes_the_year_of_the_page() -> None:
    # ۸۸۱۷۷ / ۹۹ with its last ۹ read as و, which it resembles; the letter is dated 1399.
    number, _date = extract("شماره: 88177 / 9و\nتاریخ: ١٣٩٩/٠٦/٠٨")
    assert (number.canonical, number.valid, number.text) == ("88177/99", True, "88177 / 9و")
    assert number.warning == "a ۹ of the year read as و"
    # ۸و is 89 or 98: a letter of 1398 has no file of 1389 in range, but of 1398
    number, _date = extract("شماره پرونده: ۸۸۱۷۷/۸و\nتاریخ: ۱۳۹۸/۰۶/۰۸")
    assert number.canonical == "88177/98"
    for text in (
        "شماره: ۸۸۱۷۷/۹و\nتاریخ: ۱۳۹۸/۰۶/۰۸",  # 99 is after the letter's date
        "شماره: ۸۸۱۷۷/۹و",  # no date says which year
        "شماره: ۸۸۱۷۷/۹ و\nتاریخ: ۱۳۹۹/۰۶/۰۸",  # و a word of its own
        "شماره: ۸۸۱۷۷/۹وام\nتاریخ: ۱۳۹۹/۰۶/۰۸",
    ):
        number = extract(text)[0]
        assert (number.canonical, number.valid) == ("88177/9", False), text


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


@pytest.mark.parametrize(("left_of_31456", "left_of_78913"), [(100, 180), (180, 100)])
def test_a_split_postal_code_is_ordered_by_its_rules_not_its_boxes(
    left_of_31456: int, left_of_78913: int
) -> None:
    # A dash does not join digit groups in an RTL line: the page may show 31456-78913 either
    # way round, so the rules (no 0 or 2 in the first five, Karaj's 31) decide.
    words = _line(
        ("کد", 320, 90.0), ("پستی", 260, 90.0), ("۷۸۹۱۳", left_of_78913, 90.0),
        ("۳۱۴۵۶", left_of_31456, 90.0),
    )  # fmt: skip
    (postal,) = extract(text_from_words(words), words)
    assert postal.canonical == "3145678913"


@pytest.mark.parametrize(
    ("left_of_first_word", "canonical", "valid"),
    [(548, "05-03-200-140-000-000", True), (400, "000-00", False)],
)
def test_a_renovation_code_split_in_two_words_is_joined_in_page_order(
    left_of_first_word: int, canonical: str, valid: bool
) -> None:
    # Tesseract read ۰۰۰-۰۰۰-۱۴۰-۲۰۰-۰۳-۰۵ (an RTL line shows the groups reversed) as two
    # words, cut inside a group of zeros, and listed the right-hand one first.
    words = _line(
        ("کد", 800, 93.0), ("نوسازی:", 700, 93.0), ("۰-۱۴۰-۲۰۰-۰۳-۰۵", left_of_first_word, 35.0),
        ("۰۰۰-۰۰", 477, 35.0),
    )  # fmt: skip
    (code,) = extract(text_from_words(words), words)
    assert (code.canonical, code.valid) == (canonical, valid)


def test_a_line_ocr_listed_left_to_right_is_read_in_the_order_of_its_boxes() -> None:
    # Latin garbage (aS for کد) made Tesseract list this Persian line left to right, so the
    # value came before its label in the text.
    words = _line(("۳۱۳۴۱۸۶۷۲۳", 500, 91.0), ("پستی:", 700, 88.0), ("aS", 780, 40.0))
    text = text_from_words(words)
    assert text == "۳۱۳۴۱۸۶۷۲۳ پستی: aS"
    assert extract(text) == []
    (postal,) = extract(text, words)
    assert (postal.canonical, postal.confidence, postal.box) == (
        "3134186723",
        91.0,
        (500, 100, 80, 10),
    )
    assert text[postal.start : postal.end] == "۳۱۳۴۱۸۶۷۲۳"


def test_a_file_number_split_in_two_words_takes_its_year_from_the_page() -> None:
    words = _line(("شهرداری", 1000, 90.0), ("شماره:", 950, 90.0), ("۸۱۸۲", 906, 80.0),
                  ("۵۶۰۳", 817, 80.0))  # fmt: skip
    words += _line(("تاریخ:", 950, 90.0), ("۱۳۸۲/۰۴/۱۶", 810, 89.0), line=2)
    number, date = extract(text_from_words(words), words)
    assert (number.kind, number.canonical) == ("file_number", "56038/82")
    assert number.warning == "file number separator read as a digit"
    assert number.box == (817, 100, 906 + 32 - 817, 10)
    assert date.canonical == "2003-07-07"


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


# --- personal data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("0084575948", "008****948"),
        ("۰۰۸۴۵۷۵۹۴۸", "۰۰۸****۹۴۸"),
        ("٠٠٨٤٥٧٥٩٤٨", "٠٠٨****٩٤٨"),
        ("۰۰۸-۴۵۷۵۹۴-۸", "۰۰۸-****۹۴-۸"),
        ("\u200e0084575948\u200f", "008****948"),
        ("84575948", "845**948"),
        ("12345", "*****"),
    ],
)
def test_mask_national_id(value: str, masked: str) -> None:
    assert mask_national_id(value) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("مالک به کد ملی ۰۰۸۴۵۷۵۹۴۸ درخواست", "مالک به کد ملی ۰۰۸****۹۴۸ درخواست"),
        ("كد ملي: ٠٠٨-٤٥٧٥٩٤-٨", "كد ملي: ٠٠٨-****٩٤-٨"),
        (
            "Owner: Ali Rezaei, national ID 0013542419.",
            "Owner: Ali Rezaei, national ID 001****419.",
        ),
        # a valid id without its label, in mixed digits, is masked too
        ("وکالت ۹۰۷۴833780 ثبت شد", "وکالت ۹۰۷****780 ثبت شد"),
        ("کد ملی ۸۴۵۷۵۹۴۸", "کد ملی ۸۴۵**۹۴۸"),
        # not national ids: checksum fails, postal code, phone, other lengths
        ("کد ملی ۰۰۸۴۵۷۵۹۴۹", "کد ملی ۰۰۸۴۵۷۵۹۴۹"),
        ("کد پستی ۹۰۷۴۸۳۳۷۸۰", "کد پستی ۹۰۷۴۸۳۳۷۸۰"),
        ("تلفن همراه: ۰۹۱۲۳۴۵۶۷۸۹", "تلفن همراه: ۰۹۱۲۳۴۵۶۷۸۹"),
        ("شماره ۱۲۳۴۵/۸۶ مورخ ۱۳۸۴/۰۶/۱۲", "شماره ۱۲۳۴۵/۸۶ مورخ ۱۳۸۴/۰۶/۱۲"),
        ("", ""),
    ],
)
def test_mask_personal(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


def test_mask_personal_masks_every_id_and_keeps_the_rest() -> None:
    text = "مالک: کد ملی ۰۰۸۴۵۷۵۹۴۸، وکیل: کد ملی ۳۰۴۰۱۱۹۸۰۱؛ پلاک ۴۵/۱۲۳"
    assert mask_personal(text) == "مالک: کد ملی ۰۰۸****۹۴۸، وکیل: کد ملی ۳۰۴****۸۰۱؛ پلاک ۴۵/۱۲۳"
