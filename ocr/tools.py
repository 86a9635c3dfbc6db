"""Start-up checks for the external programs and models OCR needs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ocr.errors import MissingDependency

APT_HINT = "install it with: sudo apt-get install {package}"


def tesseract_version() -> str:
    """The first line of `tesseract --version`, or MissingDependency."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise MissingDependency("tesseract", APT_HINT.format(package="tesseract-ocr"))
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        raise MissingDependency("tesseract", f"`tesseract --version` failed ({e}); reinstall tesseract-ocr") from e
    return (out.stdout or out.stderr).splitlines()[0].strip()


def _list_langs() -> list[str]:
    """The lines `tesseract --list-langs` prints: where the models are, then one a line."""
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return (out.stdout or "").splitlines()


def tesseract_languages() -> set[str]:
    """Language models Tesseract can load."""
    tesseract_version()
    return {line.strip() for line in _list_langs()[1:] if line.strip()}


def tessdata_dir() -> Path | None:
    """The directory Tesseract loads its models from (as `tesseract --list-langs` says)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return Path(os.environ["TESSDATA_PREFIX"])
    try:
        lines = _list_langs()
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'"([^"]+)"', lines[0]) if lines else None
    return Path(found.group(1)) if found else None


def cache_dir() -> Path:
    """Where models built on this machine are kept: $PARVANDEH_CACHE, else parvandeh/ in
    $XDG_CACHE_HOME or ~/.cache."""
    if os.environ.get("PARVANDEH_CACHE"):
        return Path(os.environ["PARVANDEH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "parvandeh"


def check_pdftoppm() -> None:
    """pdf2image drives poppler's pdftoppm and pdfinfo."""
    for exe in ("pdftoppm", "pdfinfo"):
        if shutil.which(exe) is None:
            raise MissingDependency(exe, APT_HINT.format(package="poppler-utils"))


def check_environment(langs: Iterable[str], *, need_osd: bool = True) -> str:
    """Fail early, with an install hint, rather than quarantining every page later."""
    version = tesseract_version()
    have = tesseract_languages()
    wanted = list(langs) + (["osd"] if need_osd else [])
    for lang in wanted:
        if lang not in have:
            raise MissingDependency(
                f"Tesseract language model '{lang}'",
                APT_HINT.format(package=f"tesseract-ocr-{lang.replace('_', '-').lower()}"),
            )
    check_pdftoppm()
    return version
