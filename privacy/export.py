"""Exports of people: the access export (GDPR art. 15 and 20, CCPA "right to know"), one JSON
document with everything GraphCDP holds about a person, from the row of
``privacy.export_customer``; and the lines of the bulk export (``graphcdp export``).

The document is self-describing (``format``) and complete: golden attributes each with the
record, source, time and policy that gave its value (provenance), computed and predicted
traits, every identifier, device and source record (with what it stated), every event, the
consent in force and its history, segment memberships and their history, groups, and the
merges and splits that made the profile. JSON text stored in the graph (record attributes,
event properties, model explanations) is parsed back into objects. Nothing is masked: the
document is for the person it is about; deliver it to them alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from graph.model import GOLDEN, ConsentChange
from privacy.consent import allows, current
from privacy.masking import PII_ATTRIBUTES, mask, mask_identifier_key, mask_words

FORMAT = "graphcdp.customer-export/1"
_JSON_TEXT = ("attributes", "golden", "properties", "explanation", "utm")


def export_document(
    row: Mapping[str, Any],
    *,
    trait_names: Sequence[str],
    exported_at: str,
    opt_in: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The export of one person from its ``privacy.export_customer`` row."""
    customer = dict(row["customer"])
    provenance = _parsed(customer.pop("golden_provenance", None)) or {}
    attributes = {
        name: {"value": customer[name], "provenance": provenance.get(name)}
        for name in GOLDEN
        if customer.get(name) is not None
    }
    traits = {name: customer[name] for name in trait_names if customer.get(name) is not None}
    other = {
        k: v
        for k, v in sorted(customer.items())
        if k not in attributes and k not in traits and not k.startswith("_")
    }
    history = [
        ConsentChange(c["purpose"], c["status"], c["at"], c["source"], c.get("expires_at"))
        for c in row["consent"]
    ]
    return {
        "format": FORMAT,
        "exported_at": exported_at,
        "customer_id": customer["customer_id"],
        "merged_ids": [i for i in row["ids"] if i != customer["customer_id"]],
        "attributes": attributes,
        "traits": traits,
        "profile": other,
        "identifiers": [dict(i) for i in row["identifiers"]],
        "devices": [dict(d) for d in row["devices"]],
        "records": [_decoded(r) for r in row["records"]],
        "events": [_decoded(e) for e in row["events"]],
        "consent": {
            "current": [
                {
                    "purpose": p,
                    "status": c.status,
                    "source": c.source,
                    "at": c.at,
                    "expires_at": c.expires_at,
                    "allowed": allows(c, purpose=p, now=exported_at, opt_in=opt_in),
                }
                for p, c in sorted(current(history).items())
            ],
            "history": [dict(c) for c in row["consent"]],
        },
        "segments": {
            "current": [dict(m) for m in row["memberships"]],
            "history": [dict(m) for m in row["membership_history"]],
        },
        "groups": [dict(g) for g in row["groups"]],
        "identity_changes": [dict(x) for x in row["identity_changes"]],
    }


def _decoded(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key in _JSON_TEXT:
            out[key] = _parsed(value)
        elif isinstance(value, list):
            out[key] = [_decoded(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def _parsed(value: object) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def profile_line(
    customer: Mapping[str, Any],
    identifier_keys: Sequence[str],
    *,
    trait_names: Sequence[str],
    masked: bool,
) -> dict[str, Any]:
    """One line of a bulk export (``graphcdp export``): the unified profile, its traits and
    identifier keys; with ``masked``, PII keeps its shape but not its value (privacy.masking),
    for copies outside production."""
    attributes = {name: customer[name] for name in GOLDEN if customer.get(name) is not None}
    if masked:
        attributes = {
            name: mask(kind, str(value)) if (kind := PII_ATTRIBUTES.get(name)) else value
            for name, value in attributes.items()
        }
    name = customer.get("display_name")
    return {
        "customer_id": customer["customer_id"],
        "display_name": mask_words(str(name)) if masked and name else name,
        "attributes": attributes,
        "traits": {t: customer[t] for t in trait_names if customer.get(t) is not None},
        "identifiers": [mask_identifier_key(k) if masked else k for k in identifier_keys],
        "created_at": customer.get("created_at"),
        "updated_at": customer.get("updated_at"),
    }
