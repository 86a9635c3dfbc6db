"""The search query model, shared by every backend.

A user's query string is parsed once into clauses (words, "phrases", prefixes, OR groups,
exclusions), each already in the matching form of `indexer.normalize`. Backends turn the
clauses into their own syntax; nothing a user types can reach a backend unquoted.

Two opt-in modes live here too, so both backends read them the same way: `fuzzy` (a word
of at least `FUZZY_MIN_LENGTH` letters also matches index terms one OCR slip away, ranked
below exact matches) and `by_dossier` (limit and offset count dossiers, each with its best
`DOSSIER_HITS` pages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice, product

from indexer.normalize import joined_variants, normalize

# What FTS5's unicode61 tokenizer keeps together: letters, digits and combining marks.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')

#: Shorter words get no fuzzy matching: one slip in three letters is usually another word.
FUZZY_MIN_LENGTH = 4
#: Nor do longer "words": no dictionary word is this long, and their variants are many.
FUZZY_MAX_LENGTH = 30
#: Index terms one slip away that a fuzzy word may expand to (Elasticsearch's max_expansions).
FUZZY_MAX_TERMS = 50
#: Fuzzy alternatives of one phrase at most (each word of a phrase may carry one slip).
FUZZY_MAX_ALTERNATIVES = 64
#: Added to the score per clause matched exactly, so exact pages rank above fuzzy-only ones.
EXACT_BOOST = 1000.0
#: Pages shown per dossier when hits are grouped by dossier.
DOSSIER_HITS = 5

#: Letters a one-letter slip may produce, in the matching form (after `normalize`).
PERSIAN_LETTERS = "ءابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


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
    """What to search for, as every backend reads it (`build` parses `text` once).

    `fuzzy`: required words of `FUZZY_MIN_LENGTH` letters or more also match one edit away,
    below every page that matches them exactly. `by_dossier`: hits grouped by dossier, best
    dossier first; `limit` and `offset` then count dossiers.
    """

    text: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()  # (kind, canonical)
    dossier: str | None = None
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None
    limit: int = 20
    offset: int = 0
    fuzzy: bool = False
    by_dossier: bool = False
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

    @property
    def fuzzy_terms(self) -> set[str]:
        """Tokens that may match one slip away (empty unless `fuzzy`), for highlighting."""
        if not self.fuzzy:
            return set()
        return {
            tok for c in self.clauses if fuzzy_clause(c)
            for alt in c.alternatives for tok in alt if fuzzy_eligible(tok)
        }  # fmt: skip


def _word_clause(raw: str, *, negated: bool, quoted: bool) -> Clause | None:
    prefix = not quoted and raw.endswith("*")
    tokens = tuple(match_tokens(raw))
    if not tokens:
        return None
    alternatives = (tokens,) if prefix else (tokens, *digit_group_variants(tokens))
    return Clause(alternatives, prefix=prefix, negated=negated)


def digit_group_variants(tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Other ways OCR gives back a number written in groups (31886-58178, 1392/08/01).

    Tesseract returns the groups of a number inside a right-to-left line in reversed order
    (58178-31886) and often drops a separator (1392/0801, 3188658178): the groups in
    either order, with neighbours joined or not (every way for up to four groups; longer
    codes only as a whole).
    """
    if len(tokens) < 2 or not all(t.isdecimal() and t.isascii() for t in tokens):
        return []
    out: dict[tuple[str, ...], None] = {}
    for order in (tokens, tokens[::-1]):
        cuts = range(2 ** (len(order) - 1)) if len(order) <= 4 else (2 ** (len(order) - 1) - 1, 0)
        for mask in cuts:
            groups, current = [], order[0]
            for i, tok in enumerate(order[1:]):
                if mask >> i & 1:
                    groups.append(current)
                    current = tok
                else:
                    current += tok
            out[(*groups, current)] = None
    out.pop(tokens, None)
    return list(out)


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
    return _dedupe(_compounds(_join_detached(clauses)))


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


