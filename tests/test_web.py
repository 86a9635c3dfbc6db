"""The web application through FastAPI's test client, on the samples ingested once:
every route, the CLI's search shape, masking, caching headers, and bad input of every
kind answered with 4xx, never 500."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import cli
from indexer.normalize import fold_digits
from web.app import create_app

pytestmark = pytest.mark.slow  # the `ingested` archive is OCR'd by Tesseract once per session

PERSIAN_DIGIT = re.compile("[۰-۹]")
OWNER_ID = "2882242123"  # the national id on karaj-1381-0351/scan_01.pdf page 1 (checksum holds)


@pytest.fixture(scope="module")
def app(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    application = create_app(ingested, cache_dir=tmp_path_factory.mktemp("thumbs"), page_size=2)
    yield application
    application.state.reader.close()


@pytest.fixture(scope="module")
def client(app: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def shown(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The same archive served with --show-personal-data."""
    application = create_app(ingested, show_personal_data=True, cache_dir=tmp_path_factory.mktemp("thumbs"))
    yield TestClient(application, raise_server_exceptions=False)
    application.state.reader.close()


def _cli_json(archive: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--json", "--archive", str(archive)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _owner_page(client: TestClient) -> dict[str, Any]:
    hits = client.get("/api/search", params={"dossier": "karaj-1381-0351", "limit": 50}).json()["hits"]
    return next(h for h in hits if h["source"].endswith("scan_01.pdf") and h["page"] == 1)


# -- search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "cli_args"),
    [
        ({"q": "پروانه ساختمانی"}, ["پروانه ساختمانی"]),
        ({"q": "ساختماني"}, ["ساختماني"]),  # Arabic-keyboard ي finds ی
        ({"q": "کرج", "from": "۱۳۸۴/۰۱/۰۱", "to": "۱۳۸۷/۱۲/۲۹"}, ["کرج", "--from", "1384/01/01", "--to", "1387/12/29"]),
        ({"plaque": "۱۸۲/۷۲۷۲"}, ["--plaque", "182/7272"]),
        ({"q": "کرج", "by_dossier": "true", "limit": 2}, ["کرج", "--by-dossier", "--limit", "2"]),
        ({"q": "توسازی", "fuzzy": "true"}, ["توسازی", "--fuzzy"]),
        ({"q": "کرج", "offset": 3, "limit": 2}, ["کرج", "--offset", "3", "--limit", "2"]),
    ],
)
def test_api_search_answers_exactly_what_search_json_prints(
    client: TestClient, ingested: Path, params: dict[str, Any], cli_args: list[str]
) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    expected = _cli_json(ingested, "search", *cli_args)
    assert response.json() == expected
    assert expected["total"] > 0


def test_search_page_is_right_to_left_persian_with_the_shipped_font(client: TestClient) -> None:
    page = client.get("/search", params={"q": "پروانه ساختمانی"})
    assert page.status_code == 200
    html = page.text
    assert '<html lang="fa" dir="rtl">' in html
    assert "/static/app.css" in html and "cdn" not in html.lower() and "https://" not in html
    css = client.get("/static/app.css").text
    assert 'url("/fonts/Vazirmatn-Regular.woff2")' in css
    font = client.get("/fonts/Vazirmatn-Regular.woff2")
    assert font.status_code == 200 and font.content[:4] == b"wOF2"
    assert "immutable" in font.headers["cache-control"]
    assert client.get("/fonts/Vazirmatn-Bold.woff2").status_code == 200
    assert client.get("/static/app.js").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    total = client.get("/api/search", params={"q": "پروانه ساختمانی"}).json()["total"]
    assert f"{fold_digits(str(total))} صفحه یافت شد" in fold_digits(html)
    assert "<mark>پروانه</mark>" in html or "<mark>پروانه:</mark>" in html
    assert PERSIAN_DIGIT.search(html) and "صفحهٔ ۱" in html  # page numbers in Persian digits
    dates = re.findall(r'<span class="date">([^<]*)</span>', html)
    assert dates and all(re.fullmatch("[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}|بی‌تاریخ", d) for d in dates), dates


def test_search_page_shows_dates_in_jalali(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "کرج", "limit": 1}).json()["hits"][0]
    from indexer.dates import iso_to_jalali

    html = client.get("/search", params={"q": "کرج"}).text
    assert iso_to_jalali(hit["date"], persian_digits=True) in html


def test_results_page_through_without_overlap(client: TestClient) -> None:
    """page_size=2 here: the pages of results are the API's order, two at a time."""
    everything = client.get("/api/search", params={"q": "کرج", "limit": 50}).json()["hits"]
    assert len(everything) > 4
    seen = []
    for number in (1, 2, 3):
        html = client.get("/search", params={"q": "کرج", "p": number}).text
        seen += re.findall(r'href="/page/([0-9a-f]{64})/(\d+)', html)
    assert seen == [(h["sha256"], str(h["page"])) for h in everything[:6]]
    second = client.get("/search", params={"q": "کرج", "p": 2}).text
    assert 'rel="prev"' in second and 'rel="next"' in second


