"""The app factory. Its lifespan is the one place that connects to servers and wires parts."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from cross_web import HTTPException  # what Strawberry 0.341 catches and answers with its status
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from activation.delivery import erasure_notifier
from api.auth import CALLER, Authenticator, Caller, RequireCaller
from api.body_limit import BodyLimit
from api.fast_hits import FastHits, cors_simple_headers
from api.invalidation import follow_changes
from api.observability import ConsumerLag, RequestIds
from api.openapi import openapi
from api.readiness import readiness
from api.response_cache import CONTEXT, CachedResponses, ResponseCache
from api.search_follower import FollowerStats, follow_for_search
from api.unavailable import EXCEPTION_HANDLERS, unavailable_in
from graph.cache import CacheConfig, ProfileCache
from graph.driver import open_driver
from graph.repository import (
    ApiKeyRepository,
    AuditRepository,
    ProfileRepository,
    RelatedRepository,
    ReviewRepository,
    SettingsRepository,
    SplitRepository,
    TraitRepository,
    hash_secret,
)
from graph.repository.activations import ActivationRepository
from graph.repository.privacy import PrivacyRepository
from graph.repository.segments import SegmentRepository
from graph.search import DocumentReader, Neo4jSearch, OpenSearchIndex, SearchIndex
from graphcdp import gc_tuning
from graphcdp.local_key import privacy_key
from graphcdp.logs import configure as configure_logs
from graphcdp.settings import Settings
from ingest.activation_loop import senders_for
from ingest.http import IngestStats, tracking_routes
from ingest.payload import parse_json
from ingest.producer import EventProducer
from ingest.spec import InvalidEvent
from ingest.tracking_plan import TrackingPlan, load_plan
from matching.rules import RulesSource
from privacy.suppression import Suppressor
from resolvers.audit.trail import AuditLog
from resolvers.context import Context
from resolvers.customer.loaders import Loaders
from resolvers.hub import ChangeHub
from resolvers.metrics import OPERATIONS
from resolvers.privacy.services import PrivacyServices
from resolvers.schema import make_schema

logger = logging.getLogger(__name__)
# How long a request's Neo4j transaction is retried before the API answers 503 instead.
API_NEO4J_RETRY_SECONDS = 3.0
NOBODY = Caller("anonymous", "")  # the GraphiQL page's own requests: no field allowed
# Browsers send tracking calls from any site (analytics.js); write keys, not cookies,
# authenticate them, so credentials stay off and any origin may call /v1/*.
CORS: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_methods": ["GET", "POST", "OPTIONS"],
    "allow_headers": [
        "authorization", "content-type", "content-encoding", "x-api-key", "x-request-id",
    ],
    "expose_headers": ["x-request-id"],
    "max_age": 86400,
}  # fmt: skip


class GraphQLApp(GraphQL[Context, None]):
    def decode_json(self, data: str | bytes) -> object:
        """A request body read with the tracking API's limits, and an object (or a list:
        a batch, which Strawberry refuses): a JSON scalar made Strawberry answer 500, and
        variables nested a thousand deep a ``RecursionError``."""
        try:
            body = parse_json(data)
        except InvalidEvent as err:
            raise HTTPException(400, f"Unable to parse request body as JSON ({err})") from None
        if not isinstance(body, dict | list):
            raise HTTPException(400, 'The request body must be a JSON object: {"query": ...}')
        return body

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        state = request.app.state
        caller: Caller = request.scope.get(CALLER, NOBODY)
        context = Context(
            profiles=state.profiles, normalise=state.normalise, rules=await state.rules.current(),
            settings=state.settings,
            splits=state.splits, changes=state.producer, trait_store=state.trait_store,
            reviews=state.reviews,
            traits=state.traits, cached=state.cache, related=state.related,
            loaders=Loaders(state.profiles, state.related, state.segments, state.cache),
            hub=state.hub,
            segments=state.segments, activations=state.activations, senders=state.senders,
            dead_letter=state.dead_letter,
            search=state.search, predicted=state.predicted, privacy=state.privacy,
            opt_in=state.opt_in,
            audit_entries=state.audit_entries, audit=state.audit,
            actor=caller.actor, role=caller.role,
        )  # fmt: skip
        request.scope[CONTEXT] = context  # for the response cache (api/response_cache.py)
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A result that failed because Neo4j (or Kafka) was unreachable is answered 503
        (api/unavailable.py), not 200 with a driver error in it."""
        cause = unavailable_in(result.errors)
        if cause is not None:
            raise cause
        context = request.scope.get(CONTEXT)
        if result.errors and isinstance(context, Context):
            context.answer.spoil()
        return await super().process_result(request, result)


