"""What the privacy operations need beyond the common context, made once by the lifespan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graph.repository.privacy import PrivacyRepository
from privacy.erase import Notify


@dataclass(frozen=True)
class PrivacyServices:
    repo: PrivacyRepository
    hash_of: Callable[[str], str]  # privacy.suppression.Suppressor.hash
    notify: Notify | None = None  # tells a destination of an erasure (webhook DELETE)
