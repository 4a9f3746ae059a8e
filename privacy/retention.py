"""Event retention: how long an event is kept, by its call type, its name and its source.

``GRAPHCDP_EVENT_RETENTION`` holds rules ``selector=days`` separated by commas, where the
selector is ``type:<call type>`` (track, page, screen, identify, group, alias),
``event:<event name>`` or ``source:<source name>``; ``GRAPHCDP_EVENT_RETENTION_DAYS`` is the
default. An event that matches rules is kept for the *fewest* days among them (a source that
must be forgotten within 7 days wins over a longer rule for its orders); an event that
matches none is kept for the default. Example::

    GRAPHCDP_EVENT_RETENTION="type:page=30,event:Order Completed=730,source:kiosk=7"

keeps page views 30 days, orders two years (kiosk orders 7 days), everything else 90.

Two places apply it: the worker writes no Event for a message already past its retention (a
replay never brings back what was pruned), and a scheduled job in the worker deletes events
as they age past it (``cypher/event/prune_events.cypher``; also ``graphcdp events prune``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from graph.model import CALL_TYPES, iso_utc

Selector = Literal["type", "event", "source"]
_SELECTORS: tuple[Selector, ...] = ("type", "event", "source")
MAX_DAYS = 36_500


@dataclass(frozen=True)
class RetentionRule:
    selector: Selector
    value: str
    days: int

    def matches(self, call_type: str, name: str | None, source: str) -> bool:
        found = {"type": call_type, "event": name, "source": source}[self.selector]
        return found == self.value


@dataclass(frozen=True)
class Retention:
    default_days: int
    rules: tuple[RetentionRule, ...] = ()

    @classmethod
    def parse(cls, text: str, default_days: int) -> Retention:
        """Rules from ``selector=days,...`` (see the module docstring).

        Raises:
            ValueError: naming the rule that cannot be read.
        """
        rules = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            head, eq, days = item.rpartition("=")
            selector, colon, value = head.partition(":")
            if not eq or not colon or not value.strip() or selector.strip() not in _SELECTORS:
                raise ValueError(
                    f"{item!r}: expected type:<call type>=<days>, event:<name>=<days> or "
                    "source:<source>=<days>"
                )
            if not days.strip().isdigit() or not 1 <= int(days) <= MAX_DAYS:
                raise ValueError(f"{item!r}: days must be a whole number from 1 to {MAX_DAYS}")
            kind = next(s for s in _SELECTORS if s == selector.strip())
            if kind == "type" and value.strip() not in CALL_TYPES:
                raise ValueError(f"{item!r}: the call types are {', '.join(CALL_TYPES)}")
            rules.append(RetentionRule(kind, value.strip(), int(days)))
        return cls(default_days, tuple(rules))

    def days_for(self, call_type: str, name: str | None, source: str) -> int:
        matching = [r.days for r in self.rules if r.matches(call_type, name, source)]
        return min(matching) if matching else self.default_days

    def cutoff(self, call_type: str, name: str | None, source: str, now: datetime) -> str:
        """Events of this kind older than this (ISO-8601 UTC) are past their retention."""
        return iso_utc(now - timedelta(days=self.days_for(call_type, name, source)))

    def query_params(self, now: datetime) -> dict[str, Any]:
        """The parameters of ``event.prune_events`` at ``now``: the default cutoff, each rule
        with its cutoff, and the latest cutoff of all (no event after it can be due)."""
        rules = [{"selector": r.selector, "value": r.value,
                  "cutoff": iso_utc(now - timedelta(days=r.days))} for r in self.rules]  # fmt: skip
        default = iso_utc(now - timedelta(days=self.default_days))
        return {
            "default_cutoff": default,
            "rules": rules,
            "latest_cutoff": max([default, *(r["cutoff"] for r in rules)]),
        }
