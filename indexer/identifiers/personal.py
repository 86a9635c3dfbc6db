"""Personal data: national ids masked in search output and snippets."""

from __future__ import annotations

import re

from indexer.identifiers.checks import national_id_valid
from indexer.identifiers.cleaning import _clean_with_offsets
from indexer.identifiers.extractor import extract
from indexer.identifiers.model import Kind
from indexer.normalize import BIDI_MARKS

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
