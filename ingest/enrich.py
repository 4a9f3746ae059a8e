"""Enriching Segment-spec calls: pure functions, no I/O.

Each function takes one raw value from a call (the user agent, the context, the three
clocks) and returns its derived form (identifier normalisation lives in
``matching.normalise``). Bad input raises
:class:`EnrichError`, which names the field; a bad argument from the caller (an unknown
default region, say) raises a plain :class:`ValueError` so the two never get confused.
Error messages never repeat the offending value: these are personal data and end up in logs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import ua_parser

from graph.model import FieldError, iso_utc

MAX_USER_AGENT_LENGTH = 1024
USER_AGENT_CACHE_SIZE = 4096


class EnrichError(FieldError):
    """A value that cannot be normalised; ``field`` names it (``email``, ``phone``, ...)."""


# --- user agent ------------------------------------------------------------------------------

DeviceKind = Literal["desktop", "mobile", "tablet", "bot", "unknown"]


@dataclass(frozen=True)
class UserAgentInfo:
    """What a user-agent string says about the device and software behind a call.

    ua-parser's placeholders are turned into ``None``: a family of ``Other``, and generic
    brands and models (``Generic_Android``, ``Spider``, the reduced Chrome model ``K``).
    Versions are the dotted parts ua-parser found (``"17.4"``, ``"124.0.0.0"``).
    """

    device_kind: DeviceKind = "unknown"
    os_name: str | None = None
    os_version: str | None = None
    browser_name: str | None = None
    browser_version: str | None = None
    device_brand: str | None = None
    device_model: str | None = None


# HTTP libraries and headless browsers: automated traffic that uap-core does not flag.
_AUTOMATION = re.compile(
    r"^(?:curl|wget|httpie|python-requests|python-httpx|python-urllib|aiohttp|go-http-client"
    r"|libwww-perl|apache-httpclient|node-fetch|axios|java/)\b"
    r"|headlesschrome|phantomjs|\bbot\b|crawler|spider",
    re.IGNORECASE,
)
_TABLET = re.compile(r"\b(?:iPad|Tablet(?! PC)|PlayBook)\b")
_TABLET_DEVICES = frozenset({"iPad", "Generic Tablet", "Kindle"})
_MOBILE_DEVICES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})
_MOBILE_OS = frozenset(
    {
        "iOS",
        "Windows Phone",
        "Windows Mobile",
        "BlackBerry OS",
        "Firefox OS",
        "KaiOS",
        "Symbian OS",
        "Brew MP",
    }
)
_DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Mac OS",
        "Chrome OS",
        "Linux",
        "Ubuntu",
        "Debian",
        "Fedora",
        "Red Hat",
        "Gentoo",
        "Mint",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
    }
)
_GENERIC_BRANDS = frozenset(
    {"Generic", "Generic_Android", "Generic_Android_Tablet", "Generic_Inettv", "Spider"}
)
_PLACEHOLDER_MODELS = frozenset({"K", "Smartphone", "Tablet", "Feature Phone", "Desktop"})


def parse_user_agent(ua: str) -> UserAgentInfo:
    """Parse a user-agent string with ua-parser and classify the device.

    ``device_kind`` is decided in this order:

    1. ``bot``: uap-core's spiders (Googlebot, bingbot, GPTBot, link previewers) and
       automated clients it does not flag: HTTP libraries and tools (curl, wget,
       python-requests, Go-http-client, ...) and headless browsers.
    2. ``tablet``: iPads, Kindles, ``Tablet`` in the string, and Android browsers without the
       ``Mobile`` token (Google's convention for tablets).
    3. ``mobile``: iPhones and iPods, other Android devices, phone operating systems, and
       anything with ``Mobi`` in it (Mozilla's advice).
    4. ``desktop``: Windows, macOS, ChromeOS, Linux and the BSDs.
    5. ``unknown``: everything else, including TVs, consoles and the empty string.

    iPads in desktop mode send a Mac user agent, so they come out as desktop. Results are
    cached (the same few user agents repeat); the string is trimmed and cut to
    :data:`MAX_USER_AGENT_LENGTH` characters first, so the cache stays small.
    """
    return _parse_user_agent(ua.strip()[:MAX_USER_AGENT_LENGTH])


@functools.lru_cache(maxsize=USER_AGENT_CACHE_SIZE)
def _parse_user_agent(ua: str) -> UserAgentInfo:
    if not ua:
        return UserAgentInfo()
    result = ua_parser.parse(ua)
    agent, os_, device = result.user_agent, result.os, result.device
    brand = device.brand if device else None
    model = device.model if device else None
    if brand in _GENERIC_BRANDS and model in _PLACEHOLDER_MODELS:
        model = None
    return UserAgentInfo(
        device_kind=_device_kind(
            ua,
            agent_family=agent.family if agent else None,
            os_family=os_.family if os_ else None,
            device_family=device.family if device else None,
            brand=brand,
        ),
        os_name=_family(os_.family) if os_ else None,
        os_version=_version(os_.major, os_.minor, os_.patch, os_.patch_minor) if os_ else None,
        browser_name=_family(agent.family) if agent else None,
        browser_version=(
            _version(agent.major, agent.minor, agent.patch, agent.patch_minor) if agent else None
        ),
        device_brand=None if brand in _GENERIC_BRANDS else brand,
        device_model=model,
    )


def _device_kind(
    ua: str,
    *,
    agent_family: str | None,
    os_family: str | None,
    device_family: str | None,
    brand: str | None,
) -> DeviceKind:
    if "Spider" in (device_family, agent_family) or _AUTOMATION.search(ua):
        return "bot"
    if (
        device_family in _TABLET_DEVICES
        or brand == "Generic_Android_Tablet"
        or os_family == "BlackBerry Tablet OS"
        or _TABLET.search(ua)
    ):
        return "tablet"
    if os_family == "Android":
        is_browser = "Safari/" in ua or "Firefox/" in ua
        return "tablet" if is_browser and "Mobile" not in ua else "mobile"
    if device_family in _MOBILE_DEVICES or os_family in _MOBILE_OS or "Mobi" in ua:
        return "mobile"
    if os_family in _DESKTOP_OS or (os_family and ("Linux" in os_family or "BSD" in os_family)):
        return "desktop"
    return "unknown"


def _family(family: str) -> str | None:
    return None if family in ("", "Other") else family


def _version(*parts: str | None) -> str | None:
    found: list[str] = []
    for part in parts:
        if not part:
            break
        found.append(part)
    return ".".join(found) or None


# --- campaign (UTM) --------------------------------------------------------------------------

CAMPAIGN_KEYS: dict[str, str] = {
    "name": "utm_campaign",
    "source": "utm_source",
    "medium": "utm_medium",
    "term": "utm_term",
    "content": "utm_content",
}
"""Segment's ``context.campaign`` keys and the UTM query parameters they come from."""


def utm_parameters(context: Mapping[str, Any]) -> dict[str, str]:
    """The UTM parameters of a call, from its context.

    Sources, strongest first: ``context.campaign`` (``name`` is ``utm_campaign``, ``source``
    is ``utm_source``, and so on, see :data:`CAMPAIGN_KEYS`), the query string in
    ``context.page.search``, then the query of ``context.page.url``. Parameter names are
    case-sensitive, as in analytics.js; the first non-empty occurrence in a query counts.
    Values are trimmed; non-string and empty values are ignored, and a URL that does not
    parse gives nothing.

    Returns:
        Only the parameters found, in the order of :data:`CAMPAIGN_KEYS`.
    """
    found: dict[str, str] = {}
    page = context.get("page")
    if isinstance(page, Mapping):
        url = page.get("url")
        if isinstance(url, str):
            found.update(_utm_query(_url_query(url)))
        search = page.get("search")
        if isinstance(search, str):
            found.update(_utm_query(search.removeprefix("?")))
    campaign = context.get("campaign")
    if isinstance(campaign, Mapping):
        for key, utm_key in CAMPAIGN_KEYS.items():
            value = campaign.get(key)
            if isinstance(value, str) and value.strip():
                found[utm_key] = value.strip()
    return {key: found[key] for key in CAMPAIGN_KEYS.values() if key in found}


def _url_query(url: str) -> str:
    try:
        return urlsplit(url).query
    except ValueError:  # a malformed URL (a bad IPv6 host, say) has no usable query
        return ""


def _utm_query(query: str) -> dict[str, str]:
    wanted = set(CAMPAIGN_KEYS.values())
    found: dict[str, str] = {}
    for key, value in parse_qsl(query):
        if key in wanted and key not in found and value.strip():
            found[key] = value.strip()
    return found


# --- clock skew ------------------------------------------------------------------------------


def corrected_timestamp(
    timestamp: str | None, sent_at: str | None, received_at: str
) -> tuple[str, float]:
    """When a call happened, corrected for the client's clock (Segment's skew correction).

    The client stamps a call (``timestamp``) and the batch it sends (``sentAt``) with its own
    clock; the server stamps ``receivedAt`` with a trusted one. The difference between
    ``sentAt`` and ``timestamp`` is trusted, the client's absolute time is not:

    * both given: ``receivedAt - (sentAt - timestamp)``;
    * only ``timestamp``: ``timestamp`` as it is;
    * no ``timestamp``: ``receivedAt``.

    Inputs are ISO-8601 strings (``Z``, an offset, or naive meaning UTC; fractions past
    microseconds are cut). Empty strings count as missing.

    Returns:
        The corrected time as ISO-8601 UTC with milliseconds and a ``Z``
        (``2026-01-02T03:04:05.678Z``), and the skew in seconds, ``receivedAt - sentAt``
        (positive when the client's clock is behind, network latency included), or ``0.0``
        without ``sentAt``.

    Raises:
        EnrichError: ``field`` is ``timestamp``, ``sentAt`` or ``receivedAt``, whichever
            does not parse; ``timestamp`` too when the corrected time is out of range.
    """
    received = _instant("receivedAt", received_at)
    original = _instant("timestamp", timestamp) if timestamp and timestamp.strip() else None
    sent = _instant("sentAt", sent_at) if sent_at and sent_at.strip() else None
    skew = received - sent if sent is not None else None
    if original is None:
        corrected = received
    elif skew is None:
        corrected = original
    else:
        try:
            corrected = original + skew
        except OverflowError:
            raise EnrichError("timestamp", "corrected time out of range") from None
    return _iso(corrected), skew.total_seconds() if skew is not None else 0.0


def _instant(field: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        raise EnrichError(field, "not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise EnrichError(field, "date-time out of range") from None


_iso = iso_utc
