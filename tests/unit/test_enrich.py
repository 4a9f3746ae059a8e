from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ingest.enrich import (
    EnrichError,
    UserAgentInfo,
    corrected_timestamp,
    parse_user_agent,
    utm_parameters,
)

# --- user agent ------------------------------------------------------------------------------

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        pytest.param(
            CHROME_WINDOWS,
            UserAgentInfo("desktop", "Windows", "10", "Chrome", "124.0.0.0", None, None),
            id="chrome-windows",
        ),
        pytest.param(
            SAFARI_IPHONE,
            UserAgentInfo("mobile", "iOS", "17.4", "Mobile Safari", "17.4", "Apple", "iPhone"),
            id="safari-iphone",
        ),
        pytest.param(
            SAFARI_IPAD,
            UserAgentInfo("tablet", "iOS", "16.6", "Mobile Safari", "16.6", "Apple", "iPad"),
            id="ipad",
        ),
        pytest.param(
            ANDROID_PHONE,
            UserAgentInfo(
                "mobile", "Android", "14", "Chrome Mobile", "124.0.0.0", "Google", "Pixel 8"
            ),
            id="android-phone",
        ),
        pytest.param(
            ANDROID_TABLET,
            UserAgentInfo("tablet", "Android", "13", "Chrome", "124.0.0.0", None, "SM-X700"),
            id="android-tablet-generic-brand-dropped",
        ),
        pytest.param(
            GOOGLEBOT,
            UserAgentInfo("bot", None, None, "Googlebot", "2.1", None, None),
            id="googlebot",
        ),
        pytest.param(
            "curl/8.5.0",
            UserAgentInfo("bot", None, None, "curl", "8.5.0", None, None),
            id="curl",
        ),
        pytest.param("", UserAgentInfo(), id="empty"),
        pytest.param("   ", UserAgentInfo(), id="whitespace"),
    ],
)
def test_parse_user_agent_full(ua: str, expected: UserAgentInfo) -> None:
    assert parse_user_agent(ua) == expected


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        pytest.param(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            {"device_kind": "desktop", "browser_name": "Edge", "os_name": "Windows"},
            id="edge-windows",
        ),
        pytest.param(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            {"device_kind": "desktop", "os_name": "Mac OS X", "os_version": "10.15.7"},
            id="safari-mac",
        ),
        pytest.param(
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            {"device_kind": "desktop", "os_name": "Linux", "browser_version": "125.0"},
            id="firefox-linux",
        ),
        pytest.param(
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36",
            {"device_kind": "desktop", "os_name": "Chrome OS"},
            id="chromeos",
        ),
        pytest.param(
            "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; SLCC2; Tablet PC 2.0; rv:11.0) "
            "like Gecko",
            {"device_kind": "desktop", "browser_name": "IE", "os_version": "7"},
            id="windows-tablet-pc-is-desktop",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/112.0.0.0 Mobile Safari/537.36",
            {"device_kind": "mobile", "device_brand": "Samsung", "device_model": "SM-S918B"},
            id="android-samsung-phone",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Mobile Safari/537.36",
            {"device_kind": "mobile", "device_brand": None, "device_model": None},
            id="android-reduced-ua",
        ),
        pytest.param(
            "Dalvik/2.1.0 (Linux; U; Android 11; SM-G991B Build/RP1A.200720.012)",
            {"device_kind": "mobile", "os_name": "Android", "device_model": "SM-G991B"},
            id="android-app",
        ),
        pytest.param(
            "Mozilla/5.0 (Android 13; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
            {"device_kind": "mobile", "browser_name": "Firefox Mobile"},
            id="firefox-android-phone",
        ),
        pytest.param(
            "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1",
            {"device_kind": "mobile", "device_model": "iPod"},
            id="ipod",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 12; Lenovo TB-X606F) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36",
            {"device_kind": "tablet", "device_brand": "Lenovo", "device_model": "TB-X606F"},
            id="android-tablet-lenovo",
        ),
        pytest.param(
            "Mozilla/5.0 (Android 13; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
            {"device_kind": "tablet", "device_brand": None, "device_model": None},
            id="firefox-android-tablet",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Silk/120.4.1 like Chrome/120.0.6099.230 Safari/537.36",
            {"device_kind": "tablet", "device_brand": "Amazon", "browser_name": "Amazon Silk"},
            id="kindle-fire",
        ),
        pytest.param(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 "
            "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            {"device_kind": "bot", "browser_name": "Googlebot", "device_model": None},
            id="googlebot-smartphone",
        ),
        pytest.param(
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            {"device_kind": "bot", "browser_name": "bingbot"},
            id="bingbot",
        ),
        pytest.param(
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            {"device_kind": "bot"},
            id="facebook-preview",
        ),
        pytest.param("Wget/1.21.4", {"device_kind": "bot", "browser_name": "Wget"}, id="wget"),
        pytest.param(
            "python-requests/2.31.0",
            {"device_kind": "bot", "browser_name": "Python Requests"},
            id="python-requests",
        ),
        pytest.param(
            "HTTPie/3.2.2", {"device_kind": "bot", "device_model": None}, id="httpie-not-a-phone"
        ),
        pytest.param(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/124.0.0.0 Safari/537.36",
            {"device_kind": "bot", "browser_name": "HeadlessChrome"},
            id="headless-chrome",
        ),
        pytest.param(
            "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/4.0 Chrome/76.0 TV Safari/537.36",
            {"device_kind": "unknown", "os_name": "Tizen"},
            id="smart-tv",
        ),
        pytest.param(
            "zzzz",
            {"device_kind": "unknown", "browser_name": None, "os_name": None},
            id="garbage",
        ),
    ],
)
def test_parse_user_agent_classifies(ua: str, expected: dict[str, str | None]) -> None:
    info = parse_user_agent(ua)
    assert {name: getattr(info, name) for name in expected} == expected


