"""Parcel identifiers in OCR text: plaques, codes, file and permit numbers, dates.

Shaped like eyecite: ``clean_text`` (a named list of ``str -> str`` steps), ``extract``
(text, optionally OCR words, in; frozen ``Identifier`` values out) and ``canonical_query``
(what a planner types, in the form the catalog stores). Canonical values always use ASCII
digits; ``Identifier.text`` keeps the page's own letters and digits.

Tesseract returns ``-`` or ``/`` separated digit groups inside right-to-left lines in
reversed group order. The true order is restored, in this order of trust:

1. word boxes: when the groups are separate OCR words on one line, left-to-right on the
   page is the reading order of a number;
2. the known shape of the value: renovation codes are 2-2-3-3-3-3 digits (region first),
   dates have their 4-digit year at one end, file and permit numbers end with a 2-digit
   year, national ids must pass their checksum, postal codes have no 0 or 2 in their first
   five digits (and, as a tie-break, Karaj codes start with 31);
3. for ``A/F`` plaques, which have no shape, a long form (``F فرعی از A اصلی``) on the
   same page that names the same parcel with the groups the other way round.

Only lines that contain Arabic-script letters are treated as right-to-left; Latin lines
keep the order written. Where nothing decides, the written order is kept.

OCR output as it really comes is read too, with the words' boxes when they are given:

* a right-to-left line that Tesseract listed in another order (Latin garbage on it makes
  it read the line left to right) is put back in the order of its boxes;
* a number OCR split into several words is put together in page order (``۰-۱۴۰-۲۰۰-۰۳-۰۵
  ۰۰۰-۰۰``), each cut either inside a group or between two, whichever gives the value's
  shape;
* labels with OCR slips (``aS نوسازی``, ``کذ پستی``, ``شمازه``, ``خرعی``) and with ملک / آن
  before the value; نوسازی, پستی and ملی stand alone when کد was lost;
* slips with one reading only are repaired, with a ``warning`` saying so: a lost ۰ of a
  group of zeros, ``/`` read as ``۱`` or echoed in file numbers and dates, a year read
  with an extra digit (a date on the page says which), a comma read as a leading ۰.
  Anything else that does not have its kind's form is kept with ``valid=False``, for QA
  and for dossier consensus (``indexer.consensus``), which corrects misread digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import product
from typing import Any, Protocol

import jdatetime

from indexer.normalize import BIDI_MARKS, display, fold_digits, fold_letters

__all__ = [
    "CLEAN_STEPS",
    "Identifier",
    "IdentifierError",
    "Kind",
    "OcrWord",
    "canonical_query",
    "clean_text",
    "document_date",
    "extract",
    "jalali_to_iso",
    "mask_national_id",
    "mask_personal",
    "national_id_valid",
    "postal_code_warning",
    "text_from_words",
]

JALALI_MIN_YEAR = 1300
JALALI_MAX_YEAR = 1405
#: Postal codes in Karaj start with these digits; used only to break a tie in group order.
HOME_POSTAL_PREFIXES = ("31",)
RENOVATION_SHAPE = (2, 2, 3, 3, 3, 3)


class Kind(StrEnum):
    PLAQUE = "plaque"
    RENOVATION_CODE = "renovation_code"
    POSTAL_CODE = "postal_code"
    NATIONAL_ID = "national_id"
    FILE_NUMBER = "file_number"
    PERMIT_NUMBER = "permit_number"
    DATE = "date"


class IdentifierError(ValueError):
    """A value typed for an identifier search does not have that identifier's form."""


