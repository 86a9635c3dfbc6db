"""Lay out and draw one A4 page at 300 dpi, keeping its text lines in reading order.

Persian is drawn through Pillow's raqm layout (``direction="rtl"``, ``language="fa"``):
without it Arabic-script text comes out as isolated letters in the wrong order, so
the writer refuses to start when raqm is missing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from samples.splits import heldout_font_dir

PAGE_SIZE = (2480, 3508)  # A4 at 300 dpi
RENDER_DPI = 300
MARGIN = 220
NBSP = "\u00a0"  # keeps an identifier on one line while wrapping; printed as a space

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS: dict[str, Path] = {
    "nazli": FONT_DIR / "farsiweb/nazli.ttf",
    "nazli-bold": FONT_DIR / "farsiweb/nazlib.ttf",
    "homa": FONT_DIR / "farsiweb/homa.ttf",
    "titr": FONT_DIR / "farsiweb/titr.ttf",
    "serif": FONT_DIR / "dejavu/DejaVuSerif.ttf",
    "serif-bold": FONT_DIR / "dejavu/DejaVuSerif-Bold.ttf",
}
_OT = Path("/usr/share/fonts/opentype")
_TT = FONT_DIR
#: The wider generator's body typefaces: (regular, bold) files, None where a family has no
#: bold (its regular is used). Debian's and assets' are tuned; "heldout:" ones come from
#: scripts/fonts.sh (samples/splits.py says which is which).
FAMILIES: dict[str, tuple[str, str | None]] = {
    "freefarsi": (f"{_TT}/freefarsi/FreeFarsi.ttf", f"{_TT}/freefarsi/FreeFarsi-Bold.ttf"),
    "noto-naskh": (f"{_TT}/noto/NotoNaskhArabic-Regular.ttf", f"{_TT}/noto/NotoNaskhArabic-Bold.ttf"),
    "noto-sans": (f"{_TT}/noto/NotoSansArabic-Regular.ttf", f"{_TT}/noto/NotoSansArabic-Bold.ttf"),
    "noto-kufi": (f"{_TT}/noto/NotoKufiArabic-Regular.ttf", f"{_TT}/noto/NotoKufiArabic-Bold.ttf"),
    "amiri": (f"{_OT}/fonts-hosny-amiri/Amiri-Regular.ttf", f"{_OT}/fonts-hosny-amiri/Amiri-Bold.ttf"),
    "scheherazade": (f"{_TT}/scheherazade/Scheherazade-Regular.ttf",
                     f"{_TT}/scheherazade/Scheherazade-Bold.ttf"),
    "lateef": (f"{_OT}/lateef/Lateef-Regular.ttf", f"{_OT}/lateef/Lateef-Bold.ttf"),
    "harmattan": (f"{_TT}/harmattan/Harmattan-Regular.ttf", f"{_TT}/harmattan/Harmattan-Bold.ttf"),
    "vazirmatn": ("assets:Vazirmatn-Regular.ttf", None),
    "sahel": ("heldout:Sahel.ttf", "heldout:Sahel-Bold.ttf"),
    "samim": ("heldout:Samim.ttf", "heldout:Samim-Bold.ttf"),
    "shabnam": ("heldout:Shabnam.ttf", "heldout:Shabnam-Bold.ttf"),
    "tanha": ("heldout:Tanha.ttf", None),
    "parastoo": ("heldout:Parastoo.ttf", "heldout:Parastoo-Bold.ttf"),
    "gandom": ("heldout:Gandom.ttf", None),
    "nahid": ("heldout:Nahid.ttf", None),
}
#: Faces whose letters are small (or large) for their em, scaled to a typist's 12 pt.
FONT_SCALE = {"lateef": 1.3, "scheherazade": 1.1, "amiri": 1.05, "noto-kufi": 0.85,
              "sahel": 0.92, "vazirmatn": 0.9, "shabnam": 0.92, "harmattan": 1.15}
INK = (22, 22, 26)

Box = tuple[int, int, int, int]


class PageFull(Exception):
    """Raised before drawing anything that would run past the bottom margin."""


def require_raqm() -> None:
    """Fail early: without raqm, Persian pages would be silently unreadable."""
    if not features.check("raqm"):
        raise RuntimeError(
            "Pillow has no raqm layout; install libraqm0 and libfribidi0 (Debian) "
            "so that Persian text is shaped and ordered"
        )


def font_file(name: str) -> Path:
    """The file of a face: ``nazli``, ``titr``…, or a family's ``NAME`` / ``NAME-bold``."""
    if name in FONTS:
        return FONTS[name]
    family, bold = (name[:-5], True) if name.endswith("-bold") else (name, False)
    regular, heavy = FAMILIES[family]
    where = (heavy or regular) if bold else regular
    if where.startswith("assets:"):
        from assets import font_path

        return font_path(where.removeprefix("assets:"))
    if where.startswith("heldout:"):
        return heldout_font_dir() / where.removeprefix("heldout:")
    return Path(where)


