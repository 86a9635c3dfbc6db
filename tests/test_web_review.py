"""The review screen and the corrections API: the token, read-only refusal, the queue,
and a word and an identifier corrected on a page, found by search at once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import cli
from web.app import create_app

pytestmark = pytest.mark.slow  # the `ingested` archive is OCR'd by Tesseract once per session

TOKEN = "t0k3n-Ab_9"
AUTH = {"X-Parvandeh-Token": TOKEN}


@pytest.fixture
def writable(ingested: Path, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A copy of the ingested archive served with --allow-corrections (each test its own)."""
    archive = tmp_path / "archive"
    shutil.copytree(ingested, archive)
    app = create_app(archive, allow_corrections=True, token=TOKEN, cache_dir=tmp_path / "thumbs")
    yield app, archive
    app.state.reader.close()


@pytest.fixture
def client(writable: tuple[Any, Path]) -> TestClient:
    return TestClient(writable[0], raise_server_exceptions=False)


@pytest.fixture(scope="module")
def read_only(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(ingested, cache_dir=tmp_path_factory.mktemp("thumbs"))
    yield TestClient(app, raise_server_exceptions=False)
    app.state.reader.close()


def _page(client: TestClient, dossier: str = "karaj-1381-0351", source_end: str = "scan_01.pdf",
          page: int = 1) -> dict[str, Any]:
    hits = client.get("/api/search", params={"dossier": dossier, "limit": 50}).json()["hits"]
    hit = next(h for h in hits if h["source"].endswith(source_end) and h["page"] == page)
    return client.get(f"/api/page/{hit['sha256']}/{page}").json()


def test_a_read_only_server_refuses_every_write(read_only: TestClient) -> None:
    page = _page(read_only)
    url = f"/api/corrections/{page['sha256']}/1"
    for headers in ({}, AUTH, {"Authorization": f"Bearer {TOKEN}"}):
        response = read_only.post(url, json={"target": "reviewed"}, headers=headers)
        assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert read_only.post(f"/review/{page['sha256']}/1", data={"target": "reviewed"}).status_code == 403
    assert read_only.get("/review").status_code == 403
    assert read_only.get(f"/review?token={TOKEN}", follow_redirects=False).status_code == 403
    assert read_only.get("/api/review/queue", headers=AUTH).status_code == 403
    assert "/review" not in read_only.get("/").text.split("<main>")[0]  # no review link in the bar


def test_corrections_need_the_token(client: TestClient) -> None:
    page = _page(client)
    url = f"/api/corrections/{page['sha256']}/1"
    assert client.post(url, json={"target": "reviewed"}).status_code == 401
    assert client.post(url, json={"target": "reviewed"}, headers={"X-Parvandeh-Token": "wrong"}).status_code == 403
    assert client.post(url, json={"target": "reviewed"}, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/api/review/queue").status_code == 401
    login = client.get("/review")
    assert login.status_code == 401 and 'action="/review/login"' in login.text
    assert client.get("/review?token=nope", follow_redirects=False).status_code == 403
    ok = client.post(url, json={"target": "reviewed", "by": "مریم"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["correction"]["by"] == "مریم" and ok.json()["correction"]["target"] == "reviewed"


def test_the_start_up_link_keeps_the_token_in_a_strict_cookie(client: TestClient) -> None:
    response = client.get(f"/review?token={TOKEN}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert client.get("/review").status_code == 200  # the client keeps the cookie
    page = _page(client)
    evil = client.post(f"/review/{page['sha256']}/1", data={"target": "reviewed"},
                       headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert evil.status_code == 403
    hidden = client.post(f"/review/{page['sha256']}/1", data={"target": "reviewed"}, headers={"Origin": "null"},
                         follow_redirects=False)
    assert hidden.status_code == 403


def test_the_queue_is_what_review_json_prints(client: TestClient, writable: tuple[Any, Path]) -> None:
    api = client.get("/api/review/queue", params={"limit": 5}, headers=AUTH).json()
    result = CliRunner().invoke(cli, ["review", "--json", "--limit", "5", "--archive", str(writable[1])])
    assert result.exit_code == 0, result.output
    assert api == json.loads(result.output)
    assert api["total"] >= 5 and len(api["pages"]) == 5
    client.cookies.set("parvandeh_token", TOKEN)
    html = client.get("/review").text
    for item in api["pages"]:
        assert f'href="/review/{item["sha256"]}/{item["page"]}"' in html


def _persian_word(text: str, client: TestClient) -> str:
    """A word of the page that search finds (at least 4 Persian letters)."""
    import re

    for word in re.findall(r"[\u0600-\u06ff]{5,}", text):
        if client.get("/api/search", params={"q": word}).json()["total"] >= 1:
            return word
    raise AssertionError("no searchable Persian word on the page")


def test_a_corrected_word_is_found_by_search_at_once(client: TestClient) -> None:
    page = _page(client)
    old = _persian_word(page["text"], client)
    new = "پروانه‌نامچه"  # on no page of the samples
    assert client.get("/api/search", params={"q": new}).json()["total"] == 0
    client.cookies.set("parvandeh_token", TOKEN)
    response = client.post(f"/review/{page['sha256']}/1", data={"target": "word", "old": old, "new": new, "by": "مریم",
                                                                "reason": "خوانش نادرست"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    done = client.get(response.headers["location"])
    assert done.status_code == 200 and 'role="status"' in done.text and "/search?q=" in done.text
    hits = client.get("/api/search", params={"q": new}).json()["hits"]
    assert [(h["sha256"], h["page"]) for h in hits] == [(page["sha256"], 1)]
    assert "<mark>" + new + "</mark>" in hits[0]["snippet"]
    old_hits = client.get("/api/search", params={"q": f'"{old}"', "limit": 100}).json()["hits"]
    assert (page["sha256"], 1) not in [(h["sha256"], h["page"]) for h in old_hits]
    history = client.get(f"/review/{page['sha256']}/1").text
    assert "مریم" in history and "خوانش نادرست" in history


def test_a_corrected_identifier_moves_the_page_to_its_parcel(client: TestClient) -> None:
    page = _page(client)
    plaque = next(i for i in page["identifiers"] if i["kind"] == "plaque")
    before = {(m["sha256"], m["page"]) for m in client.get(f"/api/parcel/{plaque['canonical']}").json()["mentions"]}
    assert (page["sha256"], 1) in before
    a = plaque["canonical"].split("/")[0]
    response = client.post(f"/api/corrections/{page['sha256']}/1", headers=AUTH, json={
        "target": "identifier", "kind": "plaque", "old": plaque["canonical"], "new": f"۹۹۱ فرعی از {a} اصلی"})
    assert response.status_code == 200, response.text
    corrected = response.json()["page"]["identifiers"]
    assert any(i["kind"] == "plaque" and i["canonical"] == f"{a}/991" and i.get("corrected_from") == plaque["canonical"]
               for i in corrected)
    now = client.get(f"/api/parcel/{a}/991").json()["mentions"]
    assert (page["sha256"], 1) in {(m["sha256"], m["page"]) for m in now}
    found = client.get("/api/search", params={"plaque": f"{a}/991"}).json()["hits"]
    assert (page["sha256"], 1) in {(h["sha256"], h["page"]) for h in found}
    html = client.get(f"/page/{page['sha256']}/1").text
    assert f'href="/parcel/{a}/991"' in html and "اصلاح‌شده از" in html


def test_a_page_marked_reviewed_leaves_the_queue(client: TestClient) -> None:
    first = client.get("/api/review/queue", params={"limit": 1}, headers=AUTH).json()
    item = first["pages"][0]
    assert client.post(f"/api/corrections/{item['sha256']}/{item['page']}", headers=AUTH,
                       json={"target": "reviewed"}).status_code == 200
    after = client.get("/api/review/queue", params={"limit": 50}, headers=AUTH).json()
    assert after["total"] == first["total"] - 1
    assert (item["sha256"], item["page"]) not in {(p["sha256"], p["page"]) for p in after["pages"]}


def test_masked_text_is_never_written_back(client: TestClient) -> None:
    page = _page(client)
    assert "****" in page["text"]  # the owner's national id, masked
    response = client.post(f"/api/corrections/{page['sha256']}/1", headers=AUTH,
                           json={"target": "text", "text": page["text"] + "\nافزوده"})
    assert response.status_code == 400 and "masked" in response.json()["detail"]
    client.cookies.set("parvandeh_token", TOKEN)
    assert "<textarea" not in client.get(f"/review/{page['sha256']}/1").text


def test_a_whole_text_correction_with_personal_data_shown(ingested: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(ingested, archive)
    app = create_app(archive, allow_corrections=True, show_personal_data=True, token=TOKEN, cache_dir=tmp_path / "t")
    try:
        client = TestClient(app, raise_server_exceptions=False)
        page = _page(client)
        client.cookies.set("parvandeh_token", TOKEN)
        assert "<textarea" in client.get(f"/review/{page['sha256']}/1").text
        text = page["text"] + "\nصورتجلسه‌نو"
        ok = client.post(f"/review/{page['sha256']}/1", data={"target": "text", "text": text}, follow_redirects=False)
        assert ok.status_code == 303
        assert client.get("/api/search", params={"q": "صورتجلسه‌نو"}).json()["total"] == 1
        assert client.get(f"/api/page/{page['sha256']}/1").json()["text"] == text
    finally:
        app.state.reader.close()


@pytest.mark.parametrize(
    ("body", "status"),
    [({"target": "identifier", "kind": "colour", "old": "1", "new": "2"}, 400),
     ({"target": "identifier", "kind": "plaque", "old": "1/1", "new": "2/2"}, 400),
     ({"target": "identifier", "kind": "plaque", "old": "-", "new": "not a plaque"}, 400),
     ({"target": "word", "old": "واژه‌ای‌که‌نیست", "new": "x"}, 400),
     ({"target": "word", "old": "", "new": "x"}, 400),
     ({"target": "text", "text": "   "}, 400),
     ({"target": "delete everything"}, 422), ({}, 422), ({"target": "text", "text": "x" * 60_000}, 422)],
)
def test_bad_corrections_are_4xx(client: TestClient, body: dict[str, Any], status: int) -> None:
    page = _page(client)
    response = client.post(f"/api/corrections/{page['sha256']}/1", headers=AUTH, json=body)
    assert response.status_code == status, response.text


def test_corrections_of_pages_that_are_not_there_are_404(client: TestClient) -> None:
    for url in ("/api/corrections/" + "0" * 64 + "/1", "/api/corrections/../../x/1", "/api/corrections/abc/1",
                f"/api/corrections/{_page(client)['sha256']}/99"):
        response = client.post(url, headers=AUTH, json={"target": "reviewed"})
        assert response.status_code == 404, (url, response.status_code)
    client.cookies.set("parvandeh_token", TOKEN)
    assert client.get("/review/" + "0" * 64 + "/1").status_code == 404


def test_serve_prints_the_token_and_listens_on_loopback(ingested: Path, tmp_path: Path) -> None:
    """`parvandeh serve --allow-corrections` in its own process: the token it prints is the
    one corrections need, and it answers on 127.0.0.1."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    archive = tmp_path / "archive"
    shutil.copytree(ingested, archive)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("parvandeh")
    proc = subprocess.Popen([str(exe), "serve", "--archive", str(archive), "--port", str(port), "--allow-corrections"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PARVANDEH_CACHE": str(tmp_path / "cache")})
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        assert "127.0.0.1" in lines[0] and "corrections allowed" in lines[0], lines
        token = lines[1].split(":", 1)[1].strip()
        assert len(token) >= 20 and f"/review?token={token}" in lines[2]
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(base + "/api/review/queue").status_code == 401
        assert httpx.get(base + "/api/review/queue", headers={"X-Parvandeh-Token": token}).status_code == 200
        with httpx.Client(base_url=base) as browser_like:
            assert browser_like.post("/review/login", data={"token": token}, follow_redirects=True).status_code == 200
            assert browser_like.get("/review").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_concurrent_requests_share_the_writer_connection(writable: tuple[Any, Path]) -> None:
    """uvicorn answers in a thread pool: searches, page views and corrections at once from
    eight client threads, on the one writer connection, all answered."""
    import socket
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    import uvicorn

    app, _archive = writable
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        queue = httpx.get(base + "/api/review/queue", params={"limit": 8}, headers=AUTH).json()["pages"]

        def one(n: int) -> int:
            item = queue[n % len(queue)]
            with httpx.Client(base_url=base, timeout=60) as c:
                codes = [c.get("/api/search", params={"q": "کرج"}).status_code,
                         c.get(f"/page/{item['sha256']}/{item['page']}", params={"q": "کرج"}).status_code,
                         c.post(f"/api/corrections/{item['sha256']}/{item['page']}", headers=AUTH,
                                json={"target": "reviewed", "by": f"r{n}"}).status_code]
            return max(codes)

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(one, range(24))) == {200}
        left = httpx.get(base + "/api/review/queue", params={"limit": 500}, headers=AUTH).json()["pages"]
        assert not {(p["sha256"], p["page"]) for p in queue} & {(p["sha256"], p["page"]) for p in left}
    finally:
        server.should_exit = True
        thread.join(10)