class OcrWord(Protocol):
    """What extraction needs from an OCR word (``ocr.types.Word`` fits; not imported)."""

    @property
    def text(self) -> str: ...
    @property
    def conf(self) -> float: ...
    @property
    def left(self) -> int: ...
    @property
    def top(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def block(self) -> int: ...
    @property
    def par(self) -> int: ...
    @property
    def line(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier found on a page.

    ``start``/``end`` index the text given to ``extract``; ``box`` is (left, top, width,
    height) around the OCR words it covers and ``confidence`` the lowest of their
    confidences, since one misread digit spoils the whole value.
    """

    kind: str
    text: str
    canonical: str
    section: str | None = None
    jalali: str | None = None
    valid: bool = True
    warning: str | None = None
    start: int = -1
    end: int = -1
    box: tuple[int, int, int, int] | None = None
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The export form: None fields, ``valid`` when true and unknown offsets are left out."""
        out: dict[str, Any] = {
            "kind": str(self.kind),
            "text": self.text,
            "canonical": self.canonical,
        }
        if self.section is not None:
            out["section"] = self.section
        if self.jalali is not None:
            out["jalali"] = self.jalali
        if not self.valid:
            out["valid"] = False
        if self.warning is not None:
            out["warning"] = self.warning
        if self.start >= 0:
            out["start"] = self.start
            out["end"] = self.end
        if self.box is not None:
            out["box"] = list(self.box)
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identifier:
        """Read back what ``to_dict`` wrote (the catalog stores identifiers that way)."""
        box = data.get("box")
        if box is not None:
            box = (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        return cls(
            kind=str(data["kind"]),
            text=data["text"],
            canonical=data["canonical"],
            section=data.get("section"),
            jalali=data.get("jalali"),
            valid=data.get("valid", True),
            warning=data.get("warning"),
            start=data.get("start", -1),
            end=data.get("end", -1),
            box=box,
            confidence=data.get("confidence"),
        )


# --- cleaning --------------------------------------------------------------------------
# Every step either maps one character to one character or only deletes characters, so
# positions in the cleaned text map back to the original (see _clean_with_offsets).

_DELETE_TABLE = dict.fromkeys(map(ord, BIDI_MARKS + "\u200d\u200b"))
_TATWEEL_BETWEEN_DIGITS_RE = re.compile(r"(?<=\d)\u0640(?=\u0640*\d)")
_SEPARATOR_TABLE = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2212": "-", "\u2044": "/", "\u2215": "/", "\u066b": ".", "\u066c": ",",
        "\u060c": ",", "\u200c": " ", "\u00a0": " ", "\u2007": " ", "\u2009": " ",
        "\u202f": " ", "\t": " ", "\r": " ", "\x0b": " ", "\x0c": " ",
    }
)  # fmt: skip
_MARKS_RE = re.compile("[\u064b-\u065f\u0670\u0640]")


def _delete_invisible(text: str) -> str:
    return text.translate(_DELETE_TABLE)


def _tatweel_as_hyphen(text: str) -> str:
    # Persian typists use tatweel as a dash between digit groups (۰۸ـ۰۳).
    return _TATWEEL_BETWEEN_DIGITS_RE.sub("-", text)


_BAR_SLASH_RE = re.compile(r"(?<=\d)([ ]?)\|(?=[ ]?\d{2}(?!\d))")


def _fold_separators(text: str) -> str:
    # a slash with spaces round it (۶۳۵۲ / ۸۳) that OCR read as a bar: same length
    return _BAR_SLASH_RE.sub(r"\1/", text.translate(_SEPARATOR_TABLE))


def _delete_marks(text: str) -> str:
    return _MARKS_RE.sub("", text)


#: Extraction cleaning, in order. Unlike ``normalize`` it keeps case, lines and spacing.
CLEAN_STEPS: list[tuple[str, Callable[[str], str]]] = [
    ("invisible_marks", _delete_invisible),
    ("arabic_letters", fold_letters),
    ("digits", fold_digits),
    ("tatweel_as_hyphen", _tatweel_as_hyphen),
    ("separators", _fold_separators),
    ("diacritics_and_tatweel", _delete_marks),
]


def clean_text(text: str) -> str:
    """Text ready for the identifier patterns: ASCII digits, Persian letters, no bidi marks."""
    for _name, step in CLEAN_STEPS:
        text = step(text)
    return text


def _clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """``clean_text`` plus, for each cleaned character, its index in ``text``."""
    offsets = list(range(len(text)))
    for _name, step in CLEAN_STEPS:
        after = step(text)
        if len(after) != len(text):
            kept, j = [], 0
            for char in after:  # a pure deletion: ``after`` is a subsequence of ``text``
                while text[j] != char:
                    j += 1
                kept.append(offsets[j])
                j += 1
            offsets = kept
        text = after
    return text, offsets


# --- checks ----------------------------------------------------------------------------


def national_id_valid(s: str) -> bool:
    """Iranian national id checksum (کد ملی): ten digits, last one a mod-11 check digit."""
    s = fold_digits(s)
    if len(s) != 10 or not s.isascii() or not s.isdigit() or len(set(s)) == 1:
        return False
    digits = [int(c) for c in s]
    rest = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return digits[9] == rest if rest < 2 else digits[9] == 11 - rest


def postal_code_warning(s: str) -> str | None:
    """Why a postal code looks wrong (None when it looks right); a warning, never a drop."""
    s = fold_digits(s)
    if len(s) != 10 or not s.isascii() or not s.isdigit():
        return "postal code must be 10 digits"
    if "0" in s[:5] or "2" in s[:5]:
        return "postal code has 0 or 2 in its first five digits"
    return None


def jalali_to_iso(y: int, m: int, d: int) -> str | None:
    """ISO Gregorian date of a Jalali date, None when invalid or outside 1300-1405."""
    if not JALALI_MIN_YEAR <= y <= JALALI_MAX_YEAR:
        return None
    try:
        return jdatetime.date(y, m, d).togregorian().isoformat()
    except ValueError:
        return None


def _gregorian_to_jalali(y: int, m: int, d: int) -> str | None:
    try:
        jalali = jdatetime.date.fromgregorian(year=y, month=m, day=d)
    except ValueError:
        return None
    if not JALALI_MIN_YEAR <= jalali.year <= JALALI_MAX_YEAR:
        return None
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"


def _parse_date(a: str, b: str, c: str) -> tuple[str, str] | None:
    """(ISO Gregorian, Jalali y/m/d) of three digit groups in written order, or None.

    The year is the 4-digit group (first: y/m/d; last: d/m/y, which is also what a
    reversed RTL date looks like); with 2-digit years the group above 31 is the year,
    else y/m/d is tried first. Two-digit years mean 13xx.
    """
    orders: list[tuple[str, str, str]] = []
    if len(a) == 4:
        orders.append((a, b, c))
    if len(c) == 4:
        orders.append((c, b, a))
    if not orders:
        if len(a) == 2 and int(a) > 31:
            orders.append((a, b, c))
        elif len(c) == 2 and int(c) > 31:
            orders.append((c, b, a))
        else:
            if len(a) == 2:
                orders.append((a, b, c))
            if len(c) == 2:
                orders.append((c, b, a))
    for y, m, d in orders:
        if len(d) > 2:
            continue
        year, month, day = int(y), int(m), int(d)
        if len(y) == 2:
            year += 1300
        if JALALI_MIN_YEAR <= year <= JALALI_MAX_YEAR:
            iso = jalali_to_iso(year, month, day)
            if iso is not None:
                return iso, f"{year:04d}/{month:02d}/{day:02d}"
        elif len(y) == 4 and 1900 <= year <= 2100:
            jalali = _gregorian_to_jalali(year, month, day)
            if jalali is not None:
                return f"{year:04d}-{month:02d}-{day:02d}", jalali
    return None


# --- patterns (on cleaned text) --------------------------------------------------------

_FLAGS = re.IGNORECASE
#: Between a label and its value: spaces, a colon (OCR sometimes doubles it), a line break,
#: the side of a box the value is written in (read as | or [).
_GAP = r"(?:[ ]{0,4}[:;.,\-|\[\]]{1,2}){0,2}[ ]{0,4}(?:\n[ ]{0,4})?"
#: "of the property" / "its" between a label and its value (کد نوسازی ملک …, کد پستی آن …);
#: ملک with its ل read as ن or its ک as گ.
_OF = r"(?:(?:م[لن][کگ]|[اآ]ن)[ ]{0,3}:?[ ]{0,3}(?:\n[ ]{0,4})?)?"
_GROUPS = r"\d+(?:[ ]?[-/][ ]?\d+)*"
_SEP_GROUPS = r"\d+(?:[ ]?[-/][ ]?\d+)+"
_END = r"(?!\d|[ ]?[-/.][ ]?\d)"
_NUMBER_START = r"(?<![\d/.\-])"
#: One number as OCR may split it: up to six words of digits, ``-`` and ``/`` (spaces
#: around a separator belong to the word).
_TOKEN = r"[\-/]?\d[\d\-/]*(?:[ ]?[\-/][ ]?\d[\d\-/]*)*"
_RUN = rf"{_TOKEN}(?:[ ]{_TOKEN}){{0,5}}"

# Labels, with the OCR slips seen on scans: ف read as خ, ص as ض, ر as ز, د as ذ, and کد
# lost or read as Latin letters (aS, oF, 35) in front of نوسازی, پستی and ملی; those three
# words are specific enough to stand alone before a value that must pass its own checks.
_FARI = r"[فخ]رع[یي]"
_ASLI = r"ا[صض]ل[یي]"
_NUMBER_WORD = r"(?:شن?[مفه]|(?<![\w])س)[اآ][رز]ه"  # شماره; ساره where OCR lost ش's dots and م
_KAD = r"[کگ][دذ]"
_PLAQUE_HEAD = rf"[پب]لا[کگی](?:[ ]*\n?[ ]*ثبتی)?(?:[ ]*{_NUMBER_WORD})?{_GAP}"
_PLAQUE_FARI_FIRST_RE = re.compile(
    rf"{_NUMBER_START}(?P<f>\d+(?:\s{{0,3}}(?:و|,)\s{{0,3}}\d+){{0,5}})\s{{0,3}}{_FARI}"
    rf"\s{{0,3}}(?:از\s{{0,3}})?(?P<a>\d+)\s{{0,3}}{_ASLI}",
    _FLAGS,
)
#: ``F فرعی از A`` whose اصلی OCR lost or garbled: فرعی از alone names a plaque.
_PLAQUE_FARI_AZ_RE = re.compile(
    rf"{_NUMBER_START}(?P<f>\d+)\s{{0,3}}{_FARI}\s{{0,3}}از\s{{0,3}}\.?(?P<a>\d+)(?![\d/.\-]|\s{{0,3}}{_ASLI})",
    _FLAGS,
)
_PLAQUE_ASLI_FIRST_RE = re.compile(
    rf"{_NUMBER_START}(?P<a>\d+)\s{{0,3}}{_ASLI}\s{{0,3}}(?:[و,]\s{{0,3}})?(?P<f>\d+)\s{{0,3}}{_FARI}",
    _FLAGS,
)
_PLAQUE_ASLI_ONLY_RE = re.compile(rf"{_PLAQUE_HEAD}(?P<a>\d+)\s{{0,3}}{_ASLI}", _FLAGS)
_PLAQUE_SLASH_RE = re.compile(
    rf"(?:{_PLAQUE_HEAD}|\b(?:registration[ ]+)?plaque(?:[ ]*(?:no\.?|number|\#))?{_GAP})"
    rf"(?P<a>\d+)[ ]?/[ ]?(?P<f>\d+){_END}",
    _FLAGS,
)
_PLAQUE_ENGLISH_MAIN_RE = re.compile(
    rf"\bregistration[ ]+plaque(?:[ ]*(?:no\.?|number|\#))?{_GAP}(?P<a>\d+){_END}(?![ ]?/)",
    _FLAGS,
)
_SECTION_RE = re.compile(
    r"\s{0,3}[,]?\s{0,3}(?:واقع\s{0,3}در\s{0,3})?بخش\s{0,3}(?:ثبتی\s{0,3})?(?:شماره\s{0,3})?"
    r"[:]?\s{0,3}(?P<s>\d+)(?!\d)"
    r"|[ ]{0,3},?[ ]{0,3}(?:registration[ ]+)?section[ ]*(?:no\.?[ ]*)?:?[ ]*(?P<s2>\d+)(?!\d)",
    _FLAGS,
)
_UNIT_AFTER_RE = re.compile(r"[ ]{0,3}(?:متر|m2|m²|sq|%|درصد|ریال|تومان|cm|mm)", _FLAGS)

_RENOVATION_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*)?[نت]?وسا[زرژ]ی|\brenovation[ ]+code){_GAP}"
    rf"(?:{_OF}|[a-z]{{2,4}}[ ]{{1,3}})(?P<v>{_RUN})",
    _FLAGS,
)

# A whole code without its label (the label misread: کد نوسازي ملكث.): six hyphenated groups
# of the 2-2-3-3-3-3 shape, which nothing else in a dossier has.
_RENOVATION_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<v>\d{{2,3}}(?:[ ]?-[ ]?\d{{2,3}}){{5}}){_END}")

