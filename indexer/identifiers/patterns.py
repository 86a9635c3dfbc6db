"""Regex fragments the kinds' patterns share (on cleaned text): what lies between a label
and its value, where a number starts and ends, and the label words with their OCR slips.
A fragment one kind alone uses lives with that kind."""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE
#: Between a label and its value: spaces, a colon (OCR sometimes doubles it), a line break,
#: the side of a box the value is written in (read as | or [).
_GAP = r"(?:[ ]{0,4}[:;.,\-|\[\]]{1,2}){0,2}[ ]{0,4}(?:\n[ ]{0,4})?"
#: "of the property" / "its" between a label and its value (کد نوسازی ملک …, کد پستی آن …);
#: ملک with its ل read as ن or its ک as گ.
_OF = r"(?:(?:م[لن][کگ]|[اآ]ن)[ ]{0,3}:?[ ]{0,3}(?:\n[ ]{0,4})?)?"

_END = r"(?!\d|[ ]?[-/.][ ]?\d)"
_NUMBER_START = r"(?<![\d/.\-])"
#: One number as OCR may split it: up to six words of digits, ``-`` and ``/`` (spaces
#: around a separator belong to the word).
_TOKEN = r"[\-/]?\d[\d\-/]*(?:[ ]?[\-/][ ]?\d[\d\-/]*)*"

# Labels, with the OCR slips seen on scans: ف read as خ, ص as ض, ر as ز, د as ذ, and کد
# lost or read as Latin letters (aS, oF, 35) in front of نوسازی, پستی and ملی; those three
# words are specific enough to stand alone before a value that must pass its own checks.
_FARI = r"[فخ]رع[یي]"
_ASLI = r"ا[صض]ل[یي]"
_NUMBER_WORD = r"(?:شن?[مفه]|(?<![\w])س)[اآ][رز]ه"  # شماره; ساره where OCR lost ش's dots and م
_KAD = r"[کگ][دذ]"

_SPACED_GROUPS = r"\d+(?:(?:[ ]?-[ ]?|[ ])\d+){0,3}"

_PHONE_BEFORE_RE = re.compile(
    r"(?:تلفن|تلفکس|فکس|نمابر|همراه|موبایل|تماس|\btel\b|phone|fax|mobile)[^\n]{0,25}$", _FLAGS
)

_DIGITS_RE = re.compile(r"\d+")
_TOKEN_RE = re.compile(_TOKEN)
_ARABIC_LETTER_RE = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_SPACES_RE = re.compile(r"[ ]+")
