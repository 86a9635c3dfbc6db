"""Searchable PDF: each page image with an invisible text layer from the stored words.

The font is Tesseract's glyphless font (one empty glyph for every character code,
Identity-H encoding, a ToUnicode map from each code to the same UTF-16 value). Right-to-
left text is written as born-digital Persian PDFs store it and as OCRmyPDF 17 does: each
Persian run is shown in visual order (reversed) from its left edge, so every glyph sits
over the letter it stands for, and readers that sort glyphs by position and reorder them
(pdftotext, PDFium, viewers) read it back in logical order. Words are written in reading
order; digits and Latin words inside a Persian line are left-to-right runs in the
written order of their digit groups; a right-to-left mark after each such run keeps
pdftotext from moving the following space before it. docs/archival.md explains the
choice (Tesseract's mirrored text matrix was tried first: poppler split it into letters).

Images are embedded as stored: JPEG as JPEG (never decoded), bitonal pages as CCITT G4,
so a page costs about what its scan costs.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pikepdf
from PIL import Image, ImageCms, TiffImagePlugin

from archival.layout import Line, LineWord, word_runs
from ocr.errors import MissingDependency
from ocr.tools import tessdata_dir

CHAR_WIDTH = 500  # glyph advance of the glyphless font, in 1/1000 of the font size
PRODUCER = "parvandeh archival export"


@dataclass(frozen=True, slots=True)
class Placement:
    """Maps a point of the stored (cleaned) page image, in pixels, to PDF user space.

    ``matrix`` is the affine (a, b, c, d, e, f) taking image pixels (y down) to points
    (y up); for the cleaned image it only scales and flips, for an original scan it also
    undoes the cleaning's rotation and deskew.
    """

    matrix: tuple[float, float, float, float, float, float]

    def point(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.matrix
        return a * x + c * y + e, b * x + d * y + f

    @classmethod
    def for_image(cls, height_px: int, dpi: float) -> Placement:
        s = 72.0 / dpi
        return cls((s, 0.0, 0.0, -s, 0.0, height_px * s))


@dataclass(slots=True)
class PdfPage:
    """What one PDF page is made of: an image (or a copied original page) and lines."""

    lines: Sequence[Line]
    placement: Placement
    width_pt: float
    height_pt: float
    image: PageImage | None = None
    original_page: pikepdf.Page | None = None  # a source PDF's own page, drawn as it is
    rotate: int = 0  # the page's /Rotate, so an original scan lying sideways shows upright


@dataclass(frozen=True, slots=True)
class PageImage:
    """An image ready to embed: its stream data, filter and decode parameters."""

    data: bytes
    width: int
    height: int
    colorspace: str  # /DeviceGray, /DeviceRGB
    bits: int
    filter: str  # /DCTDecode, /CCITTFaxDecode, /FlateDecode
    decode_parms: dict[str, object] = field(default_factory=dict)


# -- images -----------------------------------------------------------------------------


def image_from_file(path: Path, *, frame: int = 0) -> PageImage:
    """The image at ``path`` ready to embed: a JPEG file's own bytes, a bitonal image as
    CCITT G4, anything else losslessly compressed (Flate)."""
    with Image.open(path) as img:
        if img.format == "JPEG" and img.mode in ("L", "RGB"):
            return PageImage(
                path.read_bytes(), img.width, img.height,
                "/DeviceGray" if img.mode == "L" else "/DeviceRGB", 8, "/DCTDecode",
            )
        if frame:
            img.seek(frame)
        img.load()
        return image_from_pil(img)


def image_from_pil(img: Image.Image) -> PageImage:
    """A decoded image ready to embed (G4 when bitonal, Flate otherwise)."""
    if img.mode == "1":
        return _g4(img)
    if img.mode not in ("L", "RGB"):
        img = img.convert("L" if img.mode in ("LA", "I", "I;16", "F") else "RGB")
    if img.mode == "L" and not any(img.histogram()[1:255]):  # only black and white: bitonal
        return _g4(img.convert("1"))
    space = "/DeviceGray" if img.mode == "L" else "/DeviceRGB"
    return PageImage(zlib.compress(img.tobytes(), 6), img.width, img.height, space, 8, "/FlateDecode")


def _g4(img: Image.Image) -> PageImage:
    """CCITT Group 4 by Pillow's libtiff, as one strip, its raw bytes lifted out of the TIFF."""
    buf = io.BytesIO()
    img.save(buf, format="TIFF", compression="group4", tiffinfo={278: img.height})
    with Image.open(io.BytesIO(buf.getvalue())) as tif:
        assert isinstance(tif, TiffImagePlugin.TiffImageFile)
        offsets, counts = tif.tag_v2[273], tif.tag_v2[279]
        photometric = tif.tag_v2.get(262, 0)
    if len(offsets) != 1:
        raise ValueError("G4 encoder wrote more than one strip")
    raw = buf.getvalue()[offsets[0] : offsets[0] + counts[0]]
    # libtiff codes 0 bits as white runs; Pillow writes mode "1" as min-is-black (1 = white)
    parms: dict[str, object] = {"/K": -1, "/Columns": img.width, "/Rows": img.height}
    if photometric == 1:
        parms["/BlackIs1"] = True
    return PageImage(raw, img.width, img.height, "/DeviceGray", 1, "/CCITTFaxDecode", parms)


