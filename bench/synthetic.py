"""Labelled synthetic CDP customer records, to score an identity resolution against.

``generate(persons, seed)`` makes the records that a CDP would receive about ``persons`` people
from five sources (crm, web, mobile, pos, support), each record filling only the columns its
source would have, with realistic noise: phone numbers and emails written in varying formats,
first-name typos and nicknames, people who move or change email. It also plants **traps**,
records that look alike but belong to different people, each labelled by name:

==================  ===============================================================================
trap                what the records share across different people
==================  ===============================================================================
``household``       last name, address and a landline; sometimes a family email (two members)
``shared_device``   a family tablet's device_id in web/mobile records
``twins``           last name, dob, address and landline (first names and emails differ)
``common_name``     an exact full name such as "John Smith" (nothing else)
``junk``            placeholder identifiers (``test@test.com``, ``0000000000``, user_id ``n/a``)
``kiosk``           a public kiosk's anonymous_id and device_id in web records
==================  ===============================================================================

Every record also carries an identifier of its own person (a record with a junk value always
has a real identifier besides), and the truth maps each record to its person. The output is
deterministic for a seed: one ``random.Random(seed)``, no wall clock (times are spread over the
two years before ``END``).

``python -m bench.synthetic --persons 2000 --seed 7 --out DIR`` writes ``DIR/records.csv`` and
``DIR/truth.csv`` and prints a one-line JSON summary.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS: tuple[str, ...] = (
    "record_id", "source", "first_name", "last_name", "email", "phone", "dob",
    "address_line", "city", "postcode", "country", "user_id", "anonymous_id", "device_id",
    "crm_id", "updated_at",
)  # fmt: skip
"""The columns of a record, in CSV order (the canonical record columns plus ``updated_at``)."""

IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "email", "phone", "user_id", "anonymous_id", "device_id", "crm_id",
)  # fmt: skip
SOURCES: tuple[str, ...] = ("crm", "web", "mobile", "pos", "support")
TRAPS: tuple[str, ...] = ("household", "shared_device", "twins", "common_name", "junk", "kiosk")

NICKNAMES: dict[str, str] = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate",
    "Michael": "Mike", "James": "Jim", "Jennifer": "Jen", "Thomas": "Tom", "Richard": "Rick",
    "Margaret": "Maggie", "Joseph": "Joe", "Daniel": "Dan", "Christopher": "Chris",
    "Matthew": "Matt", "Anthony": "Tony", "Patricia": "Pat", "Rebecca": "Becky",
    "Samantha": "Sam", "Alexander": "Alex", "Nicholas": "Nick", "Benjamin": "Ben",
    "Jonathan": "Jon", "Susan": "Sue", "Deborah": "Debbie", "Victoria": "Vicky",
    "Edward": "Ed",
}  # fmt: skip
"""Formal first name -> the nickname some records use instead."""

COMMON_NAMES: tuple[tuple[str, str], ...] = (
    ("John", "Smith"), ("Maria", "Garcia"), ("Wei", "Zhang"), ("Mohammed", "Khan"),
)  # fmt: skip
"""Full names shared by many distinct people (the ``common_name`` trap); no one else has them."""

JUNK_EMAILS: tuple[str, ...] = ("test@test.com", "noemail@example.com", "none@none.com")
JUNK_PHONES: tuple[str, ...] = ("0000000000", "1234567890", "(000) 000-0000")
JUNK_USER_IDS: tuple[str, ...] = ("n/a", "unknown", "null")
JUNK_VALUES: tuple[str, ...] = JUNK_EMAILS + JUNK_PHONES + JUNK_USER_IDS

END = datetime(2026, 3, 1, tzinfo=UTC)
"""Records are dated within the two years before this instant."""
SPAN_SECONDS = 730 * 86_400

MAX_RECORDS_PER_PERSON = 6
TYPO_RATE = 0.05
"""Share of the records with a first name (of people with noise) whose first name has a typo."""
NICKNAME_RATE = 0.17
"""Chance that a record with a first name uses the nickname, for people who have one (half of
the people: about 8% of the records with a first name)."""
MOVER_RATE = 0.10
"""Share of the people (outside the traps) whose later records have a new address."""
EMAIL_CHANGE_RATE = 0.08
"""Share of the people (outside the traps) whose later records have a new email."""

_OTHER_FIRST_NAMES = (
    "Emma", "Olivia", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Grace", "Chloe", "Zoe", "Nora", "Hannah", "Layla", "Aria", "Lucy",
    "Ruby", "Laura", "Sarah", "Rachel", "Megan", "Anna", "Priya", "Aisha", "Mei", "Yuki",
    "Fatima", "Liam", "Noah", "Oliver", "Elijah", "Lucas", "Mason", "Logan", "Ethan", "Jacob",
    "Owen", "Ryan", "Nathan", "Aaron", "Kevin", "Brian", "Eric", "Adam", "Carlos", "Diego",
    "Luis", "Raj", "Arjun", "Hiroshi", "Omar", "Kwame", "Ivan", "Paul", "Mark", "Scott",
)  # fmt: skip
FIRST_NAMES: tuple[str, ...] = tuple(NICKNAMES) + _OTHER_FIRST_NAMES
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Rodriguez",
    "Wilson", "Martinez", "Anderson", "Taylor", "Thomas", "Hernandez", "Moore", "Martin",
    "Jackson", "Thompson", "White", "Lopez", "Lee", "Gonzalez", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Perez", "Hall", "Young", "Allen", "Sanchez", "Wright", "King",
    "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Ramirez", "Campbell", "Mitchell",
    "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker", "Collins",
    "Edwards", "Stewart", "Flores", "Morris", "Nguyen", "Murphy", "Rivera", "Cook", "Rogers",
    "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Gomez", "Kelly", "Howard",
    "Ward", "Cox", "Diaz", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray",
    "Reyes", "Cruz", "Hughes", "Price", "Myers", "Long", "Foster", "Sanders", "Ross",
    "Morales", "Powell", "Sullivan", "Russell", "Ortiz", "Jenkins", "Gutierrez", "Perry",
    "Butler", "Barnes", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson", "Jordan",
    "Reynolds", "Hamilton", "Graham", "Kim", "Patel", "Chen", "Wang", "Singh", "Zhang", "Khan",
    "Ali", "Okafor", "Kowalski", "Novak", "Schmidt", "Rossi", "Silva", "Tanaka", "Sato",
)  # fmt: skip
_CITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("New York", "100", ("212", "646", "917")),
    ("San Francisco", "941", ("415", "628")),
    ("Boston", "021", ("617", "857")),
    ("Denver", "802", ("303", "720")),
    ("Austin", "787", ("512", "737")),
    ("Seattle", "981", ("206",)),
    ("Chicago", "606", ("312", "773")),
    ("Los Angeles", "900", ("213", "310", "323")),
    ("Miami", "331", ("305", "786")),
    ("Atlanta", "303", ("404", "678")),
)
"""City, first three digits of its postcodes, its area codes."""
_STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Walnut", "Sunset", "Lincoln", "Church", "Highland", "River", "Spring", "Madison",
    "Franklin", "Chestnut", "Willow", "Meadow", "Forest", "Ridge", "Valley", "Mill", "Center",
    "Union", "Broadway", "Harbor",
)  # fmt: skip
_STREET_KINDS = ("St", "Ave", "Rd", "Ln", "Blvd", "Dr", "Ct", "Way")
_EMAIL_DOMAINS = (
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
    "protonmail.com", "comcast.net",
)  # fmt: skip
_SOURCE_WEIGHTS = (0.2, 0.3, 0.2, 0.15, 0.15)
_COUNT_WEIGHTS = (0.15, 0.25, 0.25, 0.15, 0.12, 0.08)  # 1..6 records a person

_EMAIL_SOURCES = ("crm", "web", "pos", "support")
_PHONE_SOURCES = ("crm", "pos", "support", "mobile")
_DEVICE_SOURCES = ("web", "mobile")
_NAMED_SOURCES = ("crm", "pos", "support")

Directives = dict[str, str]


@dataclass(frozen=True)
class Dataset:
    """Synthetic records with their ground truth.

    Attributes:
        records: rows with exactly the keys of :data:`COLUMNS`, all strings ("" when empty),
            sorted by ``record_id``.
        truth: record_id -> the id of the person the record belongs to.
        traps: record_id -> names (from :data:`TRAPS`) of the traps the record takes part in;
            an empty set for most records.
    """

    records: list[dict[str, str]]
    truth: dict[str, str]
    traps: dict[str, frozenset[str]]


@dataclass
class _Person:
    pid: str
    first: str
    last: str
    dob: str
    city: int
    address: tuple[str, str, str]
    phone: str
    emails: list[str]
    web_device: str
    mobile_device: str
    anon_ids: list[str]
    noisy: bool = True
    landline: str = ""
    landline_trap: str = ""
    address_trap: str = ""
    family_email: str = ""
    tablet: str = ""
    common: bool = False
    user_id: str = ""
    crm_id: str = ""
    new_address: tuple[str, str, str] | None = None
    move_at: int | None = None
    change_at: int | None = None
    sources: list[str] = field(default_factory=list)
    force: dict[int, Directives] = field(default_factory=dict)

    def address_at(self, i: int) -> tuple[str, str, str]:
        if self.new_address is not None and self.move_at is not None and i >= self.move_at:
            return self.new_address
        return self.address

    def email_at(self, i: int) -> str:
        if self.change_at is not None and i >= self.change_at:
            return self.emails[-1]
        return self.emails[0]


class _Generator:
    """One generation run: the random source and the values already handed out."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.addresses: set[str] = set()
        self.full_names: set[tuple[str, str]] = set(COMMON_NAMES)
        self.user_ids: set[str] = set()
        self.crm_ids: set[str] = set()
        self.kiosk_anon = self.uuid()
        self.kiosk_device = self.uuid().upper()
        self.junk: list[str] = []

    # --- values ------------------------------------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def name(self, last: str | None = None, avoid: Sequence[str] = ()) -> tuple[str, str]:
        """A full name no one else has (after a few tries), its initial unlike any in ``avoid``."""
        rng = self.rng
        initials = {a[0] for a in avoid}
        formal = [f for f in NICKNAMES if f[0] not in initials]
        other = [f for f in _OTHER_FIRST_NAMES if f[0] not in initials]
        for _ in range(20):
            # Half the people have a first name with a common nickname.
            first = rng.choice(formal if rng.random() < 0.5 else other)
            full = (first, last or rng.choice(LAST_NAMES))
            if full not in self.full_names:
                break
        self.full_names.add(full)
        return full

    def phone(self, city: int) -> str:
        rng = self.rng
        while True:
            exchange = rng.randint(200, 999)
            if exchange % 100 == 11 or exchange == 555:
                continue
            number = f"{rng.choice(_CITIES[city][2])}{exchange}{rng.randint(0, 9999):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def address(self, city: int) -> tuple[str, str, str]:
        rng = self.rng
        name, prefix, _ = _CITIES[city]
        while True:
            line = f"{rng.randint(1, 9999)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}"
            if rng.random() < 0.25:
                line += f" Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
            if line + name not in self.addresses:
                self.addresses.add(line + name)
                return line, name, f"{prefix}{rng.randint(0, 99):02d}"

    def email(self, first: str, last: str, dob: str, avoid_domain: str = "") -> str:
        rng = self.rng
        f, l_ = _ascii(first), _ascii(last)
        domains = [d for d in _EMAIL_DOMAINS if d != avoid_domain]
        for attempt in range(50):
            n = rng.randint(1, 99)
            local = rng.choice(
                (
                    f"{f}.{l_}",
                    f"{f[0]}{l_}{n}",
                    f"{f}{l_}{n}",
                    f"{f}_{l_}",
                    f"{l_}.{f}",
                    f"{f}{dob[2:4]}",
                    f"{f}.{l_[0]}{n}",
                )
            )
            if attempt > 5:
                local += str(rng.randint(100, 9999))
            address = f"{local}@{rng.choice(domains)}"
            if address not in self.emails:
                self.emails.add(address)
                return address
        raise RuntimeError("no free email address")  # pragma: no cover

    def family_email(self, last: str) -> str:
        base = f"the{_ascii(last)}s"
        while True:
            suffix = "" if self.rng.random() < 0.5 else str(self.rng.randint(1, 99))
            address = f"{base}{suffix}@{self.rng.choice(_EMAIL_DOMAINS)}"
            if address not in self.emails:
                self.emails.add(address)
                return address

    def serial(self, prefix: str, digits: int, used: set[str]) -> str:
        while True:
            value = f"{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}"
            if value not in used:
                used.add(value)
                return value

    def dob(self, low: int = 1950, high: int = 2006) -> str:
        day = datetime(low, 1, 1) + timedelta(days=self.rng.randrange((high - low) * 365))
        return day.strftime("%Y-%m-%d")

    def junk_value(self) -> str:
        if not self.junk:
            self.junk = list(JUNK_VALUES)
            self.rng.shuffle(self.junk)
        return self.junk.pop()

    # --- people ------------------------------------------------------------------------------

    def person(
        self,
        pid: str,
        *,
        full: tuple[str, str] | None = None,
        dob: str | None = None,
        city: int | None = None,
        address: tuple[str, str, str] | None = None,
    ) -> _Person:
        rng = self.rng
        first, last = full or self.name()
        city = rng.randrange(len(_CITIES)) if city is None else city
        dob = dob or self.dob()
        return _Person(
            pid=pid,
            first=first,
            last=last,
            dob=dob,
            city=city,
            address=address or self.address(city),
            phone=self.phone(city),
            emails=[self.email(first, last, dob)],
            web_device=self.uuid(),
            mobile_device=self.uuid().upper(),
            anon_ids=[self.uuid() for _ in range(1 + (rng.random() < 0.3))],
        )

    def plan(self, p: _Person) -> None:
        n = self.rng.choices(range(1, MAX_RECORDS_PER_PERSON + 1), _COUNT_WEIGHTS)[0]
        p.sources = self.rng.choices(SOURCES, _SOURCE_WEIGHTS, k=n)

    def claim(self, p: _Person, allowed: Sequence[str], directives: Directives) -> int:
        """Give one record of ``p`` (of an allowed source) the directives; add one if needed."""
        rng = self.rng
        free = [i for i, s in enumerate(p.sources) if s in allowed and i not in p.force]
        if free:
            i = rng.choice(free)
        elif len(p.sources) < MAX_RECORDS_PER_PERSON:
            p.sources.append(rng.choice(allowed))
            i = len(p.sources) - 1
        else:
            i = rng.choice([i for i in range(len(p.sources)) if i not in p.force])
            p.sources[i] = rng.choice(allowed)
        p.force[i] = dict(directives)
        return i

    def change_over_time(self, p: _Person, *, move: bool, change_email: bool) -> None:
        """Make ``p`` move house and/or change email from a later record on."""
        if len(p.sources) == 1:
            p.sources.append(self.rng.choice(SOURCES))
        last = len(p.sources) - 1
        if move:
            p.sources[0] = self.rng.choice(("crm", "pos"))
            p.sources[last] = "crm"
            p.force.setdefault(0, {})["address"] = ""
            p.force.setdefault(last, {})["address"] = ""
            city = self.rng.randrange(len(_CITIES)) if self.rng.random() < 0.4 else p.city
            p.new_address = self.address(city)
            p.move_at = self.rng.randint(1, last)
        if change_email:
            p.force.setdefault(0, {})["email"] = ""
            p.force.setdefault(last, {})["email"] = ""
            p.emails.append(
                self.email(p.first, p.last, p.dob, avoid_domain=p.emails[0].split("@")[1])
            )
            p.change_at = self.rng.randint(1, last)

    # --- records -----------------------------------------------------------------------------

    def records(self, p: _Person) -> list[tuple[dict[str, str], set[str]]]:
        rng = self.rng
        if "crm" in p.sources:
            p.crm_id = self.serial("CRM-", 6, self.crm_ids)
        if "mobile" in p.sources or p.change_at is not None or rng.random() < 0.5:
            p.user_id = self.serial("u", 7, self.user_ids)
        n = len(p.sources)
        offsets = sorted(rng.randrange(SPAN_SECONDS) for _ in range(n))
        if n >= 2 and rng.random() < 0.1:
            j = rng.randrange(n - 1)
            offsets[j], offsets[j + 1] = offsets[j + 1], offsets[j]
        out: list[tuple[dict[str, str], set[str]]] = []
        for i, source in enumerate(p.sources):
            row, traps = self.record(p, i, source, p.force.get(i, {}))
            when = END - timedelta(seconds=SPAN_SECONDS - offsets[i])
            row["updated_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.append((row, traps))
        return out

    def record(
        self, p: _Person, i: int, source: str, d: Directives
    ) -> tuple[dict[str, str], set[str]]:
        rng = self.rng
        row = dict.fromkeys(COLUMNS, "")
        row["source"] = source
        traps: set[str] = set()
        names = email = phone = user = addr = dob = postcode = False
        if source == "crm":
            row["crm_id"] = p.crm_id
            names, addr = True, True
            email, phone, dob = rng.random() < 0.9, rng.random() < 0.8, rng.random() < 0.85
        elif source == "web":
            row["anonymous_id"] = rng.choice(p.anon_ids)
            row["device_id"] = p.web_device
            user = bool(p.user_id) and rng.random() < 0.5
            email, names = rng.random() < 0.6, rng.random() < 0.3
        elif source == "mobile":
            row["device_id"] = p.mobile_device
            user, phone, email = rng.random() < 0.9, rng.random() < 0.7, rng.random() < 0.3
        else:  # pos and support: names and a way to reach the person
            names, postcode = True, source == "pos"
            x = rng.random()
            phone, email = (x < 0.65, x >= 0.45) if source == "pos" else (x >= 0.45, x < 0.65)
        addr = addr or ("address" in d and source == "crm")
        postcode = postcode or addr
        dob = dob or "dob" in d
        email = email or bool({"email", "own_email", "family_email"} & d.keys())
        phone = phone or "landline" in d
        names = names or "names" in d

        device_trap = ""
        if "kiosk" in d:
            row["anonymous_id"], row["device_id"], device_trap = (
                self.kiosk_anon,
                self.kiosk_device,
                "kiosk",
            )
        elif p.tablet and source in _DEVICE_SOURCES and ("tablet" in d or rng.random() < 0.4):
            row["device_id"], device_trap = p.tablet, "shared_device"
        if device_trap:
            traps.add(device_trap)
            if not (user or email):  # the person's own identifier beside the shared one
                user, email = (True, False) if p.user_id and rng.random() < 0.5 else (False, True)

        if names:
            row["first_name"], row["last_name"] = self.first_name(p), p.last
            if p.common:
                traps.add("common_name")
        if dob:
            row["dob"] = p.dob
        if addr or postcode:
            line, city, code = p.address_at(i)
            row["postcode"] = code
            if addr:
                row["address_line"], row["city"], row["country"] = line, city, "US"
                if p.address_trap:
                    traps.add(p.address_trap)
        if user and p.user_id:
            row["user_id"] = p.user_id
        if email:
            own = "own_email" in d or "email" in d
            if "family_email" in d or (p.family_email and not own and rng.random() < 0.4):
                row["email"] = self.render_email(p.family_email)
                traps.add("household")
            else:
                row["email"] = self.render_email(p.email_at(i))
        if phone:
            use_landline = "landline" in d or (source != "mobile" and rng.random() < 0.5)
            if p.landline and use_landline:
                row["phone"] = self.render_phone(p.landline)
                traps.add(p.landline_trap)
            else:
                row["phone"] = self.render_phone(p.phone)
        if p.landline_trap == "twins" and (row["last_name"] or row["dob"]):
            traps.add("twins")

        if "junk" in d:
            value = d["junk"]
            column = (
                "email" if value in JUNK_EMAILS else "phone" if value in JUNK_PHONES else "user_id"
            )
            row[column] = value
            traps.add("junk")
            if not any(row[c] and row[c] not in JUNK_VALUES for c in IDENTIFIER_COLUMNS):
                if column == "email":
                    row["phone"] = self.render_phone(p.phone)
                else:
                    row["email"] = self.render_email(p.email_at(i))
        changed = p.change_at is not None and i >= p.change_at and bool(row["email"])
        if changed and not (row["crm_id"] or _real(row["user_id"]) or _real(row["phone"])):
            # A new email comes with something that still ties it to the person.
            if p.user_id and source in _DEVICE_SOURCES:
                row["user_id"] = p.user_id
            else:
                row["phone"] = self.render_phone(p.phone)
        return row, traps

    def first_name(self, p: _Person) -> str:
        if not p.noisy:
            return p.first
        x = self.rng.random()
        if x < TYPO_RATE:
            return _typo(p.first, self.rng)
        if p.first in NICKNAMES and x < TYPO_RATE + NICKNAME_RATE:
            return NICKNAMES[p.first]
        return p.first

    def render_phone(self, digits: str) -> str:
        a, e, n = digits[:3], digits[3:6], digits[6:]
        return self.rng.choice(
            (f"+1{digits}", f"({a}) {e}-{n}", f"{a}.{e}.{n}", f"{a}-{e}-{n}", f"1 {a} {e} {n}")
        )

    def render_email(self, address: str) -> str:
        x = self.rng.random()
        if x < 0.7:
            return address
        if x < 0.78:
            return address.upper()
        if x < 0.9:
            local, _, domain = address.partition("@")
            parts = local.split(".")
            return ".".join(s.capitalize() for s in parts) + "@" + domain.capitalize()
        return " " * self.rng.randint(1, 2) + address + " " * self.rng.randint(0, 2)


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalpha())


