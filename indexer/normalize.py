"""Persian text handling: the one place where letters, digits and marks are folded.

The same ``normalize`` runs when a page is indexed and when a planner's query is parsed,
so any spelling typed finds any spelling scanned. ``display`` is the opposite contract:
it keeps the page's own letters and only strips what is invisible.

Index contract (SQLite FTS5): the catalog stores ``normalize(text)`` in the main column and
``" ".join(joined_variants(text))`` in a second column, both under
``tokenize = "unicode61 remove_diacritics 0"`` with the default token categories
(``L* N* Co``) and no ``tokenchars``/``separators``. ``tokens`` mirrors that tokenizer, so
``/`` and ``-`` split digit groups: ``45/123`` is the two tokens ``45`` ``123`` and is found
by the FTS5 phrase ``"45 123"`` (FTS5 splits a quoted ``"45/123"`` the same way). Exact
identifier search goes through the identifiers table, not through FTS.

Why ZWNJ and marks must be removed here rather than left to the tokenizer: unicode61
treats U+200C (category Cf) and Arabic diacritics (Mn) as separators, so ``می‌رساند``
would be indexed as two tokens and ``کِتاب`` as ``ک`` + ``تاب``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

__all__ = [
    "BIDI_MARKS",
    "DISPLAY_STEPS",
    "STEPS",
    "display",
    "fold_digits",
    "fold_letters",
    "joined_variants",
    "normalize",
    "query_variants",
    "to_persian_digits",
    "tokens",
]

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"

#: Invisible direction controls that OCR and word processors sprinkle into RTL text
#: (LRM, RLM, LRE..RLO, LRI..PDI, ALM) plus the BOM, word joiner and soft hyphen.
BIDI_MARKS = (
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff\u2060\u00ad"
)
ZWNJ = "\u200c"
ZWJ = "\u200d"
ZWSP = "\u200b"
TATWEEL = "\u0640"

_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_MARKS))
_DIGIT_TABLE = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, ASCII_DIGITS * 2)
_PERSIAN_DIGIT_TABLE = str.maketrans(ASCII_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)

# Arabic code points that Persian text gets from Arabic keyboard layouts and OCR models,
# folded to the Persian letter a planner types. ئ → ی is deliberate: it makes the older
# spellings رئیس/پائیز match the Academy spellings رییس/پاییز and absorbs Tesseract's
# frequent ئ/ی confusion; since the fold runs on both sides, the only cost is that the
# rare true minimal pairs collapse, which search can live with. ؤ → و likewise
# (مسؤول = مسوول). Standalone hamza ء is kept: جزء and جز are different words.
_LETTER_TABLE = str.maketrans(
    {
        "ي": "ی",  # U+064A Arabic yeh
        "ى": "ی",  # U+0649 alef maksura
        "ې": "ی",
        "ۍ": "ی",
        "ك": "ک",  # U+0643 Arabic kaf
        "ڪ": "ک",
        "ة": "ه",  # U+0629 teh marbuta
        "ۀ": "ه",  # U+06C0 heh with yeh above (ezafe): خانۀ must match خانه
        "ە": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ی",
    }
)

# Harakat, tanwin, shadda, sukun, hamza/madda above and below (U+064B-U+065F),
# superscript alef (U+0670) and the small Quranic signs (U+0610-U+061A, U+06D6-U+06ED).
_DIACRITICS_RE = re.compile("[\u064b-\u065f\u0670\u0610-\u061a\u06d6-\u06ed" + TATWEEL + "]")
_JOINERS_TABLE = dict.fromkeys(map(ord, ZWNJ + ZWJ + ZWSP))
_THOUSANDS_RE = re.compile(r"(?<=\d)\u066c(?=\d)")
_PUNCT_TABLE = str.maketrans(
    {
        "،": ",",  # U+060C Arabic comma
        "؛": ";",  # U+061B
        "؟": "?",  # U+061F
        "٫": ".",  # U+066B Arabic decimal separator: one decimal mark for matching
        "٬": ",",  # U+066C thousands separator that is not between digits
        "٪": "%",
        "۔": ".",
    }
)
_SPACE_RE = re.compile(r"\s+")


def fold_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII: one form for matching."""
    return text.translate(_DIGIT_TABLE)


