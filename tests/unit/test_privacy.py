"""Privacy's pure logic: consent statements and what they allow, retention rules, suppression
hashes and the masked export line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.model import ConsentChange, FieldError
from ingest.spec import InvalidEvent, observation
from privacy.consent import allows, current, from_context, purpose_name
from privacy.export import profile_line
from privacy.retention import Retention
from privacy.suppression import Suppressor

AT = "2026-11-27T10:00:00.000Z"


def test_segment_category_preferences_and_our_purposes_become_consent_changes() -> None:
    stated = from_context(
        {"categoryPreferences": {"Advertising": True, "Personalization": False},
         "purposes": {"marketing": {"status": "Revoked"}, "analytics": "granted",
                      "e-mail news": {"status": "granted", "expiresAt": "2027-01-01"}}},
        at=AT, source="web",
    )  # fmt: skip
    assert stated == (
        ConsentChange("advertising", "granted", AT, "web"),
        ConsentChange("analytics", "granted", AT, "web"),
        ConsentChange("e_mail_news", "granted", AT, "web", "2027-01-01T00:00:00.000Z"),
        ConsentChange("marketing", "revoked", AT, "web"),
        ConsentChange("personalisation", "denied", AT, "web"),
    )
    assert from_context({"source": "cmp", "purposes": {"ads": True}}, at=AT, source="web") == (
        ConsentChange("advertising", "granted", AT, "cmp"),
    )
    assert from_context(None, at=AT, source="web") == ()


@pytest.mark.parametrize(
    ("consent", "field"),
    [
        ("yes", "context.consent"),
        ({"categoryPreferences": ["Ads"]}, "context.consent.categoryPreferences"),
        ({"categoryPreferences": {"Ads": "yes"}}, "context.consent.categoryPreferences.Ads"),
        ({"purposes": {"marketing": {"status": "maybe"}}},
         "context.consent.purposes.marketing.status"),
        ({"purposes": {"marketing": {"status": "granted", "expiresAt": "soon"}}},
         "context.consent.purposes.marketing.expiresAt"),
        ({"purposes": {"!!!": True}}, "context.consent.purposes.!!!"),
        ({"source": "", "purposes": {}}, "context.consent.source"),
    ],
)  # fmt: skip
def test_a_malformed_statement_names_its_field(consent: object, field: str) -> None:
    with pytest.raises(FieldError) as err:
        from_context(consent, at=AT, source="web")
    assert err.value.field == field


def test_a_call_with_bad_consent_is_refused_by_field_and_good_consent_rides_along() -> None:
    call = {"type": "track", "event": "Consent Updated", "userId": "u", "messageId": "m",
            "timestamp": AT, "_graphcdp": {"source": "web", "receivedAt": AT},
            "context": {"consent": {"categoryPreferences": {"Marketing": True}}},
            "properties": {"consent": {"purposes": {"marketing": "revoked"}}}}  # fmt: skip
    [marketing] = observation(call).consents  # the latest statement of the call per purpose
    assert (marketing.purpose, marketing.status) == ("marketing", "revoked")
    call["properties"] = {"consent": {"purposes": {"marketing": 1}}}
    with pytest.raises(InvalidEvent) as err:
        observation(call)
    assert err.value.field == "properties.consent.purposes.marketing"


def test_the_latest_statement_decides_and_expiry_falls_back_to_the_purpose_default() -> None:
    history = [ConsentChange("marketing", "granted", "2026-01-01", "web"),
               ConsentChange("marketing", "revoked", "2026-02-01", "web"),
               ConsentChange("ads", "granted", "2026-01-01", "web",
                             expires_at="2026-06-01")]  # fmt: skip
    now = current(history)
    assert now["marketing"].status == "revoked"
    opt_in = frozenset({"ads"})
    assert not allows(now["marketing"], purpose="marketing", now="2026-03-01", opt_in=opt_in)
    assert allows(now["ads"], purpose="ads", now="2026-03-01", opt_in=opt_in)
    assert not allows(now["ads"], purpose="ads", now="2026-07-01", opt_in=opt_in)  # expired
    assert not allows(None, purpose="ads", now="2026-07-01", opt_in=opt_in)  # opt-in: a grant
    assert allows(None, purpose="analytics", now="2026-07-01", opt_in=opt_in)  # opt-out
    assert purpose_name(" Personalization ") == "personalisation"


def test_retention_rules_take_the_fewest_days_and_refuse_what_they_cannot_read() -> None:
    rules = Retention.parse("type:page=30, event:Order Completed=730, source:kiosk=7", 90)
    assert rules.days_for("page", None, "web") == 30
    assert rules.days_for("track", "Order Completed", "web") == 730
    assert rules.days_for("track", "Order Completed", "kiosk") == 7
    assert rules.days_for("track", "Viewed", "web") == 90
    now = datetime(2026, 11, 27, tzinfo=UTC)
    assert rules.cutoff("page", None, "web", now) == "2026-10-28T00:00:00.000Z"
    params = rules.query_params(now)
    assert params["latest_cutoff"] == "2026-11-20T00:00:00.000Z"  # the kiosk's 7 days
    for bad in ("page=30", "type:visit=3", "event:X=0", "source:=3", "colour:red=3", "event:X"):
        with pytest.raises(ValueError, match=r"expected|days|call types"):
            Retention.parse(bad, 90)


def test_suppression_hashes_are_keyed_and_hold_no_value() -> None:
    one, other = Suppressor(b"k" * 32), Suppressor(b"j" * 32)
    digest = one.hash("email:kim@example.com")
    assert digest == one.hash("email:kim@example.com") != other.hash("email:kim@example.com")
    assert len(digest) == 64
    assert "kim" not in digest
    with pytest.raises(ValueError, match="16 bytes"):
        Suppressor(b"short")


def test_a_masked_export_line_keeps_the_shape_of_pii() -> None:
    customer = {"customer_id": "cus_1", "display_name": "Kim Lee", "email": "kim@example.com",
                "phone": "+4791234567", "city": "Oslo", "event_count": 3}  # fmt: skip
    line = profile_line(customer, ["email:kim@example.com", "user_id:u1"],
                        trait_names=("event_count",), masked=True)  # fmt: skip
    assert line["attributes"] == {"email": "k***@e***.com", "phone": "+4*******67", "city": "Oslo"}
    assert (line["display_name"], line["identifiers"]) == ("K** L**", ["email:k***@e***.com",
                                                                      "user_id:u1"])  # fmt: skip
    assert line["traits"] == {"event_count": 3}
    plain = profile_line(customer, [], trait_names=(), masked=False)
    assert plain["attributes"]["email"] == "kim@example.com"
