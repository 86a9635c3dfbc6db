"""A search as the web application receives it, turned into the CLI's `SearchQuery`.

The same language and filters as `parvandeh search`: identifier filters read with
`canonical_query` (any digits), dates typed in Jalali (or ISO), the dossier as named.
Anything that cannot be read is a `BadInput` naming the field, never an exception
further in; the query's length is bounded before it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.identifiers import IdentifierError, canonical_query
from indexer.normalize import to_persian_digits
from indexer.query import SearchQuery

#: Each identifier kind has a filter of the same name, as in `parvandeh search`.
IDENTIFIER_KINDS = ("plaque", "renovation_code", "postal_code", "file_number", "permit_number", "national_id")
#: Characters of query text read; longer is refused (no page holds a 500-letter phrase).
MAX_QUERY = 500
#: Characters of a filter value (an identifier, a dossier name or a date).
MAX_FILTER = 100
#: Hits a page of results may ask for, and result pages a search may go to.
MAX_LIMIT = 100
MAX_PAGES = 500

LABELS = {
    "q": "متن جست‌وجو", "dossier": "پرونده", "date_from": "از تاریخ", "date_to": "تا تاریخ",
    "plaque": "پلاک ثبتی", "renovation_code": "کد نوسازی", "postal_code": "کد پستی",
    "file_number": "شماره پرونده", "permit_number": "شماره پروانه", "national_id": "کد ملی",
    "date": "تاریخ",
}


#: How each field is written, for the Persian message shown on the search screen.
HINTS = {
    "plaque": "اصلی/فرعی، مانند ۴۵/۱۲۳", "renovation_code": "مانند ۰۸-۰۳-۱۲۳-۰۱۲-۰۰۰-۰۰۰",
    "postal_code": "ده رقم", "national_id": "ده رقم با رقم کنترل درست", "file_number": "مانند ۱۲۳۴۵/۸۶",
    "permit_number": "رقم‌ها", "date_from": "خورشیدی، مانند ۱۳۸۴/۰۶/۱۲", "date_to": "خورشیدی، مانند ۱۳۸۴/۰۶/۱۲",
}


class BadInput(ValueError):
    """A search field that cannot be read; `field` names it, the message says why (in
    English for the API, `persian` for the search screen)."""

    def __init__(self, field: str, message: str, persian: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.persian = persian or message


@dataclass(slots=True)
class SearchForm:
    """The fields of a search as typed (kept to show the form again)."""

    q: str = ""
    dossier: str = ""
    date_from: str = ""
    date_to: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)
    fuzzy: bool = False
    by_dossier: bool = False

    @property
    def empty(self) -> bool:
        return not (self.q.strip() or self.dossier.strip() or any(v.strip() for v in self.identifiers.values()))

    def query(self, *, limit: int, offset: int) -> SearchQuery:
        """The `SearchQuery` the CLI would build from the same flags, or `BadInput`."""
        if len(self.q) > MAX_QUERY:
            raise BadInput("q", f"the query is {len(self.q)} characters long; at most {MAX_QUERY} are read",
                           f"متن جست‌وجو {to_persian_digits(str(len(self.q)))} نویسه است؛ "
                           f"بیش از {to_persian_digits(str(MAX_QUERY))} نویسه خوانده نمی‌شود")
        for name, value in (("dossier", self.dossier), ("date_from", self.date_from), ("date_to", self.date_to),
                            *self.identifiers.items()):
            if len(value) > MAX_FILTER:
                raise BadInput(name, f"{name}: at most {MAX_FILTER} characters",
                               f"{LABELS.get(name, name)}: بیش از {to_persian_digits(str(MAX_FILTER))} نویسه")
        filters = []
        for kind in IDENTIFIER_KINDS:
            raw = self.identifiers.get(kind, "").strip()
            if raw:
                try:
                    filters.append((kind, canonical_query(kind, raw)))
                except IdentifierError as e:
                    raise BadInput(kind, str(e), _persian(kind, raw)) from e
        return SearchQuery.build(
            self.q, identifiers=tuple(filters), dossier=self.dossier.strip() or None,
            date_from=_date("date_from", self.date_from), date_to=_date("date_to", self.date_to),
            limit=limit, offset=offset, fuzzy=self.fuzzy, by_dossier=self.by_dossier,
        )


def _date(name: str, value: str) -> str | None:
    """A Jalali (۱۳۸۴/۰۶/۱۲) or ISO (2005-09-03) date as ISO, as the CLI's --from/--to read it."""
    value = value.strip()
    if not value:
        return None
    try:
        return canonical_query("date", value)
    except IdentifierError as e:
        raise BadInput(name, f"{name}: {e} (write it as 1384/06/12)", _persian(name, value)) from e


def _persian(name: str, value: str) -> str:
    return f"{LABELS.get(name, name)}: «{value}» خوانده نشد؛ آن را چنین بنویسید: {HINTS.get(name, '')}"
