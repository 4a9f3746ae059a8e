"""Customer search: a small ``Protocol`` and its two adapters (OpenSearch, Neo4j full-text).

Which adapter serves is decided in one place, the API's lifespan: OpenSearch when
``GRAPHCDP_OPENSEARCH_URL`` is set, else Neo4j.
"""

from graph.search.documents import DocumentReader, Synced, reindex, sync
from graph.search.model import (
    MAX_FIRST,
    Cursor,
    CustomerDocument,
    Facet,
    Hit,
    InvalidSearch,
    SearchError,
    SearchFilter,
    SearchIndex,
    SearchPage,
    SearchUnavailable,
    TraitFilter,
)
from graph.search.neo4j import Neo4jSearch
from graph.search.opensearch import OpenSearchIndex

__all__ = [
    "MAX_FIRST",
    "Cursor",
    "CustomerDocument",
    "DocumentReader",
    "Facet",
    "Hit",
    "InvalidSearch",
    "Neo4jSearch",
    "OpenSearchIndex",
    "SearchError",
    "SearchFilter",
    "SearchIndex",
    "SearchPage",
    "SearchUnavailable",
    "Synced",
    "TraitFilter",
    "reindex",
    "sync",
]
