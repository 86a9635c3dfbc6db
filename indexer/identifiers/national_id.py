"""National ids (کد ملی) after their label: ten digits (or 8-9, zeros lost) in the group
order whose check digit holds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from indexer.identifiers.checks import national_id_valid
from indexer.identifiers.model import Kind
from indexer.identifiers.page import _Group, _groups, _ident, _Match, _Page, _take_digits
from indexer.identifiers.patterns import _FLAGS, _GAP, _KAD, _NUMBER_WORD, _SPACED_GROUPS

_NATIONAL_ID_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*|{_NUMBER_WORD}[ ]*)?ملی|(?<!\w)(?:{_KAD}|{_NUMBER_WORD})[ ]*مل(?=[ ]?:)"
    rf"|\bnational[ ]*(?:id|code|number)(?:[ ]*no\.?)?)"
    rf"{_GAP}(?P<v>{_SPACED_GROUPS})",
    _FLAGS,
)


def _find_national_ids(page: _Page) -> Iterator[_Match]:
    for m in _NATIONAL_ID_RE.finditer(page.clean):
        all_groups = _groups(page, *m.span("v"))
        groups = _take_digits(all_groups, 10)
        warning = None
        if groups is None and 8 <= sum(len(g[0]) for g in all_groups) <= 9:
            groups, warning = all_groups, "national id padded with leading zeros"
        found = _checked(page, groups, warning) if groups else None
        if found is None and (again := _hyphen_read_as_one(all_groups)) is not None:
            groups, canonical = again
            start, end = groups[0][1], groups[-1][2]
            warning = "a hyphen of the card's groups read as ۱"
            found = _Match(start, end, [_ident(Kind.NATIONAL_ID, start, end, canonical, warning=warning)])
        if found is not None:
            yield found


def _checked(page: _Page, groups: Sequence[_Group], warning: str | None) -> _Match | None:
    """The national id ``groups`` make in the order whose check digit holds, or None."""
    shown = page.visual(groups) if len(groups) > 1 else groups
    candidates = [[g[0] for g in shown], [g[0] for g in reversed(shown)]]
    # the card prints ۰۰۸-۴۵۷۵۹۴-۸: groups of 3, 6, 1 say which way round they are
    candidates.sort(key=lambda ds: [len(d) for d in ds] != [3, 6, 1])
    for digits in candidates:
        canonical = "".join(digits).zfill(10)
        if national_id_valid(canonical):
            start, end = groups[0][1], groups[-1][2]
            return _Match(start, end, [_ident(Kind.NATIONAL_ID, start, end, canonical, warning=warning)])
    return None


def _hyphen_read_as_one(groups: Sequence[_Group]) -> tuple[list[_Group], str] | None:
    """The groups and id of a card's ``۴۱۵-۳۴۲۶۴۰-۷`` whose hyphen Tesseract read as a ۱
    (``۳۴۲۶۴۰۱۷-۴۱۵``: eleven digits, and the groups of a right-to-left line listed from
    the right; ``۴۱۵۱۳۴۲۶۴۰-۷``: ten and one, whose ten fail the check digit). Taking out
    one ۱ that splits a group leaves groups of 3, 6 and 1, whose lengths say their order;
    the id is kept when exactly one such reading checks."""
    taken = _take_digits(groups, 11)
    if taken is None or len(taken) != 2:
        return None
    digits = [g[0] for g in taken]
    readings = set()
    for k, d in enumerate(digits):
        for i in range(1, len(d) - 1):
            parts = [*digits[:k], d[:i], d[i + 1 :], *digits[k + 1 :]]
            if d[i] != "1" or sorted(len(x) for x in parts) != [1, 3, 6]:
                continue
            by_length = {len(x): x for x in parts}
            if national_id_valid(nid := by_length[3] + by_length[6] + by_length[1]):
                readings.add(nid)
    return (taken, readings.pop()) if len(readings) == 1 else None
