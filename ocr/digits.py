"""Numbers read glyph by glyph.

Tesseract's `fas` model misreads numbers on clean pages: the `/` of a file number or a
date becomes ۱ (۴۲۶۹۵/۸۶ → ۴۲۶۹۵۱۸۶), ۳ and ۲ swap, ۶ becomes ۸, a long number keeps only
its last digits. Persian, Arabic-Indic and Latin digits are never joined to each other,
so a number is a row of separate ink components, one per glyph, and each can be
recognized alone.

This module keeps a small nearest-neighbour model of digit, separator and punctuation
glyphs, rendered from the Persian and Arabic fonts installed on the machine (Debian
packages; nothing is downloaded), and re-reads the words Tesseract read as numbers. A
word's glyph reading replaces Tesseract's only when every glyph is close to a known
shape, so an unfamiliar font or a smudged number keeps Tesseract's reading.

The model is rendered once (a few seconds) and kept in the user's cache directory.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from indexer.normalize import ARABIC_INDIC_DIGITS as ARABIC
from indexer.normalize import ASCII_DIGITS as LATIN
from indexer.normalize import PERSIAN_DIGITS as PERSIAN
from indexer.normalize import fold_digits
from ocr.tools import cache_dir
from ocr.types import Word

log = logging.getLogger(__name__)

SEPARATORS = "/-"
PUNCTUATION = ".,،:"  # commas (Persian or Latin) and colons next to a number, a decimal point
THOUSANDS = "٬"  # an amount's separator, above or below the digits' middle: ۸۱۱٬۰۰۰٬۰۰۰ ریال
_GROUPED = re.compile("^[0-9۰-۹٠-٩]{1,3}(?:٬[0-9۰-۹٠-٩]{3})+$")
AMOUNT_DIGITS = 6  # a word with this many digits may be an amount, read both ways
# In a Persian or Arabic-Indic number a dot is a zero (۰): a point there is the rare case.
_EASTERN = frozenset(PERSIAN + ARABIC + SEPARATORS + ",،:")
_WESTERN = frozenset(LATIN + SEPARATORS + PUNCTUATION)
SYSTEM_PRIOR = 0.05  # per glyph: Tesseract's digit system wins a near tie (0 and ٥ are one shape)
_TO_ARABIC = str.maketrans(PERSIAN, ARABIC)
_TO_PERSIAN = str.maketrans(ARABIC, PERSIAN)  # Latin digits stay: that number is Latin

MODEL_VERSION = 1  # part of the cache key: raise it when the samples or features change
GLYPH_PIXELS = 16  # a glyph is compared as a 16 x 16 image of its ink
SCALAR_WEIGHT = 0.6  # weight of size and height-in-line next to the shape
MAX_GLYPH_DISTANCE = 0.2  # a glyph further than this from every known shape is unknown
# ... except one glyph of a long run of known ones (a renovation code's ۶ in a typeface
# 0.25 from every rendered ۶): among twelve sure digits it is a digit too.
ODD_GLYPH_DISTANCE, ODD_GLYPH_AMONG = 0.3, 12
EM_SIZES = (22, 28, 34, 42)  # pixels; 9-14 pt type at the 180 dpi pages are read at
SAMPLES_PER_FONT = 8  # rendered numbers per font, size and digit system
BOUND_AXES = 24  # main axes of the samples that bound a glyph's distances (GlyphModel.nearest)

FONT_GLOBS = (
    "/usr/share/fonts/truetype/farsiweb/*.ttf",
    "/usr/share/fonts/truetype/freefarsi/*.ttf",
    "/usr/share/fonts/truetype/noto/Noto*Arabic-*.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf",
    "/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-*.ttf",
    "/usr/share/fonts/opentype/lateef/Lateef-Regular.ttf",
    "/usr/share/fonts/opentype/lateef/Lateef-Bold.ttf",
    "/usr/share/fonts/truetype/scheherazade/*.ttf",
    "/usr/share/fonts/truetype/harmattan/*.ttf",
    "/usr/share/fonts/truetype/kacst-one/*.ttf",
    # Where a user or an administrator installs the archive's own typefaces (B Nazanin...).
    "/usr/local/share/fonts/**/*.[ot]tf",
    "~/.local/share/fonts/**/*.[ot]tf",
)

# A word Tesseract read as a number (digits with separators), worth a glyph reading.
_NUMBER_WORD = re.compile(r"^[0-9۰-۹٠-٩/\-.,،:٫]*[0-9۰-۹٠-٩][0-9۰-۹٠-٩/\-.,،:٫]*$")


# Marks Tesseract adds to a number it half reads (۳( for a postal code); a glyph reading
# of the ink still has to match known shapes everywhere, so a real bracket keeps the word.
_STRAY = "()|"


def _mostly_digits(text: str) -> bool:
    """A long number with a few of its glyphs read as letters (ب۰-۰۲۳-۱۹۶-۵۳۸-۰۰۰-۰۰۰):
    worth a glyph reading, which keeps it only if every glyph is a known digit shape."""
    digits = sum(c.isdigit() for c in text)
    letters = sum(c.isalpha() for c in text)
    return (digits >= 4 and digits >= 2 * letters) or bool(_CODE_GROUPS.search(text))


# Three hyphenated digit groups: a code, whatever Tesseract made of the rest of it
# (۱۱۹-۲۵۷-۱۰-۱۰-ععموهه: the zeros of a renovation code read as letters).
_CODE_GROUPS = re.compile("[0-9۰-۹٠-٩]+(?:-[0-9۰-۹٠-٩]+){2,}")


def is_number_word(text: str) -> bool:
    """Whether Tesseract's word is a number, or mostly one, as far as its text says."""
    return bool(_NUMBER_WORD.match(text.strip(_STRAY))) or _mostly_digits(text)