#: Halves of a compound at least this long: دانش‌آموز, عقب‌نشینی, شهر‌سازی.
COMPOUND_PART = 3


def _persian(token: str) -> bool:
    return token.isalpha() and all("\u0620" <= c <= "\u06ff" for c in token)


def _compounds(clauses: list[Clause]) -> list[Clause]:
    """Compounds typed with a space where the page has a half-space or none: `دانش آموز`
    also finds `دانش‌آموز` and `دانشآموز` (affixes such as می and ها are `_join_detached`'s).

    Two neighbouring Persian words a, b become (a OR ab) AND (b OR ab): both words
    anywhere, as before, or the one joined word.
    """
    words = [_single(c) for c in clauses]
    joined: list[list[tuple[str, ...]]] = [[] for _ in clauses]
    for i, (a, b) in enumerate(zip(words, words[1:], strict=False)):
        if a and b and _persian(a) and _persian(b) and min(len(a), len(b)) >= COMPOUND_PART:
            joined[i].append((a + b,))
            joined[i + 1].append((a + b,))
    return [
        Clause(c.alternatives + tuple(alts), prefix=c.prefix, negated=c.negated) if alts else c
        for c, alts in zip(clauses, joined, strict=True)
    ]


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    seen: set[Clause] = set()
    out = []
    for c in clauses:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


# -- OCR-tolerant matching ------------------------------------------------------------------


def fuzzy_eligible(token: str) -> bool:
    """Words long enough to tell a slip from another word; never numbers (identifiers)."""
    return (
        FUZZY_MIN_LENGTH <= len(token) <= FUZZY_MAX_LENGTH and token.isalpha() and _alphabet(token) is not None
    )


def fuzzy_clause(clause: Clause) -> bool:
    """Whether a clause may match one slip away: a required word or phrase (not a prefix)
    with at least one word long enough. Exact matches of such clauses earn `EXACT_BOOST`.
    """
    return (
        not clause.negated and not clause.prefix
        and any(fuzzy_eligible(tok) for alt in clause.alternatives for tok in alt)
    )


def _alphabet(token: str) -> str | None:
    if all("\u0620" <= c <= "\u06ff" for c in token):
        return PERSIAN_LETTERS + DIGITS
    if token.isascii():
        return LATIN_LETTERS + DIGITS
    return None


def one_edit_variants(token: str) -> set[str]:
    """Every string one edit from `token` in its own script: a letter dropped, added,
    swapped for another (a lost or extra dot: ن/ت/ب/پ/ث/ی) or two neighbours transposed.

    The same edits Elasticsearch's `fuzziness: 1` allows (Damerau-Levenshtein, distance 1).
    """
    alphabet = _alphabet(token)
    if alphabet is None:
        return set()
    splits = [(token[:i], token[i:]) for i in range(len(token) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    out |= {a + c + b for a, b in splits for c in alphabet}
    out.discard(token)
    return out


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein (optimal string alignment) distance of at most one."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    longer, shorter = (a, b) if la > lb else (b, a)
    return longer[i + 1 :] == shorter[i:]


def expand_fuzzy(clause: Clause, variants: Callable[[str], Iterable[str]]) -> Clause:
    """The clause with fuzzy alternatives added: each eligible word of each alternative may
    be replaced by one of `variants(word)` (index terms one slip away).

    Exact alternatives stay first; a phrase expands to at most `FUZZY_MAX_ALTERNATIVES`.
    """
    if not fuzzy_clause(clause):
        return clause
    seen = set(clause.alternatives)
    added: list[tuple[str, ...]] = []
    for alt in clause.alternatives:
        options = [
            [tok, *islice(variants(tok), FUZZY_MAX_TERMS)] if fuzzy_eligible(tok) else [tok]
            for tok in alt
        ]
        for combo in islice(product(*options), 1, FUZZY_MAX_ALTERNATIVES + 1):
            if combo not in seen:
                seen.add(combo)
                added.append(combo)
    if not added:
        return clause
    return Clause(clause.alternatives + tuple(added), prefix=clause.prefix, negated=clause.negated)
