"""National ids (کد ملی) after their label: ten digits (or 8-9, zeros lost) in the group
order whose check digit holds."""

from __future__ import annotations

import re
from collections.abc import Iterator

from indexer.identifiers.checks import national_id_valid
from indexer.identifiers.model import Kind
from indexer.identifiers.page import _groups, _ident, _Match, _Page, _take_digits
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