SURE = 85.0  # Tesseract's word confidence above which a reading cut short or split is kept


def _cut_short(reading: str, read: str) -> bool:
    """Whether the glyph reading is Tesseract's reading with glyphs missing at an end (a
    digit its word box left out, ۱۴۰۰/۰۵/۰ for ۱۴۰۰/۰۵/۰۱), not a different reading. An
    unsure reading cut short is taken: there Tesseract added a digit (۷۲۳۰ for ۲۳۰, 73)."""
    mine, theirs = fold_digits(reading), fold_digits(read.strip(_STRAY))
    return len(mine) < len(theirs) and (theirs.startswith(mine) or theirs.endswith(mine))


def _split_within(found: NumberReading, word: Word) -> bool:
    """Whether the glyph reading is Tesseract's, inside the same box, with one glyph read
    as two: a glyph broken by a thin stroke lost to thresholding (85096 → 851196). Not
    digits found beside the word, nor a reading that differs more (2 → 5672)."""
    left, _, width, _ = found.box
    if not (left >= word.left - 2 and left + width <= word.left + word.width + 2):
        return False
    mine, theirs = fold_digits(found.text), fold_digits(word.text.strip(_STRAY))
    return len(mine) == len(theirs) + 1 and any(
        mine[:i] + mine[i + 2 :] == theirs[:i] + theirs[i + 1 :] for i in range(len(theirs))
    )


def _grew(reading: str, read: str) -> bool:
    """Whether the glyph reading found digits, other than zeros, that Tesseract's word
    did not have."""
    digits = [c for c in fold_digits(reading) if c.isdigit()]
    return len(digits) > sum(c.isdigit() for c in read) and any(c != "0" for c in digits)


# A word that can be a piece of a number: digits, separators and marks only.
_PIECE = re.compile(r"^[0-9۰-۹٠-٩/\-.,،:٫|]+$")

# --------------------------------------------------------------------------- glyphs


@dataclass(slots=True)
class _Glyph:
    left: int
    top: int
    right: int
    bottom: int
    labels: list[int]


def glyphs(gray: np.ndarray) -> tuple[list[_Glyph], np.ndarray]:
    """Ink components of a crop, left to right, parts of one glyph (stacked or broken
    strokes that share columns) merged; specks far smaller than the tallest glyph dropped."""
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = [
        _Glyph(int(x), int(y), int(x + w), int(y + h), [k])
        for k, (x, y, w, h, area) in enumerate(stats[1:], start=1)
        if area >= 3
    ]
    if not parts:
        return [], labels
    tallest = max(g.bottom - g.top for g in parts)
    parts = [g for g in parts if max(g.right - g.left, g.bottom - g.top) >= 0.12 * tallest]
    parts.sort(key=lambda g: g.left)
    merged: list[_Glyph] = []
    for g in parts:
        if merged:
            m = merged[-1]
            overlap = min(m.right, g.right) - max(m.left, g.left)
            if overlap >= 0.6 * min(m.right - m.left, g.right - g.left):
                m.left, m.top = min(m.left, g.left), min(m.top, g.top)
                m.right, m.bottom = max(m.right, g.right), max(m.bottom, g.bottom)
                m.labels.extend(g.labels)
                continue
        merged.append(g)
    return merged, labels


BAR_THICK = 0.25  # a hyphen's stroke, in the digits' height
BAR_LONG = 0.3  # and the least length of one that touches a digit
BAR_LEVEL = 0.1  # how much its middle may wander: a hyphen is level, a ۷'s arm is not


