"""The Tesseract engine: one call per page, keeping words, boxes and confidences.

Wraps one external program (OCRmyPDF's `_exec/tesseract.py` is the model): keyword-only
options, an empty page turned into an empty reading, real failures re-raised typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytesseract

from ocr.errors import RecognitionFailed
from ocr.types import Word

# Marks Tesseract inserts around numbers in right-to-left lines; never part of the text.
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


@dataclass(frozen=True, slots=True)
class Reading:
    """Tesseract's reading of one page image."""

    words: tuple[Word, ...]
    text: str
    confidence: float  # mean word confidence, 0-100; 0.0 for a page with no words

    @classmethod
    def empty(cls) -> Reading:
        return cls((), "", 0.0)


def _config(*, psm: int, dpi: int, extra: str = "") -> str:
    parts = [f"--psm {psm}", f"--dpi {dpi}", "-c preserve_interword_spaces=0"]
    if extra:
        parts.append(extra)
    return " ".join(parts)


def recognize(
    gray: np.ndarray,
    *,
    lang: str = "fas+eng",
    dpi: int = 300,
    psm: int = 3,
    timeout: float = 0,
    extra_config: str = "",
) -> Reading:
    """OCR one page; words come back in Tesseract's reading order per line."""
    try:
        data = pytesseract.image_to_data(
            gray,
            lang=lang,
            config=_config(psm=psm, dpi=dpi, extra=extra_config),
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except RuntimeError as e:  # pytesseract signals its own timeout this way
        raise RecognitionFailed(f"Tesseract timed out after {timeout:.0f} s") from e
    except pytesseract.TesseractError as e:
        if "Empty page" in str(e.message):
            return Reading.empty()
        raise RecognitionFailed(f"Tesseract failed: {e.message}") from e
    return reading_from_data(data)


def reading_from_data(data: dict[str, list]) -> Reading:
    """Build words and line-ordered text from `image_to_data`'s columns."""
    words: list[Word] = []
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, raw in enumerate(data["text"]):
        text = BIDI_MARKS.sub("", str(raw or "")).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(
            Word(
                text=text,
                conf=conf,
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                block=key[0],
                par=key[1],
                line=key[2],
            )
        )
        lines.setdefault(key, []).append(text)
    text = _join_lines(lines)
    confidence = sum(w.conf for w in words) / len(words) if words else 0.0
    return Reading(tuple(words), text, round(confidence, 2))


def _join_lines(lines: dict[tuple[int, int, int], list[str]]) -> str:
    """Lines joined by newlines, a blank line between paragraphs."""
    out: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _line), words in lines.items():
        if previous is not None and previous != (block, par):
            out.append("")
        out.append(" ".join(words))
        previous = (block, par)
    return "\n".join(out)