# -- the text layer ---------------------------------------------------------------------


def _num(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _utf16(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def text_layer(lines: Iterable[Line], placement: Placement) -> bytes:
    """The invisible text (render mode 3) of a page's lines, in reading order.

    Each line is one baseline (its bottom) and one font size (its height), so extractors
    group its words into one line; each word run has its own text matrix and a
    horizontal scale (Tz) that makes it exactly as wide as its box. Between two words a
    space is shown in the gap, so extractors that do not infer spaces still get them.
    """
    out: list[str] = ["BT", "3 Tr"]
    for line in lines:
        if not line.words:
            continue
        _, top, _, height = line.box
        bottom = top + height
        x0, y0 = placement.point(0, bottom)
        x1, y1 = placement.point(0, top)
        size = max(1.0, math.hypot(x1 - x0, y1 - y0))
        out.append(f"/F1 {_num(size)} Tf")
        words = apart(line)
        frame = _Frame.of(line, bottom, placement)
        for k, word in enumerate(words):
            out.extend(_word_ops(word, line, bottom, size, frame))
            if k + 1 < len(words):
                out.extend(_space_ops(word, words[k + 1], line, bottom, size, frame))
    out.append("ET")
    return ("\n".join(out) + "\n").encode("ascii")


def apart(line: Line) -> list[LineWord]:
    """The line's words with overlapping boxes narrowed so that each ends before the next
    begins, in reading order, with room for a space between them.

    Tesseract's box of a Persian word often reaches under its neighbour (the tail of a
    final ی); extractors that sort glyphs by position would interleave the two words, or
    take the second for another line. The boxes in ALTO and hOCR stay as read.
    """
    height = line.box[3]
    gap = max(1, round(0.15 * height))
    out: list[LineWord] = []
    for word in line.words:
        left, right = word.left, word.right
        # a word keeps room for its glyphs side by side: glyphs on one spot read as duplicates
        least = max(1, min(word.width, round(0.3 * height * len(word.text))))
        if out:
            prev = out[-1]
            if line.rtl and right > prev.left - gap:
                right = prev.left - gap
                left = min(left, right - least)
            elif not line.rtl and left < prev.right + gap:
                left = prev.right + gap
                right = max(right, left + least)
        out.append(LineWord(word.text, word.conf, left, word.top, right - left, word.height))
    return out


SNAP_DEGREES = 3.0  # a line within this of level (or of a quarter turn) is written level


@dataclass(frozen=True, slots=True)
class _Frame:
    """A line's baseline in PDF space: a point on it, the direction its glyphs advance in
    (left to right on the image) and the direction of up."""

    ox: float
    oy: float
    ux: float
    uy: float
    vx: float
    vy: float
    placement: Placement

    @classmethod
    def of(cls, line: Line, baseline: float, placement: Placement) -> _Frame:
        """The baseline of ``line`` mapped to the page, snapped level when it is nearly so.

        On an original scan the words follow the page's skew; viewers and extractors
        group glyphs into lines by a shared baseline, and a slightly tilted one (as
        Tesseract's own renderer notes) makes some start a new line at every word.
        """
        left, _, width, _ = line.box
        x0, y0 = placement.point(left, baseline)
        x1, y1 = placement.point(left + width, baseline)
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        nearest = round(angle / 90.0) * 90.0
        if abs(angle - nearest) < SNAP_DEGREES:
            angle = nearest
        ux, uy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        mx, my = placement.point(left + width / 2, baseline)
        upx, upy = placement.point(left + width / 2, baseline - 1)
        vx, vy = -uy, ux
        if vx * (upx - mx) + vy * (upy - my) < 0:
            vx, vy = -vx, -vy
        return cls((x0 + x1) / 2, (y0 + y1) / 2, ux, uy, vx, vy, placement)

    def along(self, x: float, baseline: float) -> float:
        px, py = self.placement.point(x, baseline)
        return (px - self.ox) * self.ux + (py - self.oy) * self.uy


def _run_ops(text: str, *, rtl: bool, left: float, right: float, baseline: float, size: float,
             frame: _Frame) -> list[str]:
    """Show ``text`` between ``left`` and ``right`` (image x) on the line's baseline,
    advancing rightward from ``left``; a right-to-left run is shown in visual order
    (reversed), as the letters stand on the page."""
    start, end = frame.along(left, baseline), frame.along(right, baseline)
    length = end - start
    if length <= 0 or not text:
        return []
    sx, sy = frame.ox + start * frame.ux, frame.oy + start * frame.uy
    natural = size * CHAR_WIDTH / 1000 * len(text)
    scale = 100.0 * length / natural
    shown = text[::-1] if rtl else text
    return [
        f"{_num(frame.ux)} {_num(frame.uy)} {_num(frame.vx)} {_num(frame.vy)} {_num(sx)} {_num(sy)} Tm",
        f"{_num(scale)} Tz <{_utf16(shown)}> Tj",
    ]


RLM = "\u200f"


_LTR_RUN = re.compile(
    r"[0-9A-Za-z\u0660-\u0669\u06f0-\u06f9\u00c0-\u024f]+"
    r"(?:[-/.,:\u066b\u066c][0-9A-Za-z\u0660-\u0669\u06f0-\u06f9\u00c0-\u024f]+)*"
)


def with_marks(text: str) -> str:
    """A Persian line's word with a right-to-left mark after each number or Latin run and
    after each punctuation mark that is not Arabic-script.

    pdftotext reads a right-to-left line from the right and copies every run of
    characters it does not take for right-to-left letters (digits, Latin, ASCII
    punctuation), together with the space beyond it, left to right: the space after a
    number would end up before it, and ``:`` after the space. The mark is a
    right-to-left character that ends such a run where it ends; it is invisible, and
    search folds it away, as it does the marks Tesseract itself puts around numbers.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _LTR_RUN.match(text, i)
        if m:
            out.append(m.group() + RLM)
            i = m.end()
            continue
        ch = text[i]
        out.append(ch if unicodedata.bidirectional(ch) in ("R", "AL", "NSM", "BN") else ch + RLM)
        i += 1
    return "".join(out)


def _word_ops(word: LineWord, line: Line, baseline: float, size: float, frame: _Frame) -> list[str]:
    ops: list[str] = []
    text = with_marks(word.text) if line.rtl else word.text
    for run in word_runs(text, rtl_line=line.rtl):
        left = word.left + run.left * word.width
        right = left + run.width * word.width
        ops.extend(_run_ops(run.text, rtl=run.rtl, left=left, right=right, baseline=baseline,
                            size=size, frame=frame))
    return ops


def _space_ops(word: LineWord, nxt: LineWord, line: Line, baseline: float, size: float,
               frame: _Frame) -> list[str]:
    left, right = (float(nxt.right), float(word.left)) if line.rtl else (float(word.right), float(nxt.left))
    if right - left < 1:  # touching or overlapping boxes: a sliver, still a separator
        mid = (left + right) / 2
        left, right = mid - 0.5, mid + 0.5
    return _run_ops(" ", rtl=line.rtl, left=left, right=right, baseline=baseline, size=size,
                    frame=frame)


# -- the document -----------------------------------------------------------------------


@cache
def glyphless_font_file() -> bytes:
    """Tesseract's glyphless TrueType font (pdf.ttf beside its models, Apache-2.0)."""
    folder = tessdata_dir()
    candidates = [folder / "pdf.ttf"] if folder else []
    candidates += sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata/pdf.ttf"))
    for path in candidates:
        if path.is_file():
            return path.read_bytes()
    raise MissingDependency("Tesseract's pdf.ttf", "install it with: sudo apt-get install tesseract-ocr")


def _to_unicode_cmap() -> bytes:
    ranges = "\n".join(f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF)
    count = 256 - 8
    body = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    )
    chunks = ranges.split("\n")
    for start in range(0, count, 100):
        part = chunks[start : start + 100]
        body += f"{len(part)} beginbfrange\n" + "\n".join(part) + "\nendbfrange\n"
    body += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    return body.encode("ascii")


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    font_file = pdf.make_stream(glyphless_font_file())
    font_file.Length1 = len(glyphless_font_file())
    cid_to_gid = pdf.make_stream(zlib.compress(b"\x00\x01" * 65536), Filter=pikepdf.Name.FlateDecode)
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.GlyphLessFont, Flags=5,
        FontBBox=[0, 0, CHAR_WIDTH, 1000], ItalicAngle=0, Ascent=1000, Descent=-1, CapHeight=1000,
        StemV=80, FontFile2=font_file,
    ))
    cid_font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2, BaseFont=pikepdf.Name.GlyphLessFont,
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=descriptor, DW=CHAR_WIDTH, CIDToGIDMap=cid_to_gid,
    ))
    to_unicode = pdf.make_stream(zlib.compress(_to_unicode_cmap()), Filter=pikepdf.Name.FlateDecode)
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name.GlyphLessFont,
        Encoding=pikepdf.Name("/Identity-H"), DescendantFonts=[cid_font], ToUnicode=to_unicode,
    ))


