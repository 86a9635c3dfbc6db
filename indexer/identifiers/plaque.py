"""Plaques (پلاک ثبتی): the long form (``F فرعی از A اصلی``, several فرعی at once), ``A``
alone, ``A/F`` or ``A اصلی`` after a label or before the section (بخش), with the section after them;
an RTL ``A/F`` is flipped when a long form on the page names the same parcel the other
way round."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from indexer.identifiers.model import Identifier, Kind
from indexer.identifiers.page import _groups, _has_unit_after, _ident, _Match, _Page
from indexer.identifiers.patterns import (
    _ASLI,
    _END,
    _FARI,
    _FLAGS,
    _GAP,
    _NUMBER_START,
    _NUMBER_WORD,
)

#: پلاک, پلاک ثبتی, پلاک ثبتی شماره; پلاکی ("a plaque", or what OCR leaves of پلاک‌ثبتی).
_PLAQUE_HEAD = rf"[پب]لا[کگی](?:ی|[ ]*\n?[ ]*ثبتی)?(?:[ ]*{_NUMBER_WORD})?{_GAP}"
#: پلاک ثبتی ending a line of running text, شماره and the number starting the next: a
#: sentence wrapped (``به پلاک ثبتی⏎شماره ۱۵۷ اصلی``); not a register's label over a line.
_PLAQUE_WRAPPED_HEAD = (
    rf"(?<=\S[ ])[پب]لا[کگ][ ]*ثبتی[ ]*\n[ ]*{_NUMBER_WORD}(?=[ ]{{1,4}}\d)[ ]{{1,4}}"
)
_PLAQUE_HEADS = rf"(?:{_PLAQUE_HEAD}|{_PLAQUE_WRAPPED_HEAD})"
_PLAQUE_FARI_FIRST_RE = re.compile(
    rf"{_NUMBER_START}(?P<f>\d+(?:\s{{0,3}}(?:و|,)\s{{0,3}}\d+){{0,5}})\s{{0,3}}{_FARI}"
    rf"\s{{0,3}}(?:از\s{{0,3}}|[.,،]\s{{0,3}})?(?P<a>\d+)\s{{0,3}}{_ASLI}",  # از read as a dot
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
_PLAQUE_ASLI_ONLY_RE = re.compile(rf"{_PLAQUE_HEADS}(?P<a>\d+)\s{{0,3}}{_ASLI}", _FLAGS)
#: ``A اصلی`` with no label OCR kept (``پلاک ی ۲۵۴ اصلی بخش ۱۱``), or its ی lost (``۲۸۶ اصل``):
#: with the section after it, as for a bare ``A/F``.
_PLAQUE_ASLI_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<a>\d+)\s{{0,3}}(?:{_ASLI}|ا[صض]ل(?=\s))", _FLAGS)
_PLAQUE_SLASH_RE = re.compile(
    rf"(?:{_PLAQUE_HEADS}|\b(?:registration[ ]+)?plaque(?:[ ]*(?:no\.?|number|\#))?{_GAP})"
    rf"(?P<a>\d+)[ ]?/[ ]?(?P<f>\d+){_END}",
    _FLAGS,
)
#: ``A/F`` with the registration section after it and no label before it (OCR garbled or
#: lost پلاک ثبتی, or merged it into the word before): only a plaque is followed by بخش.
#: (`_SECTION_RE`'s Persian form must follow: `_find_plaques`.)
_PLAQUE_SLASH_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<a>\d+)[ ]?/[ ]?(?P<f>\d+)(?!\d)", _FLAGS)
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


def _section_after(page: _Page, pos: int) -> str | None:
    m = _SECTION_RE.match(page.clean, pos)
    return (m.group("s") or m.group("s2")) if m else None


def _persian_section_after(page: _Page, pos: int) -> bool:
    """Whether بخش and its number follow ``pos`` (the English ``section`` is not enough to
    take a bare ``A/F`` for a plaque)."""
    m = _SECTION_RE.match(page.clean, pos)
    return bool(m and m.group("s"))


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
    for regex in (_PLAQUE_SLASH_RE, _PLAQUE_SLASH_BARE_RE):
        for m in regex.finditer(page.clean):
            start, end = m.start("a"), m.end("f")
            if _has_unit_after(page, end):
                continue  # 245/50 متر is an area, not a parcel
            if regex is _PLAQUE_SLASH_BARE_RE and not _persian_section_after(page, end):
                continue
            yield _slash_plaque(page, m)
    for m in _PLAQUE_ASLI_BARE_RE.finditer(page.clean):
        start, end = m.start("a"), m.end()
        if _persian_section_after(page, end):
            yield _Match(start, end, [_plaque(start, end, m.group("a"), _section_after(page, end))])


def _slash_plaque(page: _Page, m: re.Match[str]) -> _Match:
    """``A/F`` in the order the page shows it: by the word boxes when each group is its own
    word, else as written, with the other order kept for `_reconcile_plaques` on an RTL line."""
    start, end = m.start("a"), m.end("f")
    groups = [(m.group("a"), *m.span("a")), (m.group("f"), *m.span("f"))]
    order = page.visual_order(groups)
    flipped = None
    if order is not None:
        groups = [groups[k] for k in order]
    elif page.is_rtl(start):
        flipped = f"{groups[1][0]}/{groups[0][0]}"
    canonical = f"{groups[0][0]}/{groups[1][0]}"
    return _Match(start, end, [_plaque(start, end, canonical, _section_after(page, end))], flipped)


def _reconcile_plaques(matches: list[_Match]) -> None:
    """Flip an RTL ``A/F`` plaque whose reverse is a long-form plaque on the same page."""
    long_forms = {
        i.canonical for m in matches if m.flipped is None for i in m.found if i.kind == Kind.PLAQUE
    }
    for m in matches:
        if m.flipped and m.flipped in long_forms and m.found[0].canonical not in long_forms:
            m.found = [replace(m.found[0], canonical=m.flipped)]