def _hyphens_apart(found: list[_Glyph], labels: np.ndarray, band: tuple[float, float]) -> list[_Glyph]:
    """The glyphs, with a hyphen that touches a digit (blur, a bold face: ۲- read as one
    unknown shape) given a label of its own in ``labels``: a run of columns at one end of
    a glyph whose ink is one thin level stroke across the middle of the digits' ``band``."""
    top, bottom = band
    height = max(bottom - top, 1.0)
    middle = (top + bottom) / 2
    out: list[_Glyph] = []
    for g in found:
        if len(g.labels) != 1 or g.right - g.left < 0.75 * height:
            out.append(g)
            continue
        ink = labels[g.top : g.bottom, g.left : g.right] == g.labels[0]
        columns = []  # each column's ink extent on the page, or None when it has none
        for x in range(ink.shape[1]):
            rows = np.flatnonzero(ink[:, x])
            columns.append((g.top + rows[0], g.top + rows[-1] + 1) if len(rows) else None)

        def bar(run: list[tuple[int, int] | None]) -> int:
            """How many columns from the start of ``run`` are one level stroke at mid-line."""
            n, centres = 0, []
            for c in run:
                if c is None or c[1] - c[0] > BAR_THICK * height:
                    break
                centre = (c[0] + c[1]) / 2
                if abs(centre - middle) > 0.25 * height:
                    break
                centres.append(centre)
                if max(centres) - min(centres) > BAR_LEVEL * height:
                    break
                n += 1
            return n

        left, right = bar(columns), bar(columns[::-1])
        cut = None
        if left >= BAR_LONG * height and g.right - g.left - left >= 0.2 * height:
            cut = (g.left, g.left + left)
        elif right >= BAR_LONG * height and g.right - g.left - right >= 0.2 * height:
            cut = (g.right - right, g.right)
        if cut is None:
            out.append(g)
            continue
        new = int(labels.max()) + 1
        region = labels[g.top : g.bottom, cut[0] : cut[1]]
        region[region == g.labels[0]] = new
        rest = labels[g.top : g.bottom, g.left : g.right] == g.labels[0]
        ys, xs = np.nonzero(rest)
        piece = labels[g.top : g.bottom, cut[0] : cut[1]] == new
        pys, _ = np.nonzero(piece)
        dash = _Glyph(cut[0], g.top + int(pys.min()), cut[1], g.top + int(pys.max()) + 1, [new])
        digit = _Glyph(g.left + int(xs.min()), g.top + int(ys.min()), g.left + int(xs.max()) + 1, g.top + int(ys.max()) + 1, [g.labels[0]])
        out.extend(sorted([dash, digit], key=lambda k: k.left))
    return out


def _band(found: Sequence[_Glyph]) -> tuple[float, float]:
    """Top and bottom of the number's full-height glyphs (a ۰ or a comma is not one)."""
    tallest = max(g.bottom - g.top for g in found)
    tall = [g for g in found if g.bottom - g.top >= 0.55 * tallest]
    return float(np.median([g.top for g in tall])), float(np.median([g.bottom for g in tall]))


def _features(
    labels: np.ndarray, found: Sequence[_Glyph], *, band: tuple[float, float] | None = None
) -> np.ndarray:
    """Shape (ink scaled into a square) plus size and height in the line (``band``, else
    the glyphs' own), one row a glyph."""
    top, bottom = band or _band(found)
    line = max(1.0, bottom - top)
    rows = []
    for g in found:
        ink = np.isin(labels[g.top : g.bottom, g.left : g.right], g.labels).astype(np.float32)
        h, w = ink.shape
        side = max(h, w)
        square = np.zeros((side, side), np.float32)
        square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = ink
        shape = np.asarray(
            cv2.resize(square, (GLYPH_PIXELS, GLYPH_PIXELS), interpolation=cv2.INTER_AREA), np.float32
        ).ravel()
        shape /= np.float32(np.linalg.norm(shape) + 1e-6)
        middle = ((g.top + g.bottom) / 2 - (top + bottom) / 2) / line
        scalars = np.array([h / line, w / line, middle], np.float32) * SCALAR_WEIGHT
        rows.append(np.concatenate([shape, scalars]))
    return np.array(rows, np.float32)


# --------------------------------------------------------------------------- model


def font_files() -> list[Path]:
    """Installed fonts that draw every digit, separator and mark the model knows."""
    from glob import glob

    from PIL import ImageFont

    found: list[Path] = []
    for pattern in FONT_GLOBS:
        for name in sorted(glob(os.path.expanduser(pattern), recursive=True)):
            try:
                font = ImageFont.truetype(name, 30)
            except OSError as e:
                log.warning("font %s skipped: %s", name, e)
                continue
            missing = bytes(font.getmask("\ue000"))  # a private-use code point: the .notdef box
            if all(
                bytes(font.getmask(c)) != missing
                for c in PERSIAN + ARABIC + LATIN + SEPARATORS + PUNCTUATION
            ) and Path(name) not in found:
                found.append(Path(name))
    return found


