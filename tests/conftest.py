"""Shared fixtures: temporary archives, the committed samples, one ingested archive."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RESOURCES = Path(__file__).resolve().parent / "resources"


def tesseract_ready() -> bool:
    from ocr.errors import MissingDependency
    from ocr.tools import check_environment

    try:
        check_environment(["fas", "eng"])
    except MissingDependency:
        return False
    return True


@pytest.fixture(autouse=True)
def _one_omp_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture(scope="session")
def ground_truth() -> dict:
    return json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_scans() -> Path:
    return SAMPLES / "scans"


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, sample_scans: Path) -> Path:
    """The committed samples ingested once for the whole session (the costly part)."""
    if not tesseract_ready():
        pytest.fail("tesseract with fas+eng+osd and poppler-utils are required (scripts/setup.sh)")
    from pipeline.ingest import ingest
    from pipeline.options import IngestOptions

    archive = tmp_path_factory.mktemp("ingested") / "archive"
    summary = ingest([sample_scans], IngestOptions(archive=archive, jobs=os.cpu_count() or 2))
    assert summary.clean, (summary.quarantined, summary.failed_pages)
    return archive


@pytest.fixture
def scans_copy(tmp_path: Path, sample_scans: Path) -> Path:
    target = tmp_path / "scans"
    shutil.copytree(sample_scans, target)
    return target


pytest_plugins = ["tests.browser"]  # the `browser` and `page` fixtures (headless Debian chromium)
