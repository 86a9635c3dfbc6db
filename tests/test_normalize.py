"""Persian normalization, tested with real Persian strings and against SQLite FTS5 itself."""

from __future__ import annotations

import random
import sqlite3

import pytest

from indexer.normalize import (
    display,
    fold_digits,
    joined_variants,
    normalize,
    query_variants,
    to_persian_digits,
    tokens,
)

FTS5_TOKENIZE = "unicode61 remove_diacritics 0"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Arabic letters from Arabic keyboard layouts and OCR models
        ("علي", "علی"),
        ("كرج", "کرج"),
        ("كد نوسازي", "کد نوسازی"),
        ("موسى", "موسی"),
        ("مدرسة", "مدرسه"),
        ("أحمد إيران آب ٱلله", "احمد ایران اب الله"),
        ("رئیس", "رییس"),
        ("پائیز", "پاییز"),
        ("مسؤول", "مسوول"),
        ("خانۀ ما", "خانه ما"),
        ("جزء", "جزء"),
        # digits: Persian, Arabic-Indic, ASCII and mixed in one number
        ("۱۳۸۴/۰۶/۱۲", "1384/06/12"),
        ("١٣٨٤/٠٦/١٢", "1384/06/12"),
        ("۱٣8۴", "1384"),
        ("پلاک ۴۵/۱۲۳", "پلاک 45/123"),
        # bidi marks inside numbers and around words
        ("۴۵\u200f/\u200e۱۲۳", "45/123"),
        ("\u202bکد پستی\u202c \u2067۳۱۴۵۶۷۸۹۱۳\u2069", "کد پستی 3145678913"),
        ("\ufeffسلام\u061c", "سلام"),
        # ZWNJ and ZWJ join
        ("می\u200cرساند", "میرساند"),
        ("کتاب\u200cها", "کتابها"),
        ("نمی\u200dخواهد", "نمیخواهد"),
        # diacritics and tatweel
        ("کِتاب", "کتاب"),
        ("مُهَندِس", "مهندس"),
        ("فوراً", "فورا"),
        ("معیّن", "معین"),
        ("کـــتاب", "کتاب"),
        ("پـلاک ثـبـتـی", "پلاک ثبتی"),
        # punctuation
        ("کرج، مهرشهر؛ چرا؟", "کرج, مهرشهر; چرا?"),
        ("۱٬۲۳۴٬۵۶۷ ریال", "1234567 ریال"),
        ("۲۴۵٫۵۰ متر", "245.50 متر"),
        ("۱۵٪", "15%"),
        # English mixed in: lowercased, Persian untouched
        ("Registration Plaque ۴۵/۱۲۳", "registration plaque 45/123"),
        ("File No. 12345/86 شماره", "file no. 12345/86 شماره"),
        # whitespace
        ("  پلاک \t ثبتی\n\n۱۲۳\u00a0فرعی  ", "پلاک ثبتی 123 فرعی"),
        # presentation forms pasted from old PDFs
        ("\ufefb\ufbfc\ufb8e", "لایک"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "spelling", ["می\u200cرساند", "میرساند", "مي\u200cرساند", "میـرساند", "مِی\u200cرساند"]
)
def test_joined_spellings_normalize_alike(spelling: str) -> None:
    assert normalize(spelling) == "میرساند"


def test_spaced_spelling_is_two_tokens_with_a_joined_variant() -> None:
    assert tokens("می رساند") == ["می", "رساند"]
    assert joined_variants("می رساند") == ["میرساند"]


IDEMPOTENCE_SAMPLES = [
    "پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی بخش ۱۱",
    "كد نوسازي: ٠٨-٠٣-١٢٣-٠١٢-٠٠٠-٠٠٠",
    "می\u200cرساند  کِتاب کـــتاب \u200fسلام\u200e",
    "İstanbul ẞ café e\u200c\u0301",
    "\ufc5e\ufe70 \ufdf2",
    "۱٬۲۳۴٫۵ ، ؛ ؟",
]


@pytest.mark.parametrize("text", IDEMPOTENCE_SAMPLES)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_normalize_is_idempotent_on_random_persian_soup() -> None:
    alphabet = (
        "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةأإآئؤۀ"
        "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
        "\u200c\u200d\u200e\u200f\u202b\u202c\u0640\u064b\u064e\u0650\u0651\u0654\u0670"
        "،؛؟٫٬٪/- \n\tAbC\u0301\u00a0\ufefb"
    )
    rng = random.Random(20240601)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        once = normalize(text)
        assert normalize(once) == once, repr(text)


def test_display_keeps_the_page_letters_and_drops_bidi_marks() -> None:
    page = "\u200fكد نوسازي:  ۰۸-۰۳\u200e\nمی\u200cرساند   کِتاب\n\n\n\nپایان "
    shown = display(page)
    assert shown == "كد نوسازي: ۰۸-۰۳\nمی\u200cرساند کِتاب\n\nپایان"
    assert "ي" in shown and "\u200f" not in shown and "\u200c" in shown


def test_display_drops_stray_zwnj_next_to_spaces() -> None:
    assert display("کتاب \u200c خوب\u200c") == "کتاب خوب"


