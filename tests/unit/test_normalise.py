from __future__ import annotations

import pytest

from matching.normalise import (
    NormaliseError,
    NormaliseOptions,
    identifier,
    normalise_email,
    to_e164,
)

# --- email -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "provider_rules", "expected"),
    [
        ("Alice@Example.COM", False, "alice@example.com"),
        ("  bob@example.org \n", False, "bob@example.org"),
        ("john.smith+news@gmail.com", False, "john.smith+news@gmail.com"),
        ("john.smith@googlemail.com", False, "john.smith@googlemail.com"),
        ("a.b@company.co.uk", True, "a.b@company.co.uk"),
        ("user+tag@example.com", True, "user+tag@example.com"),
        ("first-last@example.com", True, "first-last@example.com"),
        ("John.Smith+news@Gmail.com", True, "johnsmith@gmail.com"),
        ("j.o.h.n@gmail.com", True, "john@gmail.com"),
        ("john.smith@googlemail.com", True, "johnsmith@gmail.com"),
        ("John+a+b@GoogleMail.com", True, "john@gmail.com"),
        ("jane.doe+shop@outlook.com", True, "jane.doe@outlook.com"),
        ("jane+a@hotmail.com", True, "jane@hotmail.com"),
        ("jane.d+a@live.com", True, "jane.d@live.com"),
        ("tim.c+apple@icloud.com", True, "tim.c@icloud.com"),
        ("tim+x@me.com", True, "tim@me.com"),
        ("sam+lists@fastmail.com", True, "sam@fastmail.com"),
        ("lists@sam.fastmail.com", True, "sam@fastmail.com"),
        ("basename-shopping@yahoo.com", True, "basename@yahoo.com"),
        ("first.last-news@ymail.com", True, "first.last@ymail.com"),
        ("jane.+shop@outlook.com", True, "jane@outlook.com"),
        ("first.-news@yahoo.com", True, "first@yahoo.com"),
        ("ü@bücher.de", False, "ü@bücher.de"),
        ("a@xn--bcher-kva.de", False, "a@xn--bcher-kva.de"),
    ],
)
def test_normalise_email(raw: str, provider_rules: bool, expected: str) -> None:
    assert normalise_email(raw, provider_rules=provider_rules) == expected


@pytest.mark.parametrize(
    ("raw", "provider_rules"),
    [
        ("", False),
        ("   ", False),
        ("no-at-sign.example.com", False),
        ("two@@example.com", False),
        ("a@b@example.com", False),
        ("john smith@example.com", False),
        ("john@exa mple.com", False),
        ("john\t@example.com", False),
        ("@example.com", False),
        ("john@", False),
        ("john@localhost", False),
        ("john@example.c", False),
        ("john@10.0.0.1", False),
        ("john..doe@example.com", False),
        (".john@example.com", False),
        ("john.@example.com", False),
        ("john@-example.com", False),
        ("john@example..com", False),
        ("<john>@example.com", False),
        ("x" * 65 + "@example.com", False),
        ("a@" + "b" * 250 + ".com", False),
        ("+news@gmail.com", True),
        ("-news@yahoo.com", True),
        ("...@gmail.com", True),
    ],
)
def test_invalid_email_raises_with_field(raw: str, provider_rules: bool) -> None:
    with pytest.raises(NormaliseError) as err:
        normalise_email(raw, provider_rules=provider_rules)
    assert err.value.field == "email"
    assert isinstance(err.value, ValueError)


def test_rules_only_change_the_matching_key_not_the_plain_form() -> None:
    raw = "J.Doe+promo@GoogleMail.com"
    assert normalise_email(raw) == "j.doe+promo@googlemail.com"
    assert normalise_email(raw, provider_rules=True) == "jdoe@gmail.com"


def test_enrich_error_carries_field_and_reason_without_the_value() -> None:
    with pytest.raises(NormaliseError) as err:
        normalise_email("secret person@example.com")
    assert err.value.field == "email"
    assert err.value.reason == "contains whitespace"
    assert str(err.value) == "email: contains whitespace"
    assert "secret" not in str(err.value)


# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 650-253-0000", "US", "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("650.253.0000", "US", "+16502530000"),
        ("  +16502530000  ", "US", "+16502530000"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 7400 123456", "DE", "+447400123456"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("0049 30 1234567", "FR", "+49301234567"),
        ("001 650 253 0000", "DE", "+16502530000"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("0011 44 20 7946 0958", "AU", "+442079460958"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+1 650 253 0000", "gb", "+16502530000"),
    ],
)
def test_to_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


def test_to_e164_defaults_to_us() -> None:
    assert to_e164("(650) 253-0000") == "+16502530000"


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("", "US", "empty"),
        ("   ", "US", "empty"),
        ("12345", "US", "not a possible phone number (wrong length)"),
        ("911", "US", "not a possible phone number (wrong length)"),
        ("+1 650 253 00001", "US", "not a possible phone number (wrong length)"),
        ("07700 900123", "GB", "not a valid phone number for its region"),
        ("+1 000 000 0000", "US", "not a valid phone number for its region"),
        ("1-800-FLOWERS", "US", "letters are not allowed (no vanity numbers or extensions)"),
        ("call me", "US", "letters are not allowed (no vanity numbers or extensions)"),
        (
            "+1 650 253 0000 ext. 12",
            "US",
            "letters are not allowed (no vanity numbers or extensions)",
        ),
        ("+999 123", "US", "not a phone number"),
        ("--", "US", "not a phone number"),
        ("00", "US", "not a possible phone number (wrong length)"),
    ],
)
def test_invalid_phone_raises_with_field(raw: str, region: str, reason: str) -> None:
    with pytest.raises(NormaliseError) as err:
        to_e164(raw, region)
    assert err.value.field == "phone"
    assert err.value.reason == reason


@pytest.mark.parametrize("region", ["ZZ", "USA", "", "U", "001", "XX"])
def test_unknown_default_region_is_a_plain_value_error_naming_it(region: str) -> None:
    with pytest.raises(ValueError, match="default_region") as err:
        to_e164("+1 650 253 0000", region)
    assert not isinstance(err.value, NormaliseError)
    assert repr(region) in str(err.value)


@pytest.mark.parametrize(
    ("type_", "raw", "options", "key"),
    [
        (
            "email",
            " John.Smith+news@GMail.com ",
            NormaliseOptions(),
            "email:john.smith+news@gmail.com",
        ),
        (
            "email",
            "John.Smith+news@gmail.com",
            NormaliseOptions(email_provider_rules=True),
            "email:johnsmith@gmail.com",
        ),
        ("phone", "020 7946 0958", NormaliseOptions(default_region="GB"), "phone:+442079460958"),
        ("phone", "(415) 555-0132", NormaliseOptions(), "phone:+14155550132"),
        ("user_id", "  u-1 ", NormaliseOptions(), "user_id:u-1"),
    ],
)
def test_identifier_keys(type_: str, raw: str, options: NormaliseOptions, key: str) -> None:
    assert identifier(type_, raw, options).key == key  # type: ignore[arg-type]
