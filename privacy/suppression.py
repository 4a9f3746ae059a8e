"""Suppression of erased people: a keyed hash of each identifier, never the value.

An erasure leaves one ``Suppression {hash}`` per identifier it deleted, where ``hash`` is
HMAC-SHA256 of the identifier's key (``type:normalised value``) under the deployment's
privacy key (``GRAPHCDP_PRIVACY_KEY``). The worker hashes the identifiers of every message
the same way and drops (and counts) a message that bears a suppressed one, so a replayed or
late message never re-creates the person. Without the key the hashes cannot be tested
against guessed emails; with the key, only by hashing a guess, never by reading a value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


class Suppressor:
    """Hashes identifier keys under one privacy key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the privacy key must have at least 16 bytes")
        self._key = key

    def hash(self, identifier_key: str) -> str:
        return hmac.new(self._key, identifier_key.encode(), hashlib.sha256).hexdigest()

    def hashes(self, identifier_keys: Iterable[str]) -> dict[str, str]:
        """identifier key -> its hash."""
        return {key: self.hash(key) for key in identifier_keys}