def test_grouped_results_name_each_dossier_once(client: TestClient) -> None:
    html = client.get("/search", params={"q": "کرج", "group": "1"}).text
    groups = re.findall(r'<section class="dossier">\s*<h2><a href="[^"]*" dir="ltr">([^<]+)</a>', html)
    assert groups and len(groups) == len(set(groups))
    assert all(g.startswith("karaj-") for g in groups)


def test_dossier_and_identifier_filters_narrow_the_hits(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "کرج", "dossier": "karaj-1386-8360", "limit": 50}).json()["hits"]
    assert hits and {h["dossier"] for h in hits} == {"karaj-1386-8360"}
    plaque = client.get("/api/search", params={"plaque": "182/7272"}).json()
    html = client.get("/search", params={"plaque": "۱۸۲/۷۲۷۲"}).text
    assert plaque["total"] >= 1
    assert len(re.findall(r'<li class="hit">', html)) == min(2, plaque["total"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": "کرج", "from": "1384/13/45"}, "date_from"), ({"plaque": "not a plaque"}, "plaque"),
     ({"postal_code": "123"}, "postal_code"), ({"national_id": "1234567890"}, "national_id")],
)
def test_unreadable_filters_are_400_naming_the_field(client: TestClient, params: dict[str, str], field: str) -> None:
    api = client.get("/api/search", params=params)
    assert api.status_code == 400 and api.json()["field"] == field
    page = client.get("/search", params=params)
    assert page.status_code == 400 and 'aria-invalid="true"' in page.text and 'role="alert"' in page.text
    assert "خوانده نشد" in page.text  # the reason in Persian on the screen


def test_an_empty_search_asks_for_something(client: TestClient) -> None:
    assert client.get("/api/search").status_code == 400
    page = client.get("/search", params={"q": "  "})
    assert page.status_code == 200 and 'role="alert"' in page.text
    home = client.get("/")
    assert home.status_code == 200 and "راهنما" in home.text


# -- page viewer ------------------------------------------------------------------------------


def test_page_viewer_boxes_the_hit_words_on_the_cleaned_image(client: TestClient, ingested: Path) -> None:
    hit = client.get("/api/search", params={"q": "پروانه"}).json()["hits"][0]
    view = client.get(f"/api/page/{hit['sha256']}/{hit['page']}", params={"q": "پروانه"}).json()
    assert view["source"] == hit["source"] and view["page"] == hit["page"]
    assert view["hits"], "the hit word has boxes"
    for left, top, width, height in view["hits"]:
        assert left >= 0 and left + width <= view["width"] and top >= 0 and top + height <= view["height"]
    from indexer.normalize import normalize
    from pipeline.store import read_words

    db = sqlite3.connect(ingested / "catalog.sqlite")
    row = db.execute("SELECT wordfile FROM pages WHERE sha256 = ? AND page = ?", (hit["sha256"], hit["page"])).fetchone()
    db.close()
    expected = [list(w.box) for w in read_words(ingested, row[0]) if "پروانه" in normalize(w.text)]
    assert view["hits"] == expected
    html = client.get(f"/page/{hit['sha256']}/{hit['page']}", params={"q": "پروانه"}).text
    assert html.count('class="hit-box"') == len(view["hits"])
    assert f'viewBox="0 0 {view["width"]} {view["height"]}"' in html
    assert f'src="{view["image"]}"'.replace("&", "&amp;") in html
    assert "<mark>پروانه</mark>" in html  # the OCR text beside it, marked too
    assert 'href="/original/' + hit["sha256"] + '"' in html


def test_page_viewer_links_neighbours_identifiers_and_parcels(client: TestClient) -> None:
    page = _owner_page(client)
    view = client.get(f"/api/page/{page['sha256']}/1").json()
    assert view["previous"] is None and view["next"] == 2 and view["pages"] >= 2
    html = client.get(f"/page/{page['sha256']}/1").text
    assert f'href="/page/{page["sha256"]}/2"' in html and 'rel="prev"' not in html
    plaques = [i for i in view["identifiers"] if i["kind"] == "plaque"]
    assert plaques and f'href="/parcel/{plaques[0]["canonical"]}"' in html
    last = client.get(f"/api/page/{page['sha256']}/{view['pages']}").json()
    assert last["next"] is None and last["previous"] == view["pages"] - 1