_SPACED_GROUPS = r"\d+(?:(?:[ ]?-[ ]?|[ ])\d+){0,3}"
# After کد the label may have lost its پ's dots to a ن and gained a stray dot (کد.نستی).
_POSTAL_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*)?[پب][سش]تت?ی|(?<!\w){_KAD}[ .]{{0,2}}[پبن][سش]ت?ی"
    rf"|\b(?:postal|post|zip)[ ]*code){_GAP}{_OF}"
    rf"(?P<v>{_SPACED_GROUPS})",
    _FLAGS,
)
_POSTAL_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<v>\d{{5}}[ ]?-[ ]?\d{{5}}){_END}")
_PHONE_BEFORE_RE = re.compile(
    r"(?:تلفن|تلفکس|فکس|نمابر|همراه|موبایل|تماس|\btel\b|phone|fax|mobile)[^\n]{0,25}$", _FLAGS
)
_NATIONAL_ID_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*|{_NUMBER_WORD}[ ]*)?ملی|(?<!\w)(?:{_KAD}|{_NUMBER_WORD})[ ]*مل(?=[ ]?:)"
    rf"|\bnational[ ]*(?:id|code|number)(?:[ ]*no\.?)?)"
    rf"{_GAP}(?P<v>{_SPACED_GROUPS})",
    _FLAGS,
)
_BUILDING = r"(?:[ ]*ساختمان(?:ی)?)?"
_PERMIT_RE = re.compile(
    rf"(?:{_NUMBER_WORD}[ ]*[پب][رز]وانه{_BUILDING}|[پب][رز]وانه{_BUILDING}[ ]*\.?[ ]*{_NUMBER_WORD}"
    rf"|\b(?:building[ ]+)?permit[ ]*(?:no\.?|number|\#)){_GAP}(?P<v>{_GROUPS}){_END}",
    _FLAGS,
)
_FILE_NAMED_RE = re.compile(
    rf"(?:(?:{_NUMBER_WORD}|(?<!\w)ش[ ]?\.)[ ]*[پب][رز]ونده|\bfile[ ]*(?:no\.?|number|\#)){_GAP}"
    rf"(?P<v>{_TOKEN}(?:[ ]{_TOKEN})?)",
    _FLAGS,
)
_FILE_BARE_RE = re.compile(
    rf"(?<!\w)(?<!ثبتی )(?<!ثبتی){_NUMBER_WORD}{_GAP}"
    rf"(?P<v>{_SEP_GROUPS}{_END}(?:[ ]\d+{_END})?|\d{{6,8}}{_END}|\d{{2,5}}[ ]\d{{2,5}}{_END})",
    _FLAGS,
)
_DATE_RE = re.compile(
    r"(?<![\d/\-])(?<!\d\.)(?:0(?=1[34]\d\d[/.\-]))?"
    r"(?P<a>\d{1,4})[ ]?(?P<s>[/.\-])[ ]?(?P<b>\d{1,2})[ ]?(?P=s)[ ]?(?P<c>\d{1,4})" + _END
)
#: A date label; only after one is a date that OCR garbled (۱ for /, a doubled /1) repaired.
_DATE_HEAD_RE = re.compile(
    r"(?:تاریخ(?:[ ]*(?:صدور|جلسه|درخواست|بازدید))?|مورخ|\bdate){_GAP}"
    r"0?(?P<v>1[34]\d\d[\d/.\-]{2,8})(?![\d/.\-])".replace("{_GAP}", _GAP),
    _FLAGS,
)
#: What precedes a page's own date: تاریخ (تاریخ صدور, تاریخ جلسه, …; ت read as ن) or Date,
#: a colon optional; and what precedes a date the page only quotes (مورخ, در تاریخ, on).
_OWN_DATE_LABEL_RE = re.compile(
    r"(?:(?<!\w)[تن]ار[یي]خ(?:[ ]*[ا-ی]+)?|\bdate(?:[ ]+of[ ]+\w+)?)"
    r"[ ]*[:;.]{0,2}[ ]*$",
    _FLAGS,
)
_QUOTED_DATE_LABEL_RE = re.compile(
    r"(?:(?<!\w)(?:مورخ[هة]?|(?:در|از|به|تا)[ ]+[تن]ار[یي]خ(?:[ ]*[ا-ی]+)?)|\b(?:on|dated|of|since))[ ]*[:;.]{0,2}[ ]*$",
    _FLAGS,
)
_DIGITS_RE = re.compile(r"\d+")
_TOKEN_RE = re.compile(_TOKEN)
_ARABIC_LETTER_RE = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_SPACES_RE = re.compile(r"[ ]+")
_WELL_FORMED_NUMBER_RE = re.compile(r"[1-9]\d{0,5}(?:[/\-]\d{2})?")


# --- the page being searched -----------------------------------------------------------

_Group = tuple[str, int, int]  # digits (or a token), start, end (cleaned-text positions)


@dataclass
class _Page:
    clean: str
    words: Sequence[OcrWord] = ()
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, word index
    source: str = ""  # the text given to extract, for what cleaning folded (digit scripts)
    offsets: list[int] = field(default_factory=list)  # cleaned position -> source position
    _years: set[int] | None = None

    def is_rtl(self, pos: int) -> bool:
        """Whether the line around ``pos`` has Arabic-script letters (Tesseract reads it RTL)."""
        start = self.clean.rfind("\n", 0, pos) + 1
        end = self.clean.find("\n", pos)
        return bool(
            _ARABIC_LETTER_RE.search(self.clean, start, end if end >= 0 else len(self.clean))
        )

    def has_no_letters(self, pos: int) -> bool:
        """Whether the line around ``pos`` is digits and marks only (a form's value cell
        on a line of its own), whose direction its text does not tell."""
        start = self.clean.rfind("\n", 0, pos) + 1
        end = self.clean.find("\n", pos)
        return not any(c.isalpha() for c in self.clean[start : end if end >= 0 else len(self.clean)])

    def words_in(self, start: int, end: int) -> list[int]:
        return [i for s, e, i in self.spans if s < end and start < e]

    def visual_order(self, groups: Sequence[_Group]) -> list[int] | None:
        """Left-to-right order of ``groups`` on the page, when each is its own word on one line."""
        if len(groups) < 2 or not self.spans:
            return None
        owners = []
        for _digits, start, end in groups:
            found = self.words_in(start, end)
            if len(found) != 1:
                return None
            owners.append(found[0])
        if len(set(owners)) != len(owners):
            return None
        lines = {(self.words[i].block, self.words[i].par, self.words[i].line) for i in owners}
        if len(lines) != 1:
            return None
        return sorted(range(len(groups)), key=lambda k: self.words[owners[k]].left)

    def visual(self, tokens: Sequence[_Group]) -> list[_Group]:
        """``tokens`` (one number split into words) left to right as the page shows them.

        Word boxes say it when there are some; otherwise a right-to-left line lists the
        words of a number from its right end, so their order is reversed.
        """
        order = self.visual_order(tokens)
        if order is not None:
            return [tokens[k] for k in order]
        if len(tokens) > 1 and self.is_rtl(tokens[0][1]):
            return list(tokens[::-1])
        return list(tokens)

    def scripts(self, start: int, end: int) -> str:
        """The digits of ``clean[start:end]`` as the source wrote them (Persian, Arabic, ASCII)."""
        if not self.offsets:
            return self.clean[start:end]
        return "".join(self.source[self.offsets[i]] for i in range(start, end))

    def years(self) -> set[int]:
        """Jalali years of the dates on the page: what a file number's 2-digit year must fit."""
        if self._years is None:
            self._years = set()
            for finder in (_find_dates, _find_repaired_dates):
                for match in finder(self):
                    self._years.update(int(i.jalali[:4]) for i in match.found if i.jalali)
        return self._years


@dataclass
class _Match:
    """Identifiers found on one span (several when one long form lists several فرعی)."""

    start: int
    end: int
    found: list[Identifier]
    flipped: str | None = None  # the A/F plaque read the other way round


def _groups(page: _Page, start: int, end: int) -> list[_Group]:
    return [(m.group(), m.start(), m.end()) for m in _DIGITS_RE.finditer(page.clean, start, end)]


def _tokens(page: _Page, start: int, end: int) -> list[_Group]:
    """The words of a number, spaces around separators dropped (``۰۸ - ۰۳`` is one word)."""
    return [
        (m.group().replace(" ", ""), m.start(), m.end())
        for m in _TOKEN_RE.finditer(page.clean, start, end)
    ]


def _joins(parts: Sequence[str]) -> Iterator[tuple[int, str]]:
    """Every way to put a number's word pieces together: at each gap the pieces are either
    one group cut in two by OCR (concatenated) or two groups (joined by ``-``).

    Yields (number of concatenations, joined text).
    """
    for mask in range(1 << (len(parts) - 1)):
        out, glued = parts[0], 0
        for i, part in enumerate(parts[1:]):
            if mask >> i & 1:
                out += "-" + part
            else:
                out += part
                glued += 1
        yield glued, out


