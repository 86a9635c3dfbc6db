"""The review screen: the QA review queue (`qa.queue`), and corrections of a page's text,
one word, or one identifier (`indexer.corrections`), re-indexed at once.

The routes are always there; without `--allow-corrections` they answer 403 (and the
catalog is read-only underneath anyway). With it, every request needs the token printed
at start-up: the `X-Parvandeh-Token` header or `Authorization: Bearer …` for the API,
or the cookie that `/review?token=…` sets (HttpOnly, SameSite=Strict, so another site's
form cannot post with it) for the forms.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlsplit

from fastapi import Body, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from indexer.corrections import (
    IDENTIFIER_KINDS,
    CorrectionError,
    correct_identifier,
    correct_text,
    corrections_for,
    mark_reviewed,
    replace_words,
    reviews_for,
)
from indexer.identifiers import mask_national_id
from indexer.query import SearchQuery
from web import views
from web.archive import ArchiveReader, NotFound, PageInfo, mask_shown
from web.forms import MAX_FILTER, MAX_QUERY, BadInput

COOKIE = "parvandeh_token"
#: A national id as masked pages show it: whole texts carrying one would write the mask.
_MASKED_ID = re.compile(r"\d[\d \-]*\*{2,}|\*{4,}")
#: Words Tesseract was less sure of than this are boxed for the reviewer (pipeline's WEAK_WORD).
WEAK_WORD = 60.0
QUEUE_PAGE = 20
#: The longest page text a correction may carry (a dense page is about 5,000 characters).
MAX_TEXT = 50_000


class Forbidden(PermissionError):
    """A write refused: read-only server (403), no token (401) or a wrong one (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CorrectionIn(BaseModel):
    """One correction through the API; the fields each `target` needs are checked there."""

    target: Literal["text", "word", "identifier", "reviewed"]
    text: str | None = Field(None, max_length=MAX_TEXT, description="target=text: the page's whole corrected text")
    kind: str | None = Field(None, max_length=40, description="target=identifier: its kind")
    old: str | None = Field(None, max_length=MAX_FILTER, description="word or identifier as it is now ('-': add one)")
    new: str | None = Field(None, max_length=MAX_FILTER, description="what it should be ('-': remove the identifier)")
    by: str | None = Field(None, max_length=100, description="who corrects (the reviewer's name)")
    reason: str | None = Field(None, max_length=500)


def install(app: FastAPI, templates: Jinja2Templates, reader: ArchiveReader) -> None:
    """Add the review routes (they refuse everything unless corrections are allowed)."""

    def check(request: Request, *, form: bool = False) -> None:
        if not app.state.allow_corrections:
            raise Forbidden(403, "read-only: start `parvandeh serve` with --allow-corrections to correct pages")
        given = request.headers.get("x-parvandeh-token") or _bearer(request) or request.cookies.get(COOKIE)
        if not given:
            raise Forbidden(401, "a correction needs the token `parvandeh serve` printed at start-up")
        if not secrets.compare_digest(given.encode(), str(app.state.token).encode()):
            raise Forbidden(403, "wrong token")
        origin = request.headers.get("origin")
        if form and origin and (origin == "null" or urlsplit(origin).netloc != request.url.netloc):
            raise Forbidden(403, "a correction must come from this server's own pages")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        from fastapi.responses import JSONResponse

        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        context = {"status": exc.status, "message": str(exc), "login": exc.status == 401 and app.state.allow_corrections}
        return templates.TemplateResponse(request, "error.html", context, status_code=exc.status)

    @app.exception_handler(CorrectionError)
    async def refused(request: Request, exc: CorrectionError) -> Response:
        from fastapi.responses import JSONResponse

        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return templates.TemplateResponse(request, "error.html", {"status": 400, "message": str(exc)}, status_code=400)

    # -- the screens ------------------------------------------------------------------------

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_queue_page(request: Request, token: str = "", p: str = "1", dossier: str = "") -> Response:
        if token:  # the link printed at start-up: keep the token in a cookie, not in the address
            if not app.state.allow_corrections:
                raise Forbidden(403, "read-only: start `parvandeh serve` with --allow-corrections")
            if not secrets.compare_digest(token.encode(), str(app.state.token).encode()):
                raise Forbidden(403, "wrong token")
            response = RedirectResponse("/review", status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
            return response
        check(request)
        from qa.queue import describe, queue_length, review_queue

        number = max(1, int(p)) if p.isdigit() else 1
        with reader.locked():
            items = review_queue(reader.catalog, limit=QUEUE_PAGE, offset=(number - 1) * QUEUE_PAGE,
                                 dossier=dossier[:MAX_FILTER] or None)
            total = queue_length(reader.catalog)
        rows = [{**item.to_dict(), "why": describe(item)} for item in items]
        return templates.TemplateResponse(request, "review.html", {
            "items": rows, "total": total, "number": number, "dossier": dossier,
            "next_page": number + 1 if len(items) == QUEUE_PAGE else None,
            "previous_page": number - 1 if number > 1 else None,
        })

    @app.post("/review/login", include_in_schema=False)
    def login(token: Annotated[str, Form(max_length=200)]) -> Response:
        return RedirectResponse(f"/review?token={quote(token)}", status_code=303)

    @app.get("/review/{sha256}/{page}", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request, sha256: str, page: int, done: str = "", q: str = "") -> Response:
        check(request)
        info = reader.page(sha256, page)
        if info.state != "done":
            raise NotFound("the page is not OCR'd yet: nothing to correct")
        query = SearchQuery.build(q[:MAX_QUERY])
        view = views.page_view(reader, sha256, page, query)
        with reader.locked():
            history = [shown_correction(c.to_dict(), reader.show_personal_data)
                       for c in corrections_for(reader.catalog, [info.page_id]).get(info.page_id, [])]
            state = reviews_for(reader.catalog, [info.page_id]).get(info.page_id)
        return templates.TemplateResponse(request, "review_page.html", {
            "view": view, "text_html": views.marked_text_html(view["text"], query), "weak": _weak_boxes(reader, info),
            "history": history, "review_status": state.status if state else None, "done": done[:MAX_QUERY],
            "q": q[:MAX_QUERY], "identifier_kinds": IDENTIFIER_KINDS, "reviewer": unquote(request.cookies.get("parvandeh_by", ""))[:100],
        })

    @app.post("/review/{sha256}/{page}", include_in_schema=False)
    def review_form(
        request: Request, sha256: str, page: int,
        target: Annotated[Literal["text", "word", "identifier", "reviewed"], Form()],
        text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
        kind: Annotated[str, Form(max_length=40)] = "",
        old: Annotated[str, Form(max_length=MAX_FILTER)] = "",
        new: Annotated[str, Form(max_length=MAX_FILTER)] = "",
        by: Annotated[str, Form(max_length=100)] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        check(request, form=True)
        change = CorrectionIn(target=target, text=text or None, kind=kind or None, old=old or None,
                              new=new or None, by=by or None, reason=reason or None)
        _apply(reader, sha256, page, change)
        found = new if target in ("word", "identifier") and new.strip() not in ("", "-") else ""
        response = RedirectResponse(
            f"/review/{sha256}/{page}?done={quote(target)}" + (f"&q={quote(found)}" if target == "word" else ""),
            status_code=303,
        )
        if by:
            response.set_cookie("parvandeh_by", quote(by), httponly=True, samesite="strict", path="/")
        return response

    # -- the API ----------------------------------------------------------------------------

    @app.get("/api/review/queue", tags=["review"], summary="The review queue, riskiest first (needs the token)")
    def api_queue(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = QUEUE_PAGE,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                  dossier: Annotated[str, Query(max_length=MAX_FILTER)] = "") -> dict[str, Any]:
        check(request)
        from qa.queue import queue_json, queue_length, review_queue

        with reader.locked():
            items = review_queue(reader.catalog, limit=limit, offset=offset, dossier=dossier or None)
            return queue_json(items, queue_length(reader.catalog))

    @app.post("/api/corrections/{sha256}/{page}", tags=["review"],
              summary="Correct a page's text, a word or an identifier (needs the token); re-indexed at once")
    def api_correct(request: Request, sha256: str, page: int, change: Annotated[CorrectionIn, Body()]) -> dict[str, Any]:
        check(request)
        correction = _apply(reader, sha256, page, change)
        return {"correction": correction, "page": views.page_view(reader, sha256, page, SearchQuery.build(""))}


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:].strip() or None if value.lower().startswith("bearer ") else None


def _apply(reader: ArchiveReader, sha256: str, page: int, change: CorrectionIn) -> dict[str, Any]:
    """One correction through `indexer.corrections`, in its own transaction; the page's
    full-text rows are rewritten with it, so the next search sees the corrected text."""
    info = reader.page(sha256, page)
    if info.state != "done":
        raise NotFound("the page is not OCR'd yet: nothing to correct")
    by, reason = (change.by or "").strip() or None, (change.reason or "").strip() or None
    with reader.locked() as db:
        if change.target == "text":
            if change.text is None:
                raise BadInput("text", "give the page's corrected text")
            if not reader.show_personal_data and _MASKED_ID.search(change.text):
                raise BadInput("text", "the text holds a masked national id: correct single words, or serve "
                                       "with --show-personal-data to edit the whole text")
            c = correct_text(reader.catalog, info.page_id, change.text, by=by, reason=reason)
        elif change.target == "word":
            if not change.old or change.new is None:
                raise BadInput("old", "give the word as it reads now and as it should read")
            current = db.execute("SELECT text FROM pages WHERE id = ?", (info.page_id,)).fetchone()[0] or ""
            c = correct_text(reader.catalog, info.page_id, replace_words(current, change.old, change.new),
                             by=by, reason=reason or f"{change.old} → {change.new}")
        elif change.target == "identifier":
            if not change.kind or not change.old or not change.new:
                raise BadInput("kind", "give the identifier's kind, its value now ('-' to add) and the new one")
            c = correct_identifier(reader.catalog, info.page_id, change.kind, change.old, change.new,
                                   by=by, reason=reason)
        else:
            c = mark_reviewed(reader.catalog, info.page_id, by=by, reason=reason)
    return shown_correction(c.to_dict(), reader.show_personal_data)


def shown_correction(out: dict[str, Any], show_personal_data: bool) -> dict[str, Any]:
    """A stored correction as shown: national ids masked unless personal data is shown."""
    if show_personal_data:
        return out
    if out.get("target") == "text":
        out["old"], out["new"] = mask_shown(out.get("old") or ""), mask_shown(out.get("new") or "")
    elif out.get("kind") == "national_id":
        out["old"], out["new"] = (mask_national_id(v) if v and v != "-" else v for v in (out["old"], out["new"]))
    return out


def _weak_boxes(reader: ArchiveReader, info: PageInfo) -> list[dict[str, Any]]:
    """The words OCR was unsure of, with their boxes and confidences (text masked as the
    page text is)."""
    try:
        words = reader.words(info)
    except (NotFound, OSError, ValueError):
        return []
    return [
        {"box": list(w.box), "conf": round(w.conf, 1)}
        for w in words if w.text.strip() and 0 <= w.conf < WEAK_WORD and w.width > 0 and w.height > 0
    ]
