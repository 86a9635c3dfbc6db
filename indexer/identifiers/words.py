"""OCR words and the cleaned page text: the text built from words, where each word sits
in the text, and right-to-left lines put back in the order their boxes show."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from indexer.identifiers.cleaning import clean_text
from indexer.identifiers.model import OcrWord
from indexer.identifiers.patterns import _ARABIC_LETTER_RE


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