def _ident(kind: Kind, start: int, end: int, canonical: str, **extra: Any) -> Identifier:
    return Identifier(kind=kind, text="", canonical=canonical, start=start, end=end, **extra)


def _section_after(page: _Page, pos: int) -> str | None:
    m = _SECTION_RE.match(page.clean, pos)
    return (m.group("s") or m.group("s2")) if m else None


def _has_unit_after(page: _Page, pos: int) -> bool:
    return _UNIT_AFTER_RE.match(page.clean, pos) is not None


# --- finders, one per kind -------------------------------------------------------------


def _plaque(start: int, end: int, canonical: str, section: str | None = None) -> Identifier:
    """A plaque; one whose number starts with ۰ (a misread, or a dot of noise) is no parcel."""
    if any(part.startswith("0") for part in canonical.split("/")):
        return _ident(
            Kind.PLAQUE, start, end, canonical, section=section, valid=False,
            warning="a plaque number never starts with ۰",
        )  # fmt: skip
    return _ident(Kind.PLAQUE, start, end, canonical, section=section)


def _find_plaques(page: _Page) -> Iterator[_Match]:
    for regex in (_PLAQUE_FARI_FIRST_RE, _PLAQUE_ASLI_FIRST_RE):
        for m in regex.finditer(page.clean):
            start, end = m.span()
            section = _section_after(page, end)
            asli = m.group("a")
            found = [
                _plaque(start, end, f"{asli}/{fari}", section)
                for fari, _s, _e in _groups(page, *m.span("f"))
            ]
            yield _Match(start, end, found)
    for m in _PLAQUE_FARI_AZ_RE.finditer(page.clean):
        start, end = m.span()
        if _has_unit_after(page, end):
            continue
        yield _Match(start, end, [_plaque(start, end, f"{m.group('a')}/{m.group('f')}")])
    for m in _PLAQUE_ASLI_ONLY_RE.finditer(page.clean):
        start, end = m.start("a"), m.end()
        yield _Match(start, end, [_plaque(start, end, m.group("a"), _section_after(page, end))])
    for m in _PLAQUE_ENGLISH_MAIN_RE.finditer(page.clean):
        start, end = m.span("a")
        yield _Match(start, end, [_plaque(start, end, m.group("a"), _section_after(page, end))])
    for m in _PLAQUE_SLASH_RE.finditer(page.clean):
        start, end = m.start("a"), m.end("f")
        if _has_unit_after(page, end):
            continue  # 245/50 متر is an area, not a parcel
        groups = [(m.group("a"), *m.span("a")), (m.group("f"), *m.span("f"))]
        order = page.visual_order(groups)
        flipped = None
        if order is not None:
            groups = [groups[k] for k in order]
        elif page.is_rtl(start):
            flipped = f"{groups[1][0]}/{groups[0][0]}"
        canonical = f"{groups[0][0]}/{groups[1][0]}"
        section = _section_after(page, end)
        yield _Match(start, end, [_plaque(start, end, canonical, section)], flipped)


def _shape_score(lengths: Sequence[int]) -> int:
    return sum(1 for n, want in zip(lengths, RENOVATION_SHAPE, strict=False) if n == want)


def _renovation_groups(digits: Sequence[str]) -> tuple[list[str], str | None]:
    """Renovation-code groups in reading order (region first) and a warning if odd-shaped."""
    groups = list(digits)
    if len(groups) == 1 and len(groups[0]) == sum(RENOVATION_SHAPE):
        run, groups, at = groups[0], [], 0
        for size in RENOVATION_SHAPE:
            groups.append(run[at : at + size])
            at += size
    lengths = [len(g) for g in groups]
    if _shape_score(lengths[::-1]) > _shape_score(lengths):
        groups.reverse()
        lengths.reverse()
    fits = len(groups) <= len(RENOVATION_SHAPE) and _shape_score(lengths) == len(groups)
    return groups, None if fits else "renovation code does not have the 2-2-3-3-3-3 shape"


def _renovation_fit(groups: Sequence[str]) -> tuple[list[str], int] | None:
    """Six groups of the 2-2-3-3-3-3 shape in reading order, and how many ۰ were restored.

    Either orientation is tried (an RTL line shows the groups reversed). A group of zeros
    one digit short is restored: Persian ۰ is a dot that OCR loses, and a group of zeros
    stays a group of zeros. None when the groups are not a whole code.
    """
    if len(groups) == 1 and len(groups[0]) == sum(RENOVATION_SHAPE):
        return _renovation_groups(groups)[0], 0
    if len(groups) != len(RENOVATION_SHAPE):
        return None
    best: tuple[list[str], int] | None = None
    for candidate in (list(groups), list(groups)[::-1]):
        fixed, restored = [], 0
        for group, want in zip(candidate, RENOVATION_SHAPE, strict=True):
            if len(group) == want:
                fixed.append(group)
            elif len(group) == want - 1 and not group.strip("0"):
                fixed.append("0" * want)
                restored += 1
            else:
                break
        else:
            if restored <= 1 and (best is None or restored < best[1]):
                best = (fixed, restored)
    return best


def _find_renovation_codes(page: _Page) -> Iterator[_Match]:
    labelled: list[tuple[int, int]] = []
    for found in _labelled_renovation_codes(page):
        labelled.append((found.start, found.end))
        yield found
    for m in _RENOVATION_BARE_RE.finditer(page.clean):
        if any(s < m.end() and m.start() < e for s, e in labelled):
            continue
        fit = _renovation_fit(re.split(r"[ ]?-[ ]?", m.group("v")))
        if fit is not None and fit[1] == 0:
            start, end = m.span("v")
            yield _Match(start, end, [_ident(Kind.RENOVATION_CODE, start, end, "-".join(fit[0]))])


def _labelled_renovation_codes(page: _Page) -> Iterator[_Match]:
    for m in _RENOVATION_RE.finditer(page.clean):
        tokens = _tokens(page, *m.span("v"))
        best: tuple[tuple[int, int, int], list[str], int] | None = None
        for k in range(1, len(tokens) + 1):
            pieces = [t[0] for t in page.visual(tokens[:k])]
            for glued, joined in _joins(pieces):
                groups = [g for g in re.split(r"[-/]+", joined) if g]
                fit = _renovation_fit(groups)
                if fit is not None:
                    rank = (fit[1], k, glued)
                    if best is None or rank < best[0]:
                        best = (rank, fit[0], k)
        if best is not None:
            (restored, _k, _glued), digits, k = best
            start, end = tokens[0][1], tokens[k - 1][2]
            warning = "a lost ۰ of a zero group restored" if restored else None
            yield _Match(
                start,
                end,
                [_ident(Kind.RENOVATION_CODE, start, end, "-".join(digits), warning=warning)],
            )
            continue
        # Not a whole code: the first word's groups, kept for QA and dossier consensus.
        start, end = tokens[0][1], tokens[0][2]
        found = [g[0] for g in _groups(page, start, end)]
        if len(found) < 2:
            continue
        digits, warning = _renovation_groups(found)
        warning = warning or f"renovation code has {len(digits)} of its 6 groups"
        yield _Match(
            start,
            end,
            [
                _ident(
                    Kind.RENOVATION_CODE,
                    start,
                    end,
                    "-".join(digits),
                    valid=False,
                    warning=warning,
                )
            ],
        )


def _take_digits(groups: Sequence[_Group], want: int) -> list[_Group] | None:
    """The leading groups that hold exactly ``want`` digits, if they do."""
    taken, count = [], 0
    for group in groups:
        taken.append(group)
        count += len(group[0])
        if count == want:
            return taken
        if count > want:
            return None
    return None


def _postal_match(page: _Page, groups: list[_Group]) -> _Match:
    """Groups in text order; two groups in an RTL line are put in the order that validates.

    Word boxes do not settle this one: a dash does not join digit groups in a right-to-left
    line, so a page shows ``31456-78913`` as ``78913-31456``, or the other way round when
    the typist compensated. The published rules, then the Karaj prefix, decide.
    """
    start, end = groups[0][1], groups[-1][2]
    warning: str | None = None
    # A line of digits alone may be either way round: the rules decide there too.
    if len(groups) == 2 and (page.is_rtl(start) or page.has_no_letters(start)):
        written = groups[0][0] + groups[1][0]
        flipped = groups[1][0] + groups[0][0]
        written_ok = postal_code_warning(written) is None
        flipped_ok = postal_code_warning(flipped) is None
        written_home = written.startswith(HOME_POSTAL_PREFIXES)
        flipped_home = flipped.startswith(HOME_POSTAL_PREFIXES)
        if (flipped_ok and not written_ok) or (
            flipped_ok == written_ok and flipped_home and not written_home
        ):
            groups = groups[::-1]
        elif written_ok == flipped_ok and written_home == flipped_home:
            warning = "digit groups in a right-to-left line: order assumed as written"
    canonical = "".join(g[0] for g in groups)
    problem = postal_code_warning(canonical)
    return _Match(
        start,
        end,
        [
            _ident(
                Kind.POSTAL_CODE,
                start,
                end,
                canonical,
                valid=problem is None,
                warning=problem or warning,
            )
        ],
    )