def _render(text: str, font, size: int) -> np.ndarray:
    """Glyphs drawn one by one, left to right, so the n-th component is the n-th character."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size * (len(text) + 4), 3 * size), 255)
    draw = ImageDraw.Draw(image)
    x = float(size)
    for ch in text:
        draw.text((x, size // 2), ch, font=font, fill=0)
        x += font.getlength(ch) + size * 0.04
    return np.asarray(image)


def _degrade(gray: np.ndarray, rng: random.Random) -> np.ndarray:
    """What scanning does: lower resolution, blur, grain."""
    out: np.ndarray = gray.astype(np.float32)
    factor = rng.uniform(0.55, 1.0)
    if factor < 0.97:
        small = cv2.resize(out, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    sigma = rng.uniform(0, 1.1)
    if sigma > 0.2:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    out += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(0, 18), out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def _sample_text(rng: random.Random, digits: str) -> str:
    text = "".join(rng.choice(digits) for _ in range(rng.randint(3, 9)))
    if rng.random() < 0.5:
        cut = rng.randint(1, len(text) - 1)
        text = text[:cut] + rng.choice(SEPARATORS) + text[cut:]
    if rng.random() < 0.25:
        mark = rng.choice(PUNCTUATION)
        text = mark + text if rng.random() < 0.5 else text + mark
    return text


def render_samples(
    fonts: Sequence[Path], *, per_font: int = SAMPLES_PER_FONT, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and their characters, from numbers rendered in ``fonts`` and degraded."""
    from PIL import ImageFont

    rng = random.Random(seed)
    rows: list[np.ndarray] = []
    chars: list[str] = []
    for path in fonts:
        for size in EM_SIZES:
            font = ImageFont.truetype(str(path), size)
            for digits in (PERSIAN, ARABIC, LATIN):
                for _ in range(per_font):
                    text = _sample_text(rng, digits)
                    found, labels = glyphs(_degrade(_render(text, font, size), rng))
                    if len(found) != len(text):
                        continue  # two glyphs touched or one broke apart: no clean labels
                    rows.append(_features(labels, found))
                    chars.extend(text)
    if not rows:
        return np.zeros((0, GLYPH_PIXELS**2 + 3), np.float32), np.array([], dtype="<U1")
    return np.concatenate(rows), np.array(chars)


class GlyphModel:
    """Nearest known glyph shape, restricted to one digit system per number."""

    def __init__(self, rows: np.ndarray, chars: np.ndarray):
        order = np.argsort(chars, kind="stable")  # each character's samples side by side
        self.rows, sorted_chars = rows[order], chars[order]
        self.norms = (self.rows * self.rows).sum(1)
        self.chars = sorted(set(chars.tolist()))
        self._starts = np.searchsorted(sorted_chars, self.chars)
        self._systems = [
            np.array([c in allowed for c in self.chars]) for allowed in (_EASTERN, _WESTERN)
        ]
        self._projection: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def _squared(self, features: np.ndarray, samples: np.ndarray | None = None) -> np.ndarray:
        rows, norms = (self.rows, self.norms) if samples is None else (self.rows[samples], self.norms[samples])
        return (features * features).sum(1)[:, None] - 2 * features @ rows.T + norms[None, :]

    def nearest(self, features: np.ndarray, *, within: float | None = None) -> np.ndarray:
        """Squared distance from each glyph to the nearest known shape of any character.

        With ``within``, the distance is exact only where it is at most ``within``;
        further glyphs get some value above it. Numbers are judged against distance
        limits (MAX_GLYPH_DISTANCE, ODD_GLYPH_DISTANCE), so that answers every question
        asked, without comparing a glyph with every sample: a projection on the samples'
        main axes (plus the length the projection leaves out) bounds each distance from
        below, and only samples whose bound is within the limit are compared in full.
        Comparing each glyph with all samples was a tenth of a page's reading time.
        """
        if within is None:
            return self._squared(features).min(1)
        basis, projected, rest = self._bounds()
        lengths = (projected * projected).sum(1)
        out = np.empty(len(features), np.float32)
        for k, f in enumerate(features.astype(np.float32)):
            pf = f @ basis
            pf_length = float(pf @ pf)
            rest_f = np.sqrt(max(float(f @ f) - pf_length, 0.0))
            bound = lengths - 2 * (projected @ pf) + pf_length + (rest - rest_f) ** 2
            close = np.flatnonzero(bound <= within * (1 + 1e-4) + 1e-6)  # float32 slack
            out[k] = self._squared(f[None, :], close).min() if len(close) else bound.min()
        return out

    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The samples' main axes, each sample's projection on them, and the length left."""
        if self._projection is None:
            centred = self.rows - self.rows.mean(0)
            _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 4000)], full_matrices=False)
            basis = np.ascontiguousarray(vt[:BOUND_AXES].T.astype(np.float32))
            projected = self.rows @ basis
            rest = np.sqrt(np.maximum(self.norms - (projected * projected).sum(1), 0)).astype(np.float32)
            self._projection = (basis, projected, rest)
        return self._projection

    def distances(self, features: np.ndarray) -> np.ndarray:
        """Squared distance from each glyph to the nearest sample of each character."""
        return np.minimum.reduceat(self._squared(features), self._starts, axis=1)

    def read(self, features: np.ndarray, *, latin: bool = False) -> tuple[str, np.ndarray]:
        """The characters and each one's distance, in the digit system that fits best;
        ``latin`` when Tesseract read the number in Latin digits."""
        per_char = self.distances(features)
        # A hyphen is a dash, wider than tall; a dot that Otsu made oval is a zero.
        if "-" in self.chars:
            flat = features[:, -2] >= 1.4 * features[:, -3]
            per_char[~flat, self.chars.index("-")] = np.inf
        best: tuple[float, str, np.ndarray] | None = None
        for allowed, is_latin in zip(self._systems, (False, True), strict=True):
            sub = np.where(allowed[None, :], per_char, np.inf)
            picks = sub.argmin(1)
            near = sub[np.arange(len(picks)), picks]
            score = float(near.sum()) + (0.0 if is_latin == latin else SYSTEM_PRIOR * len(picks))
            if best is None or score < best[0]:
                best = (score, "".join(self.chars[p] for p in picks), near)
        assert best is not None
        return best[1], best[2]


@functools.cache
def glyph_model() -> GlyphModel | None:
    """The model for this machine's fonts, rendered once and cached; None without fonts."""
    fonts = font_files()
    if not fonts:
        log.warning("no Persian fonts installed: numbers keep Tesseract's reading")
        return None
    key = hashlib.sha256(
        repr(
            (MODEL_VERSION, EM_SIZES, SAMPLES_PER_FONT, [(str(f), f.stat().st_size) for f in fonts])
        ).encode()
    ).hexdigest()[:16]
    path = cache_dir() / f"glyphs-{key}.npz"
    try:
        with np.load(path) as cached:
            return GlyphModel(cached["rows"], cached["chars"])
    except FileNotFoundError:
        pass
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
        log.warning("glyph model cache %s unreadable (%s): rendering it again", path, e)
    rows, chars = render_samples(fonts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, rows=rows, chars=chars)
        os.replace(tmp, path)
    except OSError as e:  # a read-only home: render again next time
        log.info("glyph model not cached (%s)", e)
    return GlyphModel(rows, chars)


