"""ALTO v4 (schema 4.2) for one page: blocks, lines, words with confidences, language
per line, and what cleaning did (rotation, deskew, resolution) as a pre-processing step.

Coordinates are pixels of the cleaned page image the words were read from (the one the
PDF shows), so the words fall on their letters there.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from archival.layout import Block

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"

ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)


def _el(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _box(box: tuple[int, int, int, int]) -> dict[str, int]:
    left, top, width, height = box
    return {"HPOS": left, "VPOS": top, "WIDTH": width, "HEIGHT": height}


def alto_page(
    blocks: Sequence[Block],
    *,
    page_id: str,
    page_number: int,
    width: int,
    height: int,
    image_name: str,
    sha256: str,
    confidence: float | None,
    cleaning: str,
    created: str,
    software_version: str,
    ocr_engine: str,
) -> bytes:
    """The ALTO document of one page (UTF-8 bytes)."""
    root = ET.Element(f"{{{NS}}}alto", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION, "SCHEMAVERSION": "4.2"})
    description = _el(root, "Description")
    _el(description, "MeasurementUnit", "pixel")
    source = _el(description, "sourceImageInformation")
    _el(source, "fileName", image_name)
    _el(source, "documentIdentifier", sha256, documentIdentifierLocation="sha256 of the source file")
    clean = _el(description, "Processing", ID=f"{page_id}_clean")
    _el(clean, "processingCategory", "preOperation")
    _el(clean, "processingDateTime", created)
    _el(clean, "processingStepDescription", "page image cleaned before OCR")
    _el(clean, "processingStepSettings", cleaning)
    software = _el(clean, "processingSoftware")
    _el(software, "softwareName", "parvandeh")
    _el(software, "softwareVersion", software_version)
    ocr = _el(description, "Processing", ID=f"{page_id}_ocr")
    _el(ocr, "processingCategory", "contentGeneration")
    _el(ocr, "processingDateTime", created)
    _el(ocr, "processingStepDescription", "OCR, Persian and English")
    engine = _el(ocr, "processingSoftware")
    _el(engine, "softwareName", "Tesseract")
    _el(engine, "softwareVersion", ocr_engine)
    layout = _el(root, "Layout")
    page = _el(
        layout, "Page", ID=page_id, PHYSICAL_IMG_NR=page_number, WIDTH=width, HEIGHT=height,
        PC=f"{max(0.0, min(1.0, (confidence or 0.0) / 100)):.3f}",
        PROCESSINGREFS=f"{page_id}_clean {page_id}_ocr",
    )
    space = _el(page, "PrintSpace", HPOS=0, VPOS=0, WIDTH=width, HEIGHT=height)
    for b, block in enumerate(blocks, start=1):
        if not block.lines:
            continue
        block_id = f"{page_id}_b{b}"
        langs = {line.lang for line in block.lines}
        text_block = _el(space, "TextBlock", ID=block_id, **_box(block.box),
                         LANG=langs.pop() if len(langs) == 1 else None)
        for n, line in enumerate(block.lines, start=1):
            line_id = f"{block_id}_l{n}"
            text_line = _el(text_block, "TextLine", ID=line_id, **_box(line.box), LANG=line.lang)
            for k, word in enumerate(line.words, start=1):
                if k > 1:
                    prev = line.words[k - 2]
                    gap_left = word.right if line.rtl else prev.right
                    gap = (prev.left - word.right) if line.rtl else (word.left - prev.right)
                    _el(text_line, "SP", WIDTH=max(gap, 0), HPOS=gap_left, VPOS=min(word.top, prev.top))
                _el(text_line, "String", ID=f"{line_id}_w{k}", CONTENT=word.text,
                    **_box((word.left, word.top, word.width, word.height)),
                    WC=f"{max(0.0, min(1.0, word.conf / 100)):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