def test_parse_user_agent_is_cached_and_trimmed() -> None:
    first = parse_user_agent(SAFARI_IPHONE)
    assert parse_user_agent(SAFARI_IPHONE) is first
    assert parse_user_agent(f"  {SAFARI_IPHONE}\n") is first


def test_parse_user_agent_cuts_very_long_strings() -> None:
    info = parse_user_agent(CHROME_WINDOWS + " x" * 10_000)
    assert info.device_kind == "desktop"
    assert info.browser_name == "Chrome"


def test_user_agent_info_is_frozen() -> None:
    info = parse_user_agent(CHROME_WINDOWS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.device_kind = "mobile"  # type: ignore[misc]


# --- campaign (UTM) --------------------------------------------------------------------------

ALL_FIVE = {
    "utm_campaign": "spring",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_term": "shoes",
    "utm_content": "hero",
}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        pytest.param(
            {
                "campaign": {
                    "name": "spring",
                    "source": "newsletter",
                    "medium": "email",
                    "term": "shoes",
                    "content": "hero",
                }
            },
            ALL_FIVE,
            id="campaign-only",
        ),
        pytest.param(
            {"campaign": {"name": "  spring  ", "source": "newsletter", "referrer": "x"}},
            {"utm_campaign": "spring", "utm_source": "newsletter"},
            id="campaign-trimmed-unknown-keys-ignored",
        ),
        pytest.param(
            {"campaign": {"name": 42, "source": "", "medium": "  ", "term": None, "content": []}},
            {},
            id="campaign-non-strings-and-empties",
        ),
        pytest.param(
            {
                "page": {
                    "url": "https://shop.example.com/landing?utm_source=google&utm_medium=cpc"
                    "&utm_campaign=brand%20terms&utm_term=red+shoes&gclid=abc"
                }
            },
            {
                "utm_campaign": "brand terms",
                "utm_source": "google",
                "utm_medium": "cpc",
                "utm_term": "red shoes",
            },
            id="url-only-decoded",
        ),
        pytest.param(
            {
                "campaign": {"source": "newsletter", "name": "spring"},
                "page": {"url": "https://x.example/?utm_source=google&utm_medium=cpc"},
            },
            {"utm_campaign": "spring", "utm_source": "newsletter", "utm_medium": "cpc"},
            id="both-campaign-wins",
        ),
        pytest.param(
            {"page": {"search": "?utm_source=fb&utm_content=ad1"}},
            {"utm_source": "fb", "utm_content": "ad1"},
            id="search-only",
        ),
        pytest.param(
            {
                "page": {
                    "url": "https://x.example/?utm_source=from-url&utm_medium=cpc",
                    "search": "utm_source=from-search",
                }
            },
            {"utm_source": "from-search", "utm_medium": "cpc"},
            id="search-beats-url",
        ),
        pytest.param(
            {"page": {"url": "http://[::1/?utm_source=x"}},
            {},
            id="malformed-url",
        ),
        pytest.param(
            {"page": {"url": "http://[::1/?utm_source=x"}, "campaign": {"medium": "email"}},
            {"utm_medium": "email"},
            id="malformed-url-campaign-still-read",
        ),
        pytest.param({"page": {"url": "not a url at all"}}, {}, id="url-without-query"),
        pytest.param({"page": {"url": 123, "search": None}}, {}, id="page-non-strings"),
        pytest.param({"page": "home", "campaign": "spring"}, {}, id="not-objects"),
        pytest.param({}, {}, id="empty-context"),
        pytest.param(
            {"page": {"url": "https://x.example/?utm_source=&utm_source=b&utm_source=c"}},
            {"utm_source": "b"},
            id="first-non-empty-repeat",
        ),
        pytest.param(
            {"page": {"url": "https://x.example/?UTM_SOURCE=a&utm_id=7&utm_medium=%20"}},
            {},
            id="case-sensitive-unknown-and-blank",
        ),
        pytest.param(
            {"page": {"url": "https://x.example/?utm_source=a#utm_medium=b"}},
            {"utm_source": "a"},
            id="fragment-ignored",
        ),
    ],
)
def test_utm_parameters(context: dict[str, Any], expected: dict[str, str]) -> None:
    assert utm_parameters(context) == expected


