"""Files shipped with the package that more than one part shows a person: the Persian font.

Vazirmatn 33.0.3 (from the npm package `vazirmatn`, SIL Open Font License 1.1, OFL.txt
beside it). The web application serves the WOFF2 files, the QA report embeds them so it
opens from disk, and the PDF export can draw with the TTF. No CDN: the archive's machines
may have no internet at all.
"""

from __future__ import annotations

from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "Vazirmatn"
FONT_VERSION = "33.0.3"


def font_path(name: str = "Vazirmatn-Regular.woff2") -> Path:
    """A shipped font file by name; a missing one is a packaging bug, so it raises."""
    path = FONTS / name
    if not path.is_file():
        raise FileNotFoundError(f"font {name} is not shipped in {FONTS}")
    return path


def webfonts() -> dict[str, Path]:
    """The WOFF2 files by CSS weight."""
    return {"400": font_path("Vazirmatn-Regular.woff2"), "700": font_path("Vazirmatn-Bold.woff2")}
