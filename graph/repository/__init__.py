"""Neo4j repositories: every Cypher comes from ``cypher/`` by name; writes are UNWIND batches.

``identity`` writes batches and resolves them, ``unmerge`` applies operator corrections,
``profiles`` reads profiles, ``housekeeping`` holds retention, trait jobs and settings,
``access`` holds API keys and the audit log.
``predictions`` the purchase histories and writes of ``graphcdp predict``.
"""

from graph.repository.access import (
    ApiKeyExists,
    ApiKeyRepository,
    AuditRepository,
    StoredKey,
    hash_secret,
    new_secret,
)
from graph.repository.housekeeping import (
    EventRepository,
    ModelRepository,
    SettingsRepository,
    TraitRepository,
)
from graph.repository.identity import IdentityRepository, Planner, WriteResult
from graph.repository.predictions import PredictionRepository
from graph.repository.profiles import (
    CustomerWhere,
    EventPage,
    Profile,
    ProfileRepository,
    customers_of_records,
    model_records,
)
from graph.repository.related import Related, RelatedRepository
from graph.repository.reviews import Decision, ReviewRepository
from graph.repository.unmerge import SplitRepository, Splitter

__all__ = [
    "ApiKeyExists",
    "ApiKeyRepository",
    "AuditRepository",
    "CustomerWhere",
    "Decision",
    "EventPage",
    "EventRepository",
    "IdentityRepository",
    "ModelRepository",
    "Planner",
    "PredictionRepository",
    "Profile",
    "ProfileRepository",
    "Related",
    "RelatedRepository",
    "ReviewRepository",
    "SettingsRepository",
    "SplitRepository",
    "Splitter",
    "StoredKey",
    "TraitRepository",
    "WriteResult",
    "customers_of_records",
    "hash_secret",
    "model_records",
    "new_secret",
]