def create_app(settings: Settings) -> Starlette:
    """Build the ASGI app; servers are reached only when the lifespan starts."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        driver = await open_driver(settings, retry_seconds=API_NEO4J_RETRY_SECONDS)
        producer = EventProducer(settings)
        await producer.start()
        app.state.profiles = ProfileRepository(driver, settings.neo4j_database)
        app.state.splits = SplitRepository(driver, settings.neo4j_database)
        app.state.trait_store = TraitRepository(driver, settings.neo4j_database)
        app.state.reviews = ReviewRepository(driver, settings.neo4j_database)
        app.state.related = RelatedRepository(driver, settings.neo4j_database)
        app.state.hub = ChangeHub()
        app.state.segments = SegmentRepository(driver, settings.neo4j_database)
        app.state.activations = ActivationRepository(
            driver, settings.neo4j_database, settings.opt_in_purposes()
        )
        deliveries = httpx.AsyncClient()  # syncNow's webhooks
        app.state.senders = senders_for(deliveries, producer)

        async def dead_letter(record: Mapping[str, object]) -> None:
            await producer.dead_letter([dict(record)])

        app.state.dead_letter = dead_letter
        app.state.opt_in = settings.opt_in_purposes()
        app.state.privacy = PrivacyServices(
            PrivacyRepository(driver, settings.neo4j_database),
            Suppressor(privacy_key(settings)).hash,
            erasure_notifier(app.state.activations.destinations, deliveries),
        )
        topics = settings.topics
        app.state.lag = ConsumerLag(settings.kafka_bootstrap, {
            settings.worker_group: (topics.events, topics.records),
            settings.cache_group: (topics.changes,),
            settings.search_group: (topics.changes,),
        })  # fmt: skip
        app.state.traits = settings.trait_definitions()
        app.state.predicted = settings.predicted_trait_names()
        app.state.producer = producer
        app.state.normalise = settings.normalise_options()
        app.state.settings = SettingsRepository(driver, settings.neo4j_database)
        app.state.rules = RulesSource(settings.rules(), app.state.settings.identity_rules)
        redis = Redis.from_url(settings.redis_url)
        app.state.cache = ProfileCache(app.state.profiles, redis, CacheConfig(
            settings.cache_local_size, settings.cache_local_ttl, settings.cache_redis_ttl,
        ))  # fmt: skip
        app.state.cache.on_forget(responses.forget)
        keys = ApiKeyRepository(driver, settings.neo4j_database)
        if settings.admin_key:  # the bootstrap admin key: make run, tests and benchmarks
            bootstrap = await keys.put_bootstrap(hash_secret(settings.admin_key))
            if bootstrap.revoked:
                logger.warning("GRAPHCDP_ADMIN_KEY is the revoked API key %s", bootstrap.name)
        app.state.authenticator = Authenticator(keys, settings.jwt_secret)
        app.state.audit_entries = AuditRepository(driver, settings.neo4j_database)
        audit = AuditLog(app.state.audit_entries)
        app.state.audit = audit
        app.state.checks = {
            "neo4j": driver.verify_connectivity,
            "kafka": producer.ready,
            "redis": redis.ping,
        }
        # Search: OpenSearch when configured, kept current from cdp.changes by this process's
        # follower; else Neo4j's full-text index, which follows the graph by itself.
        search: SearchIndex
        opensearch: OpenSearchIndex | None = None
        if settings.opensearch_url:
            search = opensearch = OpenSearchIndex(settings.opensearch_url, settings.search_index)
            app.state.checks["opensearch"] = functools.partial(
                _opensearch_health, settings.opensearch_url
            )
        else:
            search = Neo4jSearch(driver, settings.neo4j_database)
        app.state.search = search
        app.state.search_stats = FollowerStats()
        reader = DocumentReader(driver, settings.neo4j_database, settings.trait_names())
        try:
            async with contextlib.AsyncExitStack() as running:
                await running.enter_async_context(audit.running())
                await running.enter_async_context(
                    follow_changes(settings, app.state.cache, redis, app.state.hub)
                )
                if search.follows_changes:
                    await running.enter_async_context(
                        follow_for_search(settings, reader, search, app.state.search_stats)
                    )
                gc_tuning.tune(settings.gc_tuning)  # the app is built: freeze it
                yield
        finally:
            await deliveries.aclose()
            await app.state.lag.close()
            if opensearch is not None:
                await opensearch.close()
            await producer.stop()
            await redis.aclose()
            await driver.close()

    plan = load_plan(settings.tracking_plan) if settings.tracking_plan else TrackingPlan.empty()
    stats = IngestStats()

    async def metrics(request: Request) -> PlainTextResponse:
        state = request.app.state
        return PlainTextResponse(
            stats.prometheus()
            + state.cache.stats.prometheus()
            + responses.stats.prometheus()
            + state.search_stats.prometheus()
            + OPERATIONS.prometheus()
            + await state.lag.prometheus()
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        """200 when Neo4j, Kafka, Redis and OpenSearch (when configured) all answer; 503
        naming those that do not (the process itself is alive: that is /healthz)."""
        checks = await readiness(request.app.state.checks)
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ok else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    def producer_of(request: Request) -> EventProducer:
        producer: EventProducer = request.app.state.producer
        return producer

    # /graphql needs a caller (api/auth.py); /healthz, /readyz, /metrics and /openapi.json stay
    # open (no data: liveness, readiness, counters, the API's shape), and /v1/* keeps its own
    # write keys.
    schema = make_schema(production=settings.production, cost_limit=settings.query_cost_limit)
    ide = not settings.production
    # Repeated profile reads are answered from this process's response cache.
    responses = ResponseCache(settings.response_cache_size, settings.cache_local_ttl)
    graphql = BodyLimit(RequireCaller(CachedResponses(
        GraphQLApp(schema, graphql_ide="graphiql" if ide else None), schema._schema, responses,
    ), ide), settings.graphql_max_bytes)  # fmt: skip
    routes = [
        *tracking_routes(settings.parsed_write_keys(), producer_of, plan, stats),
        Route("/metrics", metrics),
        Route("/healthz", health),
        Route("/readyz", ready),
        Route("/openapi.json", openapi),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    middleware = [
        Middleware(FastHits, cache=responses, cors_headers=cors_simple_headers(CORS)),
        Middleware(RequestIds),
        Middleware(CORSMiddleware, **CORS),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )


def app_from_env() -> Starlette:
    """The app with the settings of the environment (``uvicorn --factory``, for
    ``GRAPHCDP_API_WORKERS`` processes)."""
    settings = Settings.from_env()
    configure_logs(settings.log_level, settings.log_format)
    return create_app(settings)


async def _opensearch_health(url: str) -> None:
    """OpenSearch answers its cluster health, and the cluster is not red."""
    async with httpx.AsyncClient(timeout=2.0) as client:
        reply = await client.get(url.rstrip("/") + "/_cluster/health")
        reply.raise_for_status()
        if reply.json().get("status") == "red":
            raise RuntimeError("cluster status red")