@lru_cache(maxsize=256)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A font from the Debian packages (or the held-out cache), always with raqm layout."""
    path = font_file(name)
    if not path.exists():
        hint = ("run scripts/fonts.sh (held-out fonts from npm)" if name.split("-bold")[0]
                in FAMILIES and FAMILIES[name.split("-bold")[0]][0].startswith("heldout:")
                else "install fonts-farsiweb, fonts-freefarsi, fonts-noto-core, fonts-hosny-amiri, "
                "fonts-sil-scheherazade, fonts-sil-lateef, fonts-sil-harmattan and "
                "fonts-dejavu-core (Debian)")
        raise FileNotFoundError(f"{path} is missing; {hint}")
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


def text_length(text: str, font: ImageFont.FreeTypeFont, *, rtl: bool) -> float:
    """Advance width of a shaped run."""
    if rtl:
        return font.getlength(text, direction="rtl", language="fa")
    return font.getlength(text, direction="ltr", language="en")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, *, rtl: bool) -> list[str]:
    """Greedy word wrap on plain spaces; NBSP-joined runs never split."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and text_length(candidate, font, rtl=rtl) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [line.replace(NBSP, " ") for line in lines]


@dataclass(frozen=True)
class Style:
    """Fonts and sizes of one page (a dossier's typist used one machine)."""

    rtl: bool
    body_font: str
    body_size: int
    heading_font: str
    bold_font: str

    @classmethod
    def persian(cls, body_font: str = "nazli", body_size: int = 48) -> Style:
        return cls(True, body_font, body_size, "titr", "nazli-bold")

    @classmethod
    def english(cls, body_size: int = 42) -> Style:
        return cls(False, "serif", body_size, "serif-bold", "serif-bold")

    @classmethod
    def family(cls, family: str, body_size: int, *, titr_headings: bool) -> Style:
        """A page typed in one of ``FAMILIES``; headings in its bold or in Titr."""
        return cls(True, family, body_size, "titr" if titr_headings else f"{family}-bold",
                   f"{family}-bold")

    def face(self, name: str | None) -> str:
        """The page's own face for a builder's generic one (Titr heading, Nazli bold/body)."""
        if name is None or self.body_font in ("nazli", "homa") or not self.rtl:
            return name or self.body_font
        return {"titr": self.heading_font, "nazli-bold": self.bold_font,
                "nazli": self.body_font}.get(name, name)

    def scaled(self, size: int) -> int:
        return round(size * FONT_SCALE.get(self.body_font, 1.0)) if self.rtl else size


