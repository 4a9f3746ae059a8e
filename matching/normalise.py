"""Identifier normalisation: the canonical form each identifier type is matched by.

Pure functions, no I/O. Emails are trimmed and lower-cased (and, as an option, folded by
their provider's rules, so ``John.Smith+news@gmail.com`` matches ``johnsmith@gmail.com``);
phones become E.164 with ``phonenumbers`` read in a configurable default region. Bad input
raises :class:`NormaliseError`, which names the field; a bad argument from the caller (an
unknown default region) raises a plain :class:`ValueError`. Messages never repeat the value:
these are personal data and end up in logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from graph.model import (
    IDENTIFIER_TYPES,
    FieldError,
    Identifier,
    IdentifierType,
    InvalidIdentifier,
)

MAX_EMAIL_LENGTH = 254
MAX_EMAIL_LOCAL_LENGTH = 64


class NormaliseError(FieldError, InvalidIdentifier):
    """A value that cannot be normalised; ``field`` names it (``email``, ``phone``)."""


@dataclass(frozen=True)
class NormaliseOptions:
    """How identifiers are normalised (from ``GRAPHCDP_PHONE_REGION`` and
    ``GRAPHCDP_EMAIL_PROVIDER_RULES``)."""

    default_region: str = "US"
    email_provider_rules: bool = False


DEFAULT_OPTIONS = NormaliseOptions()


def identifier(
    type_: IdentifierType, raw: str, options: NormaliseOptions = DEFAULT_OPTIONS
) -> Identifier:
    """The identifier as matched in the graph: emails and phones canonicalised, others trimmed.

    Raises:
        InvalidIdentifier: the value does not normalise (``NormaliseError`` names the field).
    """
    if type_ == "email":
        raw = normalise_email(raw, provider_rules=options.email_provider_rules)
    elif type_ == "phone":
        raw = to_e164(raw, options.default_region)
    return Identifier.of(type_, raw)


def identifier_key(text: str, options: NormaliseOptions = DEFAULT_OPTIONS) -> str:
    """The graph key of ``type:value`` as an operator types it (normalised like ingest).

    Raises:
        InvalidIdentifier: no known type before the colon, or the value does not normalise.
    """
    type_, sep, raw = text.partition(":")
    for known in IDENTIFIER_TYPES:
        if sep and type_.strip() == known:
            return identifier(known, raw, options).key
    raise InvalidIdentifier(
        f"expected type:value with a type among {', '.join(IDENTIFIER_TYPES)}: {text!r}"
    )


# --- email -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRule:
    """How one mailbox provider delivers variants of an address to the same mailbox.

    Attributes:
        tag_separator: the character that starts a sub-address tag in the local part
            (everything from it on is dropped), or ``None`` when the provider has none.
        strip_dots: dots in the local part are ignored by the provider.
        canonical_domain: the domain to rewrite to (an alias domain of the same mailboxes).
        subdomain_addressing: ``anything@user.domain`` is delivered to ``user@domain``.
    """

    tag_separator: str | None = "+"
    strip_dots: bool = False
    canonical_domain: str | None = None
    subdomain_addressing: bool = False


_GMAIL = ProviderRule(tag_separator="+", strip_dots=True, canonical_domain="gmail.com")
_PLUS = ProviderRule(tag_separator="+")
_FASTMAIL = ProviderRule(tag_separator="+", subdomain_addressing=True)
_YAHOO = ProviderRule(tag_separator="-")

EMAIL_PROVIDER_RULES: dict[str, ProviderRule] = {
    "gmail.com": _GMAIL,
    "googlemail.com": _GMAIL,
    "outlook.com": _PLUS,
    "hotmail.com": _PLUS,
    "live.com": _PLUS,
    "icloud.com": _PLUS,
    "me.com": _PLUS,
    "mac.com": _PLUS,
    "fastmail.com": _FASTMAIL,
    "fastmail.fm": _FASTMAIL,
    "yahoo.com": _YAHOO,
    "ymail.com": _YAHOO,
    "rocketmail.com": _YAHOO,
}
"""Provider canonicalisation used by ``normalise_email(..., provider_rules=True)``.