def test_fold_digits_and_back() -> None:
    assert fold_digits("۱۳۸۴/06/١٢ و ۴۵") == "1384/06/12 و 45"
    assert to_persian_digits("1384/06/١٢") == "۱۳۸۴/۰۶/۱۲"
    assert fold_digits(to_persian_digits("0123456789")) == "0123456789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("پلاک ۴۵/۱۲۳، کرج", ["پلاک", "45", "123", "کرج"]),
        ("تاریخ: ۱۳۸۴/۰۶/۱۲", ["تاریخ", "1384", "06", "12"]),
        ("کِتاب\u200cها", ["کتابها"]),
        ("«کرج» - مهرشهر", ["کرج", "مهرشهر"]),
        ("File_No.12345", ["file", "no", "12345"]),
        ("", []),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def _fts5_terms(text: str) -> list[str]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize = '{FTS5_TOKENIZE}')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.execute("INSERT INTO t (body) VALUES (?)", (text,))
    return [term for (term,) in db.execute("SELECT term FROM v ORDER BY offset")]


@pytest.mark.parametrize(
    "text",
    [
        "پلاک ثبتی ۱۲۳ فرعی از ۴۵ اصلی بخش ۱۱",
        "کد نوسازی: ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰ و کد پستی ۳۱۴۵۶-۷۸۹۱۳",
        "می\u200cرساند کِتاب کـــتاب \u200fسلام\u200e File No. 12345/86",
        "«کرج»، مهرشهر؛ ۱٬۲۳۴٫۵ ریال _x_",
    ],
)
def test_tokens_match_the_fts5_tokenizer_on_normalized_text(text: str) -> None:
    assert tokens(text) == _fts5_terms(normalize(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("خانه ها", ["خانهها"]),
        ("خانه های قدیمی", ["خانههای"]),
        ("بزرگ تر و بزرگ ترین", ["بزرگتر", "بزرگترین"]),
        ("نمی خواهد", ["نمیخواهد"]),
        ("بی نظیر", ["بینظیر"]),
        ("کتاب ای", ["کتابای"]),
        ("می رسانده اند", ["میرسانده", "میرساندهاند", "رساندهاند"]),
        ("میرسانده اند", ["میرساندهاند"]),
        ("کتاب خوب", []),
        ("۱۰ ها", []),
        ("می ۱۲", []),
    ],
)
def test_joined_variants(text: str, expected: list[str]) -> None:
    assert joined_variants(text) == expected


def test_query_variants_groups_alternatives() -> None:
    assert query_variants(["می", "رساند", "۴۵/۱۲۳", "دفتر"]) == [
        ["می رساند", "میرساند"],
        ["45 123"],
        ["دفتر"],
    ]
    assert query_variants("می\u200cرساند") == [["میرساند"]]
    assert query_variants("خانه ها") == [["خانه ها", "خانهها"]]
    assert query_variants([]) == []


def _fts5_match_query(words: list[str]) -> str:
    groups = query_variants(words)
    return " AND ".join(
        "(" + " OR ".join('"' + alt.replace('"', '""') + '"' for alt in group) + ")"
        for group in groups
    )


PAGES = {
    1: "نامه را می\u200cرساند به دفتر",
    2: "نامه را میرساند به دفتر",
    3: "نامه را می رساند به دفتر",
    4: "نامه را مي\u200cرسانده\u200cاند",
    5: "نامه را می رسانده اند",
    6: "نامه را نمی رساند",
}


@pytest.fixture(scope="module")
def catalog() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE pages USING fts5(body, joined, tokenize = '{FTS5_TOKENIZE}')")
    for rowid, text in PAGES.items():
        db.execute(
            "INSERT INTO pages (rowid, body, joined) VALUES (?, ?, ?)",
            (rowid, normalize(text), " ".join(joined_variants(text))),
        )
    return db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("می\u200cرساند", {1, 2, 3}),
        ("میرساند", {1, 2, 3}),
        ("می رساند", {1, 2, 3}),
        ("مي رساند دفتر", {1, 2, 3}),
        ("می رسانده اند", {4, 5}),
        ("میرسانده\u200cاند", {4, 5}),
        ("نمیرساند", {6}),
    ],
)
def test_every_spelling_finds_every_spelling(
    catalog: sqlite3.Connection, query: str, expected: set[int]
) -> None:
    sql = "SELECT rowid FROM pages WHERE pages MATCH ?"
    found = {rowid for (rowid,) in catalog.execute(sql, (_fts5_match_query(query.split()),))}
    assert found == expected


def test_normalize_equals_its_steps_and_tokens_equal_the_category_test() -> None:
    import random
    from itertools import groupby

    from indexer.normalize import _TOKEN_RE, STEPS, _is_token_char

    rng = random.Random(3)
    alphabet = [chr(c) for c in range(0x600, 0x700)] + list("abcZ09 _-/.,\n\t\u200c\u200d\u200e\u200f\ufeff\u066c\u066b\u0640ﻻﯼﮎİß\ue000")
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        stepped = text
        for _name, step in STEPS:
            stepped = step(stepped)
        assert normalize(text) == stepped, text
        assert tokens(text) == ["".join(r) for k, r in groupby(stepped, key=_is_token_char) if k]
    assert all(
        bool(_TOKEN_RE.fullmatch(chr(c))) == _is_token_char(chr(c)) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF
    )
