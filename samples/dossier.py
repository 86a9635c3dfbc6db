"""The parcels, people and identifiers of synthetic dossiers, and the template filler.

Every identifier a page shows is made here together with its canonical form (as in
the ARCHITECTURE identifier table), so the ground truth is exact by construction.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import jdatetime

from samples import vocabulary as V
from samples.render import NBSP
from samples.splits import TUNED, variant_allowed

FIRST_DATE = jdatetime.date(1380, 1, 1)
LAST_DATE = jdatetime.date(1403, 12, 29)

# ---------------------------------------------------------------- digits and letters

DIGIT_SETS = {"persian": "۰۱۲۳۴۵۶۷۸۹", "arabic": "٠١٢٣٤٥٦٧٨٩", "ascii": "0123456789"}
_TO_STYLE = {
    style: str.maketrans({c: target[i] for s in DIGIT_SETS.values() for i, c in enumerate(s)})
    for style, target in DIGIT_SETS.items()
}
_ARABIC_KEYBOARD = str.maketrans({"ی": "ي", "ک": "ك"})


def with_digits(text: str, style: str) -> str:
    """Rewrite every digit (Persian, Arabic-Indic or ASCII) in one digit style."""
    return text.translate(_TO_STYLE[style])


def arabic_keyboard(text: str) -> str:
    """Text typed on an Arabic layout: Arabic yeh and kaf instead of the Persian letters."""
    return text.translate(_ARABIC_KEYBOARD)


# ---------------------------------------------------------------- identifiers


@dataclass(frozen=True)
class Identifier:
    """One identifier occurrence: what the page says and its canonical value."""

    kind: str
    text: str
    canonical: str
    section: str | None = None
    jalali: str | None = None

    def to_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"kind": self.kind, "text": self.text,
                                      "canonical": self.canonical}
        if self.kind == "plaque":
            out["section"] = self.section
        if self.kind == "date":
            out["jalali"] = self.jalali
        return out


def national_id_check_digit(first_nine: str) -> int:
    """The Iranian national-id check digit over the first nine digits."""
    s = sum(int(c) * (10 - i) for i, c in enumerate(first_nine)) % 11
    return s if s < 2 else 11 - s


def make_national_id(rng: random.Random) -> str:
    """A random id whose check digit holds (ids of one repeated digit are not issued)."""
    while True:
        body = "".join(str(rng.randint(0, 9)) for _ in range(9))
        nid = body + str(national_id_check_digit(body))
        if len(set(nid)) > 1:
            return nid


def make_postal_code(rng: random.Random) -> str:
    """Ten digits; Karaj codes start with 31 and the first five never hold 0 or 2."""
    head = "31" + "".join(rng.choice("13456789") for _ in range(3))
    return head + "".join(str(rng.randint(0, 9)) for _ in range(5))


def random_jalali(rng: random.Random, lo: jdatetime.date, hi: jdatetime.date) -> jdatetime.date:
    """A valid Jalali day (month lengths and leap Esfands included) between lo and hi."""
    span = (hi.togregorian() - lo.togregorian()).days
    return lo + dt.timedelta(days=rng.randint(0, max(span, 0)))


def clamp(day: jdatetime.date) -> jdatetime.date:
    return max(FIRST_DATE, min(LAST_DATE, day))


def jalali_iso(day: jdatetime.date) -> str:
    return day.togregorian().isoformat()


# ---------------------------------------------------------------- dossiers


@dataclass(frozen=True)
class Person:
    """A name in Persian and English, so a summary names the same people as the letters."""

    first: tuple[str, str]
    last: tuple[str, str]
    father: tuple[str, str]
    female: bool
    national_id: str

    def name(self, lang: str) -> str:
        i = 0 if lang == "fa" else 1
        return f"{self.first[i]} {self.last[i]}"

    def titled(self, lang: str) -> str:
        if lang == "fa":
            return ("خانم " if self.female else "آقای ") + self.name("fa")
        return ("Ms " if self.female else "Mr ") + self.name("en")


@dataclass(frozen=True)
class Parcel:
    """What the land registry and the municipality know a plot by, and where it is."""

    main: int
    sub: int | None
    section: int
    region: int
    renovation_code: str
    postal_code: str
    neighbourhood: tuple[str, str]
    street: tuple[str, str]
    alley: tuple[str, str]
    house_no: int


@dataclass(frozen=True)
class Dossier:
    """One parcel's file: its identifiers repeat on every page, as in real dossiers."""

    folder: str
    opened: jdatetime.date
    file_number: str
    permit_number: str
    permit_date: jdatetime.date
    parcel: Parcel
    owner: Person
    official: Person