def _image_xobject(pdf: pikepdf.Pdf, image: PageImage) -> pikepdf.Stream:
    stream = pdf.make_stream(image.data)
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width, stream.Height = image.width, image.height
    stream.ColorSpace = pikepdf.Name(image.colorspace)
    stream.BitsPerComponent = image.bits
    stream.Filter = pikepdf.Name(image.filter)
    if image.decode_parms:
        stream.DecodeParms = pikepdf.Dictionary({k: v for k, v in image.decode_parms.items()})
    return stream


@cache
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _pdfa(pdf: pikepdf.Pdf, *, title: str, created: datetime) -> None:
    """PDF/A-2b's document-level parts: an sRGB output intent and XMP metadata naming
    part 2, conformance B (the Info dictionary is kept in step by pikepdf)."""
    icc = pdf.make_stream(srgb_profile())
    icc.N = 3
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, OutputConditionIdentifier="sRGB",
        Info="sRGB IEC61966-2.1", DestOutputProfile=icc,
    )])
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = title
        meta["xmp:CreatorTool"] = PRODUCER
        meta["pdf:Producer"] = PRODUCER
        stamp = created.isoformat(timespec="seconds")
        meta["xmp:CreateDate"] = stamp
        meta["xmp:ModifyDate"] = stamp
        meta["xmp:MetadataDate"] = stamp


