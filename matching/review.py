"""Whether a person's acceptance of a REVIEW pair may join the two customers.

Pure logic. A person's decision outranks the model and the name check, but not the per-type
limits (two user ids never fuse) nor an earlier operator's split (customers kept apart).
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Identifier
from matching.rules import IdentityRules


def merge_refusal(
    rules: IdentityRules,
    held: Sequence[Identifier],
    other_held: Sequence[Identifier],
    apart: Sequence[str],
    other_apart: Sequence[str],
    customer_id: str,
    other_id: str,
) -> str | None:
    """Why the two customers may not merge, or None when they may."""
    if other_id in apart or customer_id in other_apart:
        return f"{customer_id} and {other_id} were split by an operator (kept apart)"
    if not rules.fits([*held, *other_held]):
        return f"{customer_id} and {other_id} together would break a per-type identifier limit"
    return None