def make_person(rng: random.Random) -> Person:
    female = rng.random() < 0.3
    first = rng.choice(V.FEMALE_NAMES if female else V.MALE_NAMES)
    return Person(first, rng.choice(V.SURNAMES), rng.choice(V.MALE_NAMES), female,
                  make_national_id(rng))


def make_parcel(rng: random.Random) -> Parcel:
    region = rng.randint(1, 12)
    tail = "000-000" if rng.random() < 0.85 else f"001-{rng.randint(1, 24):03d}"
    code = (f"{region:02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 420):03d}-"
            f"{rng.randint(1, 160):03d}-{tail}")
    return Parcel(
        main=rng.randint(1, 380), sub=rng.randint(1, 9999) if rng.random() < 0.9 else None,
        section=11 if rng.random() < 0.8 else rng.choice((4, 10, 12)), region=region,
        renovation_code=code, postal_code=make_postal_code(rng),
        neighbourhood=rng.choice(V.NEIGHBOURHOODS), street=rng.choice(V.STREETS),
        alley=rng.choice(V.ALLEYS), house_no=rng.randint(1, 140))


def make_dossier(rng: random.Random, taken: set[str]) -> Dossier:
    opened = random_jalali(rng, FIRST_DATE, jdatetime.date(1399, 12, 29))
    while True:
        folder = f"karaj-{opened.year}-{rng.randint(1, 9999):04d}"
        if folder not in taken:
            taken.add(folder)
            break
    return Dossier(
        folder=folder, opened=opened,
        file_number=f"{rng.randint(1000, 29999)}/{opened.year % 100:02d}",
        permit_number=str(rng.randint(1000, 19999)),
        permit_date=clamp(opened + dt.timedelta(days=rng.randint(30, 150))),
        parcel=make_parcel(rng), owner=make_person(rng),
        official=make_person(rng))


def page_dates(rng: random.Random, dossier: Dossier, n: int) -> list[jdatetime.date]:
    """Pages of a dossier follow one another in time."""
    day, out = dossier.opened, []
    for _ in range(n):
        out.append(clamp(day))
        day = day + dt.timedelta(days=rng.randint(5, 200))
    return out


# ---------------------------------------------------------------- filling templates


@dataclass(frozen=True)
class Filled:
    """A filled template and the identifiers it printed, in order."""

    text: str
    identifiers: tuple[Identifier, ...] = ()


_PLAQUE = re.compile(r"\{plaque\}( بخش \{section\}|, section \{section\})?")


@dataclass(frozen=True)
class Typing:
    """How one page was typed: its language, digit style, keyboard layout and date."""

    language: str
    digits: str = "persian"
    keyboard: str = "persian"
    date: jdatetime.date | None = None
    wide: bool = False  # the `wide` preset: identifiers and labels written every way
    split: str = TUNED