# --------------------------------------------------------------------------- reading


UNREAD = 10.0  # a "word" Tesseract read at this confidence may be a number's lost digits
FLAT = 0.5  # a "word" this much lower than the number it is beside is dots and dashes (۰۰۰-۰۰۰)
REACH = 16.0  # how far beside a number word (in its heights) lost digits are looked for
MAX_RUN = 26  # glyphs in one number (a renovation code with its hyphens is 21)
DIGIT_PITCH = 0.8  # distance between digit centres, in digit heights, when a word has one
DASH_ASPECT, DASH_HEIGHT, DASH_MIDDLE = 1.8, 0.3, 0.25  # a hyphen's shape, in digit heights
DOT_SIZE = 0.5  # a zero's dot is at most this many digit heights across
SHORT_DASH = 0.65  # a hyphen may be as short as a zero, but no taller than this of one
DOT_ROUND = 1.5  # and at most this much wider than tall (a hyphen is 1.8 and more)
DOT_FILL = 0.55  # and this much of its box is ink (a zero's dot 0.6-0.7, a stroke's piece 0.5)
NEXT_DIGIT = 1.3  # a glyph further than this many pitches from the number is past a space
TIGHT_GAP = 1.5  # ... unless the blank before it is no wider than this many of the number's own
PERIOD_BELOW = 0.22  # a dot this far below the middle of the line is a period, not ۰


def _all_known(distances: Sequence[float]) -> bool:
    """Whether every glyph is near a known shape; in a long run, one may be a little further."""
    ranked = sorted(distances, reverse=True)
    if not ranked or ranked[0] <= MAX_GLYPH_DISTANCE:
        return True
    return (
        len(ranked) >= ODD_GLYPH_AMONG
        and ranked[0] <= ODD_GLYPH_DISTANCE
        and ranked[1] <= MAX_GLYPH_DISTANCE
    )


@dataclass(frozen=True, slots=True)
class NumberReading:
    """A number as its glyphs read: its text, its box, and the other words it covers."""

    text: str
    box: tuple[int, int, int, int]  # left, top, width, height
    covers: tuple[int, ...]  # indexes of the words that were pieces of this number


def _centre_in(word: Word, x: float, y: float) -> bool:
    return word.left <= x <= word.left + word.width and word.top <= y <= word.top + word.height