class PageWriter:
    """Flows text down the page like a typist, and remembers every line it drew."""

    def __init__(self, style: Style) -> None:
        require_raqm()
        self.style = style
        self.image = Image.new("RGB", PAGE_SIZE, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[str] = []
        self.line_boxes: list[Box] = []  # where each of ``lines`` was drawn
        self.signature_boxes: list[Box] = []
        self.y = MARGIN
        self.left = MARGIN
        self.right = PAGE_SIZE[0] - MARGIN
        self.bottom = PAGE_SIZE[1] - MARGIN

    @property
    def width(self) -> int:
        return self.right - self.left

    def room(self) -> int:
        """Pixels left above the bottom margin."""
        return self.bottom - self.y

    def _font(self, font: str | None, size: int | None) -> ImageFont.FreeTypeFont:
        return load_font(self.style.face(font), self.style.scaled(size or self.style.body_size))

    def _put(self, text: str, x: float, baseline: float, font: ImageFont.FreeTypeFont,
             align: str) -> None:
        """Draw one run anchored at its start, end or centre, and record it."""
        text = text.replace(NBSP, " ")
        horizontal = {"start": "r" if self.style.rtl else "l", "end": "l" if self.style.rtl else "r",
                      "center": "m"}[align]
        direction, language = ("rtl", "fa") if self.style.rtl else ("ltr", "en")
        anchor = horizontal + "s"
        self.draw.text((x, baseline), text, font=font, fill=INK, anchor=anchor,
                       direction=direction, language=language)
        self.lines.append(text)
        box = self.draw.textbbox((x, baseline), text, font=font, anchor=anchor,
                                 direction=direction, language=language)
        self.line_boxes.append(tuple(round(v) for v in box))  # type: ignore[arg-type]

    def _x(self, align: str, left: int, right: int) -> float:
        start, end = (right, left) if self.style.rtl else (left, right)
        return {"start": start, "end": end, "center": (left + right) / 2}[align]

    def _need(self, height: int, reserve: int) -> None:
        if self.y + height > self.bottom - reserve:
            raise PageFull

    def line(self, text: str, *, font: str | None = None, size: int | None = None,
             align: str = "start", spacing: float = 1.7, reserve: int = 0) -> None:
        """One unwrapped line (headings, letterhead, form labels)."""
        face = self._font(font, size)
        height = round(face.size * spacing)
        self._need(height, reserve)
        self._put(text, self._x(align, self.left, self.right), self.y + face.size * 1.15, face,
                  align)
        self.y += height

    def paragraph(self, text: str, *, font: str | None = None, size: int | None = None,
                  spacing: float = 1.75, reserve: int = 0) -> None:
        """A wrapped paragraph, placed whole or not at all."""
        face = self._font(font, size)
        rows = wrap(text, face, self.width, rtl=self.style.rtl)
        step = round(face.size * spacing)
        self._need(step * len(rows), reserve)
        for row in rows:
            self._put(row, self._x("start", self.left, self.right), self.y + face.size * 1.15,
                      face, "start")
            self.y += step
        self.y += round(face.size) // 3

    def columns(self, cols: Sequence[Sequence[str]], *, weights: Sequence[float] | None = None,
                fonts: Sequence[tuple[str, int]] | None = None, align: str = "start",
                spacing: float = 1.6, reserve: int = 0) -> list[Box]:
        """Side-by-side blocks, the first one where reading starts; returns their boxes."""
        faces = ([self._font(*f) for f in fonts] if fonts
                 else [self._font(None, None)] * len(cols))
        step = round(max(f.size for f in faces) * spacing)
        depth = step * max(len(c) for c in cols)
        self._need(depth, reserve)
        weights = weights or [1.0] * len(cols)
        edges = [0.0]
        for w in weights:
            edges.append(edges[-1] + w / sum(weights))
        boxes: list[Box] = []
        for i, (col, face) in enumerate(zip(cols, faces, strict=True)):
            a, b = (1 - edges[i + 1], 1 - edges[i]) if self.style.rtl else (edges[i], edges[i + 1])
            left, right = round(self.left + a * self.width), round(self.left + b * self.width)
            for j, text in enumerate(col):
                self._put(text, self._x(align, left, right), self.y + j * step + face.size * 1.15,
                          face, align)
            boxes.append((left, self.y, right, self.y + depth))
        self.y += depth
        return boxes

    def table_row(self, cells: Sequence[str], *, weights: Sequence[float] | None = None,
                  size: int | None = None, bold: bool = False, reserve: int = 0) -> None:
        """A bordered form row; a value too long for its cell is set smaller, not cut."""
        base = size or self.style.body_size
        height = round(base * 2.0)
        self._need(height, reserve)
        weights = weights or [1.0] * len(cells)
        x = float(self.right if self.style.rtl else self.left)
        pad = base // 2
        for text, w in zip(cells, weights, strict=True):
            span = self.width * w / sum(weights)
            left, right = (x - span, x) if self.style.rtl else (x, x + span)
            self.draw.rectangle((left, self.y, right, self.y + height), outline=INK, width=3)
            face = self._fit(text.replace(NBSP, " "), bold, base, int(span - 2 * pad))
            edge = right - pad if self.style.rtl else left + pad
            self._put(text, edge, self.y + height / 2 + face.size * 0.35, face, "start")
            x = left if self.style.rtl else right
        self.y += height

    def grid_row(self, cells: Sequence[str], *, weights: Sequence[float] | None = None,
                 size: int | None = None, bold: Sequence[bool] | bool = False,
                 reserve: int = 0) -> None:
        """A row of a ruled table whose labels and values sit in cells of their own."""
        base = size or self.style.body_size
        height = round(base * 2.1)
        self._need(height, reserve)
        weights = weights or [1.0] * len(cells)
        bolds = [bold] * len(cells) if isinstance(bold, bool) else list(bold)
        x = float(self.right if self.style.rtl else self.left)
        pad = base // 3
        for text, w, heavy in zip(cells, weights, bolds, strict=True):
            span = self.width * w / sum(weights)
            left, right = (x - span, x) if self.style.rtl else (x, x + span)
            self.draw.rectangle((left, self.y, right, self.y + height), outline=INK, width=2)
            if text:
                face = self._fit(text.replace(NBSP, " "), heavy, base, int(span - 2 * pad))
                self._put(text, (left + right) / 2, self.y + height / 2 + face.size * 0.35, face,
                          "center")
            x = left if self.style.rtl else right
        self.y += height

    def boxed(self, label: str, value: str, *, below: bool = False, cells: bool = False,
              reserve: int = 0) -> None:
        """A form field whose value is written in a ruled box (or one digit per cell),
        beside its label or on the line under it."""
        face = self._font(None, None)
        bold = self._font("nazli-bold", None)
        height = round(face.size * 1.9)
        self._need(height * (2 if below else 1) + 20, reserve)
        start = self.right if self.style.rtl else self.left
        label_w = text_length(label, bold, rtl=self.style.rtl)
        self._put(label, start, self.y + height / 2 + face.size * 0.35, bold, "start")
        if below:
            self.y += height + 10
            edge = start
        else:
            edge = start - label_w - 40 if self.style.rtl else start + label_w + 40
        shown = value.replace(NBSP, " ")
        baseline = self.y + height / 2 + face.size * 0.35
        if cells:
            chars = [c for c in shown if c != " "]
            cell = round(face.size * 1.05)
            right = edge if self.style.rtl else edge + cell * len(chars)
            for i in range(len(chars)):  # digits run left to right even on a Persian page
                x0 = right - cell * (len(chars) - i)
                self.draw.rectangle((x0, self.y, x0 + cell, self.y + height), outline=INK, width=2)
                self.draw.text((x0 + cell / 2, baseline), chars[i], font=face, fill=INK,
                               anchor="ms")
            self.lines.append(shown)
            self.line_boxes.append((right - cell * len(chars), self.y, right, self.y + height))
        else:
            width = text_length(shown, face, rtl=self.style.rtl) + 60
            left, right = (edge - width, edge) if self.style.rtl else (edge, edge + width)
            self.draw.rectangle((left, self.y, right, self.y + height), outline=INK, width=3)
            self._put(value, (left + right) / 2, baseline, face, "center")
        self.y += height + 24

    def ruled_columns(self, heads: Sequence[str], cols: Sequence[Sequence[str]], *,
                      size: int | None = None, reserve: int = 0) -> list[Box]:
        """Two (or more) columns inside a frame with a ruling between them; each column is
        read whole, its heading first, before the next."""
        face = self._font(None, size)
        bold = self._font("nazli-bold", size)
        step = round(face.size * 1.7)
        depth = step * (1 + max(len(c) for c in cols)) + 30
        self._need(depth, reserve)
        n = len(cols)
        top = self.y
        self.draw.rectangle((self.left, top, self.right, top + depth), outline=INK, width=3)
        self.draw.line((self.left, top + step + 10, self.right, top + step + 10), fill=INK, width=2)
        boxes: list[Box] = []
        for i, (head, col) in enumerate(zip(heads, cols, strict=True)):
            k = n - 1 - i if self.style.rtl else i
            left = round(self.left + self.width * k / n)
            right = round(self.left + self.width * (k + 1) / n)
            if k:
                self.draw.line((left, top, left, top + depth), fill=INK, width=3)
            self._put(head, (left + right) / 2, top + face.size * 1.15, bold, "center")
            for j, text in enumerate(col):
                edge = right - 30 if self.style.rtl else left + 30
                self._put(text, edge, top + step * (j + 1) + 20 + face.size * 1.15, face,
                          "start")
            boxes.append((left, top, right, top + depth))
        self.y += depth + 30
        return boxes

    def _fit(self, text: str, bold: bool, size: int, width: int) -> ImageFont.FreeTypeFont:
        name = self.style.bold_font if bold else self.style.body_font
        size = self.style.scaled(size)
        while size > 28 and text_length(text, load_font(name, size), rtl=self.style.rtl) > width:
            size -= 2
        return load_font(name, size)

    def rule(self, *, thickness: int = 4, double: bool = False) -> None:
        """A horizontal rule under a letterhead or title."""
        self.y += 12
        self.draw.line((self.left, self.y, self.right, self.y), fill=INK, width=thickness)
        if double:
            self.draw.line((self.left, self.y + 12, self.right, self.y + 12), fill=INK, width=2)
        self.y += 36

    def gap(self, pixels: int) -> None:
        self.y = min(self.y + pixels, self.bottom)

    def footer(self, text: str, *, size: int = 36) -> None:
        """A line pinned to the bottom margin, after a thin rule (printed stationery)."""
        face = self._font(None, size)
        y = self.bottom + 40
        self.draw.line((self.left, y - 20, self.right, y - 20), fill=INK, width=2)
        self._put(text, self._x("center", self.left, self.right), y + size, face, "center")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def draw_signature(image: Image.Image, box: Box, rng: random.Random) -> None:
    """A pen scrawl across the upper part of a signature block, as signers do."""
    left, top, right, bottom = box
    width = right - left
    cx = left + width * rng.uniform(0.35, 0.65)
    span = width * rng.uniform(0.35, 0.55)
    cy = top + (bottom - top) * rng.uniform(0.1, 0.5)
    points = []
    n = rng.randint(7, 12)
    for i in range(n):
        t = i / (n - 1)
        points.append((cx - span / 2 + span * t + rng.uniform(-25, 25),
                       cy + rng.uniform(-70, 70) * math.sin(t * math.pi * rng.uniform(1, 3))))
    curve = _smooth(points, steps=14)
    colour = rng.choice([(25, 40, 120), (20, 20, 30), (40, 30, 110)])
    draw = ImageDraw.Draw(image)
    draw.line(curve, fill=colour, width=rng.randint(4, 7), joint="curve")
    tail = curve[-1]
    draw.line([tail, (tail[0] - span * 0.8, tail[1] + rng.uniform(10, 40))], fill=colour,
              width=3)


def _smooth(points: list[tuple[float, float]], steps: int) -> list[tuple[float, float]]:
    """Catmull-Rom through the control points, so a scrawl looks hand-drawn."""
    padded = [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for s in range(steps):
            t = s / steps
            out.append(tuple(  # type: ignore[arg-type]
                0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t * t
                       + (-a + 3 * b - 3 * c + d) * t ** 3)
                for a, b, c, d in zip(p0, p1, p2, p3, strict=True)))
    return out


def draw_stamp(image: Image.Image, centre: tuple[float, float], rng: random.Random,
               lines: Sequence[str]) -> None:
    """A round rubber stamp in violet or blue ink, tilted and partly over the text."""
    radius = rng.randint(190, 240)
    size = radius * 2 + 20
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=255, width=12)
    inner = radius - 34
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=5)
    for k in range(24):
        a = 2 * math.pi * k / 24
        r = (radius + inner) / 2
        draw.ellipse((c + r * math.cos(a) - 5, c + r * math.sin(a) - 5,
                      c + r * math.cos(a) + 5, c + r * math.sin(a) + 5), fill=255)
    face = load_font("titr", 44)
    for i, text in enumerate(lines):
        y = c + (i - (len(lines) - 1) / 2) * 70
        draw.text((c, y), text, font=face, fill=255, anchor="mm", direction="rtl", language="fa")
    mask = mask.rotate(rng.uniform(-35, 35), resample=Image.Resampling.BICUBIC)
    strength = rng.uniform(0.55, 0.85)
    mask = mask.point(lambda v: round(v * strength))
    ink = rng.choice([(70, 40, 150), (40, 60, 160), (110, 40, 120)])
    stamp = Image.new("RGB", mask.size, ink)
    at = (round(centre[0] - size / 2), round(centre[1] - size / 2))
    region = image.crop((at[0], at[1], at[0] + size, at[1] + size))
    inked = Image.composite(_multiply(region, stamp), region, mask)
    image.paste(inked, at)


def _multiply(base: Image.Image, ink: Image.Image) -> Image.Image:
    """Ink over print darkens it (multiply), rather than covering it."""
    return ImageChops.multiply(base, ink)
