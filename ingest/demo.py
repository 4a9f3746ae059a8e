"""``graphcdp demo load``: a small demo data set sent through the real tracking API."""

from __future__ import annotations

import httpx

from graphcdp.settings import Settings

# Two people: Ada shows up on the web (anonymous, then identified) and later from the back office
# with her phone; Grace identifies from a mobile app. Ada's three calls land in one customer.
DEMO: list[dict[str, object]] = [
    {
        "anonymousId": "anon-ada-laptop",
        "traits": {"email": "Ada@Example.com", "firstName": "Ada"},
        "context": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64)"},
        "messageId": "demo-1",
    },
    {
        "userId": "u-ada",
        "anonymousId": "anon-ada-laptop",
        "traits": {"email": "ada@example.com", "lastName": "Lovelace"},
        "messageId": "demo-2",
    },
    {
        "userId": "u-ada",
        "traits": {"email": "ada@example.com", "phone": "+44 20 7946 0018", "name": "Ada Lovelace"},
        "messageId": "demo-3",
    },
    {
        "userId": "u-grace",
        "traits": {"email": "grace@example.com", "name": "Grace Hopper"},
        "context": {"device": {"id": "ios-7f3a", "type": "ios"}, "os": {"name": "iOS"}},
        "messageId": "demo-4",
    },
]


def load_demo(base_url: str, settings: Settings) -> int:
    key = next(iter(settings.parsed_write_keys()))
    with httpx.Client(base_url=base_url, auth=(key, ""), timeout=30) as client:
        for call in DEMO:
            client.post("/v1/identify", json=call).raise_for_status()
    return len(DEMO)
