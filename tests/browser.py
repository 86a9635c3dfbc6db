"""Headless Chromium from Debian's packages, driven by Playwright's Python package.

Playwright's own browser download cannot work here (no internet); its driver is pointed
at `/usr/bin/chromium` (`apt-get install chromium`, done by scripts/setup.sh --dev). The
flags keep Chromium off the network it would otherwise try at every start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

ARTEFACTS = Path(os.environ.get("PARVANDEH_TEST_ARTEFACTS", Path(__file__).resolve().parent.parent / "test-artefacts"))


def chromium_path() -> str | None:
    return os.environ.get("PARVANDEH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session; a test that needs it fails if it is missing
    in CI (scripts/setup.sh installs it) and skips, saying what to install, elsewhere."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - installed by the dev extra
        pytest.skip("playwright is not installed: scripts/setup.sh --dev")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (scripts/setup.sh --dev installs it)")
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (1280 x 900) in its own context; closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")  # type: ignore[attr-defined]
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def artefact(name: str) -> Path:
    """Where a test keeps a screenshot for people to look at (test-artefacts/, ignored by git)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name
