"""Property-based fuzz of the web API: schemathesis generates requests from the
application's own OpenAPI document, hypothesis throws arbitrary text at the search
fields; no request may answer 500. Bounded to tens of examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web.app import create_app

pytestmark = pytest.mark.slow  # the `ingested` archive is OCR'd by Tesseract once per session

EXAMPLES = 30
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                   derandomize=True, database=None)


@pytest.fixture(scope="module")
def web_app(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = create_app(ingested, cache_dir=tmp_path_factory.mktemp("thumbs"))
    yield app
    app.state.reader.close()


def test_no_operation_answers_500(web_app: Any) -> None:
    """Each operation of /openapi.json, EXAMPLES requests drawn from its own schema.

    (schemathesis' pytest plugin cannot take a fixture's app with this pytest, so the
    operations' strategies are driven by hypothesis directly.)
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        _fuzz(operation, label, seen.setdefault(label, set()))
    assert {"GET /api/search", "GET /api/page/{sha256}/{page}", "GET /api/parcel/{asli}/{fari}",
            "GET /image/{sha256}/{page}", "GET /original/{sha256}"} <= set(seen)


def _fuzz(operation: Any, label: str, codes: set[int]) -> None:
    @given(case=operation.as_strategy())
    @BOUNDED
    def call(case: Any) -> None:
        response = case.call()
        codes.add(response.status_code)
        assert response.status_code < 500, (label, case.formatted_path, case.query, response.text[:300])

    call()


# Persian and Arabic letters, every digit system, bidi and joiner marks, FTS5 syntax.
ALPHABET = st.sampled_from(
    list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةأإآـ") + list("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789")
    + list("\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u2066\u2069") + list(' "*-()^:/.+,;\'\\%&#?=<>{}[]|~`!@$')
    + ["OR", "AND", "NOT", "NEAR", "\x00", "\t", "\n"]
)
QUERY = st.lists(ALPHABET, max_size=60).map("".join) | st.text(max_size=80)


@given(q=QUERY, field=st.sampled_from(["q", "dossier", "from", "to", "plaque", "renovation_code", "postal_code",
                                        "file_number", "permit_number", "national_id"]),
       fuzzy=st.booleans(), group=st.booleans())
@BOUNDED
def test_any_search_field_never_answers_500(web_app: Any, q: str, field: str, fuzzy: bool, group: bool) -> None:
    client = TestClient(web_app, raise_server_exceptions=False)
    params = {field: q, **({"fuzzy": "1"} if fuzzy else {}), **({"group": "1", "by_dossier": "true"} if group else {})}
    if field != "q":
        params["q"] = "کرج"
    for url in ("/search", "/api/search"):
        response = client.get(url, params=params)
        assert response.status_code < 500, (url, params, response.text[:300])
        assert response.status_code in (200, 400, 422)


@pytest.fixture(scope="module")
def a_page(web_app: Any) -> str:
    hit = TestClient(web_app).get("/api/search", params={"q": "کرج"}).json()["hits"][0]
    return f"{hit['sha256']}/{hit['page']}"


@given(q=QUERY, fuzzy=st.booleans(), plaque=st.text(max_size=20))
@BOUNDED
def test_any_query_on_a_real_page_never_answers_500(web_app: Any, a_page: str, q: str, fuzzy: bool,
                                                    plaque: str) -> None:
    client = TestClient(web_app, raise_server_exceptions=False)
    params = {"q": q, "plaque": plaque, **({"fuzzy": "1"} if fuzzy else {})}
    for url in (f"/page/{a_page}", f"/api/page/{a_page}"):
        response = client.get(url, params=params)
        assert response.status_code in (200, 422), (url, params, response.status_code, response.text[:300])
