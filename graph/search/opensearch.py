"""Customer search on OpenSearch, over its REST API (httpx).

One index (``GRAPHCDP_SEARCH_INDEX``), created with :data:`MAPPING` when missing: names are
text searched with ``fuzziness: AUTO``; emails and phone digits are also indexed as
trigrams, so a fragment of three characters or more finds them (a phrase of the fragment's
trigrams: each gram is one position, so the phrase is a substring); sources and segments are
keywords (filters and facets); traits an object whose numbers are doubles and strings
keywords (term and range filters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import httpx

from graph.search.model import (
    Cursor,
    CustomerDocument,
    Facet,
    Hit,
    SearchFilter,
    SearchPage,
    SearchUnavailable,
    checked,
    digits,
    phone_fragment,
)

FACET_SIZE = 20
MAPPING: dict[str, Any] = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "tokenizer": {"trigram": {"type": "ngram", "min_gram": 3, "max_gram": 3}},
            "analyzer": {
                "fragment": {"type": "custom", "tokenizer": "trigram", "filter": ["lowercase"]},
                "name": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                },
            },
        },
    },
    "mappings": {
        "dynamic": "strict",
        "date_detection": False,
        "dynamic_templates": [
            {
                "trait_numbers": {
                    "path_match": "traits.*",
                    "match_mapping_type": "long",
                    "mapping": {"type": "double"},
                }
            },
            {
                "trait_decimals": {
                    "path_match": "traits.*",
                    "match_mapping_type": "double",
                    "mapping": {"type": "double"},
                }
            },
            {
                "trait_texts": {
                    "path_match": "traits.*",
                    "match_mapping_type": "string",
                    "mapping": {"type": "keyword", "ignore_above": 256},
                }
            },
        ],
        "properties": {
            "customer_id": {"type": "keyword"},
            "display_name": {"type": "text", "analyzer": "name"},
            "first_name": {"type": "text", "analyzer": "name"},
            "last_name": {"type": "text", "analyzer": "name"},
            "email": {
                "type": "keyword",
                "fields": {"fragment": {"type": "text", "analyzer": "fragment"}},
            },
            "phone": {"type": "keyword"},
            "phone_digits": {"type": "text", "analyzer": "fragment"},
            "updated_at": {"type": "keyword"},
            "sources": {"type": "keyword"},
            "segments": {"type": "keyword"},
            "traits": {"type": "object", "dynamic": True},
        },
    },
}


class OpenSearchIndex:
    """:class:`graph.search.model.SearchIndex` over one OpenSearch index.

    ``refresh``: every write waits until it is searchable (tests); otherwise writes are
    searchable within the index's refresh interval (1 s).
    """

    kind: Literal["opensearch", "neo4j"] = "opensearch"
    follows_changes = True

    def __init__(
        self, url: str, index: str, *, refresh: bool = False, timeout: float = 10.0
    ) -> None:
        self.name = index
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)
        self._refresh = refresh

    async def close(self) -> None:
        await self._http.aclose()

    async def ensure_index(self) -> bool:
        """Create the index with :data:`MAPPING` unless it exists; True when created."""
        reply = await self._call("HEAD", f"/{self.name}")
        if reply.status_code == 200:
            return False
        reply = await self._call("PUT", f"/{self.name}", json=MAPPING)
        if reply.status_code == 400 and "resource_already_exists" in reply.text:
            return False  # another process made it first
        _raise_for(reply)
        return True

    async def drop_index(self) -> None:
        """Delete the index (``graphcdp search reindex --recreate``, tests)."""
        reply = await self._call("DELETE", f"/{self.name}")
        if reply.status_code != 404:
            _raise_for(reply)

    async def index(self, docs: Sequence[CustomerDocument]) -> None:
        lines: list[dict[str, Any]] = []
        for doc in docs:
            lines.append({"index": {"_index": self.name, "_id": doc.customer_id}})
            lines.append(source(doc))
        await self._bulk(lines)

    async def delete(self, ids: Sequence[str]) -> None:
        await self._bulk([{"delete": {"_index": self.name, "_id": i}} for i in ids])

    async def search(
        self, query: str, filter: SearchFilter, first: int, after: Cursor | None
    ) -> SearchPage:
        body = search_body(checked(query, first), filter, first, after)
        reply = await self._call("POST", f"/{self.name}/_search", json=body)
        _raise_for(reply)
        answer = reply.json()
        hits = tuple(Hit(h["_id"], float(h["sort"][0])) for h in answer["hits"]["hits"])
        aggs = answer.get("aggregations", {})
        return SearchPage(
            hits=hits[:first],
            total=int(answer["hits"]["total"]["value"]),
            has_next=len(hits) > first,
            sources=_facets(aggs.get("sources")),
            segments=_facets(aggs.get("segments")),
        )

    async def _bulk(self, lines: list[dict[str, Any]]) -> None:
        if not lines:
            return
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        reply = await self._call(
            "POST", "/_bulk", content=body.encode(),
            headers={"content-type": "application/x-ndjson"},
            params={"refresh": "wait_for"} if self._refresh else None,
        )  # fmt: skip
        _raise_for(reply)
        answer = reply.json()
        if answer.get("errors"):
            failed = [
                item for entry in answer["items"] for item in entry.values()
                if item.get("error") and not (item.get("status") == 404 and "delete" in entry)
            ]  # fmt: skip
            if failed:
                raise SearchUnavailable(
                    f"OpenSearch refused {len(failed)} of {len(answer['items'])} bulk "
                    f"actions, first: {json.dumps(failed[0].get('error'))[:300]}"
                )

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise SearchUnavailable(f"OpenSearch: {type(err).__name__}: {err}") from err


def source(doc: CustomerDocument) -> dict[str, Any]:
    """The indexed JSON of a document."""
    return {
        "customer_id": doc.customer_id,
        "display_name": doc.display_name,
        "first_name": doc.first_name,
        "last_name": doc.last_name,
        "email": doc.email,
        "phone": doc.phone,
        "phone_digits": digits(doc.phone) if doc.phone else None,
        "updated_at": doc.updated_at,
        "sources": list(doc.sources),
        "segments": list(doc.segments),
        "traits": dict(doc.traits),
    }


def search_body(
    query: str, filter: SearchFilter, first: int, after: Cursor | None
) -> dict[str, Any]:
    """The ``_search`` request: names (fuzzy), email and phone fragments, any of them;
    the filter as non-scoring clauses; best first, then by id; facets by terms aggregation."""
    should: list[dict[str, Any]] = [
        {"multi_match": {"query": query, "fields": ["display_name^2", "first_name", "last_name"],
                         "fuzziness": "AUTO", "operator": "and"}},
    ]  # fmt: skip
    fragment = "".join(query.split()).lower()
    if len(fragment) >= 3:
        should.append({"match_phrase": {"email.fragment": fragment}})
    if (number := phone_fragment(query)) is not None:
        should.append({"match_phrase": {"phone_digits": number}})
    body: dict[str, Any] = {
        "size": first + 1,
        "track_total_hits": True,
        "_source": False,
        "sort": [{"_score": "desc"}, {"customer_id": "asc"}],
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": filters(filter)}},
        "aggs": {
            "sources": {"terms": {"field": "sources", "size": FACET_SIZE}},
            "segments": {"terms": {"field": "segments", "size": FACET_SIZE}},
        },
    }
    if after is not None:
        body["search_after"] = [after.score, after.customer_id]
    return body


def filters(filter: SearchFilter) -> list[dict[str, Any]]:
    """The filter as OpenSearch ``bool.filter`` clauses."""
    out: list[dict[str, Any]] = []
    if filter.sources is not None:
        out.append({"terms": {"sources": list(filter.sources)}})
    if filter.segments is not None:
        out.append({"terms": {"segments": list(filter.segments)}})
    for trait in filter.traits:
        field = f"traits.{trait.name}"
        if trait.equals is not None:
            out.append({"term": {field: trait.equals}})
        bounds = {k: v for k, v in (("gte", trait.gte), ("lte", trait.lte)) if v is not None}
        if bounds:
            out.append({"range": {field: bounds}})
    return out


def _facets(agg: dict[str, Any] | None) -> tuple[Facet, ...]:
    if not agg:
        return ()
    return tuple(Facet(str(b["key"]), int(b["doc_count"])) for b in agg["buckets"])


def _raise_for(reply: httpx.Response) -> None:
    if reply.status_code >= 400:
        raise SearchUnavailable(
            f"OpenSearch answered {reply.status_code} to {reply.request.method} "
            f"{reply.request.url.path}: {reply.text[:300]}"
        )