def _find_postal_codes(page: _Page) -> Iterator[_Match]:
    for m in _POSTAL_RE.finditer(page.clean):
        groups = _take_digits(_groups(page, *m.span("v")), 10)
        if groups is not None:
            yield _postal_match(page, groups)


def _find_bare_postal_codes(page: _Page) -> Iterator[_Match]:
    for m in _POSTAL_BARE_RE.finditer(page.clean):
        line_start = page.clean.rfind("\n", 0, m.start()) + 1
        if _PHONE_BEFORE_RE.search(page.clean, line_start, m.start()):
            continue  # 5-5 digits after تلفن are a phone number
        yield _postal_match(page, _groups(page, *m.span("v")))


#: A national id or postal code standing alone (a form's value cell whose label OCR put
#: elsewhere): ten digits, or a card's 3-6-1 groups, or a postal code's 5 and 5.
_TEN_BARE_RE = re.compile(
    rf"{_NUMBER_START}(?<!\d[ ])(?P<v>\d{{3}}-\d{{6}}-\d|\d-\d{{6}}-\d{{3}}|\d{{5}}[ ]\d{{5}}|\d{{10}})"
    rf"{_END}"
)


#: What follows a value cell on a table row read as one line: another value or a label.
_ROW_GOES_ON_RE = re.compile(rf"\d|(?:{_NUMBER_WORD}|{_KAD}|[پب]لا[کگ]|تاریخ|منطقه|نام)(?!\w)|[a-z]", _FLAGS)
_NID_WORD_RE = re.compile(r"مل[یی]?(?!\w)|\bnational\b", _FLAGS)
_POSTAL_WORD_RE = re.compile(r"[پب][سش]ت?ی|\bpostal\b", _FLAGS)


def _postal_like(digits: str) -> bool:
    return postal_code_warning(digits) is None and digits.startswith(HOME_POSTAL_PREFIXES)


def _find_bare_tens(page: _Page) -> Iterator[_Match]:
    """Ten digits with no label before them (a form's value cell whose label OCR put
    elsewhere or garbled), never a phone number: a Karaj postal code when they read as one
    (prefix 31, no 0 or 2 in the first five), else a national id when the check digit
    holds; a 3-6-1 card id in either group order. Anything else is left."""
    for m in _TEN_BARE_RE.finditer(page.clean):
        start, end = m.span("v")
        line_start = page.clean.rfind("\n", 0, start) + 1
        line_end = page.clean.find("\n", end)
        after = page.clean[end : min(end + 12, line_end if line_end >= 0 else len(page.clean))]
        if _PHONE_BEFORE_RE.search(page.clean[max(line_start, start - 30) : start]):
            continue
        if _NID_WORD_RE.search(after) or _POSTAL_WORD_RE.search(after):
            continue  # a label right after it: the value of a line OCR listed the wrong way
        rest = page.clean[end : line_end if line_end >= 0 else len(page.clean)].strip(" :|[]")
        if rest and not _ROW_GOES_ON_RE.match(rest):
            continue  # a sentence goes on after it: a number someone wrote, not a form's cell
        value = m.group("v")
        groups = value.split("-")
        if len(groups) == 3:
            if [len(g) for g in groups] != [3, 6, 1]:
                groups = groups[::-1]
            nid = "".join(groups)
            if national_id_valid(nid):
                yield _Match(start, end, [_ident(Kind.NATIONAL_ID, start, end, nid)])
            continue
        halves = value.split(" ")
        if len(halves) == 2:
            for digits in ("".join(halves), "".join(halves[::-1])):
                if _postal_like(digits):
                    yield _Match(start, end, [_ident(Kind.POSTAL_CODE, start, end, digits)])
                    break
            continue
        if _postal_like(value):
            yield _Match(start, end, [_ident(Kind.POSTAL_CODE, start, end, value)])
        elif national_id_valid(value):
            yield _Match(start, end, [_ident(Kind.NATIONAL_ID, start, end, value)])


def _find_national_ids(page: _Page) -> Iterator[_Match]:
    for m in _NATIONAL_ID_RE.finditer(page.clean):
        all_groups = _groups(page, *m.span("v"))
        groups = _take_digits(all_groups, 10)
        warning = None
        if groups is None and 8 <= sum(len(g[0]) for g in all_groups) <= 9:
            groups, warning = all_groups, "national id padded with leading zeros"
        if groups is None:
            continue
        shown = page.visual(groups) if len(groups) > 1 else groups
        candidates = [[g[0] for g in shown], [g[0] for g in reversed(shown)]]
        # the card prints ۰۰۸-۴۵۷۵۹۴-۸: groups of 3, 6, 1 say which way round they are
        candidates.sort(key=lambda ds: [len(d) for d in ds] != [3, 6, 1])
        for digits in candidates:
            canonical = "".join(digits).zfill(10)
            if national_id_valid(canonical):
                start, end = groups[0][1], groups[-1][2]
                yield _Match(
                    start, end, [_ident(Kind.NATIONAL_ID, start, end, canonical, warning=warning)]
                )
                break


def _jalali_year(yy: str) -> int:
    """The Jalali year of a 2-digit year on a dossier (00-05 are 1400-1405)."""
    return 1400 + int(yy) if int(yy) <= JALALI_MAX_YEAR - 1400 else 1300 + int(yy)


def _year_fits(page: _Page, yy: str) -> bool:
    """Whether a file number's year can be this page's: its dates' years or up to 6 before."""
    year = _jalali_year(yy)
    return any(seen - 6 <= year <= seen for seen in page.years())


def _repair_number(page: _Page, value: str, scripts: str) -> tuple[str, str] | None:
    """A file number ``N/YY`` out of OCR slips, when the page's dates vouch for the year.

    Handles ``/`` read as ``۱`` (``۲۹۸۵۷۱۸۴``) or lost (``۳۶۱۶۳۸۳``), a three-digit year
    (``۸۹٩``: one digit read twice in two scripts; ``۱۸۱``: ``/`` echoed as ``۱``; ``۸۳۲``:
    a stray digit after it) and a leading ``۰`` (the comma after the number, which an RTL
    line shows on its left). Only an unambiguous reading is returned, with a warning.
    """
    if value.startswith("0") and _WELL_FORMED_NUMBER_RE.fullmatch(value[1:]) and "/" in value:
        return value[1:], "a leading ۰ dropped (the comma after the number)"
    m = re.fullmatch(r"([1-9]\d{2,5})/(\d{3})", value)
    if m:
        number, year = m.groups()
        year_scripts = scripts[-3:] if len(scripts) == len(value) else ""
        slips: list[str] = []
        if len(year_scripts) == 3:
            for i in (0, 1):
                a, b = year_scripts[i], year_scripts[i + 1]
                if a != b and fold_digits(a) == fold_digits(b):
                    slips.append(year[:i] + year[i + 1 :])  # one digit read in two scripts
        if year.startswith("1"):
            slips.append(year[1:])  # "/" echoed as "1"
        for yy in slips:
            if _year_fits(page, yy) or not page.years():
                return f"{number}/{yy}", "file number year read with an extra digit"
        # Any other extra digit (۴ read as ۲۴, a stray mark): only a date on the page says which.
        dated = {f"{y % 100:02d}" for y in page.years()}
        found = {year[:i] + year[i + 1 :] for i in range(3)} & dated
        if len(found) == 1:
            return f"{number}/{found.pop()}", "file number year read with an extra digit"
        return None
    if re.fullmatch(r"\d{6,8}", value):
        yy, rest = value[-2:], value[:-2]
        if not _year_fits(page, yy):
            return None
        readings = []
        if rest.endswith("1") and 3 <= len(rest) - 1 <= 5:
            readings.append(rest[:-1])  # "/" read as "1"
        if 3 <= len(rest) <= 5:
            readings.append(rest)  # "/" lost
        readings = [r for r in readings if not r.startswith("0")]
        if len(readings) == 1:
            return f"{readings[0]}/{yy}", "file number separator read as a digit"
    return None


