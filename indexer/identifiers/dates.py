"""Dates: three digit groups in either order (a reversed RTL date is d/m/y), Jalali or
Gregorian; after a date label, one OCR garbled repaired; and the page's own date among
them (``document_date``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import product

from indexer.identifiers.checks import _parse_date
from indexer.identifiers.cleaning import clean_text
from indexer.identifiers.model import Identifier, Kind
from indexer.identifiers.page import _ident, _Match, _Page
from indexer.identifiers.patterns import _END, _FLAGS, _GAP

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


_FOUR_FOR_THREE_RE = re.compile(r"14([5-9]\d)")


def _year_three_as_four(a: str, b: str, c: str) -> tuple[str, str] | None:
    """The date whose year ``۱۳xx`` OCR read as ``۱۴xx`` (۳ and ۴ differ by one tooth): a
    year of 1450 or later is decades past any dossier, and 1350-1399 are the archive's own
    years. A year between (۱۴۱۰: 1410, or 1310?) is left as no date."""
    for i, group in ((0, a), (2, c)):
        if m := _FOUR_FOR_THREE_RE.fullmatch(group):
            groups = [a, b, c]
            groups[i] = "13" + m.group(1)
            return _parse_date(*groups)
    return None


def _find_dates(page: _Page) -> Iterator[_Match]:
    for m in _DATE_RE.finditer(page.clean):
        parsed = _parse_date(m.group("a"), m.group("b"), m.group("c"))
        warning = None
        if parsed is None:
            parsed = _year_three_as_four(m.group("a"), m.group("b"), m.group("c"))
            warning = "a ۳ of the year read as ۴"
        if parsed is not None:
            iso, jalali = parsed
            start, end = m.span()
            yield _Match(
                start, end, [_ident(Kind.DATE, start, end, iso, jalali=jalali, warning=warning)]
            )


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


def _page_years(page: _Page) -> set[int]:
    """Jalali years of the dates on the page: what a file number's 2-digit year must fit."""
    if page._years is None:
        page._years = set()
        for finder in (_find_dates, _find_repaired_dates):
            for match in finder(page):
                page._years.update(int(i.jalali[:4]) for i in match.found if i.jalali)
    return page._years


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
