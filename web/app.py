"""The web application: `create_app(archive, ...)` builds it (tests build it directly;
`parvandeh serve` runs it under uvicorn).

Every screen has its JSON twin under /api with the same data (`web.views`); /api/search
answers exactly what `parvandeh search --json` prints. Read-only unless built with
`allow_corrections`; writes then need the token printed at start-up.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

import assets
from indexer.identifiers import IdentifierError, canonical_query
from indexer.query import SearchQuery
from web import images, review, views
from web.archive import MAX_PAGE, ArchiveReader, NotFound
from web.forms import (
    IDENTIFIER_KINDS,
    LABELS,
    MAX_FILTER,
    MAX_LIMIT,
    MAX_PAGES,
    MAX_QUERY,
    BadInput,
    SearchForm,
)

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20
#: No CDN and nothing inline: scripts and styles come from /static only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    # same-origin: our own form posts carry their Origin (no-referrer sends "null"), which
    # the review screen checks; other sites are told nothing, not even the query.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

Sha = Annotated[str, PathParam(pattern="^[0-9a-f]{64}$", description="a source's SHA-256 (64 lowercase hex)")]
PageNo = Annotated[int, PathParam(ge=1, le=MAX_PAGE, description="page number in the file, from 1")]
Digits = Annotated[str, PathParam(max_length=12, description="اصلی or فرعی number, in any digits")]
Q = Annotated[str, Query(max_length=MAX_QUERY, description="query text, in the CLI's query language")]
Filter = Annotated[str, Query(max_length=MAX_FILTER)]


def _cache_dir() -> Path:
    root = os.environ.get("PARVANDEH_CACHE") or Path.home() / ".cache" / "parvandeh"
    return Path(root) / "web-thumbnails"


def create_app(
    archive: Path, *, allow_corrections: bool = False, show_personal_data: bool = False,
    token: str | None = None, cache_dir: Path | None = None, page_size: int = PAGE_SIZE,
) -> FastAPI:
    """The application over one archive (its catalog must exist: `ArchiveMissing` otherwise).

    `token`: what a correction must present (made up when corrections are allowed and
    none is given; read it back from `app.state.token`). `cache_dir`: where thumbnails
    are kept (`$PARVANDEH_CACHE/web-thumbnails` by default). `page_size`: hits per page of
    results on the search screen.
    """
    reader = ArchiveReader(archive, writable=allow_corrections, show_personal_data=show_personal_data)
    app = FastAPI(
        title="parvandeh", version="0.1.0",
        description="Search a planning-dossier archive; every screen's data as JSON.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
    )
    app.state.reader = reader  # closed by whoever made the app (one app may serve many clients)
    app.state.allow_corrections = allow_corrections
    app.state.token = (token or secrets.token_urlsafe(18)) if allow_corrections else None
    app.state.thumbs = cache_dir or _cache_dir()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(fa=views.fa, jalali=views.jalali, snippet=views.snippet_html, shown=views.text_html)
    templates.env.globals.update(
        page_url=views.page_url, parcel_url=views.parcel_url, search_url=views.search_url,
        labels=LABELS, kinds=IDENTIFIER_KINDS, allow_corrections=allow_corrections,
        show_personal_data=show_personal_data, max_query=MAX_QUERY, max_filter=MAX_FILTER,
    )
    app.state.templates = templates
    app.state.page_size = page_size
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response

    _errors(app, templates)
    _pages(app, templates, reader)
    _api(app, reader)
    _files(app, reader)
    review.install(app, templates, reader)  # its routes refuse every write unless corrections are allowed
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _errors(app: FastAPI, templates: Jinja2Templates) -> None:
    def answer(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                          status_code=status)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return answer(request, 404, str(exc))

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)
        return answer(request, 400, exc.persian)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        # a malformed hash or page number names nothing the archive holds
        if any(e.get("loc", ("",))[0] == "path" for e in errors):
            return answer(request, 404, "no such source or page (sources are named by their SHA-256)")
        if _wants_json(request):
            return JSONResponse({"detail": [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]},
                                status_code=422)
        where = ", ".join(str(e.get("loc", ("?",))[-1]) for e in errors)
        return answer(request, 400, f"unreadable input: {where}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "no such page", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        response = answer(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response


# -- search ---------------------------------------------------------------------------------


def _form(request: Request) -> SearchForm:
    """The search fields of a request (HTML pages read them leniently, then validate)."""
    params = request.query_params
    return SearchForm(
        q=params.get("q", ""), dossier=params.get("dossier", ""),
        date_from=params.get("from", ""), date_to=params.get("to", ""),
        identifiers={kind: params.get(kind, "") for kind in IDENTIFIER_KINDS if params.get(kind)},
        fuzzy=params.get("fuzzy") in ("1", "on", "true"), by_dossier=params.get("group") in ("1", "on", "true"),
    )


def _page_number(raw: str | None) -> int:
    try:
        return min(MAX_PAGES, max(1, int(raw or 1)))
    except ValueError:
        return 1


def _pages(app: FastAPI, templates: Jinja2Templates, reader: ArchiveReader) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> Response:
        form = _form(request)
        number = _page_number(request.query_params.get("p"))
        context: dict[str, Any] = {"form": form, "result": None, "error": None, "number": number}
        status = 200
        if not form.empty:
            try:
                size = app.state.page_size
                query = form.query(limit=size, offset=(number - 1) * size)
                result = reader.search(query)
                context.update(result=result, query=query, **_paging(result, number, size))
            except BadInput as e:
                context["error"], context["error_field"], status = e.persian, e.field, 400
        elif "q" in request.query_params:
            context["error"] = "چیزی برای جست‌وجو بنویسید، یا یک شناسه یا پرونده بدهید"
        return templates.TemplateResponse(request, "search.html", context, status_code=status)

    @app.get("/page/{sha256}/{page}", response_class=HTMLResponse, include_in_schema=False)
    def page_viewer(request: Request, sha256: Sha, page: PageNo, q: str = "", fuzzy: str = "",
                    plaque: str = "") -> Response:
        query = SearchQuery.build(q[:MAX_QUERY], fuzzy=fuzzy in ("1", "on", "true"))
        view = views.page_view(reader, sha256, page, query)
        context = {"view": view, "text_html": views.marked_text_html(view["text"], query),
                   "q": q[:MAX_QUERY], "fuzzy": fuzzy, "plaque": plaque[:MAX_FILTER]}
        return templates.TemplateResponse(request, "page.html", context,
                                          status_code=200 if view["state"] == "done" else 404)

    @app.get("/parcel/{asli}", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/parcel/{asli}/{fari}", response_class=HTMLResponse, include_in_schema=False)
    def parcel_page(request: Request, asli: Digits, fari: Digits | None = None) -> Response:
        canonical = _plaque(asli, fari)
        view = views.parcel_view(reader, canonical)
        cards = views.parcel_pages(reader, view["mentions"])
        return templates.TemplateResponse(request, "parcel.html", {"view": view, "cards": cards,
                                          "dossier_count": len({c["dossier"] for c in cards})})


def _paging(result: Any, number: int, size: int) -> dict[str, Any]:
    """Where this page of results sits; grouped results know only whether more follow."""
    if result.dossiers is not None:
        last = number + 1 if len(result.dossiers) >= size else number
    else:
        last = min(MAX_PAGES, max(1, math.ceil(result.total / size)))
    return {"first_number": (number - 1) * size + 1, "last_page": last,
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if number < last else None}


def _plaque(asli: str, fari: str | None) -> str:
    try:
        return canonical_query("plaque", f"{asli}/{fari}" if fari else asli)
    except IdentifierError as e:
        raise NotFound(f"not a plaque: {e}") from e


# -- the JSON API ---------------------------------------------------------------------------


def _api(app: FastAPI, reader: ArchiveReader) -> None:
    @app.get("/api/search", tags=["search"], summary="Search, as `parvandeh search --json`")
    def api_search(
        q: Q = "", plaque: Filter = "", renovation_code: Filter = "", postal_code: Filter = "",
        file_number: Filter = "", permit_number: Filter = "", national_id: Filter = "", dossier: Filter = "",
        date_from: Annotated[str, Query(alias="from", max_length=MAX_FILTER,
                                        description="Jalali 1384/06/12 or ISO")] = "",
        date_to: Annotated[str, Query(alias="to", max_length=MAX_FILTER)] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE_SIZE,
        offset: Annotated[int, Query(ge=0, le=MAX_LIMIT * MAX_PAGES)] = 0,
        fuzzy: bool = False, by_dossier: bool = False,
    ) -> dict[str, Any]:
        """`{"query", "total", "hits": [{source, sha256, dossier, page, date, score, snippet,
        confidence}]}` (and `dossiers` with `by_dossier`); national IDs masked unless the
        server shows personal data."""
        form = SearchForm(
            q=q, dossier=dossier, date_from=date_from, date_to=date_to, fuzzy=fuzzy, by_dossier=by_dossier,
            identifiers={"plaque": plaque, "renovation_code": renovation_code, "postal_code": postal_code,
                         "file_number": file_number, "permit_number": permit_number, "national_id": national_id},
        )
        if form.empty:
            raise BadInput("q", "give a query, an identifier filter or a dossier")
        return reader.search(form.query(limit=limit, offset=offset)).to_dict()

    @app.get("/api/page/{sha256}/{page}", tags=["pages"], summary="One page: text, identifiers, image, hit boxes")
    def api_page(sha256: Sha, page: PageNo, q: Q = "", fuzzy: bool = False) -> dict[str, Any]:
        return views.page_view(reader, sha256, page, SearchQuery.build(q, fuzzy=fuzzy))

    @app.get("/api/parcel/{asli}", tags=["parcels"], summary="Pages naming a plaque with no فرعی")
    def api_parcel_main(asli: Digits) -> dict[str, Any]:
        return views.parcel_view(reader, _plaque(asli, None))

    @app.get("/api/parcel/{asli}/{fari}", tags=["parcels"], summary="Pages naming plaque اصلی/فرعی, oldest first")
    def api_parcel(asli: Digits, fari: Digits) -> dict[str, Any]:
        return views.parcel_view(reader, _plaque(asli, fari))


# -- files, by hash and page number only ------------------------------------------------------


def _files(app: FastAPI, reader: ArchiveReader) -> None:
    fonts = {path.name: path for path in assets.webfonts().values()}

    @app.get("/image/{sha256}/{page}", tags=["files"], summary="The cleaned page image (immutable)",
             response_class=Response)
    def image(request: Request, sha256: Sha, page: PageNo) -> Response:
        info = reader.page(sha256, page)
        cache = app.state.thumbs / sha256[:2] / sha256 / f"p{page:04d}"
        return images.page_image(request, reader.file_in_archive(info.image), reader.personal_boxes(info), cache)

    @app.get("/thumb/{sha256}/{page}", tags=["files"], summary="A thumbnail of the page image",
             response_class=Response)
    def thumb(request: Request, sha256: Sha, page: PageNo,
              w: Annotated[int, Query(description="width: 160, 240 or 480")] = 240) -> Response:
        info = reader.page(sha256, page)
        width = min(images.THUMB_WIDTHS, key=lambda t: abs(t - w))
        cache = app.state.thumbs / sha256[:2] / sha256 / f"p{page:04d}"
        return images.thumbnail(request, reader.file_in_archive(info.image), reader.personal_boxes(info), cache,
                                width)

    @app.get("/original/{sha256}", tags=["files"], summary="The original scan, by its SHA-256",
             response_class=Response)
    def original(request: Request, sha256: Sha) -> Response:
        path, _kind, name = reader.original(sha256)
        return images.original(request, path, sha256, name)

    @app.get("/fonts/{name}", include_in_schema=False)
    def font(request: Request, name: str) -> Response:
        path = fonts.get(name)
        if path is None:
            raise NotFound("no such font")
        return images.cached_bytes(request, f"{assets.FONT_VERSION}-{name}", "font/woff2", path.read_bytes)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)
