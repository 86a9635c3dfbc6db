"""Extraction cleaning: a named list of ``str -> str`` steps, as eyecite has it."""

from __future__ import annotations

import re
from collections.abc import Callable

from indexer.normalize import BIDI_MARKS, fold_digits, fold_letters

# Every step either maps one character to one character or only deletes characters, so
# positions in the cleaned text map back to the original (see _clean_with_offsets).

_DELETE_TABLE = dict.fromkeys(map(ord, BIDI_MARKS + "\u200d\u200b"))
_TATWEEL_BETWEEN_DIGITS_RE = re.compile(r"(?<=\d)\u0640(?=\u0640*\d)")
_SEPARATOR_TABLE = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2212": "-", "\u2044": "/", "\u2215": "/", "\u066b": ".", "\u066c": ",",
        "\u060c": ",", "\u200c": " ", "\u00a0": " ", "\u2007": " ", "\u2009": " ",
        "\u202f": " ", "\t": " ", "\r": " ", "\x0b": " ", "\x0c": " ",
    }
)  # fmt: skip
_MARKS_RE = re.compile("[\u064b-\u065f\u0670\u0640]")


def _delete_invisible(text: str) -> str:
    return text.translate(_DELETE_TABLE)


def _tatweel_as_hyphen(text: str) -> str:
    # Persian typists use tatweel as a dash between digit groups (۰۸ـ۰۳).
    return _TATWEEL_BETWEEN_DIGITS_RE.sub("-", text)


_BAR_SLASH_RE = re.compile(r"(?<=\d)([ ]?)\|(?=[ ]?\d{2}(?!\d))")


def _fold_separators(text: str) -> str:
    # a slash with spaces round it (۶۳۵۲ / ۸۳) that OCR read as a bar: same length
    return _BAR_SLASH_RE.sub(r"\1/", text.translate(_SEPARATOR_TABLE))


def _delete_marks(text: str) -> str:
    return _MARKS_RE.sub("", text)


#: Extraction cleaning, in order. Unlike ``normalize`` it keeps case, lines and spacing.
CLEAN_STEPS: list[tuple[str, Callable[[str], str]]] = [
    ("invisible_marks", _delete_invisible),
    ("arabic_letters", fold_letters),
    ("digits", fold_digits),
    ("tatweel_as_hyphen", _tatweel_as_hyphen),
    ("separators", _fold_separators),
    ("diacritics_and_tatweel", _delete_marks),
]


def clean_text(text: str) -> str:
    """Text ready for the identifier patterns: ASCII digits, Persian letters, no bidi marks."""
    for _name, step in CLEAN_STEPS:
        text = step(text)
    return text


def _clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """``clean_text`` plus, for each cleaned character, its index in ``text``."""
    offsets = list(range(len(text)))
    for _name, step in CLEAN_STEPS:
        after = step(text)
        if len(after) != len(text):
            kept, j = [], 0
            for char in after:  # a pure deletion: ``after`` is a subsequence of ``text``
                while text[j] != char:
                    j += 1
                kept.append(offsets[j])
                j += 1
            offsets = kept
        text = after
    return text, offsets
