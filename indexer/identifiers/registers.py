"""Registers: tables whose labels head the line above their values, rewritten with each
label before its value so the labelled patterns read them."""

from __future__ import annotations

import re

from indexer.identifiers.patterns import _ARABIC_LETTER_RE, _ASLI, _FARI

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


#: A value OCR garbled (``۰ ۸۸/`` for ``۲۳۱۸۰ / ۸۸``): digits, separators and spaces only.
_GARBLED_VALUE_RE = re.compile(r"[\d/\-. ]*\d[\d/\-. ]*")


def _value_line(text: str) -> bool:
    """Whether a line below a column of labels holds a value: one of the register's forms,
    or one OCR garbled, which is still the value of its label and of no other (the line
    under the last label holds the first label's value)."""
    return bool(_REGISTER_VALUE_RE.fullmatch(text.strip()) or _GARBLED_VALUE_RE.fullmatch(text.strip()))


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
            if all(_value_line(t) for _s, t in below):
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