def test_images_are_cached_as_immutable_and_revalidate(client: TestClient) -> None:
    view = client.get(f"/api/page/{_owner_page(client)['sha256']}/1").json()
    image = client.get(view["image"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert "immutable" in image.headers["cache-control"] and image.headers["etag"]
    again = client.get(view["image"], headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304 and not again.content
    thumb = client.get(view["thumbnail"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(thumb.content)) as small:
        assert small.width == 240 and small.height > small.width
    assert "immutable" in thumb.headers["cache-control"]
    assert client.get(view["thumbnail"], headers={"If-None-Match": thumb.headers["etag"]}).status_code == 304


def test_the_original_scan_is_served_by_its_hash(client: TestClient) -> None:
    sha = _owner_page(client)["sha256"]
    original = client.get(f"/original/{sha}")
    assert original.status_code == 200
    assert hashlib.sha256(original.content).hexdigest() == sha
    assert original.headers["content-type"] == "application/pdf"
    assert original.headers["etag"] == f'"{sha}"' and "immutable" in original.headers["cache-control"]
    assert client.get(f"/original/{sha}", headers={"If-None-Match": f'"{sha}"'}).status_code == 304


# -- parcel -------------------------------------------------------------------------------------


def test_parcel_view_lists_every_page_oldest_first_with_thumbnails(client: TestClient, ingested: Path) -> None:
    api = client.get("/api/parcel/182/7272").json()
    cli_view = _cli_json(ingested, "parcel", "182/7272")
    assert api["plaque"] == cli_view["plaque"] and api["total"] == cli_view["total"] >= 2
    assert [{k: m[k] for k in cli_view["mentions"][0]} for m in api["mentions"]] == cli_view["mentions"]
    dates = [m["date"] for m in api["mentions"]]
    assert dates == sorted(dates)
    html = client.get("/parcel/۱۸۲/۷۲۷۲").text  # Persian digits in the address too
    thumbs = re.findall(r'<img src="(/thumb/[0-9a-f]{64}/\d+\?w=240&amp;v=[\w-]+)"', html)
    assert len(thumbs) == len({(m["sha256"], m["page"]) for m in api["mentions"]})
    assert client.get(thumbs[0].replace("&amp;", "&")).status_code == 200
    assert "۱۸۲/۷۲۷۲" in html


def test_a_parcel_nobody_names_is_an_empty_list(client: TestClient) -> None:
    assert client.get("/api/parcel/9999/1").json() == {"plaque": "9999/1", "total": 0, "mentions": []}
    assert client.get("/parcel/9999").status_code == 200


# -- personal data ----------------------------------------------------------------------------


def _digits(text: str) -> str:
    return fold_digits(text)


def test_national_ids_are_masked_everywhere_by_default(client: TestClient) -> None:
    page = _owner_page(client)
    for response in (
        client.get("/api/search", params={"q": "کد ملی"}),
        client.get("/search", params={"q": "کد ملی"}),
        client.get(f"/api/page/{page['sha256']}/1"),
        client.get(f"/page/{page['sha256']}/1"),
    ):
        assert response.status_code == 200
        assert OWNER_ID not in _digits(response.text)
        assert "288****123" in _digits(response.text)
    ids = client.get(f"/api/page/{page['sha256']}/1").json()["identifiers"]
    national = [i for i in ids if i["kind"] == "national_id"]
    assert national and all("****" in i["canonical"] and "****" in i["text"] for i in national)


def test_show_personal_data_shows_them(shown: TestClient) -> None:
    page = _owner_page(shown)
    assert OWNER_ID in _digits(shown.get(f"/api/page/{page['sha256']}/1").text)
    assert OWNER_ID in _digits(shown.get("/search", params={"q": "کد ملی"}).text)
    assert OWNER_ID in _digits(shown.get("/api/search", params={"national_id": OWNER_ID}).text) or \
        shown.get("/api/search", params={"national_id": OWNER_ID}).json()["total"] >= 1


# -- bad input: 4xx, never 500 --------------------------------------------------------------------


JUNK_IDS = ["../../etc/passwd", "..%2F..%2Fcatalog.sqlite", "%2e%2e%2f%2e%2e%2fcatalog.sqlite", "a" * 64,
            "A" * 64, "0" * 63, "0" * 65, "g" * 64, "0" * 64 + "/../../x", "%00", "'; DROP TABLE pages;--",
            "۰" * 64]


@pytest.mark.parametrize("junk", JUNK_IDS)
def test_junk_source_ids_are_404(client: TestClient, junk: str) -> None:
    for url in (f"/page/{junk}/1", f"/api/page/{junk}/1", f"/image/{junk}/1", f"/thumb/{junk}/1",
                f"/original/{junk}"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code, response.text[:200])


def test_junk_page_numbers_and_plaques_are_404(client: TestClient) -> None:
    sha = _owner_page(client)["sha256"]
    for url in (f"/page/{sha}/0", f"/page/{sha}/999", f"/page/{sha}/-1", f"/page/{sha}/1e3", f"/api/page/{sha}/abc",
                f"/image/{sha}/99999999999999999999", "/parcel/abc", "/parcel/../../etc", "/api/parcel/45/x",
                "/parcel/" + "9" * 20, "/fonts/..%2F__init__.py", "/fonts/OFL.txt", "/static/../app.py"):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "q",
    ['"', '""', "*", "-", "OR", "AND", "NOT", "NEAR(a b", ")", "(((", "a*b*", '"unterminated', "^", ":", "body:x",
     "\x00", "\u200f\u200e\u202b", "کرج\x00کرج", "🏠 پلاک", "؟", "<script>alert(1)</script>", "%", "' OR 1=1 --",
     "ـ" * 50, "ي ك ة أ", "۱۲۳/۴۵", "٠٥-٠٣-٢٠٠", " ".join(["کرج"] * 120), "کرج OR " * 70, '"' + "کرج " * 120 + '"', "a*" * 240, "a" * 499],
)
def test_any_query_text_is_answered(client: TestClient, q: str) -> None:
    for url in ("/search", "/api/search"):
        response = client.get(url, params={"q": q})
        assert response.status_code in (200, 400), (url, q, response.status_code)
    assert "<script>alert(1)</script>" not in client.get("/search", params={"q": q}).text


def test_ten_kilobyte_queries_are_refused_politely(client: TestClient) -> None:
    q = "پروانه " * 1500  # 10.5 kB
    page = client.get("/search", params={"q": q})
    assert page.status_code == 400 and "بیش از ۵۰۰ نویسه" in page.text
    assert client.get("/api/search", params={"q": q}).status_code == 422
    assert client.get(f"/page/{_owner_page(client)['sha256']}/1", params={"q": q}).status_code == 200
    assert client.get("/api/search", params={"plaque": "۱" * 10_000}).status_code == 422
    assert client.get("/search", params={"dossier": "x" * 10_000}).status_code == 400


def test_undecodable_bytes_in_the_query_string(client: TestClient) -> None:
    for raw in ("q=%ED%A0%80", "q=%FF%FE%00", "q=%C3", "q=%", "q=%%%", "p=%FF&q=x", "p=-5&q=کرج", "p=1e9&q=a"):
        for path in ("/search", "/api/search"):
            response = client.get(f"{path}?{raw}")
            assert response.status_code < 500, (path, raw, response.status_code)


def test_the_openapi_document_lists_the_api(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/page/{sha256}/{page}", "/api/parcel/{asli}/{fari}", "/api/parcel/{asli}",
                 "/image/{sha256}/{page}", "/original/{sha256}"):
        assert path in doc["paths"], path
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["schema"]["maxLength"] == 500 and "from" in params
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_responses_carry_a_strict_content_security_policy(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


# -- read-only ------------------------------------------------------------------------------------


def test_the_catalog_is_opened_read_only(app: Any) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        app.state.reader.catalog.db.execute("DELETE FROM pages")


def test_a_missing_archive_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--archive", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "no archive" in result.output
    assert not (tmp_path / "nothing").exists()


def test_national_ids_are_painted_over_on_the_page_image(client: TestClient, shown: TestClient,
                                                        ingested: Path) -> None:
    from io import BytesIO

    import numpy as np
    from PIL import Image

    sha = _owner_page(client)["sha256"]
    db = sqlite3.connect(ingested / "catalog.sqlite")
    image_rel, = db.execute("SELECT image FROM pages WHERE sha256 = ? AND page = 1", (sha,)).fetchone()
    boxes = [json.loads(b) for (b,) in db.execute(
        "SELECT i.box FROM identifiers i JOIN pages p ON p.id = i.page_id "
        "WHERE p.sha256 = ? AND p.page = 1 AND i.kind = 'national_id' AND i.box IS NOT NULL", (sha,))]
    db.close()
    assert boxes
    raw = shown.get(shown.get(f"/api/page/{sha}/1").json()["image"])
    assert raw.content == (ingested / image_rel).read_bytes()  # shown as stored
    masked_view = client.get(f"/api/page/{sha}/1").json()
    assert masked_view["image"] != shown.get(f"/api/page/{sha}/1").json()["image"]  # its own cache key
    stored = np.asarray(Image.open(BytesIO(raw.content)).convert("L"), dtype=float)
    masked = np.asarray(Image.open(BytesIO(client.get(masked_view["image"]).content)).convert("L"), dtype=float)
    outside = np.ones(stored.shape, dtype=bool)
    for left, top, width, height in boxes:
        region = (slice(top, top + height), slice(left, left + width))
        assert stored[region].mean() > 100 and masked[region].max() < 40  # ink on paper, then black
        outside[top - 8 : top + height + 8, left - 8 : left + width + 8] = False
    assert np.abs(stored - masked)[outside].mean() < 2  # the rest of the page unchanged
