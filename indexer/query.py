"""The search query model, shared by every backend.

A user's query string is parsed once into clauses (words, "phrases", prefixes, OR groups,
exclusions), each already in the matching form of `indexer.normalize`. Backends turn the
clauses into their own syntax; nothing a user types can reach a backend unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.normalize import joined_variants, normalize

# What FTS5's unicode61 tokenizer keeps together: letters, digits and combining marks.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def match_tokens(text: str) -> list[str]:
    """Split normalized text the way the index does."""
    return _TOKEN.findall(normalize(text))


@dataclass(frozen=True, slots=True)
class Clause:
    """One thing that must (or, when `negated`, must not) be on the page.

    `alternatives` are token sequences: the clause matches when any of them occurs as a
    phrase; `prefix` makes the last token of each alternative a prefix.
    """

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()  # (kind, canonical)
    dossier: str | None = None
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None
    limit: int = 20
    offset: int = 0
    clauses: tuple[Clause, ...] = field(default=(), compare=False)

    @classmethod
    def build(cls, text: str = "", **kwargs: object) -> SearchQuery:
        return cls(text=text, clauses=tuple(parse(text)), **kwargs)  # type: ignore[arg-type]

    @property
    def terms(self) -> set[str]:
        """Every token a page may match on, for highlighting."""
        return {tok for c in self.clauses if not c.negated for alt in c.alternatives for tok in alt}

    @property
    def prefixes(self) -> set[str]:
        return {alt[-1] for c in self.clauses if c.prefix and not c.negated for alt in c.alternatives}


def _word_clause(raw: str, *, negated: bool, quoted: bool) -> Clause | None:
    prefix = not quoted and raw.endswith("*")
    tokens = tuple(match_tokens(raw))
    if not tokens:
        return None
    return Clause((tokens,), prefix=prefix, negated=negated)


def parse(text: str) -> list[Clause]:
    """Parse what a user typed. Never raises: unknown syntax is read as words."""
    clauses: list[Clause] = []
    pending_or = False
    for m in _ITEM.finditer(text or ""):
        negated_phrase, phrase, bare = m.group(1), m.group(2), m.group(3)
        if bare == "OR" and clauses:
            pending_or = True
            continue
        if phrase is not None:
            clause = _word_clause(phrase, negated=bool(negated_phrase), quoted=True)
        else:
            negated = bare.startswith("-") and len(bare) > 1
            clause = _word_clause(bare[1:] if negated else bare, negated=negated, quoted=False)
        if clause is None:
            continue
        if pending_or and not clause.negated and not clauses[-1].negated:
            last = clauses.pop()
            clause = Clause(last.alternatives + clause.alternatives, prefix=last.prefix or clause.prefix)
        clauses.append(clause)
        pending_or = False
    return _dedupe(_join_detached(clauses))


def _single(c: Clause) -> str | None:
    if c.negated or c.prefix or len(c.alternatives) != 1 or len(c.alternatives[0]) != 1:
        return None
    return c.alternatives[0][0]


def _join_detached(clauses: list[Clause]) -> list[Clause]:
    """Adjacent plain words (`می رساند`) may be one word on the page (`می‌رساند`)."""
    out: list[Clause] = []
    i = 0
    while i < len(clauses):
        a = _single(clauses[i])
        b = _single(clauses[i + 1]) if i + 1 < len(clauses) else None
        joined = joined_variants(f"{a} {b}") if a and b else []
        if joined:
            out.append(Clause(((a, b), *((j,) for j in joined))))  # type: ignore[arg-type]
            i += 2
            continue
        out.append(clauses[i])
        i += 1
    return out


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    seen: set[Clause] = set()
    out = []
    for c in clauses:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out
