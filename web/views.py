"""What each screen shows, as plain data: the HTML pages render it and the JSON API
returns it, so the two never disagree."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from indexer.dates import iso_to_jalali
from indexer.normalize import display, to_persian_digits
from indexer.query import SearchQuery
from indexer.search import MARK_CLOSE, MARK_OPEN, matcher
from web.archive import ArchiveReader, NotFound, PageInfo, image_size
from web.images import shown_version

_WORD = re.compile(r"\S+")
#: A masked national id (`008****948`, `۰۰۸-****-۹۴۸`, `******`) inside shown text.
_MASKED = re.compile(r"(?:\d[\d\-*]*)?\*{2,}(?:[\d\-*]*\d)?")


def fa(value: object) -> str:
    """A number or text with Persian digits, as the interface shows every number."""
    return to_persian_digits("" if value is None else str(value))


def jalali(iso: str | None) -> str:
    return iso_to_jalali(iso, persian_digits=True) or "بی‌تاریخ"


def isolate_masked(escaped: str) -> str:
    """Masked national ids in escaped text isolated left to right: inside a right-to-left
    line the bidi algorithm would otherwise show `008****948` as `948****008`."""
    return _MASKED.sub(lambda m: f'<bdi dir="ltr" class="masked">{m.group()}</bdi>', escaped)


def text_html(text: str) -> str:
    """Any shown text (an identifier as written, say) as safe HTML, masks isolated."""
    return isolate_masked(html.escape(text, quote=False))


def snippet_html(snippet: str) -> str:
    """A search snippet (page text with `<mark>` around matched words) as safe HTML: the
    text escaped, only the marks put back."""
    escaped = isolate_masked(html.escape(snippet, quote=False))
    return escaped.replace(html.escape(MARK_OPEN), "<mark>").replace(html.escape(MARK_CLOSE), "</mark>")


def marked_text_html(text: str, query: SearchQuery) -> str:
    """A page's whole text as safe HTML, the words the query matches marked, lines kept."""
    shown = display(text)
    if not query.clauses:
        return isolate_masked(html.escape(shown, quote=False))
    matches = matcher(query)
    out, at = [], 0
    for m in _WORD.finditer(shown):
        out.append(html.escape(shown[at : m.start()], quote=False))
        word = isolate_masked(html.escape(m.group(), quote=False))
        out.append(f"<mark>{word}</mark>" if matches(m.group()) else word)
        at = m.end()
    out.append(html.escape(shown[at:], quote=False))
    return "".join(out)


def page_url(sha256: str, page: int, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"/page/{sha256}/{page}" + (f"?{urlencode(kept)}" if kept else "")


def parcel_url(canonical: str) -> str:
    return "/parcel/" + "/".join(canonical.split("/")[:2])


def search_url(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "/search?" + urlencode(kept)


def image_urls(reader: ArchiveReader, info: PageInfo) -> dict[str, Any]:
    """The page image's URLs (versioned, so they can be cached as immutable) and its size."""
    try:
        path = reader.file_in_archive(info.image)
    except NotFound:
        return {"image": None, "thumbnail": None, "width": None, "height": None}
    v = shown_version(path, reader.personal_boxes(info))
    width, height = image_size(path)
    return {
        "image": f"/image/{info.sha256}/{info.page}?v={v}",
        "thumbnail": f"/thumb/{info.sha256}/{info.page}?w=240&v={v}",
        "width": width, "height": height,
    }


def page_view(reader: ArchiveReader, sha256: str, page: int, query: SearchQuery) -> dict[str, Any]:
    """A page for the viewer and `/api/page`: where it is from, its text and identifiers
    (masked unless personal data is shown), its image, the query's hit boxes on it, and its
    neighbours in the file."""
    info = reader.page(sha256, page)
    hits = reader.hit_boxes(info, query) if info.state == "done" else []
    return {
        "sha256": info.sha256, "page": info.page, "pages": info.pages, "state": info.state,
        "source": info.source, "dossier": info.dossier, "kind": info.kind,
        "date": info.date, "jalali": iso_to_jalali(info.date), "confidence": info.confidence,
        "recipe": info.recipe, "text": info.text, "identifiers": info.identifiers,
        **image_urls(reader, info),
        "original": f"/original/{info.sha256}",
        "query": query.text,
        "hits": [list(b) for b in hits],
        "identifier_boxes": reader.identifier_boxes(info.page_id) if info.state == "done" else [],
        "previous": info.page - 1 if info.page > 1 else None,
        "next": info.page + 1 if info.page < info.pages else None,
    }


def parcel_view(reader: ArchiveReader, canonical: str) -> dict[str, Any]:
    """`parvandeh parcel --json`'s object (each mention also carries its source's hash)."""
    mentions = reader.parcel(canonical)
    return {"plaque": canonical, "total": len(mentions), "mentions": mentions}


def parcel_pages(reader: ArchiveReader, mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One card per page (a page naming the plaque twice is one card), with its thumbnail."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for m in mentions:
        key = (m["sha256"], m["page"])
        if key in seen:
            if m["written"] not in seen[key]["written"]:
                seen[key]["written"].append(m["written"])
            continue
        try:
            urls = image_urls(reader, reader.page(m["sha256"], m["page"]))
        except NotFound:
            urls = {"thumbnail": None}
        seen[key] = {**m, "written": [m["written"]], "thumbnail": urls["thumbnail"]}
    return list(seen.values())