def _number_reading(
    page: _Page, tokens: Sequence[_Group], *, bare: bool
) -> tuple[str, str | None, int] | None:
    """(value, warning, words used) of a file or permit number, or None.

    The first word alone when it is a number of the usual form (``N`` or ``N/YY``; a bare
    شماره needs the separator); else its OCR slips repaired; else the first two words
    read in page order, as OCR splits a number in two (``۵/۹۸ ۹۶۹۷`` is ``۹۶۹۷۵/۹۸``).
    """
    value = tokens[0][0]
    if _WELL_FORMED_NUMBER_RE.fullmatch(value) and (not bare or re.search(r"[/\-]", value)):
        if len(tokens) == 1 or len(re.split(r"[/\-]", value)[0]) >= 3:
            return value, None, 1
        joined = "".join(t[0] for t in page.visual(tokens[:2]))
        if _WELL_FORMED_NUMBER_RE.fullmatch(joined) and re.search(r"\d{3}[/\-]\d{2}$", joined):
            return joined, "number read from two words", 2  # ۵/۹۸ ۹۶۹۷: the rest of ۹۶۹۷۵/۹۸
        return value, None, 1
    repaired = _repair_number(page, value, page.scripts(tokens[0][1], tokens[0][2]))
    if repaired is not None:
        return repaired[0], repaired[1], 1
    if len(tokens) > 1:
        joined = "".join(t[0] for t in page.visual(tokens[:2]))
        if _WELL_FORMED_NUMBER_RE.fullmatch(joined) and re.search(r"[/\-]\d{2}$", joined):
            return joined, "number read from two words", 2
        repaired = _repair_number(page, joined, "")
        if repaired is not None:
            return repaired[0], repaired[1], 2
    return None


def _numbered(page: _Page, kind: Kind, m: re.Match[str], *, bare: bool = False) -> _Match | None:
    """A file or permit number: digits and separators as written, never a date or an area.

    What cannot be read as a number of the usual form is kept invalid, for QA.
    """
    tokens = _tokens(page, *m.span("v"))
    if not tokens:
        return None
    parts = re.split(r"([-/])", tokens[0][0])
    if len(parts) == 5 and _parse_date(*parts[0::2]) is not None:
        return None
    reading = _number_reading(page, tokens, bare=bare)
    valid = reading is not None
    if reading is None:
        value = tokens[0][0].strip("-/")
        if not value or (bare and not re.search(r"[/\-]", value)):
            return None
        reading = (value, "not a number of the form N or N/YY", 1)
    value, warning, used = reading
    start, end = tokens[0][1], tokens[used - 1][2]
    if _has_unit_after(page, end):
        return None
    pieces = re.split(r"([-/])", value)
    digits, seps = pieces[0::2], pieces[1::2]
    # groups with spaces round their separator (۶۰۸۲۲ / ۸۸) are words OCR lists in reading
    # order on a right-to-left line, however the page shows them left to right
    spaced = page.is_rtl(start) and re.search(r"\d[ ]+[-/]|[-/][ ]+\d", page.clean[start:end])
    order = (page.visual_order(_groups(page, start, end))
             if used == 1 and warning is None and not spaced else None)
    if order is not None and len(order) == len(digits):
        digits = [digits[k] for k in order]
    elif len(digits) == 2 and page.is_rtl(start) and len(digits[0]) == 2 and len(digits[1]) >= 3:
        digits.reverse()  # the 2-digit year comes last: ۸۶/۱۲۳۴۵ is a reversed ۱۲۳۴۵/۸۶
    canonical = digits[0] + "".join(sep + d for sep, d in zip(seps, digits[1:], strict=True))
    return _Match(start, end, [_ident(kind, start, end, canonical, valid=valid, warning=warning)])


def _find_permit_numbers(page: _Page) -> Iterator[_Match]:
    for m in _PERMIT_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.PERMIT_NUMBER, m)) is not None:
            yield found


def _find_file_numbers(page: _Page) -> Iterator[_Match]:
    for m in _FILE_NAMED_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.FILE_NUMBER, m)) is not None:
            if re.fullmatch(r"\d{1,2}", found.found[0].canonical):
                continue  # no dossier has a file number of one or two digits: OCR noise
            yield found
    for m in _FILE_BARE_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.FILE_NUMBER, m, bare=True)) is not None:
            yield found


def _find_dates(page: _Page) -> Iterator[_Match]:
    for m in _DATE_RE.finditer(page.clean):
        parsed = _parse_date(m.group("a"), m.group("b"), m.group("c"))
        if parsed is not None:
            iso, jalali = parsed
            start, end = m.span()
            yield _Match(start, end, [_ident(Kind.DATE, start, end, iso, jalali=jalali)])


def _repair_date(value: str) -> tuple[str, str] | None:
    """The one date a garbled ``1385/17/12``, ``1385108/20`` or ``1382/5119`` can be.

    OCR reads ``/`` as ``۱`` or echoes the ``/`` after the year as ``/۱``. Each ``1`` after
    the year is tried as a digit or as a separator (between two digits), and the ``1`` that
    makes a month above 12 also as nothing; the valid dates needing the fewest changes (at
    most two) are kept, and only a single one is returned.
    """
    year, rest = value[:4], value[4:]
    seps = "/.-"
    choices: list[tuple[int, tuple[str | None, ...]]] = []
    for i, char in enumerate(rest):
        if char != "1":
            continue
        ops: list[str | None] = [None]
        before = rest[i - 1] if i else "0"
        after = rest[i + 1] if i + 1 < len(rest) else "/"  # a separator needs a digit after
        if before not in seps and after not in seps:
            ops.append("/")
        if i == 1 and rest[0] in seps and rest[1:3].isdigit() and int(rest[1:3]) > 12:
            ops.append("")  # "/1" echo: a month of 13 or more was "/" then the month
        choices.append((i, tuple(ops)))
    if len(choices) > 5:
        return None
    found: dict[int, set[tuple[str, str]]] = {}
    for picked in product(*(ops for _i, ops in choices)):
        chars = list(rest)
        for (i, _ops), op in zip(choices, picked, strict=True):
            if op is not None:
                chars[i] = op
        text = "".join(chars)
        edits = sum(op is not None for op in picked)
        if edits > 2 or not text or text[0] not in seps:
            continue
        groups = [g for g in re.split(r"[/.\-]+", text) if g]
        if len(groups) != 2 or any(len(g) > 2 for g in groups):
            continue
        parsed = _parse_date(year, groups[0], groups[1])
        if parsed is not None:
            found.setdefault(edits, set()).add(parsed)
    if not found:
        return None
    best = found[min(found)]
    return next(iter(best)) if len(best) == 1 else None


def _find_repaired_dates(page: _Page) -> Iterator[_Match]:
    for m in _DATE_HEAD_RE.finditer(page.clean):
        whole = _DATE_RE.fullmatch(m.group("v"))
        if whole and _parse_date(whole.group("a"), whole.group("b"), whole.group("c")):
            continue  # a valid date: _find_dates has it
        parsed = _repair_date(m.group("v"))
        if parsed is not None:
            iso, jalali = parsed
            start, end = m.span("v")
            yield _Match(
                start,
                end,
                [
                    _ident(
                        Kind.DATE,
                        start,
                        end,
                        iso,
                        jalali=jalali,
                        warning="date repaired from OCR slips",
                    )
                ],
            )


#: Finders by priority: a later finder's match overlapping an earlier one is dropped, so
#: ``پلاک ثبتی شماره ۴۵/۱۲۳`` is a plaque and not also a file number.
_FINDERS: list[tuple[str, Callable[[_Page], Iterator[_Match]]]] = [
    ("renovation_code", _find_renovation_codes),
    ("national_id", _find_national_ids),
    ("postal_code", _find_postal_codes),
    ("plaque", _find_plaques),
    ("permit_number", _find_permit_numbers),
    ("file_number", _find_file_numbers),
    ("bare_postal_code", _find_bare_postal_codes),
    ("bare_ten_digits", _find_bare_tens),
    ("date", _find_dates),
    ("repaired_date", _find_repaired_dates),
]


def _reconcile_plaques(matches: list[_Match]) -> None:
    """Flip an RTL ``A/F`` plaque whose reverse is a long-form plaque on the same page."""
    long_forms = {
        i.canonical for m in matches if m.flipped is None for i in m.found if i.kind == Kind.PLAQUE
    }
    for m in matches:
        if m.flipped and m.flipped in long_forms and m.found[0].canonical not in long_forms:
            m.found = [replace(m.found[0], canonical=m.flipped)]


# --- words -----------------------------------------------------------------------------


def text_from_words(words: Sequence[OcrWord]) -> str:
    """Page text from OCR words: spaces within a line, newlines between lines."""
    lines: list[list[str]] = []
    last: tuple[int, int, int] | None = None
    for word in words:
        if not word.text.strip():
            continue
        key = (word.block, word.par, word.line)
        if key != last:
            lines.append([])
            last = key
        lines[-1].append(word.text.strip())
    return "\n".join(" ".join(line) for line in lines)