def test_utm_parameters_come_in_canonical_order() -> None:
    context = {"page": {"url": "https://x.example/?utm_content=hero&utm_term=shoes"}}
    context["campaign"] = {"medium": "email", "source": "newsletter", "name": "spring"}
    assert list(utm_parameters(context)) == list(ALL_FIVE)


# --- clock skew ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "sent_at", "received_at", "expected", "skew"),
    [
        pytest.param(
            "2026-03-01T13:00:00.000Z",
            "2026-03-01T13:00:10.000Z",
            "2026-03-01T12:00:10.500Z",
            "2026-03-01T12:00:00.500Z",
            -3599.5,
            id="client-ahead-1h",
        ),
        pytest.param(
            "2026-03-01T11:00:00.000Z",
            "2026-03-01T11:00:10.000Z",
            "2026-03-01T12:00:10.000Z",
            "2026-03-01T12:00:00.000Z",
            3600.0,
            id="client-behind-1h",
        ),
        pytest.param(
            "2026-03-01T12:00:00.000Z",
            "2026-03-01T12:00:00.000Z",
            "2026-03-01T12:00:00.120Z",
            "2026-03-01T12:00:00.120Z",
            0.12,
            id="accurate-clock-latency-only",
        ),
        pytest.param(
            "2026-03-01T14:00:00+02:00",
            None,
            "2026-03-01T15:00:00Z",
            "2026-03-01T12:00:00.000Z",
            0.0,
            id="missing-sent-at",
        ),
        pytest.param(
            None,
            None,
            "2026-03-01T12:00:00.123456Z",
            "2026-03-01T12:00:00.123Z",
            0.0,
            id="missing-both",
        ),
        pytest.param(
            None,
            "2026-03-01T11:59:58Z",
            "2026-03-01T12:00:00Z",
            "2026-03-01T12:00:00.000Z",
            2.0,
            id="sent-at-only",
        ),
        pytest.param(
            "",
            "  ",
            "2026-03-01T12:00:00Z",
            "2026-03-01T12:00:00.000Z",
            0.0,
            id="empty-strings-are-missing",
        ),
        pytest.param(
            "2026-03-01T14:00:00+02:00",
            "2026-03-01T14:00:30+02:00",
            "2026-03-01T12:00:30Z",
            "2026-03-01T12:00:00.000Z",
            0.0,
            id="offsets-plus-two",
        ),
        pytest.param(
            "2026-03-01T07:00:00-05:00",
            "2026-03-01T13:00:05+01:00",
            "2026-03-01T12:00:10+00:00",
            "2026-03-01T12:00:05.000Z",
            5.0,
            id="mixed-offsets",
        ),
        pytest.param(
            "2026-03-01T12:00:00",
            "2026-03-01T12:00:01",
            "2026-03-01T12:00:01",
            "2026-03-01T12:00:00.000Z",
            0.0,
            id="naive-is-utc",
        ),
        pytest.param(
            "2026-12-31T23:59:59.999Z",
            "2027-01-01T00:00:00.999Z",
            "2026-12-31T23:00:01.000Z",
            "2026-12-31T23:00:00.000Z",
            -3599.999,
            id="ahead-across-new-year",
        ),
        pytest.param(
            "2026-03-01t12:00:00.123456789z",
            None,
            "2026-03-01T13:00:00Z",
            "2026-03-01T12:00:00.123Z",
            0.0,
            id="lowercase-and-nanoseconds",
        ),
    ],
)
def test_corrected_timestamp(
    timestamp: str | None, sent_at: str | None, received_at: str, expected: str, skew: float
) -> None:
    corrected, got_skew = corrected_timestamp(timestamp, sent_at, received_at)
    assert corrected == expected
    assert got_skew == pytest.approx(skew, abs=1e-6)


@pytest.mark.parametrize(
    ("timestamp", "sent_at", "received_at", "field"),
    [
        ("yesterday", None, "2026-03-01T12:00:00Z", "timestamp"),
        ("2026-13-01T00:00:00Z", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00Z", "timestamp"),
        ("2026-03-01T12:00:00Z", "soon", "2026-03-01T12:00:00Z", "sentAt"),
        (None, "2026-02-30T00:00:00Z", "2026-03-01T12:00:00Z", "sentAt"),
        ("2026-03-01T12:00:00Z", None, "now", "receivedAt"),
        ("0001-01-01T00:30:00Z", "2026-03-01T12:00:00Z", "2026-03-01T11:00:00Z", "timestamp"),
    ],
)
def test_corrected_timestamp_errors_name_the_field(
    timestamp: str | None, sent_at: str | None, received_at: str, field: str
) -> None:
    with pytest.raises(EnrichError) as err:
        corrected_timestamp(timestamp, sent_at, received_at)
    assert err.value.field == field