def _real(value: str) -> bool:
    return bool(value) and value not in JUNK_VALUES


def _typo(name: str, rng: random.Random) -> str:
    """``name`` with two adjacent letters swapped or one letter dropped (never the first)."""
    if len(name) < 4:
        return name
    lower = name.lower()
    for _ in range(5):
        j = rng.randrange(1, len(lower) - 1)
        if rng.random() < 0.5:
            typo = lower[:j] + lower[j + 1] + lower[j] + lower[j + 2 :]
        else:
            typo = lower[:j] + lower[j + 1 :]
        if typo != lower:
            return typo.capitalize()
    return (lower[0] + lower[2:]).capitalize()


def _take(order: list[int], count: int) -> list[int]:
    """Remove and return the first ``count`` items of ``order``."""
    taken = order[:count]
    del order[:count]
    return taken


def _groups(order: list[int], sizes: Sequence[int]) -> list[list[int]]:
    """Take consecutive groups of the given sizes from ``order`` (dropping groups under 2)."""
    out = []
    for size in sizes:
        group = _take(order, size)
        if len(group) >= 2:
            out.append(group)
        else:
            order[:0] = group
            break
    return out


def generate(persons: int = 2000, seed: int = 7) -> Dataset:
    """Labelled synthetic customer records of ``persons`` people.

    Args:
        persons: how many distinct people (each gets 1-6 records).
        seed: the random seed; the same seed gives the same dataset.

    Returns:
        The records (ids ``r000001``... in shuffled order of people), the truth
        (record_id -> person id ``p000001``...) and the traps of each record.

    Raises:
        ValueError: ``persons`` is less than 1.
    """
    if persons < 1:
        raise ValueError("persons must be at least 1")
    gen = _Generator(seed)
    rng = gen.rng
    pid = [f"p{i + 1:06d}" for i in range(persons)]
    order = list(range(persons))
    rng.shuffle(order)
    people: dict[int, _Person] = {}

    # Trap groups, from disjoint sets of people.
    households = _groups(order, [rng.randint(2, 4) for _ in range(max(2, round(persons * 0.018)))])
    twins = _groups(order, [2] * max(1, round(persons * 0.008)))
    tablets = _groups(order, [rng.randint(2, 3) for _ in range(max(2, round(persons * 0.012)))])
    common = _take(order, max(8, round(persons * 0.02)))
    junk = _take(order, max(6, round(persons * 0.04)))
    kiosk = _take(order, max(5, round(persons * 0.02)))

    for group in households:
        first = gen.person(pid[group[0]])
        landline = gen.phone(first.city)
        members = [first]
        for k in group[1:]:
            full = gen.name(last=first.last, avoid=[m.first for m in members])
            members.append(gen.person(pid[k], full=full, city=first.city, address=first.address))
        family = gen.family_email(first.last) if rng.random() < 0.5 else ""
        sharers = rng.sample(range(len(members)), 2)
        for m, member in enumerate(members):
            member.landline = landline
            member.landline_trap = member.address_trap = "household"
            gen.plan(member)
            gen.claim(member, ("crm",), {"landline": ""})
            gen.claim(member, SOURCES, {"own_email": ""})
            if family and m in sharers:
                member.family_email = family
                gen.claim(member, _EMAIL_SOURCES, {"family_email": ""})
        people.update(zip(group, members, strict=True))

    for a, b in twins:
        one = gen.person(pid[a])
        other = gen.person(
            pid[b],
            full=gen.name(last=one.last, avoid=[one.first]),
            dob=one.dob,
            city=one.city,
            address=one.address,
        )
        landline = gen.phone(one.city)
        for twin in (one, other):
            twin.landline, twin.landline_trap, twin.address_trap = landline, "twins", "twins"
            gen.plan(twin)
            gen.claim(twin, ("crm",), {"landline": "", "dob": ""})
            gen.claim(twin, SOURCES, {"own_email": ""})
        people[a], people[b] = one, other

    for group in tablets:
        tablet = gen.uuid()
        for k in group:
            p = people[k] = gen.person(pid[k])
            p.tablet = tablet
            gen.plan(p)
            gen.claim(p, _DEVICE_SOURCES, {"tablet": ""})

    for n, k in enumerate(common):
        p = people[k] = gen.person(pid[k], full=COMMON_NAMES[n % len(COMMON_NAMES)])
        p.common, p.noisy = True, False
        gen.plan(p)
        gen.claim(p, _NAMED_SOURCES, {"names": ""})

    for k in junk:
        p = people[k] = gen.person(pid[k])
        gen.plan(p)
        for _ in range(1 + (rng.random() < 0.4)):
            value = gen.junk_value()
            allowed = (
                _EMAIL_SOURCES
                if value in JUNK_EMAILS
                else _PHONE_SOURCES
                if value in JUNK_PHONES
                else _DEVICE_SOURCES
            )
            gen.claim(p, allowed, {"junk": value})

    for k in kiosk:
        p = people[k] = gen.person(pid[k])
        gen.plan(p)
        gen.claim(p, ("web",), {"kiosk": ""})

    for k in order:
        p = people[k] = gen.person(pid[k])
        gen.plan(p)
        move, change = rng.random() < MOVER_RATE, rng.random() < EMAIL_CHANGE_RATE
        if move or change:
            gen.change_over_time(p, move=move, change_email=change)

    rows: list[tuple[dict[str, str], set[str], str]] = []
    for k in range(persons):
        p = people[k]
        rows.extend((row, traps, p.pid) for row, traps in gen.records(p))
    rng.shuffle(rows)
    records: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    trap_map: dict[str, frozenset[str]] = {}
    for n, (row, traps, person) in enumerate(rows, start=1):
        row["record_id"] = rid = f"r{n:06d}"
        records.append(row)
        truth[rid] = person
        trap_map[rid] = frozenset(traps)
    return Dataset(records=records, truth=truth, traps=trap_map)


def write(dataset: Dataset, records_csv: Path, truth_csv: Path) -> None:
    """Write the records (header :data:`COLUMNS`) and the truth (``record_id,true_id,traps``,
    traps joined with ``|``) as CSV files."""
    with records_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(dataset.records)
    with truth_csv.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(("record_id", "true_id", "traps"))
        for rid, true_id in dataset.truth.items():
            out.writerow((rid, true_id, "|".join(sorted(dataset.traps.get(rid, ())))))


def summary(dataset: Dataset) -> dict[str, object]:
    """Counts of a dataset: records, persons and records per trap."""
    per_trap = Counter(t for traps in dataset.traps.values() for t in traps)
    return {
        "records": len(dataset.records),
        "persons": len(set(dataset.truth.values())),
        "traps": {t: per_trap[t] for t in TRAPS},
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.synthetic --persons N --seed S --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="directory for the CSV files")
    args = parser.parse_args(argv)
    dataset = generate(args.persons, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write(dataset, args.out / "records.csv", args.out / "truth.csv")
    print(json.dumps(summary(dataset), separators=(",", ":")))


if __name__ == "__main__":
    main()