def _align_words(clean: str, words: Sequence[OcrWord]) -> list[tuple[int, int, int]]:
    """Where each OCR word sits in the cleaned page text (words not found are skipped).

    The text need not list the words in OCR's order: ``assemble_text`` reads a letterhead
    column by column and a row's cells from the page's starting side, while Tesseract runs
    both columns into one line. A word is looked for just after the previous one, as a
    whole word first; one not found there is looked for anywhere not yet taken
    (``_resync``), or the letterhead's date and number would have no box.
    """
    needles = [clean_text(word.text).strip() for word in words]
    spans: list[tuple[int, int, int]] = []
    taken: list[tuple[int, int]] = []
    cursor = 0
    for index, needle in enumerate(needles):
        if not needle:
            continue
        window = (cursor, cursor + len(needle) + 64)
        pos = next(_occurrences(clean, needle, *window, taken, whole=True), -1)
        if pos < 0:
            pos = next(_occurrences(clean, needle, *window, taken, whole=False), -1)
        if pos < 0:
            pos = _resync(clean, needles, index, taken)
        if pos >= 0:
            spans.append((pos, pos + len(needle), index))
            taken.append((pos, pos + len(needle)))
            cursor = pos + len(needle)
    return sorted(spans)


def _whole_word(clean: str, start: int, end: int) -> bool:
    return (start == 0 or not clean[start - 1].isalnum()) and (end == len(clean) or not clean[end].isalnum())


def _occurrences(
    clean: str, needle: str, lo: int, hi: int, taken: Sequence[tuple[int, int]], *, whole: bool
) -> Iterator[int]:
    """Starts of ``needle`` within ``clean[lo:hi]`` that overlap no taken span."""
    pos = clean.find(needle, lo, hi)
    while pos >= 0:
        end = pos + len(needle)
        if (not whole or _whole_word(clean, pos, end)) and not any(s < end and pos < e for s, e in taken):
            yield pos
        pos = clean.find(needle, pos + 1, hi)


def _followed(clean: str, pos: int, needles: Sequence[str], index: int, *, most: int = 3) -> int:
    """How many of the words after word ``index`` (up to ``most``) follow it from ``pos``,
    each after one or two spaces or a line break."""
    at, score = pos + len(needles[index]), 0
    for word in [n for n in needles[index + 1 :] if n][:most]:
        gap = 0
        while gap < 3 and at + gap < len(clean) and clean[at + gap].isspace():
            gap += 1
        if not 0 < gap < 3 or not clean.startswith(word, at + gap):
            break
        at, score = at + gap + len(word), score + 1
    return score


def _resync(clean: str, needles: Sequence[str], index: int, taken: Sequence[tuple[int, int]]) -> int:
    """Where word ``index`` is when it is not just after the previous one: the free whole-word
    place that the most of the words after it follow (up to three), or -1 when that is not
    one place only (a common word such as و, which a wrong box would be worse than none)."""
    scored = [(_followed(clean, pos, needles, index), pos)
              for pos in _occurrences(clean, needles[index], 0, len(clean), taken, whole=True)]
    if not scored:
        return -1
    best = max(score for score, _pos in scored)
    places = [pos for score, pos in scored if score == best]
    return places[0] if len(places) == 1 else -1


def _reading_order(
    clean: str, offsets: list[int], words: Sequence[OcrWord], spans: list[tuple[int, int, int]]
) -> tuple[str, list[int], list[tuple[int, int, int]]]:
    """Right-to-left lines put in the order their word boxes show, where OCR listed them
    otherwise: a Persian line with Latin garbage on it (``aS`` for کد) may be read left to
    right as a whole, putting a value before its label. Offsets follow the moved words.
    """
    by_line: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for span in spans:
        word = words[span[2]]
        by_line.setdefault((word.block, word.par, word.line), []).append(span)
    chars, where, moved = list(clean), list(offsets), {}
    for line in by_line.values():
        line.sort()
        first, last = line[0][0], line[-1][1]
        if len(line) < 2 or not _ARABIC_LETTER_RE.search(clean, first, last):
            continue
        if any(clean[a[1] : b[0]] != " " for a, b in zip(line, line[1:], strict=False)):
            continue  # only whole words separated by one space are moved
        shown = sorted(line, key=lambda sp: -words[sp[2]].left)
        if shown == line:
            continue
        at = first
        for k, (start, end, index) in enumerate(shown):
            if k:
                chars[at], where[at] = " ", offsets[line[k - 1][1]]
                at += 1
            chars[at : at + end - start] = clean[start:end]
            where[at : at + end - start] = offsets[start:end]
            moved[index] = (at, at + end - start, index)
            at += end - start
    if not moved:
        return clean, offsets, spans
    return "".join(chars), where, sorted(moved.get(sp[2], sp) for sp in spans)


#: A label standing alone in a register's heading (its value is on a line below).
_REGISTER_LABEL = (
    r"(?:[پب]لا[کگ](?:[ ]*ثبتی)?(?:[ ]*شماره)?|(?:[کگ]د[ ]*)?[پب]ستی(?:[ ]*ملک)?"
    r"|(?:شماره|ش\.?)[ ]*[پب]رونده|(?:[کگ]د|شناسه)[ ]*نوسازی|(?:[کگ]د|شماره)[ ]*ملی"
    r"|شماره[ ]*[پب]روانه(?:[ ]*ساختمانی)?)[ ]?:?"
)
_REGISTER_LABEL_LINE_RE = re.compile(rf"[ ]*{_REGISTER_LABEL}[ ]*")
_REGISTER_HEAD_RE = re.compile(rf"[ ]*{_REGISTER_LABEL}(?:[ ]+{_REGISTER_LABEL})+[ ]*")
_REGISTER_LABEL_RE = re.compile(_REGISTER_LABEL)
#: One value of a register row: digit groups, with the words of a plaque's long form.
_REGISTER_VALUE_RE = re.compile(
    rf"\d{{5}}[ ]\d{{5}}(?!\d)|\d+(?:[ ]?[-/][ ]?\d+)*(?:[ ]{_FARI}(?:[ ]از[ ]\d+(?:[ ]{_ASLI})?)?"
    rf"|[ ]{_ASLI}(?:[ ]\d+[ ]{_FARI})?)?"
)