def read_number(
    gray: np.ndarray, words: Sequence[Word], index: int, model: GlyphModel, *, amounts: bool = False
) -> NumberReading | None:
    """The glyph reading of the number word ``words[index]``, or None when a glyph of it is
    unlike every known one.

    Tesseract often keeps only part of a long number (the last digits of a national ID)
    or breaks it into pieces (۰۰ ۰ ۰۰ for ۰۰۰-۰۰۰). So the reading grows from the word
    to each side, glyph by glyph, while the next glyph is as close as digits of one
    number are, reads as a digit or separator, and is not part of a word of letters.
    With ``amounts``, a small mark off the digits' middle is an amount's thousands
    separator (٬), and the reading is kept only if such marks part groups of three.
    """
    word = words[index]
    h = word.height
    pad = int(0.35 * h) + 2
    reach = int(REACH * h)
    x0, y0 = max(0, word.left - reach), max(0, word.top - pad)
    x1 = min(gray.shape[1], word.left + word.width + reach)
    y1 = min(gray.shape[0], word.top + h + pad)
    if x1 <= x0 or y1 <= y0:
        return None
    found, labels = glyphs(gray[y0:y1, x0:x1])
    # Glyphs of this line: centred in the word's height band, no taller than a digit can be.
    found = [
        g
        for g in found
        if word.top - 0.15 * h <= y0 + (g.top + g.bottom) / 2 <= word.top + 1.15 * h
        and g.bottom - g.top <= 1.5 * h
    ]

    def centre(i: int) -> tuple[float, float]:
        """Glyph ``i``'s centre on the page."""
        g = found[i]
        return x0 + (g.left + g.right) / 2, y0 + (g.top + g.bottom) / 2

    core = [i for i in range(len(found)) if _centre_in(word, *centre(i))]
    if not core:
        return None
    found = _hyphens_apart(found, labels, _band([found[i] for i in core]))
    core = [i for i in range(len(found)) if _centre_in(word, *centre(i))]
    first, last = core[0], core[-1]
    if last - first + 1 != len(core):
        return None  # something between the word's own glyphs that is not of it
    band = _band([found[i] for i in core])
    tall = max(band[1] - band[0], 1.0)  # the digits' own height (Tesseract's box is the line's)
    # The number's zeros, where it has a few: round dots of one size. A solid mark as
    # long but much lower than they are is a short hyphen (6 x 4 px beside 7 x 7 zeros).
    round_dots = [
        g.bottom - g.top
        for g in found
        if g.bottom - g.top <= DOT_SIZE * tall and g.right - g.left <= 1.2 * (g.bottom - g.top)
    ]
    zero_height = float(np.median(round_dots)) if len(round_dots) >= 3 else None
    rows: dict[int, np.ndarray] = {}
    known: dict[int, float] = {}

    def feature(i: int) -> np.ndarray:
        if i not in rows:
            rows[i] = _features(labels, [found[i]], band=band)[0]
        return rows[i]

    marks: dict[int, str | None] = {}

    def mark(i: int) -> str | None:
        """``-`` for a short bar across the middle of the digits (a hyphen, whatever its
        length and thickness in this typeface: the rendered ones vary more than digits
        do), ``۰`` for a solid dot-sized blob there (a Persian zero, even when a speck or
        a smudge has changed its outline); None for anything else. Size and place decide,
        not the nearest shape."""
        if i not in marks:
            g = found[i]
            h, w = g.bottom - g.top, g.right - g.left
            middle = abs((g.top + g.bottom) / 2 - (band[0] + band[1]) / 2) <= DASH_MIDDLE * tall
            long_bar = w >= DASH_ASPECT * h and h <= DASH_HEIGHT * tall
            short_bar = zero_height is not None and h <= SHORT_DASH * zero_height and w >= 1.3 * h
            if middle and (long_bar or short_bar):
                marks[i] = "-"
            elif middle and h <= DOT_SIZE * tall and w <= DOT_SIZE * tall and w <= DOT_ROUND * h:
                # Solid: mostly ink, and a 2 x 2 block of it fits. What is left of a faint
                # slash after thresholding is as small as a dot but a thin stroke
                # (۱۳۹۲/۰۸/۰۱ was read ۱۳۹۲۰۰۸۰۰۱); a 4-px diamond of a zero at 180 dpi is solid.
                ink = np.isin(labels[g.top : g.bottom, g.left : g.right], g.labels).astype(np.uint8)
                block = cv2.erode(np.pad(ink, 1), np.ones((2, 2), np.uint8)).any()
                marks[i] = "۰" if block and ink.mean() >= DOT_FILL else None
            elif amounts and h <= DOT_SIZE * tall and w <= DOT_SIZE * tall:
                marks[i] = THOUSANDS  # off the middle: a separator if between digit groups
            else:
                marks[i] = None
        return marks[i]

    def nearest(i: int) -> float:
        """Distance from glyph ``i`` to the nearest known shape (computed when asked)."""
        if i not in known:
            known[i] = 0.0 if mark(i) else shape_distance(i)
        return known[i]

    def shape_distance(i: int) -> float:
        return float(model.nearest(feature(i)[None, :], within=ODD_GLYPH_DISTANCE)[0])

    if not _all_known([nearest(i) for i in range(first, last + 1)]):
        return None
    # Digits are set at one pitch (a ۰ is a dot in the middle of a digit's width), so a
    # glyph of the number is about one pitch from the next; a word space is more.
    centres = [(g.left + g.right) / 2 for g in found]
    steps = [centres[i + 1] - centres[i] for i in range(first, last)]
    pitch = float(np.median(steps)) if steps else DIGIT_PITCH * tall
    pitch = min(max(pitch, 0.4 * tall), 1.0 * tall)

    def gap(a: int, b: int) -> int:
        return max(found[a].left, found[b].left) - min(found[a].right, found[b].right)

    # The blank between the number's own glyphs: a wide ۵ beside a hyphen has its centre
    # more than a pitch away, and is as close to it as the other glyphs are to each other.
    spacing = float(np.median([gap(i, i + 1) for i in range(first, last)])) if last - first >= 2 else None

    def near_enough(i: int, j: int) -> bool:
        if abs(centres[i] - centres[j]) <= NEXT_DIGIT * pitch:
            return True
        return spacing is not None and gap(i, j) <= max(TIGHT_GAP * spacing, 1.0) and gap(i, j) <= 0.35 * tall

    def owners(i: int) -> list[int]:
        return [j for j, other in enumerate(words) if j != index and _centre_in(other, *centre(i))]

    def piece(j: int) -> bool:
        """Whether word ``j`` is a piece of a number (or a digit Tesseract read as و)."""
        other = words[j]
        return (
            bool(_PIECE.match(other.text))
            or (other.conf < 50 and other.width <= 2.5 * pitch)
            or other.conf < UNREAD
            or other.height <= FLAT * word.height  # dots and dashes, too flat for letters
        )

    def joins(i: int, j: int) -> bool:
        """Whether glyph ``i``, next to the number's glyph ``j``, belongs to the number."""
        if not near_enough(i, j) or last - first + 1 >= MAX_RUN:
            return False  # a space comes first
        if nearest(i) > MAX_GLYPH_DISTANCE or found[i].bottom - found[i].top > 1.2 * tall:
            return False  # unlike any digit, or taller than one (an alef, not a ۱)
        beyond = 2 * i - j  # the glyph after ``i``, away from the number
        if (
            0 <= beyond < len(found)
            and gap(i, beyond) < gap(i, j)
            and nearest(beyond) > MAX_GLYPH_DISTANCE
        ):
            return False  # closer to a word's letters than to the number: اصلی's alef
        for k in owners(i):
            other = words[k]
            # Tesseract's boxes overlapping the number's: its word split went wrong here.
            astray = other.left < word.left + word.width and word.left < other.left + other.width
            if not piece(k) and not astray:
                return False  # part of a word of letters
        return True

    while first > 0 and joins(first - 1, first):
        first -= 1
    while last + 1 < len(found) and joins(last + 1, last):
        last += 1
    # An off-middle dot parts an amount's digit groups; at the number's end it is a full
    # stop or a comma, and only if it has a known shape.
    while last > first and mark(last) == THOUSANDS and shape_distance(last) > MAX_GLYPH_DISTANCE:
        last -= 1
    while first < last and mark(first) == THOUSANDS and shape_distance(first) > MAX_GLYPH_DISTANCE:
        first += 1
    covers = {j for i in range(first, last + 1) for j in owners(i) if piece(j)}
    run = found[first : last + 1]
    features = np.array([feature(i) for i in range(first, last + 1)])
    latin = sum(c in LATIN for c in word.text) > len(word.text) / 2
    text, near = model.read(features, latin=latin)
    chars = list(text)
    for k in range(first, last + 1):
        found_mark = mark(k)
        inside = first < k < last  # at an end, an off-middle dot is a full stop or a comma
        if found_mark == "-" or (found_mark in ("۰", THOUSANDS) and not latin and (inside or found_mark == "۰")):
            chars[k - first] = found_mark
            near[k - first] = 0.0
    text = "".join(chars)
    if THOUSANDS in text and not _GROUPED.match(text):
        return None  # a mark above or below the digits that does not part groups of three
    if not _all_known(near.tolist()) or not any(c.isdigit() for c in text):
        return None
    text = _periods(text, features)
    arabic = sum(c in ARABIC for c in word.text) > sum(c in PERSIAN for c in word.text)
    left = x0 + min(g.left for g in run)
    top = y0 + min(g.top for g in run)
    right = x0 + max(g.right for g in run)
    bottom = y0 + max(g.bottom for g in run)
    box = (left, top, right - left, bottom - top)
    return NumberReading(_display(text, arabic=arabic), box, tuple(sorted(covers)))


