"""Postal codes (کد پستی): ten digits after their label, or a bare 5-5 pair that is no
phone number; two groups on an RTL line put in the order the rules accept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from indexer.identifiers.checks import postal_code_warning
from indexer.identifiers.model import HOME_POSTAL_PREFIXES, Kind
from indexer.identifiers.page import _Group, _groups, _ident, _Match, _Page, _take_digits
from indexer.identifiers.patterns import (
    _END,
    _FLAGS,
    _GAP,
    _KAD,
    _NUMBER_START,
    _OF,
    _PHONE_BEFORE_RE,
    _SPACED_GROUPS,
)

# After کد the label may have lost its پ's dots to a ن and gained a stray dot (کد.نستی).
_POSTAL_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*)?[پب][سش]تت?ی|(?<!\w){_KAD}[ .]{{0,2}}[پبن][سش]ت?ی"
    rf"|\b(?:postal|post|zip)[ ]*code){_GAP}{_OF}"
    rf"(?P<v>{_SPACED_GROUPS})",
    _FLAGS,
)
_POSTAL_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<v>\d{{5}}[ ]?-[ ]?\d{{5}}){_END}")


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


def _dash_read_as_digit(groups: list[_Group]) -> list[_Group] | None:
    """The two groups of ``۳۱۹۸۶-۴۸۹۲۳`` whose dash OCR read as a ۰ or ۱ (``۴۸۹۲۳۰۳۱۹۸۶``):
    eleven digits with that digit in the middle."""
    if not groups or len(groups[0][0]) != 11 or groups[0][0][5] not in "01":
        return None
    text, start, _end = groups[0]
    return [(text[:5], start, start + 5), (text[6:], start + 6, start + 11)]


def _find_postal_codes(page: _Page) -> Iterator[_Match]:
    for m in _POSTAL_RE.finditer(page.clean):
        found = _groups(page, *m.span("v"))
        groups = _take_digits(found, 10)
        if groups is not None:
            yield _postal_match(page, groups)
        elif (halves := _dash_read_as_digit(found)) is not None:
            match = _postal_match(page, halves)
            if match.found[0].valid:  # only a code the rules accept: else the 11 digits are no code
                match.found[0] = replace(match.found[0], warning="the dash between the groups read as a digit")
                yield match


def _find_bare_postal_codes(page: _Page) -> Iterator[_Match]:
    for m in _POSTAL_BARE_RE.finditer(page.clean):
        line_start = page.clean.rfind("\n", 0, m.start()) + 1
        if _PHONE_BEFORE_RE.search(page.clean, line_start, m.start()):
            continue  # 5-5 digits after تلفن are a phone number
        yield _postal_match(page, _groups(page, *m.span("v")))