def to_persian_digits(text: str) -> str:
    """ASCII and Arabic-Indic digits to Persian ones, for showing numbers on Persian pages."""
    return text.translate(_PERSIAN_DIGIT_TABLE)


def _compatibility_forms(text: str) -> str:
    # Presentation forms (ﻻ, ﯼ, ﮎ) pasted from old PDFs become plain letters.
    return unicodedata.normalize("NFKC", text)


def _remove_bidi_marks(text: str) -> str:
    return text.translate(_BIDI_TABLE)


def fold_letters(text: str) -> str:
    """Arabic letter variants (ي ك ة أ ئ …) to the Persian letter; one code point for one."""
    return text.translate(_LETTER_TABLE)


def _remove_diacritics(text: str) -> str:
    return _DIACRITICS_RE.sub("", text)


def _remove_joiners(text: str) -> str:
    return text.translate(_JOINERS_TABLE)


def _fold_punctuation(text: str) -> str:
    return _THOUSANDS_RE.sub("", text).translate(_PUNCT_TABLE)


def _lowercase(text: str) -> str:
    return text.lower()


def _compose(text: str) -> str:
    # Removing a joiner can leave a base letter next to a combining mark; compose again
    # so that normalize() is idempotent.
    return unicodedata.normalize("NFC", text)


def _collapse_whitespace(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


#: The matching form, step by step (order matters: NFKC may produce diacritics,
#: digits must be ASCII before the thousands separator is dropped).
STEPS: list[tuple[str, Callable[[str], str]]] = [
    ("compatibility_forms", _compatibility_forms),
    ("bidi_marks", _remove_bidi_marks),
    ("arabic_letters", fold_letters),
    ("diacritics_and_tatweel", _remove_diacritics),
    ("joiners", _remove_joiners),
    ("digits", fold_digits),
    ("punctuation", _fold_punctuation),
    ("lowercase", _lowercase),
    ("compose", _compose),
    ("whitespace", _collapse_whitespace),
]


def _fused_table() -> dict[int, int | str | None]:
    """The one-character steps of STEPS (bidi marks, letters, diacritics, joiners, digits)
    as one table: they never map to one another's input, so one pass equals the steps."""
    table: dict[int, int | str | None] = {}
    for step in (_BIDI_TABLE, _LETTER_TABLE, _JOINERS_TABLE, _DIGIT_TABLE):
        table.update(step)
    for lo, hi in ((0x064B, 0x065F), (0x0670, 0x0670), (0x0610, 0x061A), (0x06D6, 0x06ED), (0x0640, 0x0640)):
        table.update(dict.fromkeys(range(lo, hi + 1)))
    return table


_FUSED = _fused_table()


def normalize(text: str) -> str:
    """The matching form of ``text``; the same function runs at index and at query time.

    Equal to applying STEPS in order (tests/test_normalize.py checks it), in fewer passes:
    this runs once per page and per query word, and dominated bulk indexing.
    """
    text = unicodedata.normalize("NFKC", text).translate(_FUSED)
    text = _THOUSANDS_RE.sub("", text).translate(_PUNCT_TABLE)
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text.lower())).strip()


_HSPACE_RE = re.compile(r"[^\S\n]+")
_STRAY_ZWNJ_RE = re.compile(r"\u200c+(?=[\s]|$)|(?:(?<=\s)|^)\u200c+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _tidy_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_ZWNJ_RE.sub("", text)
    text = _HSPACE_RE.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


#: What we show: the page's letters, digits and ZWNJs kept; only invisible controls go.
DISPLAY_STEPS: list[tuple[str, Callable[[str], str]]] = [
    ("bidi_marks", _remove_bidi_marks),
    ("whitespace", _tidy_whitespace),
]


def display(text: str) -> str:
    """Text as the page wrote it, minus bidi controls and untidy whitespace (lines kept)."""
    for _name, step in DISPLAY_STEPS:
        text = step(text)
    return text


def _is_token_char(char: str) -> bool:
    # unicode61's default token categories: letters, numbers, private use.
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


#: Runs of `_is_token_char` characters: \w without "_" is exactly the L* and N* categories;
#: private-use (Co) is added by hand.
_TOKEN_RE = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd])+")


