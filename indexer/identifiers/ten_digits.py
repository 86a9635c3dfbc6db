"""Ten digits standing alone (a form's value cell whose label OCR lost): a Karaj postal
code or a national id, by their own checks; the one finder that yields two kinds."""

from __future__ import annotations

import re
from collections.abc import Iterator

from indexer.identifiers.checks import _postal_like, national_id_valid
from indexer.identifiers.model import Kind
from indexer.identifiers.page import _ident, _Match, _Page
from indexer.identifiers.patterns import (
    _END,
    _FLAGS,
    _KAD,
    _NUMBER_START,
    _NUMBER_WORD,
    _PHONE_BEFORE_RE,
)

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
