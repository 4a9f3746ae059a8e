"""Consent: what a message says about a person's choices, and what a choice allows now.

A consent is per purpose (``analytics``, ``marketing``, ``personalisation``, ``advertising``,
or any purpose a source names) with a status (granted, denied, revoked), the source that
stated it, when, and an optional expiry. Every statement is kept (the history); the latest
by time is the customer's consent for that purpose.

Messages state consent in ``context.consent`` (``properties.consent`` works the same on any
track call, e.g. a ``Consent Updated`` event of a tracking plan), in either of two shapes:

- Segment's consent management: ``{"categoryPreferences": {"Advertising": true, ...}}``;
  true is granted, false is denied;
- GraphCDP's own, with statuses and expiry: ``{"purposes": {"marketing": {"status":
  "revoked"}, "analytics": {"status": "granted", "expiresAt": "2027-06-01T00:00:00Z"}}}``
  (a value may also be a status string or a boolean).

Purpose names are folded (lower case, runs of other characters to ``_``, the US spelling
``personalization`` to ``personalisation``). A malformed statement rejects the message with
the path of the bad field: consent is never guessed.

What a consent allows (:func:`allows`): a granted, unexpired consent allows the purpose; a
denied or revoked one forbids it; with none (or an expired grant), the purpose's default
applies: forbidden for the opt-in purposes (``GRAPHCDP_CONSENT_OPT_IN``, the GDPR model),
allowed for the others (the CCPA opt-out model). The Cypher that filters activations and
exports (``cypher/privacy/consent_allows.cypher`` and the queries that embed it) applies the
same rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from graph.model import CONSENT_STATUSES, ConsentChange, ConsentStatus, FieldError, iso_utc

PURPOSES = ("analytics", "marketing", "personalisation", "advertising")
"""The purposes documented and offered first; others are accepted as sources name them."""

_FOLD = re.compile(r"[^a-z0-9]+")
_ALIASES = {"personalization": "personalisation", "ads": "advertising"}


def purpose_name(raw: str) -> str:
    """The folded name of a purpose.

    Raises:
        FieldError: nothing is left after folding, or more than 64 characters.
    """
    name = _FOLD.sub("_", raw.strip().lower()).strip("_")
    name = _ALIASES.get(name, name)
    if not name or len(name) > 64:
        raise FieldError("purpose", f"not a usable purpose name: {raw!r}")
    return name


def from_context(
    consent: object, *, at: str, source: str, where: str = "context.consent"
) -> tuple[ConsentChange, ...]:
    """The consent changes a message's consent object states (see the module docstring).

    Raises:
        FieldError: its field is the path of the bad part (``context.consent.purposes.x``).
    """
    if consent is None:
        return ()
    if not isinstance(consent, Mapping):
        raise FieldError(where, "expected an object")
    stated_by = consent.get("source", source)
    if not isinstance(stated_by, str) or not stated_by.strip():
        raise FieldError(f"{where}.source", "expected a non-empty string")
    stated_by = stated_by.strip()
    found: dict[str, ConsentChange] = {}
    prefs = consent.get("categoryPreferences")
    if prefs is not None:
        for raw, value in _entries(prefs, f"{where}.categoryPreferences"):
            path = f"{where}.categoryPreferences.{raw}"
            if not isinstance(value, bool):
                raise FieldError(path, "expected true or false")
            name = _named(raw, path)
            found[name] = ConsentChange(name, "granted" if value else "denied", at, stated_by)
    purposes = consent.get("purposes")
    if purposes is not None:
        for raw, value in _entries(purposes, f"{where}.purposes"):
            path = f"{where}.purposes.{raw}"
            name = _named(raw, path)
            found[name] = _statement(name, value, path, at, stated_by)
    return tuple(found[name] for name in sorted(found))


def status_of(value: object, path: str) -> ConsentStatus:
    """A status from a string (any case) or a boolean (true granted, false denied).

    Raises:
        FieldError: anything else.
    """
    if isinstance(value, bool):
        return "granted" if value else "denied"
    if isinstance(value, str):
        folded = value.strip().lower()
        for status in CONSENT_STATUSES:
            if folded == status:
                return status
    raise FieldError(path, "expected one of " + ", ".join(CONSENT_STATUSES) + " or a boolean")


def expiry(value: object, path: str) -> str | None:
    """An ISO-8601 expiry in the graph's timestamp format (a date means its start, UTC).

    Raises:
        FieldError: not a readable time.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(path, "expected an ISO-8601 time")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(path, f"not an ISO-8601 time: {value!r}") from None
    return iso_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def current(history: Sequence[ConsentChange]) -> dict[str, ConsentChange]:
    """The latest change of each purpose (later ``at`` wins; then the later in the list)."""
    latest: dict[str, ConsentChange] = {}
    for change in history:
        held = latest.get(change.purpose)
        if held is None or change.at >= held.at:
            latest[change.purpose] = change
    return latest


def allows(change: ConsentChange | None, *, purpose: str, now: str, opt_in: frozenset[str]) -> bool:
    """Whether the latest change of ``purpose`` (None: there is none) allows it at ``now``."""
    if change is not None and not expired(change, now):
        return change.status == "granted"
    return purpose not in opt_in


def expired(change: ConsentChange, now: str) -> bool:
    return change.expires_at is not None and change.expires_at <= now


def _entries(value: object, path: str) -> list[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        raise FieldError(path, "expected an object of purposes")
    return [(str(k), v) for k, v in value.items()]


def _named(raw: str, path: str) -> str:
    try:
        return purpose_name(raw)
    except FieldError as err:
        raise FieldError(path, err.reason) from None


def _statement(name: str, value: object, path: str, at: str, source: str) -> ConsentChange:
    if isinstance(value, Mapping):
        status = status_of(value.get("status"), f"{path}.status")
        return ConsentChange(name, status, at, source, expiry(value.get("expiresAt"),
                                                              f"{path}.expiresAt"))  # fmt: skip
    return ConsentChange(name, status_of(value, path), at, source)
