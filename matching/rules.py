"""Identity rules: which identifiers may join records into one customer, and how far.

Pure configuration and checks, no I/O. Per identifier type: whether it is identifying at all,
its priority (1 is strongest: when a record could join several customers and they may not
merge, it joins the one its highest-priority identifier leads to), a limit per customer (a
customer never holds more distinct values of the type, so two user ids never fuse) and a
degree cap (an identifier already shared by that many customers stops joining anyone: a
kiosk's anonymous id, a family tablet). Blocked values and patterns (``test@test.com``,
``0000000000``, ``n/a`` ...) never join anything. The defaults below are documented in
README.md; a YAML file (``GRAPHCDP_IDENTITY_RULES``) overrides them per type.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from graph.model import IDENTIFIER_TYPES, Identifier, IdentifierType
from matching.survivorship import (
    DEFAULT_POLICY,
    SurvivorshipError,
    SurvivorshipPolicy,
    load_policy,
)

log = logging.getLogger(__name__)


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class TypeRule:
    identifying: bool = True
    priority: int = 9
    limit: int | None = None  # distinct values per customer
    degree_cap: int | None = None  # customers sharing one value before it stops joining
    # Weak: people share it in real life (a landline, a tablet, a browser). A link through
    # weak identifiers only never joins sides that hold different values of a strong type.
    weak: bool = False
    # Links through this type also need the first names and birth dates to agree
    # (matching.agreement); user and CRM ids are assigned by a system and need not.
    check_names: bool = True


_ANY_TYPE = TypeRule()
_NULL_LIKE = r"(?:null|none|nil|undefined|unknown|n/?a|na|-|0|-1|anonymous|test|x+)"
DEFAULT_TYPES: dict[IdentifierType, TypeRule] = {
    "user_id": TypeRule(priority=1, limit=1, degree_cap=1, check_names=False),
    "crm_id": TypeRule(priority=2, limit=1, degree_cap=1, check_names=False),
    "email": TypeRule(priority=3, limit=5, degree_cap=3),
    "phone": TypeRule(priority=4, limit=3, degree_cap=3, weak=True),
    "device_id": TypeRule(priority=5, limit=10, degree_cap=3, weak=True),
    "anonymous_id": TypeRule(priority=6, limit=50, degree_cap=2, weak=True),
}
DEFAULT_BLOCKED: dict[IdentifierType, tuple[str, ...]] = {
    "email": (
        r"(?:test|noemail|no-email|no\.email|none|null|noreply|no-reply|donotreply|fake|"
        r"invalid|unknown|nobody|example|email|abc|asdf)@.*",
        r".*@(?:test|invalid)\.(?:com|org|net)",
    ),
    "phone": (r"\+?0+", r"\+?1?(?:1234567890|0123456789|9876543210)", r"\+?1?(\d)\1{6,}"),
    "user_id": (_NULL_LIKE,),
    "crm_id": (_NULL_LIKE,),
    "anonymous_id": (_NULL_LIKE,),
    "device_id": (_NULL_LIKE, r"0{8}-0{4}-0{4}-0{4}-0{12}"),
}

# Shared values: addresses a household or a team uses (thesmiths@, family@, info@ ...). They
# are kept and shown, but join records only where both sides name the same person.
DEFAULT_SHARED: dict[IdentifierType, tuple[str, ...]] = {
    "email": (
        r"the[a-z]{2,}s\d*@.*",
        r"(?:[a-z]+[._-]?)?(?:family|household|home)\d*@.*",
        r"(?:info|contact|admin|office|hello|team|sales|support|billing|accounts?)@.*",
    ),
}


@dataclass(frozen=True)
class IdentityRules:
    types: Mapping[IdentifierType, TypeRule] = field(default_factory=lambda: dict(DEFAULT_TYPES))
    blocked: Mapping[IdentifierType, tuple[re.Pattern[str], ...]] = field(
        default_factory=lambda: _compile(DEFAULT_BLOCKED)
    )
    shared: Mapping[IdentifierType, tuple[re.Pattern[str], ...]] = field(
        default_factory=lambda: _compile(DEFAULT_SHARED)
    )
    survivorship: SurvivorshipPolicy = DEFAULT_POLICY
    # Model links need first names and birth dates to agree too (a household shares an address,
    # a postcode and a landline). Off for data where whole values are replaced (FEBRL).
    model_check_names: bool = True
    blocked_keys: frozenset[str] = frozenset()  # values an operator blocked (in the graph)

    def blocking(self, keys: Iterable[str]) -> IdentityRules:
        """These rules with more blocked identifier keys (an operator's blocks)."""
        extra = frozenset(keys) - self.blocked_keys
        return replace(self, blocked_keys=self.blocked_keys | extra) if extra else self

    def is_shared(self, ident: Identifier) -> bool:
        """A value several people use by design (a family or role address)."""
        return any(p.fullmatch(ident.value) for p in self.shared.get(ident.type, ()))

    def is_weak(self, ident: Identifier) -> bool:
        """Whether the identifier may belong to several people (its type is weak, or its
        value is a shared one)."""
        return self.rule(ident.type).weak or self.is_shared(ident)

    # Pattern verdicts per identifier (the hot path asks the same ones many times).
    _blocked_memo: dict[Identifier, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def rule(self, type_: IdentifierType) -> TypeRule:
        return self.types.get(type_) or _ANY_TYPE

    def is_blocked(self, ident: Identifier) -> bool:
        """A value that must never join records (matched whole, case-insensitively)."""
        if ident.key in self.blocked_keys:
            return True
        verdict = self._blocked_memo.get(ident)
        if verdict is None:
            verdict = any(p.fullmatch(ident.value) for p in self.blocked.get(ident.type, ()))
            if len(self._blocked_memo) > 100_000:
                self._blocked_memo.clear()
            self._blocked_memo[ident] = verdict
        return verdict

    def links(self, ident: Identifier) -> bool:
        """Whether this identifier may join records at all (identifying and not blocked)."""
        return self.rule(ident.type).identifying and not self.is_blocked(ident)

    def fits(self, keys: Iterable[Identifier]) -> bool:
        """Whether one customer may hold all these identifiers (every per-type limit holds)."""
        counts: dict[IdentifierType, int] = {}
        for ident in set(keys):
            if self.is_blocked(ident):
                continue
            counts[ident.type] = counts.get(ident.type, 0) + 1
        return all(
            (limit := self.rule(type_).limit) is None or n <= limit for type_, n in counts.items()
        )


def load_rules(path: str | Path) -> IdentityRules:
    """Rules from a YAML file (see :func:`parse_rules`).

    Raises:
        RulesError: the file or a key in it is malformed; the message names the key.
    """
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise RulesError(f"{path}: {err}") from None
    return parse_rules(text, str(path))


def parse_rules(text: str, origin: str = "rules") -> IdentityRules:
    """Rules from YAML text: ``types: {email: {limit: 3, degree_cap: 5}, ...}``,
    ``blocked: {email: [regex, ...]}`` (added to the defaults unless ``replace_blocked``),
    ``shared: {email: [regex, ...]}`` (added to the defaults unless ``replace_shared``) and
    ``survivorship: {...}`` (matching.survivorship.load_policy).

    Raises:
        RulesError: the text or a key in it is malformed; the message names the key.
    """
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise RulesError(f"{origin}: {err}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{origin}: expected a mapping at the top")
    top = ("types", "blocked", "replace_blocked", "shared", "replace_shared", "survivorship",
           "model_links")  # fmt: skip
    unknown = set(data) - set(top)
    if unknown:
        raise RulesError(f"{sorted(unknown)[0]}: unknown key ({', '.join(top)})")
    types = dict(DEFAULT_TYPES)
    for name, settings in (data.get("types") or {}).items():
        type_ = _type(f"types.{name}", name)
        if not isinstance(settings, dict):
            raise RulesError(f"types.{name}: expected a mapping")
        allowed = {"identifying", "priority", "limit", "degree_cap", "weak", "check_names"}
        for key, value in settings.items():
            if key not in allowed:
                raise RulesError(f"types.{name}.{key}: unknown key")
            if key in _FLAGS and not isinstance(value, bool):
                raise RulesError(f"types.{name}.{key}: expected true or false")
            if key not in _FLAGS and not (
                value is None
                or (isinstance(value, int) and not isinstance(value, bool) and value > 0)
            ):
                raise RulesError(f"types.{name}.{key}: expected a positive integer or null")
        types[type_] = replace(types.get(type_, TypeRule()), **settings)
    blocked = _patterns(data, "blocked", DEFAULT_BLOCKED)
    shared = _patterns(data, "shared", DEFAULT_SHARED)
    try:
        survivorship = load_policy(data.get("survivorship"))
    except SurvivorshipError as err:
        raise RulesError(str(err)) from None
    model = data.get("model_links") or {}
    if (
        not isinstance(model, dict)
        or set(model) - {"check_names"}
        or not isinstance(model.get("check_names", True), bool)
    ):
        raise RulesError("model_links: expected {check_names: true|false}")
    return IdentityRules(
        types=types, blocked=blocked, shared=shared, survivorship=survivorship,
        model_check_names=bool(model.get("check_names", True)),
    )  # fmt: skip


def _patterns(
    data: dict[str, object], section: str, defaults: Mapping[IdentifierType, tuple[str, ...]]
) -> dict[IdentifierType, tuple[re.Pattern[str], ...]]:
    """The default patterns of a section (unless ``replace_<section>``) plus the file's."""
    merged: dict[IdentifierType, list[str]] = (
        {} if data.get(f"replace_{section}") else {k: list(v) for k, v in defaults.items()}
    )
    given = data.get(section) or {}
    if not isinstance(given, dict):
        raise RulesError(f"{section}: expected a mapping of identifier type to patterns")
    for name, patterns in given.items():
        type_ = _type(f"{section}.{name}", name)
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise RulesError(f"{section}.{name}: expected a list of regular expressions")
        merged.setdefault(type_, []).extend(patterns)
    try:
        return _compile({k: tuple(v) for k, v in merged.items()})
    except re.error as err:
        raise RulesError(f"{section}: bad regular expression ({err})") from None


_FLAGS = ("identifying", "weak", "check_names")


def _type(key: str, name: object) -> IdentifierType:
    for type_ in IDENTIFIER_TYPES:
        if name == type_:
            return type_
    raise RulesError(f"{key}: unknown identifier type (one of {', '.join(IDENTIFIER_TYPES)})")


def _compile(
    patterns: Mapping[IdentifierType, tuple[str, ...]],
) -> dict[IdentifierType, tuple[re.Pattern[str], ...]]:
    return {t: tuple(re.compile(p, re.IGNORECASE) for p in ps) for t, ps in patterns.items()}


DEFAULT_RULES = IdentityRules()


class RulesSource:
    """The identity rules in force: the graph's setting (set through GraphQL) when there is
    one, else ``base`` (the file of GRAPHCDP_IDENTITY_RULES, or the defaults).

    ``fetch`` reads the setting (its YAML text and version, or None); the answer is kept for
    ``ttl`` seconds, so every worker and API process follows a change within ``ttl``.
    """

    def __init__(
        self,
        base: IdentityRules,
        fetch: Callable[[], Awaitable[tuple[str, int] | None]],
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._checked = float("-inf")
        self._version: int | None = None
        self._rules = base

    @property
    def version(self) -> int | None:
        """The graph setting's version in force (None: the base rules)."""
        return self._version

    async def current(self) -> IdentityRules:
        if self._clock() - self._checked < self._ttl:
            return self._rules
        found = await self._fetch()
        self._checked = self._clock()
        if found is None:
            self._rules, self._version = self._base, None
        elif found[1] != self._version:
            text, version = found
            try:
                self._rules, self._version = parse_rules(text, f"setting v{version}"), version
            except RulesError:
                log.exception(
                    "identity rules v%s in the graph are unusable; kept the last", version
                )
        return self._rules