def _periods(text: str, features: np.ndarray) -> str:
    """A dot at either end of a number sitting low in the line is a full stop, not ۰."""
    middle = features[:, -1] / SCALAR_WEIGHT
    chars = list(text)
    for i in (0, len(chars) - 1):
        if chars[i] in "۰٠" and middle[i] > PERIOD_BELOW:
            chars[i] = "."
    return "".join(chars)


def _display(text: str, *, arabic: bool) -> str:
    """One digit system per number: Arabic-Indic when Tesseract read it so (many Persian
    fonts draw ٤٥٦ as ۴۵۶) or its own ٤٥٦ shapes were seen, else Persian. A comma or colon
    on the number's left edge goes after it, where a right-to-left line reads it."""
    shapes = any(c in "٤٥٦" for c in text) and not any(c in "۴۵۶" for c in text)
    text = text.translate(_TO_ARABIC if arabic or shapes else _TO_PERSIAN)
    lead = ""
    while text and text[0] in "،:.":
        lead, text = lead + text[0], text[1:]
    return text + lead


def reread_numbers(
    gray: np.ndarray,
    words: Sequence[Word],
    model: GlyphModel | None = None,
    *,
    fine: np.ndarray | None = None,
) -> list[Word]:
    """Words with each number Tesseract read replaced by its glyph reading where that is
    sure; pieces of one number (and the digits Tesseract dropped) joined into one word.

    ``fine`` is the same page at a higher resolution (the cleaned page before it was
    brought down to the resolution it is read at): a number whose glyphs are not all
    known shapes on ``gray`` is read there once more (`_read_fine`)."""
    model = model if model is not None else glyph_model()
    if model is None or not len(model):
        return list(words)
    out: dict[int, Word] = dict(enumerate(words))
    if fine is not None and fine.shape[1] < 1.15 * gray.shape[1]:
        fine = None  # no finer than the page (small text enlarged after the rescale)
    scaled: list[Word] | None = None
    for i, w in enumerate(words):
        if i not in out or not is_number_word(w.text):
            continue
        found = None
        if sum(c.isdigit() for c in w.text) >= AMOUNT_DIGITS:
            found = read_number(gray, words, i, model, amounts=True)
            if found is not None and THOUSANDS not in found.text:
                found = None  # not an amount: read as every other number is
        found = found or read_number(gray, words, i, model)
        if found is None and fine is not None:
            if scaled is None:
                scaled = _scaled_words(words, fine.shape[1] / gray.shape[1])
            found = _read_fine(fine, scaled, i, model, gray.shape[1] / fine.shape[1])
        if found is None:
            continue
        if not w.text.strip("۰٠0.-/" + _STRAY) and not _grew(found.text, w.text):
            continue  # a lone dot (a speck, a full stop) is a zero only inside a number
        if w.conf >= SURE and _cut_short(found.text, w.text):
            continue  # Tesseract's word box left out its last glyph: keep its sure reading
        if w.conf >= SURE and _split_within(found, w):
            continue  # a glyph broken in two (a Latin 0 as 11): keep the sure reading
        same = fold_digits(found.text) == fold_digits(w.text)
        if same and not found.covers:
            continue
        out[i] = replace(w, text=found.text, left=found.box[0], top=found.box[1],
                         width=found.box[2], height=found.box[3])
        for j in found.covers:
            out.pop(j, None)
    return list(out.values())


