"""File and permit numbers (``N`` or ``N/YY``), and the repair of their OCR slips that
both kinds share: the page's dates vouch for a number's 2-digit year."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from indexer.identifiers.checks import _parse_date
from indexer.identifiers.dates import _page_years
from indexer.identifiers.model import JALALI_MAX_YEAR, Kind
from indexer.identifiers.page import (
    _Group,
    _groups,
    _has_unit_after,
    _ident,
    _Match,
    _Page,
    _tokens,
)
from indexer.identifiers.patterns import _END, _FLAGS, _GAP, _NUMBER_WORD, _TOKEN
from indexer.normalize import fold_digits

_GROUPS = r"\d+(?:[ ]?[-/][ ]?\d+)*"
_SEP_GROUPS = r"\d+(?:[ ]?[-/][ ]?\d+)+"

_BUILDING = r"(?:[ ]*ساختمان(?:ی)?)?"
#: پروانه ending a line of running text, شماره and the number starting the next: a sentence
#: wrapped (``مازاد بر پروانه⏎شماره ۱۵۴۸۵ می‌باشد``). Not a heading or a letterhead's
#: line (پروانه with no word before it, or شماره followed by a colon: the letter's number).
_PERMIT_WRAPPED = (
    rf"(?<=\S[ ])[پب][رز]وانه{_BUILDING}[ ]*\n[ ]*{_NUMBER_WORD}(?=[ ]{{1,4}}\d)"
)
_PERMIT_RE = re.compile(
    rf"(?:{_NUMBER_WORD}[ ]*[پب][رز]وانه{_BUILDING}|[پب][رز]وانه{_BUILDING}[ ]*\.?[ ]*{_NUMBER_WORD}"
    rf"|{_PERMIT_WRAPPED}"
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
    rf"(?P<v>{_SEP_GROUPS}{_END}(?:[ ]\d+{_END})?|\d{{6,8}}{_END}|\d{{2,5}}[ ]\d{{2,5}}{_END}"
    rf"|[/\-]\d{{3,6}}[ ]\d{{2}}{_END})",
    _FLAGS,
)

_WELL_FORMED_NUMBER_RE = re.compile(r"[1-9]\d{0,5}(?:[/\-]\d{2})?")


def _jalali_year(yy: str) -> int:
    """The Jalali year of a 2-digit year on a dossier (00-05 are 1400-1405)."""
    return 1400 + int(yy) if int(yy) <= JALALI_MAX_YEAR - 1400 else 1300 + int(yy)


def _year_fits(page: _Page, yy: str) -> bool:
    """Whether a file number's year can be this page's: its dates' years or up to 6 before."""
    year = _jalali_year(yy)
    return any(seen - 6 <= year <= seen for seen in _page_years(page))


def _repair_number(page: _Page, value: str, scripts: str) -> tuple[str, str] | None:
    """A file number ``N/YY`` out of OCR slips, when the page's dates vouch for the year.

    Handles ``/`` read as ``۱`` (``۲۹۸۵۷۱۸۴``) or lost (``۳۶۱۶۳۸۳``), a three-digit year
    (``۸۹٩``: one digit read twice in two scripts; ``۱۸۱``: ``/`` echoed as ``۱``; ``۸۳۲``:
    a stray digit after it) and a leading ``۰`` (the comma after the number, which an RTL
    line shows on its left). Only an unambiguous reading is returned, with a warning.
    """
    if value.startswith("0") and _WELL_FORMED_NUMBER_RE.fullmatch(value[1:]) and "/" in value:
        return value[1:], "a leading ۰ dropped (the comma after the number)"
    m = re.fullmatch(r"([1-9]\d{2,5})([/\-])(\d{3})", value)
    if m:
        number, sep, year = m.groups()
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
            if _year_fits(page, yy) or not _page_years(page):
                return f"{number}{sep}{yy}", "file number year read with an extra digit"
        # Any other extra digit (۴ read as ۲۴, a stray mark, the comma after the number that
        # an RTL line shows on its left): only a date on the page says which.
        dated = {f"{y % 100:02d}" for y in _page_years(page)}
        found = {year[:i] + year[i + 1 :] for i in range(3)} & dated
        if len(found) == 1:
            return f"{number}{sep}{found.pop()}", "file number year read with an extra digit"
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


def _year_nine_as_waw(page: _Page, value: str, end: int) -> str | None:
    """``N/YY`` of a number whose year ended in a ۹ that OCR read as the letter و, which it
    resembles (``۸۸۱۷۷ / ۹و``): a year of one digit followed by و at the end of a word.
    The ۹ may be either digit of the year; a date on the page must allow one reading only."""
    m = re.fullmatch(r"([1-9]\d{2,5})/(\d)", value)
    if m is None or not page.clean.startswith("و", end):
        return None
    if end + 1 < len(page.clean) and page.clean[end + 1].isalnum():
        return None  # a word of its own (و ..., "and"), not a digit of this one
    number, digit = m.groups()
    years = {yy for yy in (digit + "9", "9" + digit) if _year_fits(page, yy)}
    return f"{number}/{years.pop()}" if len(years) == 1 else None