def tokens(text: str) -> list[str]:
    """Matching tokens of ``text``, split exactly as FTS5 unicode61 splits ``normalize(text)``."""
    return _TOKEN_RE.findall(normalize(text))


#: Detached prefixes: verbal می/نمی, and بی (بی‌نظیر, بی نظیر).
PREFIXES = frozenset({"می", "نمی", "بی"})
#: Detached suffixes: plural, ezafe/indefinite ی, possessive and verbal endings, comparatives.
SUFFIXES = frozenset(
    {
        "ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان",
        "ای", "ام", "ات", "اش", "ایم", "اید", "اند",
        "تر", "ترین", "ترها",
        "ی",
    }
)  # fmt: skip


_PERSIAN_WORD_RE = re.compile(r"[\u0620-\u06ff]{2,}")


def _is_persian_word(token: str) -> bool:
    return _PERSIAN_WORD_RE.fullmatch(token) is not None and token.isalpha()


def _chains(toks: Sequence[str]) -> list[tuple[int, int, int]]:
    """Runs ``[prefix] stem suffix*`` with at least one affix, as (start, stem, end) indices."""
    chains = []
    i = 0
    while i < len(toks):
        start = i
        if toks[i] in PREFIXES and i + 1 < len(toks) and _is_persian_word(toks[i + 1]):
            stem = i + 1
        elif _is_persian_word(toks[i]) and toks[i] not in PREFIXES:
            stem = i
        else:
            i += 1
            continue
        end = stem + 1
        while end < len(toks) and toks[end] in SUFFIXES:
            end += 1
        if end - start >= 2:
            chains.append((start, stem, end))
            i = end
        else:
            i += 1
    return chains


def joined_variants(text: str) -> list[str]:
    """Joined forms of detached affixes (می رساند → میرساند), for the second index column.

    ZWNJ spellings are joined by ``normalize`` already; this covers pages that used a plain
    space instead. Every contiguous join that includes the stem is produced, so a mixed
    spelling (میرسانده اند) and a fully spaced one (می رسانده اند) both index میرساندهاند.
    """
    toks = tokens(text)
    seen: dict[str, None] = {}
    for start, stem, end in _chains(toks):
        for a in range(start, stem + 1):
            for b in range(stem + 1, end + 1):
                if b - a >= 2:
                    seen.setdefault("".join(toks[a:b]), None)
    return list(seen)


def query_variants(words: str | Sequence[str]) -> list[list[str]]:
    """A query as AND-ed groups of OR-ed phrase alternatives, for the search layer.

    Each inner list holds space-separated normalized phrases; the search layer quotes each
    as an FTS5 phrase, ORs them within a group and ANDs the groups, with no column filter
    so the joined form also matches the ``joined_variants`` column. Example:
    ``["می", "رساند", "۴۵/۱۲۳"]`` → ``[["می رساند", "میرساند"], ["45 123"]]``.
    A word that splits into several tokens (45/123) stays one phrase.
    """
    if isinstance(words, str):
        words = words.split()
    units = [toks for toks in (tokens(word) for word in words) if toks]
    singles = [toks[0] if len(toks) == 1 else "" for toks in units]
    chains = {start: (start, stem, end) for start, stem, end in _chains(singles)}
    groups: list[list[str]] = []
    i = 0
    while i < len(units):
        if i in chains:
            _, _, end = chains[i]
            parts = singles[i:end]
            groups.append([" ".join(parts), "".join(parts)])
            i = end
        else:
            groups.append([" ".join(units[i])])
            i += 1
    return groups
