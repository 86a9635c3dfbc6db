"""The web application in a real browser (Debian's headless Chromium through Playwright):
a planner types a Persian query, opens a hit, and the hit's box is drawn on the page
image, in the DOM and in the pixels of a screenshot kept under test-artefacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image

from tests.browser import artefact
from web.app import create_app

pytestmark = pytest.mark.slow  # the `ingested` archive is OCR'd by Tesseract once per session

HIT_ORANGE = (0xE8, 0x59, 0x0C)  # .hit-box stroke in web/static/app.css


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    """uvicorn on 127.0.0.1 in a thread of this process, stopped on leaving."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        app.state.reader.close()


@pytest.fixture(scope="module")
def server(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serving(create_app(ingested, cache_dir=tmp_path_factory.mktemp("thumbs"))) as base:
        yield base


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 60) -> bool:
    return sum(abs(a - b) for a, b in zip(pixel[:3], colour, strict=True)) <= tolerance


def _border_pixels(shot: Image.Image, box: dict[str, float]) -> int:
    """Pixels of the stroke colour on the four edges of `box` (CSS pixels = device pixels here)."""
    rgb = shot.convert("RGB")
    left, top = int(box["x"]), int(box["y"])
    right, bottom = int(box["x"] + box["width"]), int(box["y"] + box["height"])
    count = 0
    for x in range(left, right + 1):
        for y in (top, top + 1, bottom - 1, bottom):
            if 0 <= x < rgb.width and 0 <= y < rgb.height and _near(rgb.getpixel((x, y)), HIT_ORANGE):
                count += 1
    for y in range(top, bottom + 1):
        for x in (left, left + 1, right - 1, right):
            if 0 <= x < rgb.width and 0 <= y < rgb.height and _near(rgb.getpixel((x, y)), HIT_ORANGE):
                count += 1
    return count


def test_a_planner_finds_a_persian_phrase_and_sees_it_boxed_on_the_page(server: str, page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(server + "/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    page.fill("#q", "پروانه ساختمانی")
    page.press("#q", "Enter")
    page.wait_for_selector(".hit a.open")
    assert "q=" in page.url
    assert page.evaluate("document.fonts.check('16px Vazirmatn')"), "the shipped font is loaded"
    assert page.locator(".hit .snippet mark").count() >= 2
    page.screenshot(path=str(artefact("web-search.png")))

    page.locator(".hit a.open").first.click()
    page.wait_for_selector("#page-image")
    page.wait_for_function("document.getElementById('page-image').complete && "
                           "document.getElementById('page-image').naturalWidth > 0")
    boxes = page.locator("svg.overlay rect.hit-box")
    assert boxes.count() >= 2  # پروانه and ساختمانی, at least once each
    image_box = page.locator("#page-image").bounding_box()
    first = boxes.first.bounding_box()
    assert image_box and first
    assert image_box["x"] <= first["x"] and first["x"] + first["width"] <= image_box["x"] + image_box["width"]
    assert image_box["y"] <= first["y"] and first["y"] + first["height"] <= image_box["y"] + image_box["height"]
    assert 5 < first["width"] < image_box["width"] / 3 and 5 < first["height"] < image_box["height"] / 10
    assert page.locator(".ocr-text mark").count() >= 2
    assert page.evaluate("getComputedStyle(document.querySelector('.ocr-text')).direction") == "rtl"

    shot_path = artefact("web-page-viewer.png")
    page.screenshot(path=str(shot_path))
    shot = Image.open(BytesIO(shot_path.read_bytes()))
    assert first["y"] >= 0 and first["y"] + first["height"] <= shot.height, "the first hit is scrolled into view"
    drawn = _border_pixels(shot, first)
    page.evaluate("document.querySelector('svg.overlay').style.display = 'none'")
    bare = _border_pixels(Image.open(BytesIO(page.screenshot())), first)
    assert drawn >= first["width"], f"the box's stroke is on screen ({drawn} orange pixels)"
    assert bare < drawn / 10, "and it is the overlay's, not the page's own ink"
    assert not errors, errors


def test_zoom_and_the_next_page(server: str, page: Any) -> None:
    page.goto(server + "/search?q=کرج")
    page.locator(".hit a.open").first.click()
    page.wait_for_selector("#figure")
    before = page.locator("#figure").bounding_box()["width"]
    page.click("[data-zoom=in]")
    page.click("[data-zoom=in]")
    after = page.locator("#figure").bounding_box()["width"]
    assert after == pytest.approx(before * 1.5, rel=0.02)
    page.click("[data-zoom=fit]")
    assert page.locator("#figure").bounding_box()["width"] == pytest.approx(before, rel=0.02)
    url = page.url
    nxt = page.locator("a[rel=next]")
    if nxt.count():
        nxt.click()
        page.wait_for_load_state()
        assert page.url != url and "/page/" in page.url


def test_the_parcel_view_shows_thumbnails(server: str, page: Any) -> None:
    page.goto(server + "/parcel/182/7272")
    page.wait_for_load_state("networkidle")
    thumbs = page.locator(".card img")
    assert thumbs.count() >= 2
    widths = page.evaluate("[...document.querySelectorAll('.card img')].map(i => i.naturalWidth)")
    assert all(w == 240 for w in widths)
    page.screenshot(path=str(artefact("web-parcel.png")))


def test_a_reviewer_corrects_a_word_and_search_finds_it(ingested: Path, tmp_path: Path, page: Any) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(ingested, archive)
    app = create_app(archive, allow_corrections=True, token="t0k3n", cache_dir=tmp_path / "thumbs")
    with _serving(app) as base:
        page.goto(base + "/review?token=t0k3n")  # the link `parvandeh serve` prints
        assert page.url == base + "/review"
        page.locator(".queue a.open").first.click()
        page.wait_for_selector("#word-form")
        assert page.locator("svg.overlay rect.weak-box").count() >= 1  # the unsure words, boxed
        word = page.evaluate(
            "(document.querySelector('.ocr-text').textContent.match(/[\u0600-\u06ff]{5,}/) || [''])[0]")
        assert word
        page.fill("#word-form input[name=old]", word)
        page.fill("#word-form input[name=new]", "پروانه‌نامچه")
        page.fill("#word-form input[name=by]", "مریم")
        page.click("#word-form button[type=submit]")
        page.wait_for_load_state()
        page.screenshot(path=str(artefact("web-review.png")))
        assert page.locator("p.ok[role=status]").count() == 1, page.locator("main").inner_text()[:500]
        page.screenshot(path=str(artefact("web-review.png")))
        page.click("p.ok a")
        page.wait_for_selector(".hit")
        assert page.locator(".hit").count() == 1
        assert page.locator(".hit .snippet mark").first.inner_text() == "پروانه‌نامچه"