Keyed by the lower-cased domain; add or remove entries to configure it. A domain that is not
listed is left alone (its local part kept as given, apart from lower-casing).
"""

_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
_EMAIL = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+{_TLD})")


def normalise_email(raw: str, *, provider_rules: bool = False) -> str:
    """The canonical form of an email address.

    Always: surrounding whitespace trimmed, lower-cased, shape checked (``local@domain.tld``,
    a dot-atom local part of at most 64 characters, no whitespace, at most 254 characters).

    With ``provider_rules``, addresses that the provider delivers to one mailbox are folded
    into one, following :data:`EMAIL_PROVIDER_RULES`:

    ======================================  =====  ===========  ===================================
    domains                                 tag    dots         other
    ======================================  =====  ===========  ===================================
    gmail.com, googlemail.com               ``+``  ignored      googlemail.com becomes gmail.com
    outlook.com, hotmail.com, live.com      ``+``  significant
    icloud.com, me.com, mac.com             ``+``  significant
    fastmail.com, fastmail.fm               ``+``  significant  ``x@user.fastmail.com`` becomes
                                                                ``user@fastmail.com``
    yahoo.com, ymail.com, rocketmail.com    ``-``  significant  Yahoo's disposable addresses are
                                                                ``base-keyword``; the result is
                                                                the base name, stable for all of
                                                                them (Yahoo names have no ``-``)
    ======================================  =====  ===========  ===================================

    Provider rules give a matching key, not always a deliverable address: keep the address as
    given for sending mail.

    Raises:
        NormaliseError: ``field == "email"``; the value is not an email address, or nothing of
            the local part is left once the provider's tag is dropped.
    """
    value = raw.strip().lower()
    if not value:
        raise NormaliseError("email", "empty")
    if len(value) > MAX_EMAIL_LENGTH:
        raise NormaliseError("email", f"longer than {MAX_EMAIL_LENGTH} characters")
    if any(ch.isspace() for ch in value):
        raise NormaliseError("email", "contains whitespace")
    match = _EMAIL.fullmatch(value)
    if match is None:
        raise NormaliseError("email", "not an address of the form local@domain.tld")
    local, domain = match["local"], match["domain"]
    if len(local) > MAX_EMAIL_LOCAL_LENGTH:
        raise NormaliseError("email", f"local part longer than {MAX_EMAIL_LOCAL_LENGTH} characters")
    if provider_rules:
        local, domain = _apply_provider_rule(local, domain)
    return f"{local}@{domain}"


def _apply_provider_rule(local: str, domain: str) -> tuple[str, str]:
    rule = EMAIL_PROVIDER_RULES.get(domain)
    if rule is None:
        user, _, parent = domain.partition(".")
        parent_rule = EMAIL_PROVIDER_RULES.get(parent)
        if parent_rule is None or not parent_rule.subdomain_addressing:
            return local, domain
        # Subdomain addressing: the local part is only a folder name; the mailbox is the label.
        rule, local, domain = parent_rule, user, parent
    if rule.tag_separator:
        # A dot left before the tag ends no address (``jane.+shop`` -> ``jane``), so the
        # key stays an address that normalises to itself.
        local = local.partition(rule.tag_separator)[0].rstrip(".")
    if rule.strip_dots:
        local = local.replace(".", "")
    if not local:
        raise NormaliseError("email", "nothing left of the local part after the provider's rules")
    return local, rule.canonical_domain or domain


# --- phone -----------------------------------------------------------------------------------


def to_e164(raw: str, default_region: str = "US") -> str:
    """A phone number in E.164 form (``+14155550132``), validated against its region's plan.

    ``default_region`` (an ISO 3166 alpha-2 code, any case) is how a national number is read:
    ``020 7946 0958`` needs ``"GB"``. A leading ``+`` overrides it, and so does the ``00``
    international prefix when the number makes no sense as a national one of that region
    (regions whose own prefix differs, like ``011`` in the US, still get theirs first).
    Letters are refused, so vanity numbers (``1-800-FLOWERS``) and extensions (``ext. 12``)
    are errors: dropping an extension would make a switchboard look like one person.

    Raises:
        ValueError: ``default_region`` is not a region phonenumbers knows (a caller's bug,
            deliberately not an :class:`NormaliseError`).
        NormaliseError: ``field == "phone"``; the number is empty, has letters, does not parse,
            is not a possible length or is not a valid number.
    """
    region = default_region.strip().upper()
    if len(region) != 2 or region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default_region {default_region!r} is not a known 2-letter region")
    value = raw.strip()
    if not value:
        raise NormaliseError("phone", "empty")
    if any(ch.isalpha() for ch in value):
        raise NormaliseError("phone", "letters are not allowed (no vanity numbers or extensions)")
    number, reason = _valid_number(value, region)
    if number is None and value.startswith("00"):
        number, _ = _valid_number("+" + value[2:], region)
    if number is None:
        raise NormaliseError("phone", reason)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid_number(value: str, region: str) -> tuple[phonenumbers.PhoneNumber | None, str]:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None, "not a phone number"
    if not phonenumbers.is_possible_number(number):
        return None, "not a possible phone number (wrong length)"
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid phone number for its region"
    return number, ""