def write_pdf(pages: Iterable[PdfPage], out: Path, *, title: str, created: datetime | None = None) -> int:
    """Write the pages as one PDF/A-2b-shaped file at ``out``; returns the page count."""
    created = created or datetime.now(UTC).replace(microsecond=0)
    pdf = pikepdf.new()
    font = _font(pdf)
    count = 0
    for spec in pages:
        count += 1
        text = text_layer(spec.lines, spec.placement)
        if spec.original_page is not None:
            pdf.pages.append(spec.original_page)
            page = pdf.pages[-1]
            name = page.add_resource(font, pikepdf.Name.Font, pikepdf.Name("/FParvandeh"))
            layer = b"q\n" + text.replace(b"/F1 ", str(name).encode("ascii") + b" ") + b"Q\n"
            page.contents_add(pdf.make_stream(layer), prepend=False)
        else:
            if spec.image is None:
                raise ValueError("a page needs an image or an original page")
            xobject = _image_xobject(pdf, spec.image)
            w, h = spec.width_pt, spec.height_pt
            content = f"q {_num(w)} 0 0 {_num(h)} 0 0 cm /Im0 Do Q\n".encode("ascii") + text
            page_dict = pikepdf.Dictionary(
                Type=pikepdf.Name.Page, MediaBox=[0, 0, w, h],
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobject),
                                             Font=pikepdf.Dictionary(F1=font)),
                Contents=pdf.make_stream(content),
            )
            pdf.pages.append(pikepdf.Page(page_dict))
            page = pdf.pages[-1]
        if spec.rotate:
            page.Rotate = spec.rotate % 360
    if not count:
        raise ValueError("no pages to write")
    _pdfa(pdf, title=title, created=created)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
             fix_metadata_version=True, deterministic_id=True)
    return count