def _register_pairs(lines: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """(label, value position) for the registers among ``lines`` (start, text): labels
    heading a table, one per line or all on one line, and their values below in order."""
    pairs: list[tuple[str, int]] = []
    i = 0
    while i < len(lines):
        start, text = lines[i]
        if _REGISTER_HEAD_RE.fullmatch(text) and i + 1 < len(lines):
            labels = [m.group() for m in _REGISTER_LABEL_RE.finditer(text)]
            vstart, vtext = lines[i + 1]
            values = [m for m in _REGISTER_VALUE_RE.finditer(vtext)]
            if len(values) == len(labels) and not _ARABIC_LETTER_RE.sub(
                    "", _REGISTER_VALUE_RE.sub("", vtext)).strip(" :-/"):
                pairs += [(label, vstart + m.start()) for label, m in zip(labels, values, strict=True)]
                i += 2
                continue
        k = 0
        while i + k < len(lines) and _REGISTER_LABEL_LINE_RE.fullmatch(lines[i + k][1]):
            k += 1
        if k >= 2 and i + 2 * k <= len(lines):
            below = lines[i + k : i + 2 * k]
            if all(_REGISTER_VALUE_RE.fullmatch(t.strip()) for _s, t in below):
                pairs += [(lines[i + j][1].strip(), below[j][0] + len(below[j][1]) - len(below[j][1].lstrip()))
                          for j in range(k)]
                i += 2 * k
                continue
        i += max(k, 1)
    return pairs


def _label_registers(
    clean: str, offsets: list[int], spans: list[tuple[int, int, int]]
) -> tuple[str, list[int], list[tuple[int, int, int]]]:
    """Put each register label before its value, as a form would write it (``کد پستی:
    ۳۱۴۵۶۷۸۹۱۳``), so the labelled patterns read a table whose labels head the line above
    its values. The inserted characters map to the value's own position; words shift."""
    lines, at = [], 0
    for text in clean.split("\n"):
        lines.append((at, text))
        at += len(text) + 1
    pairs = _register_pairs(lines)
    if not pairs:
        return clean, offsets, spans
    out, where, inserted, last = [], [], [], 0
    for label, pos in sorted(pairs, key=lambda p: p[1]):
        out.append(clean[last:pos])
        where.extend(offsets[last:pos])
        tag = label.rstrip(" :") + ": "
        out.append(tag)
        where.extend([offsets[pos]] * len(tag))
        inserted.append((pos, len(tag)))
        last = pos
    out.append(clean[last:])
    where.extend(offsets[last:])

    def shift(x: int) -> int:
        return x + sum(n for p, n in inserted if p <= x)

    return "".join(out), where, [(shift(a), shift(b - 1) + 1, i) for a, b, i in spans]


def _box_and_confidence(
    page: _Page, start: int, end: int
) -> tuple[tuple[int, int, int, int] | None, float | None]:
    covered = [page.words[i] for i in page.words_in(start, end)]
    if not covered:
        return None, None
    left = min(w.left for w in covered)
    top = min(w.top for w in covered)
    right = max(w.left + w.width for w in covered)
    bottom = max(w.top + w.height for w in covered)
    confs = [float(w.conf) for w in covered if w.conf >= 0]
    return (left, top, right - left, bottom - top), (min(confs) if confs else None)


# --- public verbs ----------------------------------------------------------------------


def extract(text: str, words: Sequence[OcrWord] | None = None) -> list[Identifier]:
    """Every identifier in ``text``, in page order.

    ``words`` (OCR words with boxes and confidences) are optional: given, they put a box
    and a confidence on each identifier and settle the order of digit groups that OCR
    split into separate words. With an empty ``text`` the text is built from ``words``.
    """
    words = words or ()
    if not text and words:
        text = text_from_words(words)
    clean, offsets = _clean_with_offsets(text)
    spans: list[tuple[int, int, int]] = []
    if words:
        clean, offsets, spans = _reading_order(clean, offsets, words, _align_words(clean, words))
    clean, offsets, spans = _label_registers(clean, offsets, spans)
    page = _Page(clean, words, spans, source=text, offsets=offsets)
    accepted: list[_Match] = []
    for _name, finder in _FINDERS:
        for match in finder(page):
            if not any(match.start < m.end and m.start < match.end for m in accepted):
                accepted.append(match)
    _reconcile_plaques(accepted)
    found = []
    for match in sorted(accepted, key=lambda m: m.start):
        covered = offsets[match.start : match.end]
        start, end = min(covered), max(covered) + 1
        box, confidence = _box_and_confidence(page, match.start, match.end)
        for ident in match.found:
            found.append(
                replace(
                    ident,
                    text=display(text[start:end]),
                    start=start,
                    end=end,
                    box=box,
                    confidence=confidence,
                )
            )
    return found


def document_date(text: str, found: Sequence[Identifier]) -> Identifier | None:
    """The page's own date among the dates ``extract(text)`` found: the letter's or form's
    date in its header, not one its body quotes (``بازگشت به نامه … مورخ ۱۳۸۶/۱۱/۱۲``).

    A date labelled تاریخ / Date at the start of a line comes first, then one labelled so
    elsewhere, then an unlabelled one, then quoted ones (after مورخ, در تاریخ, on); among
    equals the topmost (word boxes, when every one has a box), else the first in reading
    order. Invalid dates are never chosen.
    """
    dates = [i for i in found if i.kind == Kind.DATE and i.valid]
    if not dates:
        return None

    def rank(date: Identifier) -> int:
        if not 0 <= date.start <= len(text):
            return 2
        before = clean_text(text[max(0, date.start - 80) : date.start]).rsplit("\n", 1)[-1][-40:]
        if _QUOTED_DATE_LABEL_RE.search(before):
            return 3
        label = _OWN_DATE_LABEL_RE.search(before)
        if label is None:
            return 2
        return 0 if not before[: label.start()].strip() else 1

    boxed = all(d.box is not None for d in dates)
    return min(dates, key=lambda d: (rank(d), d.box[1] if boxed and d.box else 0, d.start))


_KIND_ALIASES = {"renovation": Kind.RENOVATION_CODE, "postal": Kind.POSTAL_CODE, "permit": Kind.PERMIT_NUMBER,
                 "file": Kind.FILE_NUMBER}  # fmt: skip
_PLAQUE_QUERY_RE = re.compile(r"(?P<a>\d+)(?:[ ]*[/\-][ ]*(?P<f>\d+))?")
_NUMBER_QUERY_RE = re.compile(r"\d+(?:[ ]*[-/][ ]*\d+)*")


def canonical_query(kind: str, value: str) -> str:
    """The canonical form of a value a planner typed (``--plaque ۴۵/۱۲۳`` → ``45/123``).

    ``kind`` is an identifier kind; CLI spellings (``renovation-code``) are accepted.
    Raises ``IdentifierError`` when the value cannot be that kind of identifier.
    """
    key = kind.strip().lower().replace("-", "_")
    try:
        which = _KIND_ALIASES.get(key) or Kind(key)
    except ValueError:
        raise IdentifierError(f"unknown identifier kind {kind!r}") from None
    clean = " ".join(clean_text(value).split())
    if which is Kind.PLAQUE:
        long_form = [i for i in extract(value) if i.kind == Kind.PLAQUE]
        if long_form:
            return long_form[0].canonical
        m = _PLAQUE_QUERY_RE.fullmatch(clean)
        if m is None:
            raise IdentifierError(f"a plaque is A/F (اصلی/فرعی) or A, not {value!r}")
        return f"{m['a']}/{m['f']}" if m["f"] else m["a"]
    if which is Kind.RENOVATION_CODE:
        groups, _warning = _renovation_groups(_DIGITS_RE.findall(clean))
        if not groups or not re.fullmatch(r"[\d\-/ ]+", clean):
            raise IdentifierError(
                f"a renovation code is digit groups such as 08-03-123-012-000-000, not {value!r}"
            )
        return "-".join(groups)
    if which is Kind.POSTAL_CODE:
        digits = re.sub(r"[ \-]", "", clean)
        if len(digits) != 10 or not digits.isdigit():
            raise IdentifierError(f"a postal code has 10 digits, not {value!r}")
        return digits
    if which is Kind.NATIONAL_ID:
        digits = re.sub(r"[ \-]", "", clean)
        if digits.isdigit() and 8 <= len(digits) <= 10 and national_id_valid(digits.zfill(10)):
            return digits.zfill(10)
        raise IdentifierError(f"{value!r} is not a valid national id (10 digits, checksum)")
    if which is Kind.DATE:
        m = _DATE_RE.fullmatch(clean)
        parsed = _parse_date(m["a"], m["b"], m["c"]) if m else None
        if parsed is None:
            raise IdentifierError(f"{value!r} is not a date such as 1384/06/12 or 2005-09-03")
        return parsed[0]
    if not _NUMBER_QUERY_RE.fullmatch(clean):
        raise IdentifierError(
            f"a {which.value.replace('_', ' ')} is digits and / or -, not {value!r}"
        )
    return clean.replace(" ", "")


# --- personal data ---------------------------------------------------------------------

MASK = "*"
_ID_RUN_RE = re.compile(r"(?<![\d/.\-])\d(?:[ \-]?\d){7,9}(?![\d]|[ \-/.]\d)")


def mask_national_id(s: str) -> str:
    """A national id with its middle digits hidden: ``0084575948`` → ``008****948``.

    The first and last three digits stay, in the digits the text used (``۰۰۸****۹۴۸``);
    separators stay where they were. Fewer than seven digits are hidden entirely.
    """
    total = sum(char.isdigit() for char in s)
    out, seen = [], 0
    for char in s:
        if char.isdigit():
            keep = total >= 7 and (seen < 3 or seen >= total - 3)
            out.append(char if keep else MASK)
            seen += 1
        elif char not in BIDI_MARKS:
            out.append(char)
    return "".join(out)


def mask_personal(text: str) -> str:
    """``text`` with every national id in it masked (``mask_national_id``): the ones
    ``extract`` finds after their label, and any other 10-digit number in any digit
    system whose checksum holds, unless it is another identifier (a postal code).

    National ids are personal data; search output and snippets show them masked.
    """
    found = extract(text)
    spans = [(i.start, i.end) for i in found if i.kind == Kind.NATIONAL_ID and i.start >= 0]
    others = [(i.start, i.end) for i in found if i.kind != Kind.NATIONAL_ID and i.start >= 0]
    clean, offsets = _clean_with_offsets(text)
    for m in _ID_RUN_RE.finditer(clean):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) != 10 or not national_id_valid(digits):
            continue
        start, end = offsets[m.start()], offsets[m.end() - 1] + 1
        if not any(s < end and start < e for s, e in spans + others):
            spans.append((start, end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + mask_national_id(text[start:end]) + text[end:]
    return text
