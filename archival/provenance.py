"""Provenance of a source file: its hash, each page's cleaning steps and their parameters,
the OCR engine and models, and the dates.

The catalog records per page the recipe, rotation, skew, resolution and whether it was
estimated, not the steps themselves; the steps are derived from the recipe as
`ocr.clean.clean` applies it. The recipe table is read from ocr/clean.py's source (its
`RECIPES` and `Recipe` defaults) rather than imported, so an export never loads OpenCV.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from archival.source import PageRow, SourceFile
from ocr.errors import MissingDependency
from ocr.tools import tessdata_dir, tesseract_version


@cache
def recipes() -> dict[str, dict[str, Any]]:
    """``ocr.clean.RECIPES`` as plain dicts, from the module's source."""
    spec = importlib.util.find_spec("ocr.clean")
    if spec is None or spec.origin is None:
        return {}
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    defaults: dict[str, Any] = {}
    found: dict[str, dict[str, Any]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Recipe":
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
                    defaults[item.target.id] = ast.literal_eval(item.value)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Recipe":
            values = dict(defaults)
            if node.args:
                values["name"] = ast.literal_eval(node.args[0])
            for kw in node.keywords:
                if kw.arg:
                    values[kw.arg] = ast.literal_eval(kw.value)
            if "name" in values:
                found[values["name"]] = values
    return found


def cleaning_steps(page: PageRow) -> list[dict[str, Any]]:
    """The steps `ocr.clean.clean` took on this page, with their parameters, in order."""
    r = recipes().get(page.recipe, {"name": page.recipe})
    steps: list[dict[str, Any]] = [
        {"step": "estimate resolution", "dpi_stated": page.stated_dpi, "estimated": page.dpi_estimated},
        {"step": "rotate", "degrees_clockwise": page.rotation},
        {"step": "remove borders and punch holes"},
        {"step": "deskew", "degrees": page.skew},
    ]
    if r.get("target_dpi"):
        steps.append({"step": "rescale", "when": f"below {r.get('upscale_below')} or above "
                      f"{r.get('downscale_above')} dpi", "to_dpi": r.get("target_dpi")})
    steps.append({"step": "flatten background"})
    if r.get("median"):
        steps.append({"step": "median filter", "size": 3})
    if r.get("binarize"):
        steps.append({"step": "binarize", "method": r["binarize"]})
    steps.append({"step": "despeckle", "max_area_mm2": r.get("speck_mm2")})
    steps.append({"step": "resolution read at", "dpi": page.dpi})
    return steps


def cleaning_summary(page: PageRow) -> str:
    """One line for ALTO's processingStepSettings."""
    return (f"recipe={page.recipe}; rotation={page.rotation}; skew={page.skew:+.2f}; dpi={page.dpi}; "
            f"dpi_estimated={str(page.dpi_estimated).lower()}")


@dataclass(frozen=True, slots=True)
class Engine:
    version: str
    models: tuple[dict[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": "tesseract", "version": self.version, "models": list(self.models)}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@cache
def engine(langs: tuple[str, ...] = ("fas", "eng", "osd")) -> Engine:
    """The Tesseract found now and its models with their file hashes (the catalog does not
    record the engine a run used: this is the one on the exporting machine)."""
    try:
        version = tesseract_version()
    except MissingDependency:
        version = "unknown (tesseract not installed where the export ran)"
    folder = tessdata_dir()
    models = []
    for lang in langs:
        path = folder / f"{lang}.traineddata" if folder else None
        if path is not None and path.is_file():
            models.append({"language": lang, "file": str(path), "sha256": _sha256(path)})
        else:
            models.append({"language": lang, "file": "", "sha256": ""})
    return Engine(version, tuple(models))


def provenance(src: SourceFile, run: dict[str, Any], *, exported: str) -> dict[str, Any]:
    """The provenance record of one source file."""
    langs = tuple(str(run.get("options", {}).get("lang", "fas+eng")).split("+")) + ("osd",)
    return {
        "source": {"path": src.display, "dossier": src.dossier, "sha256": src.sha256, "size": src.size,
                   "kind": src.kind, "pages": src.page_count, "ledgered": src.added},
        "ingest_run": run,
        "ocr_engine_at_export": engine(langs).to_dict(),
        "pages": [
            {"page": p.page, "ocr_finished": p.updated, "dpi": p.dpi, "dpi_estimated": p.dpi_estimated,
             "rotation": p.rotation, "skew": p.skew, "recipe": p.recipe, "cleaning_steps": cleaning_steps(p),
             "confidence": p.confidence, "words": p.words, "document_date": p.document_date}
            for p in src.pages
        ],
        "exported": exported,
    }
