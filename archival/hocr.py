"""hOCR for one source file: one ``ocr_page`` per page, blocks (``ocr_carea``), lines with
their language and direction, words with ``x_wconf``.

The page's rotation and skew (what cleaning undid) are ``x_rotation`` and ``x_skew``
engine properties of the page; coordinates are pixels of the cleaned image.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from archival.layout import Block

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fa" lang="fa">
<head>
<title>{title}</title>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
<meta name="ocr-system" content="parvandeh (Tesseract {engine})"/>
<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word ocrp_lang ocrp_dir ocrp_wconf"/>
</head>
<body>
"""


def _bbox(box: tuple[int, int, int, int]) -> str:
    left, top, width, height = box
    return f"bbox {left} {top} {left + width} {top + height}"


def hocr_page(
    blocks: Iterable[Block], *, number: int, image: str, width: int, height: int, dpi: int,
    rotation: int, skew: float,
) -> str:
    """The ``ocr_page`` div of one page."""
    title = (f"image {escape(image, quote=True)}; bbox 0 0 {width} {height}; ppageno {number - 1}; "
             f"scan_res {dpi} {dpi}; x_rotation {rotation}; x_skew {skew:.2f}")
    out = [f'<div class="ocr_page" id="page_{number}" title="{title}">']
    for b, block in enumerate(blocks, start=1):
        if not block.lines:
            continue
        out.append(f' <div class="ocr_carea" id="block_{number}_{b}" title="{_bbox(block.box)}">')
        for n, line in enumerate(block.lines, start=1):
            direction = "rtl" if line.rtl else "ltr"
            out.append(f'  <span class="ocr_line" id="line_{number}_{b}_{n}" title="{_bbox(line.box)}" '
                       f'lang="{line.lang}" dir="{direction}">')
            for k, word in enumerate(line.words, start=1):
                box = (word.left, word.top, word.width, word.height)
                out.append(f'   <span class="ocrx_word" id="word_{number}_{b}_{n}_{k}" '
                           f'title="{_bbox(box)}; x_wconf {round(word.conf)}">{escape(word.text)}</span>')
            out.append("  </span>")
        out.append(" </div>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def hocr_document(pages: Iterable[str], *, title: str, engine: str) -> str:
    return HEAD.format(title=escape(title), engine=escape(engine)) + "".join(pages) + "</body>\n</html>\n"