# A number whose glyphs are not all known shapes at the resolution the page is read at is
# read once more on the finer page, however sure Tesseract was of it (as a glyph reading
# on the page itself is taken). At 180 dpi the strokes of a second-generation photocopy or
# a low-quality JPEG bleed into each other (the ۴ and ۱ of ٣١٤١٧٢٣٢٠٤ one blob, read
# ۳۱6۱۷۲۳۲۰۵ at 47); at 300 they stand apart. On tuned seeds 1-3 (623 identifiers) it
# found 489 when only words read below 70 were read again, 493 below 85, 495 for every
# word, with fewer wrong readings each time.


def _scaled_words(words: Sequence[Word], factor: float) -> list[Word]:
    return [
        replace(w, left=round(w.left * factor), top=round(w.top * factor),
                width=max(1, round(w.width * factor)), height=max(1, round(w.height * factor)))
        for w in words
    ]  # fmt: skip


def _as_long(reading: str, read: str) -> bool:
    """Whether the finer reading keeps every glyph Tesseract saw: as many digits and
    separators, and no fewer separators (a hyphen Tesseract read as ۱ may come back as
    one). It is a second opinion on the same glyphs, not a shorter number: the zeros of
    ۱۴۰۰/۰۱/۱۲ beside a slanted slash were once taken for part of it (۱۴/۰۱/۱۲, 1935)."""
    signs = "0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩" + SEPARATORS

    def count(text: str, chars: str) -> int:
        return sum(c in chars for c in text)

    return count(reading, signs) >= count(read, signs) and count(reading, SEPARATORS) >= count(read, SEPARATORS)


def _read_fine(
    fine: np.ndarray, words: Sequence[Word], index: int, model: GlyphModel, back: float
) -> NumberReading | None:
    """``read_number`` on the finer page (``words`` in its coordinates), its box brought
    back to the page's by ``back``."""
    found = read_number(fine, words, index, model)
    # Every glyph Tesseract saw in the word and in the pieces it takes in: ۳۵ beside
    # ٩۲-۲6۷ once took that in as a piece and left only ۳۵ of the file number ٩٢-٢٤٧٣٥.
    seen = "".join(words[j].text for j in (index, *found.covers)) if found is not None else ""
    if found is None or not _as_long(found.text, seen):
        return None
    left, top, width, height = found.box
    box = (round(left * back), round(top * back), max(1, round(width * back)), max(1, round(height * back)))
    return replace(found, box=box)