def _listed_from_right(page: _Page, pos: int) -> bool:
    """Whether Tesseract lists the digit groups of the line at ``pos`` from the right: a
    right-to-left line, or a form's value cell on a line of its own (no letters)."""
    return page.is_rtl(pos) or page.has_no_letters(pos)


def _reversed_year_first(page: _Page, value: str, start: int) -> bool:
    """Whether ``value`` is a number ``N/YY`` that Tesseract gave year first (``۸۶/۱۲۳۴۵``),
    as it lists the digit groups of a right-to-left line, or of a form's value cell on a
    line of its own, from the right. No file has a 2-digit number and a longer year; the
    year must be one the page's dates allow, when it has some."""
    m = re.fullmatch(r"(\d{2})[/\-]([1-9]\d{2,5})", value)
    if m is None or not _listed_from_right(page, start):
        return False
    return _year_fits(page, m.group(1)) or not _page_years(page)


def _number_reading(
    page: _Page, tokens: Sequence[_Group], *, bare: bool
) -> tuple[str, str | None, int] | None:
    """(value, warning, words used) of a file or permit number, or None.

    The first word alone when it is a number of the usual form (``N`` or ``N/YY``; a bare
    شماره needs the separator); else its OCR slips repaired; else the first two words
    read in page order, as OCR splits a number in two (``۵/۹۸ ۹۶۹۷`` is ``۹۶۹۷۵/۹۸``).
    """
    value = tokens[0][0]
    if _reversed_year_first(page, value, tokens[0][1]):
        return value, None, 1  # `_numbered` puts the year last
    # ``۹۷۵۲۱ / ۸۴`` with its separator listed before the number (``/۹۷۵۲۱ ۸۴``): a word
    # of its own between two LTR runs of an RTL line, put on the wrong side
    lead = re.fullmatch(r"([/\-])([1-9]\d{2,5})", value)
    year = tokens[1][0] if len(tokens) > 1 else ""
    if lead and re.fullmatch(r"\d{2}", year) and (_year_fits(page, year) or not _page_years(page)):
        return f"{lead.group(2)}{lead.group(1)}{year}", "separator read before the number", 2
    m = re.fullmatch(r"(\d{3})([/\-])([1-9]\d{2,5})", value)
    if m and _listed_from_right(page, tokens[0][1]):
        # the same, its year read with an extra digit (۸۷۰-۷۷۵۹۸: the comma after it)
        repaired = _repair_number(page, m.group(3) + m.group(2) + m.group(1), "")
        if repaired is not None:
            return repaired[0], repaired[1], 1
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
    waw_end = None
    if reading is None and (nine := _year_nine_as_waw(page, tokens[0][0], tokens[0][2])):
        reading, waw_end = (nine, "a ۹ of the year read as و", 1), tokens[0][2] + 1
    valid = reading is not None
    if reading is None:
        value = tokens[0][0].strip("-/")
        if not value or (bare and not re.search(r"[/\-]", value)):
            return None
        reading = (value, "not a number of the form N or N/YY", 1)
    value, warning, used = reading
    start, end = tokens[0][1], waw_end or tokens[used - 1][2]
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
    elif len(digits) == 2 and len(digits[0]) == 2 and len(digits[1]) >= 3 and _listed_from_right(page, start):
        digits.reverse()  # the 2-digit year comes last: ۸۶/۱۲۳۴۵ is a reversed ۱۲۳۴۵/۸۶
    canonical = digits[0] + "".join(sep + d for sep, d in zip(seps, digits[1:], strict=True))
    return _Match(start, end, [_ident(kind, start, end, canonical, valid=valid, warning=warning)])


# What OCR leaves of a number: one or two digits (۴۲ of ۸۵۴۲), with a year or not (۳/۹۳,
# ۵/۸۳ of ۲۱۵۳۴/۹۳ and ۱۱۹۵/۸۳). No dossier has a file or permit number that short.
_SHORT_NUMBER_RE = re.compile(r"\d{1,2}(?:[/\-]\d*)?")


def _find_permit_numbers(page: _Page) -> Iterator[_Match]:
    for m in _PERMIT_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.PERMIT_NUMBER, m)) is not None:
            if _SHORT_NUMBER_RE.fullmatch(found.found[0].canonical):
                continue
            yield found


def _find_file_numbers(page: _Page) -> Iterator[_Match]:
    for m in _FILE_NAMED_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.FILE_NUMBER, m)) is not None:
            if _SHORT_NUMBER_RE.fullmatch(found.found[0].canonical):
                continue
            yield found
    for m in _FILE_BARE_RE.finditer(page.clean):
        if (found := _numbered(page, Kind.FILE_NUMBER, m, bare=True)) is not None:
            if _SHORT_NUMBER_RE.fullmatch(found.found[0].canonical):
                continue
            yield found