class Filler:
    """Fills vocabulary templates for one page in its digits and keyboard, noting identifiers.

    A field's value is drawn once per page, so a page mentions one visit date however
    often it names it; every mention of an identifier is recorded.
    """

    def __init__(self, dossier: Dossier, page: Typing, rng: random.Random) -> None:
        self.d, self.page, self.rng = dossier, page, rng
        self.lang = page.language
        self._cache: dict[str, tuple[str, Identifier | None]] = {}

    def fill(self, template: str) -> Filled:
        idents: list[Identifier] = []
        if self.page.wide and self.lang == "fa":
            template = self._respell_labels(template)
        return Filled(self._format(template, idents), tuple(idents))

    def _respell_labels(self, template: str) -> str:
        """Labels as a clerk shortens them (کدپستی, پلاک, ش. پرونده…), one draw per label."""
        for label, (common, rare) in V.LABEL_SPELLINGS.items():
            if label not in template:
                continue
            choices = list(common)
            if variant_allowed(self.page.split, "label:abbreviated-2"):
                choices += list(rare)
            weights = [4.0] + [1.0] * (len(choices) - 1)
            # only a label right before its value (or a table's label cell), never one
            # inside a phrase such as کد پستی ملک آن
            pattern = rf"(?<!\S){re.escape(label)}(?=:? ?\{{|:?$)"
            spelling = self.rng.choices(choices, weights)[0]
            template = re.sub(pattern, lambda _m, s=spelling: s, template)
        return template

    def variant(self, name: str, share: float) -> bool:
        """Draw a wide-preset variant; never one the page's split does not allow."""
        return (self.page.wide and variant_allowed(self.page.split, name)
                and self.rng.random() < share)

    def _format(self, template: str, idents: list[Identifier]) -> str:
        sections = [m.group(1) is not None for m in _PLAQUE.finditer(template)]
        return self.typed(template).format_map(_Fields(self, idents, sections))

    def typed(self, text: str) -> str:
        """Literal text as this page's typist produced it."""
        if self.lang == "en":
            return text
        text = with_digits(text, self.page.digits)
        return arabic_keyboard(text) if self.page.keyboard == "arabic" else text

    def value(self, key: str) -> tuple[str, Identifier | None]:
        if key not in self._cache:
            self._cache[key] = self._make(key)
        return self._cache[key]

    def _ident(self, kind: str, raw: str, canonical: str, **extra: str | None
               ) -> tuple[str, Identifier]:
        """An identifier's written form, sometimes in a digit style other than the page's."""
        style = self.page.digits
        if self.lang == "fa" and self.rng.random() < (0.25 if self.page.wide else 0.1):
            style = self.rng.choice([s for s in DIGIT_SETS if s != style])
        text = with_digits(raw, style)
        if self.lang == "fa" and self.page.keyboard == "arabic":
            text = arabic_keyboard(text)
        return text.replace(" ", NBSP), Identifier(kind, text, canonical, **extra)

    def plaque(self, with_section: bool) -> tuple[str, Identifier]:
        p = self.d.parcel
        canonical = f"{p.main}/{p.sub}" if p.sub else str(p.main)
        if self.lang == "en":
            raw = canonical
        elif p.sub and self.page.wide:
            raw = self.rng.choices(
                (f"{p.sub} فرعی از {p.main} اصلی", f"{p.main}/{p.sub}",
                 f"{p.main} اصلی {p.sub} فرعی", f"{p.sub} فرعی از {p.main}"),
                (45, 35, 10, 10))[0]
        else:
            raw = f"{p.sub} فرعی از {p.main} اصلی" if p.sub else f"{p.main} اصلی"
        return self._ident("plaque", raw, canonical,
                           section=str(p.section) if with_section else None)

    def date(self, day: jdatetime.date) -> tuple[str, Identifier]:
        padded = self.lang == "en" or self.rng.random() < 0.8
        raw = (f"{day.year}/{day.month:02d}/{day.day:02d}" if padded
               else f"{day.year}/{day.month}/{day.day}")
        return self._ident("date", raw, jalali_iso(day),
                           jalali=f"{day.year:04d}/{day.month:02d}/{day.day:02d}")

    def _make(self, key: str) -> tuple[str, Identifier | None]:
        maker = self._makers().get(key)
        if maker is None:
            raise KeyError(f"no value for template field {{{key}}}")
        made = maker()
        return made if isinstance(made, tuple) else (self.typed(made), None)

    def _makers(self) -> dict[str, Callable[[], str | tuple[str, Identifier | None]]]:
        d, p, r, en = self.d, self.d.parcel, self.rng, self.lang == "en"
        lang = self.lang
        day = self.page.date or d.opened
        yy = f"{day.year % 100:02d}"
        return {
            "owner": lambda: d.owner.titled(lang),
            "owner_name": lambda: d.owner.name(lang),
            "owner_addressed": lambda: ("سرکار " if d.owner.female else "جناب ")
            + d.owner.titled("fa"),
            "father": lambda: d.owner.father[1 if en else 0],
            "official": lambda: d.official.name(lang),
            "nid": lambda: self._ident("national_id", self._nid_written(), d.owner.national_id),
            "renovation": lambda: self._ident("renovation_code", p.renovation_code,
                                              p.renovation_code),
            "postal": lambda: self._ident("postal_code", self._postal_written(), p.postal_code),
            "file_no": lambda: self._file_number(d.file_number),
            "letter_no": lambda: self._number_ident(f"{r.randint(1000, 99999)}/{yy}"),
            "ref_no": lambda: self._number_ident(f"{r.randint(1000, 99999)}/{yy}"),
            "permit_no": lambda: self._ident("permit_number", d.permit_number, d.permit_number),
            "date": lambda: self.date(day) if self.page.date else "......../......../........",
            "ref_date": lambda: self.date(clamp(day - dt.timedelta(days=r.randint(3, 60)))),
            "visit_date": lambda: self.date(clamp(day - dt.timedelta(days=r.randint(1, 20)))),
            "ruling_date": lambda: self.date(clamp(day - dt.timedelta(days=r.randint(0, 30)))),
            "permit_date": lambda: self.date(d.permit_date),
            "section": lambda: str(p.section),
            "region": lambda: str(p.region),
            "neighbourhood": lambda: p.neighbourhood[1 if en else 0],
            "address": self._address,
            "area": lambda: self._decimal(r.uniform(140, 900)),
            "plot_area": lambda: self._decimal(r.uniform(90, 420)),
            "net_area": lambda: self._decimal(r.uniform(80, 380)),
            "excess_area": lambda: self._decimal(r.uniform(6, 95)),
            "setback": lambda: self._decimal(r.uniform(0.5, 4)),
            "width": lambda: r.choice(("6", "8", "10", "12", "16", "20", "24")),
            "floors": lambda: str(r.randint(2, 6)),
            "units": lambda: str(r.randint(2, 12)),
            "parking": lambda: str(r.randint(1, 12)),
            "coverage": lambda: r.choice(("50", "60", "70")),
            "years": lambda: r.choice(("2", "3")),
            "branch": lambda: str(r.randint(1, 4)),
            "amount": self._amount,
            "phone": lambda: "3" + "".join(str(r.randint(0, 9)) for _ in range(7)),
            "mobile": lambda: "091" + "".join(str(r.randint(0, 9)) for _ in range(8)),
            "shenasname": lambda: str(r.randint(1, 98000)),
            "use": lambda: r.choice(V.USES),
        }

    def _number_ident(self, number: str) -> tuple[str, Identifier]:
        return self._file_number(number)

    def _file_number(self, number: str) -> tuple[str, Identifier]:
        """A file number; wide pages write its separator as ``-`` or with spaces round it."""
        if not self.page.wide or self.lang == "en":
            return self._ident("file_number", number, number)
        sep = self.rng.choices(("/", "-", " / "), (60, 25, 15))[0]
        written = number.replace("/", sep)
        return self._ident("file_number", written, written.replace(" ", ""))

    def _postal_written(self) -> str:
        code = self.d.parcel.postal_code
        if self.page.wide:
            sep = self.rng.choices(("", "-", " "), (55, 30, 15))[0]
            return f"{code[:5]}{sep}{code[5:]}" if sep else code
        return f"{code[:5]}-{code[5:]}" if self.rng.random() < 0.25 else code

    def _nid_written(self) -> str:
        """The national id; as the card prints it (۰۰۸-۴۵۷۵۹۴-۸) on some wide pages."""
        nid = self.d.owner.national_id
        if self.page.wide and self.rng.random() < 0.15:
            return f"{nid[:3]}-{nid[3:9]}-{nid[9]}"
        return nid

    def _address(self) -> str:
        p = self.d.parcel
        if self.lang == "en":
            return f"{p.neighbourhood[1]}, {p.street[1]}, {p.alley[1]}, No. {p.house_no}"
        return f"کرج، {p.neighbourhood[0]}، {p.street[0]}، {p.alley[0]}، پلاک {p.house_no}"

    def _decimal(self, x: float) -> str:
        """Areas and lengths: a decimal that looks like a file number but is not one."""
        whole, frac = divmod(round(x * 100), 100)
        if self.lang == "en":
            return f"{whole}.{frac:02d}"
        return f"{whole}{'/' if self.rng.random() < 0.8 else '٫'}{frac:02d}"

    def _amount(self) -> str:
        amount = f"{self.rng.randint(5, 900) * 1_000_000:,}"
        return amount if self.lang == "en" or self.rng.random() < 0.3 else amount.replace(",", "٬")


class _Fields:
    """The mapping ``str.format_map`` reads; Python asks for fields left to right."""

    def __init__(self, filler: Filler, idents: list[Identifier], sections: list[bool]) -> None:
        self.filler, self.idents, self.sections = filler, idents, iter(sections)

    def __getitem__(self, key: str) -> str:
        if key == "violation":
            return self.filler._format(self.filler.rng.choice(V.VIOLATIONS), self.idents)
        ident: Identifier | None
        if key == "plaque":
            text, ident = self.filler.plaque(next(self.sections))
        else:
            text, ident = self.filler.value(key)
        if ident is not None:
            self.idents.append(ident)
        return text


