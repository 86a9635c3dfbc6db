"""A source file's pages as the exports draw them: the stored words in reading order, and
the page image (cleaned, or the original scan) with the map from the words' pixels to it.

Words are in the pixels of the cleaned image. For an original scan the map undoes what
cleaning did: the rescale (measured from the two images' sizes), the deskew (a turn about
the middle on a canvas grown to fit, as `ocr.clean.deskew` does) and the quarter turns
(the page is given a /Rotate so it shows upright, its image left as it was scanned).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from archival.layout import Block, page_blocks, page_lines
from archival.pdf import PdfPage, Placement, image_from_file
from archival.source import PageRow, SourceFile
from ocr.types import Word
from pipeline.errors import ArchiveError
from pipeline.store import read_words

DESKEW_MIN = 0.05  # ocr.clean.deskew leaves smaller angles alone


@dataclass(frozen=True, slots=True)
class StoredPage:
    row: PageRow
    words: list[Word]
    image: Path | None
    width: int
    height: int

    @property
    def blocks(self) -> list[Block]:
        return page_blocks(self.words)


def stored_page(archive: Path, row: PageRow) -> StoredPage:
    """A page's words and cleaned image (its size from the file's header only)."""
    words = read_words(archive, row.wordfile) if row.wordfile else []
    image = archive / row.image if row.image else None
    if image is not None and image.is_file():
        with Image.open(image) as img:
            width, height = img.size
    else:
        image = None
        width = max((w.left + w.width for w in words), default=0)
        height = max((w.top + w.height for w in words), default=0)
    return StoredPage(row, words, image, width, height)


def _affine(points: list[tuple[float, float]]) -> tuple[float, float, float, float, float, float]:
    """The affine map given the images of (0, 0), (1, 0) and (0, 1)."""
    (ex, ey), (ax, ay), (cx, cy) = points
    return (ax - ex, ay - ey, cx - ex, cy - ey, ex, ey)


def original_placement(
    page: StoredPage, *, orig_w: float, orig_h: float, to_pdf: tuple[float, float, float, float],
) -> Placement:
    """The map from the cleaned image's pixels to PDF points on the original scan.

    ``orig_w`` x ``orig_h`` is the original page in its own units (pixels of a scan, points
    of a PDF page), as scanned; ``to_pdf`` = (x scale, y scale, x offset, y offset) takes
    those units (y down) to PDF points (y up).
    """
    r = page.row.rotation % 360
    up_w, up_h = (orig_h, orig_w) if r in (90, 270) else (orig_w, orig_h)
    angle = page.row.skew if abs(page.row.skew) >= DESKEW_MIN else 0.0
    theta = math.radians(-angle)
    cos, sin = math.cos(theta), math.sin(theta)
    canvas_w = up_h * abs(sin) + up_w * abs(cos)
    canvas_h = up_h * abs(cos) + up_w * abs(sin)
    f = (page.width / canvas_w + page.height / canvas_h) / 2 if canvas_w and canvas_h else 1.0

    def to_original(x: float, y: float) -> tuple[float, float]:
        xd, yd = x / f - canvas_w / 2, y / f - canvas_h / 2
        # deskew turned the upright page by R = [[cos, sin], [-sin, cos]]; undo with its transpose
        u = cos * xd - sin * yd + up_w / 2
        v = sin * xd + cos * yd + up_h / 2
        if r == 90:
            return v, orig_h - u
        if r == 180:
            return orig_w - u, orig_h - v
        if r == 270:
            return orig_w - v, u
        return u, v

    sx, sy, ox, oy = to_pdf

    def to_points(x: float, y: float) -> tuple[float, float]:
        xo, yo = to_original(x, y)
        return ox + sx * xo, oy - sy * yo

    return Placement(_affine([to_points(0, 0), to_points(1, 0), to_points(0, 1)]))


def cleaned_pdf_page(page: StoredPage) -> PdfPage:
    if page.image is None:
        raise ArchiveError(f"page {page.row.page} has no stored image (ingested with --no-images): use --original")
    image = image_from_file(page.image)
    dpi = page.row.dpi
    return PdfPage(page_lines(page.words), Placement.for_image(image.height, dpi),
                   image.width * 72 / dpi, image.height * 72 / dpi, image=image)


def _original_image_page(page: StoredPage, path: Path, frame: int) -> PdfPage:
    image = image_from_file(path, frame=frame)
    r = page.row.rotation % 360
    up_w = image.height if r in (90, 270) else image.width
    angle = page.row.skew if abs(page.row.skew) >= DESKEW_MIN else 0.0
    a = math.radians(angle)
    up_h = image.width if r in (90, 270) else image.height
    canvas_w = up_h * abs(math.sin(a)) + up_w * abs(math.cos(a))
    scale = page.width / canvas_w if canvas_w else 1.0  # cleaned pixels per original pixel
    dpi = page.row.dpi / scale if scale else page.row.dpi
    s = 72.0 / dpi
    width_pt, height_pt = image.width * s, image.height * s
    placement = original_placement(page, orig_w=image.width, orig_h=image.height, to_pdf=(s, s, 0.0, height_pt))
    return PdfPage(page_lines(page.words), placement, width_pt, height_pt, image=image, rotate=r)


def _original_pdf_page(page: StoredPage, source: pikepdf.Pdf) -> PdfPage | None:
    original = source.pages[page.row.page - 1]
    if int(original.obj.get("/Rotate", 0)) % 360:
        return None  # a scan PDF that turns its own page: drawn from the cleaned image instead
    x0, y0, x1, y1 = (float(v) for v in original.mediabox)
    placement = original_placement(page, orig_w=x1 - x0, orig_h=y1 - y0, to_pdf=(1.0, 1.0, x0, y1))
    return PdfPage(page_lines(page.words), placement, x1 - x0, y1 - y0, original_page=original,
                   rotate=page.row.rotation % 360)


def pdf_pages(archive: Path, src: SourceFile, *, original: bool, stack: ExitStack) -> Iterator[PdfPage]:
    """The source file's pages for its searchable PDF (``stack`` keeps a source PDF open
    until the output is saved)."""
    source_pdf: pikepdf.Pdf | None = None
    path = Path(src.path)
    if original and not path.is_file():
        raise ArchiveError(f"original {src.display} is not at {path} any more")
    for row in src.pages:
        page = stored_page(archive, row)
        if not original:
            yield cleaned_pdf_page(page)
            continue
        if src.kind == "pdf":
            if source_pdf is None:
                source_pdf = stack.enter_context(pikepdf.open(path))
            spec = _original_pdf_page(page, source_pdf)
            yield spec if spec is not None else cleaned_pdf_page(page)
        else:
            yield _original_image_page(page, path, row.page - 1)
