"""The ``graphcdp`` command line: the stack, the schema, the API, the worker, demo data,
exports (Bloom perspective, graph neighbourhoods)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphcdp.settings import Settings, SettingsError

if TYPE_CHECKING:
    from matching.train import TrainedModel


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as err:
        print(f"graphcdp: bad setting {err}", file=sys.stderr)
        return 2
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(settings, args))
    except KeyboardInterrupt:
        return 130


def _stack(settings: Settings, args: argparse.Namespace) -> int:
    from stack import StackError, down, status, up

    only = tuple(args.only or ())
    try:
        if args.action == "up":
            print(f"graphcdp stack: starting in {settings.state_dir.resolve()}", flush=True)
            rows = up(settings, only)
        elif args.action == "down":
            down(settings, only)
            return 0
        else:
            rows = status(settings, only)
    except StackError as err:
        print(f"graphcdp stack: {err}", file=sys.stderr)
        return 1
    for row in rows:
        print(row.line())
    return 0 if args.action != "status" or all(r.ready for r in rows) else 3


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "export":
        from resolvers.schema import schema_sdl

        Path(args.out).write_text(schema_sdl(), encoding="utf-8")
        print(f"graphcdp schema: the GraphQL schema written to {args.out}")
        return 0
    from graph.schema import apply_schema

    applied = apply_schema(settings)
    print(f"graphcdp schema: {applied} statements applied (idempotent)")
    return 0


def _api(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from graphcdp.logs import configure

    configure(settings.log_level, settings.log_format)
    options: dict[str, Any] = {
        "host": args.host or settings.api_host,
        "port": args.port or settings.api_port,
        "log_level": settings.log_level.lower(),
        "access_log": False,  # api.observability logs each request, with its request id
        "log_config": None,  # the logging graphcdp.logs configured
    }
    if settings.api_workers > 1:  # processes sharing the port; each builds its app from env
        uvicorn.run("api.app:app_from_env", factory=True, workers=settings.api_workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from ingest.worker import run_worker

    asyncio.run(run_worker(settings))
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.demo import DemoTimeout, load_demo

    base = args.url or f"http://{settings.api_host}:{settings.api_port}"
    try:
        sent, segments = load_demo(base, settings, tag=args.tag or "")
    except DemoTimeout as err:
        print(f"graphcdp demo: {err} (is `graphcdp worker` running?)", file=sys.stderr)
        return 1
    print(f"graphcdp demo: {sent} calls sent through the tracking API and applied by the "
          f"worker; segments {', '.join(segments)} saved and evaluated")  # fmt: skip
    return 0


def _bloom(settings: Settings, args: argparse.Namespace) -> int:
    from graph.bloom import perspective_json

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(perspective_json(), encoding="utf-8")
    print(f"graphcdp bloom: the perspective written to {out} (import it in Bloom)")
    return 0


def _graph(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from graph.driver import open_driver
    from graph.export import render
    from graph.repository.neighbourhood import NeighbourhoodRepository

    async def read() -> Any:
        driver = await open_driver(settings)
        try:
            repo = NeighbourhoodRepository(driver, settings.neo4j_database)
            return await repo.neighbourhood(args.customer, args.depth, args.cap, args.skip or ())
        finally:
            await driver.close()

    try:
        subgraph = asyncio.run(read())
    except ValueError as err:
        print(f"graphcdp graph: {err}", file=sys.stderr)
        return 2
    if subgraph is None:
        print(f"graphcdp graph: no customer {args.customer}", file=sys.stderr)
        return 1
    text = render(subgraph, args.format, args.label_prefix)
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"graphcdp graph: {len(subgraph.nodes)} nodes and {len(subgraph.relationships)} "
              f"relationships written to {args.out} ({args.format})", file=sys.stderr)  # fmt: skip
    return 0


def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    from dataclasses import asdict

    from privacy import jobs

    if args.action == "erase":
        try:
            erased = asyncio.run(jobs.erase(settings, args.customer, args.reference))
        except ValueError as err:
            print(f"graphcdp privacy erase: {err}", file=sys.stderr)
            return 2
        if erased is None:
            print(f"graphcdp privacy erase: no customer {args.customer!r}", file=sys.stderr)
            return 1
        jobs.write_json(asdict(erased), None, sys.stdout)
        return 0
    doc = asyncio.run(jobs.export(settings, args.customer))
    if doc is None:
        print(f"graphcdp privacy export: no customer {args.customer!r}", file=sys.stderr)
        return 1
    jobs.write_json(doc, args.out, sys.stdout)
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from privacy import jobs
    from privacy.consent import purpose_name

    purpose = None if args.all else purpose_name(args.purpose)
    if args.out is None:
        done = asyncio.run(jobs.export_all(settings, sys.stdout, masked=args.mask,
                                           purpose=purpose))  # fmt: skip
    else:
        part = args.out.with_name(args.out.name + ".part")
        with part.open("w") as out:
            done = asyncio.run(jobs.export_all(settings, out, masked=args.mask, purpose=purpose))
        part.replace(args.out)
    allowed = f", {done.withheld} without {purpose} consent left out" if purpose else ""
    masked = " (PII masked)" if args.mask else ""
    print(f"graphcdp export: {done.exported} customers{masked}{allowed}", file=sys.stderr)
    return 0


def _dev(settings: Settings, args: argparse.Namespace) -> int:
    from graphcdp.dev import run_dev

    return run_dev(settings)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json
    from pathlib import Path

    from ingest.import_job import run_import
    from ingest.importer import ImportFileError, MappingError

    try:
        report = asyncio.run(
            run_import(
                settings,
                args.kind,
                Path(args.file),
                mapping_path=Path(args.mapping) if args.mapping else None,
                rejects_path=Path(args.rejects) if args.rejects else None,
                source=args.source,
            )
        )
    except (ImportFileError, MappingError, FileNotFoundError) as err:
        print(f"graphcdp import: {err}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), indent=2))
    return 0


def _events(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from graph.driver import open_driver
    from graph.repository import EventRepository
    from privacy.retention import Retention

    days = args.days or settings.event_retention_days
    retention = Retention(days, settings.retention().rules)
    cutoffs = retention.query_params(datetime.now(UTC))

    async def prune() -> int:
        driver = await open_driver(settings)
        try:
            return await EventRepository(driver, settings.neo4j_database).prune(cutoffs, args.batch)
        finally:
            await driver.close()

    deleted = asyncio.run(prune())
    rules = (
        f" and {len(retention.rules)} rule(s) of GRAPHCDP_EVENT_RETENTION"
        if retention.rules
        else ""
    )
    print(f"graphcdp events: deleted {deleted} events past their retention ({days} days by "
          f"default{rules})")  # fmt: skip
    return 0


def _resolve(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import json
    from pathlib import Path

    from graph.driver import open_driver
    from ingest.importer import ImportFileError, MappingError
    from ingest.resolve_job import NotEmpty, resolve_file, write_clusters

    if args.model:
        settings = dataclasses.replace(settings, match_model=Path(args.model))
    if args.train:
        from matching.train import train

        try:
            records = _file_records(settings, Path(args.input), args.mapping)
        except (ImportFileError, MappingError, FileNotFoundError) as err:
            print(f"graphcdp resolve: {err}", file=sys.stderr)
            return 2
        model = train(records)
        model_path = Path(args.output).with_suffix(".model.json")
        model.save(model_path)
        print(f"graphcdp resolve: trained model {model.version} on {len(records)} records "
              f"({model_path})", file=sys.stderr)  # fmt: skip
        settings = dataclasses.replace(settings, match_model=model_path)

    async def run() -> int:
        driver = await open_driver(settings)
        try:
            report = await resolve_file(
                settings, driver, Path(args.input),
                mapping_path=Path(args.mapping) if args.mapping else None,
                rejects_path=Path(args.rejects) if args.rejects else None,
                fresh=args.fresh,
            )  # fmt: skip
        except (NotEmpty, ImportFileError, MappingError, FileNotFoundError) as err:
            print(f"graphcdp resolve: {err}", file=sys.stderr)
            return 2
        finally:
            await driver.close()
        write_clusters(report, Path(args.output))
        print(json.dumps(report.as_dict(), indent=2))
        return 0

    return asyncio.run(run())


def _identity(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import getpass
    import json

    from graph.driver import open_driver
    from graph.model import Correction, InvalidIdentifier, SplitKind
    from graph.repository import SplitRepository, TraitRepository
    from ingest.producer import EventProducer
    from matching.normalise import identifier_key
    from matching.split import SplitError
    from resolvers.identity.operations import split_customer

    kind: SplitKind
    record_id = identifier = None
    try:
        if args.link:
            kind, record_id, identifier = "link", args.link[0], args.link[1]
        elif args.record:
            kind, record_id = "record", args.record
        elif args.identifier:
            kind, identifier = "identifier", args.identifier
        else:
            kind, identifier = "block", args.block
        if identifier is not None:
            identifier = identifier_key(identifier, settings.normalise_options())
    except InvalidIdentifier as err:
        print(f"graphcdp identity: {err}", file=sys.stderr)
        return 2
    correction = Correction(kind, record_id, identifier)

    async def run() -> int:
        driver = await open_driver(settings)
        producer = EventProducer(settings)
        await producer.start()
        try:
            plan = await split_customer(
                SplitRepository(driver, settings.neo4j_database), producer, args.customer,
                correction, settings.rules(), args.actor or f"cli:{getpass.getuser()}",
                args.reason,
                traits=(TraitRepository(driver, settings.neo4j_database),
                        settings.trait_definitions()),
            )  # fmt: skip
        except SplitError as err:
            print(f"graphcdp identity: {err}", file=sys.stderr)
            return 2
        finally:
            await producer.stop()
            await driver.close()
        if plan is None:
            print(f"graphcdp identity: no live customer {args.customer}", file=sys.stderr)
            return 2
        print(json.dumps({
            "customer_id": plan.customer_id,
            "parts": [{"customer_id": p.customer_id, "new": p.new, "records": list(p.record_ids),
                       "events": p.events} for p in plan.parts],
            "removed_links": [list(x) for x in plan.removed_links],
            "detached": plan.detached, "blocked": plan.blocked,
        }, indent=2))  # fmt: skip
        return 0

    return asyncio.run(run())


def _traits(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from graph.driver import open_driver
    from graph.repository import TraitRepository
    from traits.jobs import recompute, refresh_due

    traits = settings.trait_definitions()

    async def run() -> int:
        driver = await open_driver(settings)
        store = TraitRepository(driver, settings.neo4j_database)
        try:
            if args.action == "refresh":
                done = await refresh_due(store, traits)
            elif args.customer:
                done = await recompute(store, traits, args.customer)
            else:
                done, after = 0, ""
                while ids := await store.customer_ids(after, 500):
                    done += await recompute(store, traits, ids)
                    after = ids[-1]
        finally:
            await driver.close()
        print(f"graphcdp traits: {args.action}: {done} customers ({len(traits)} traits)")
        return 0

    return asyncio.run(run())


def _predict(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json
    from datetime import date

    from traits.btyd import FitError
    from traits.cdnow import DataMissing, validate
    from traits.predictive import PredictOptions

    if args.validate_cdnow:
        try:
            print(json.dumps(validate(), indent=2))
        except DataMissing as err:
            print(f"graphcdp predict: {err}", file=sys.stderr)
            return 2
        return 0
    from graph.driver import open_driver
    from graph.model import now_iso
    from graph.repository import PredictionRepository
    from traits.computed import today
    from traits.predict_job import predict

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else today()
    except ValueError:
        print(f"graphcdp predict: --as-of {args.as_of!r} is not a date (YYYY-MM-DD)",
              file=sys.stderr)  # fmt: skip
        return 2
    horizon = args.horizon_days or settings.predict_horizon_days
    if not 1 <= horizon <= 3650 or not 0 <= args.discount < 1:
        print("graphcdp predict: --horizon-days is 1-3650 and --discount 0-1", file=sys.stderr)
        return 2
    options = PredictOptions(horizon, args.discount, args.penalizer)

    async def run() -> int:
        driver = await open_driver(settings)
        try:
            report = await predict(
                PredictionRepository(driver, settings.neo4j_database), as_of=as_of,
                options=options, event=settings.predict_event, revenue=settings.predict_revenue,
                ids=args.customer, page=args.page, now=now_iso(),
            )  # fmt: skip
        except FitError as err:
            print(f"graphcdp predict: {err}", file=sys.stderr)
            return 2
        finally:
            await driver.close()
        print(json.dumps(report.as_dict(), indent=2))
        return 0

    return asyncio.run(run())


def _search(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import time

    from graph.driver import open_driver
    from graph.search import DocumentReader, OpenSearchIndex, SearchUnavailable, reindex

    if not settings.opensearch_url:
        print("graphcdp search: GRAPHCDP_OPENSEARCH_URL is not set; search runs on Neo4j's "
              "full-text index, which needs no reindex", file=sys.stderr)  # fmt: skip
        return 2
    url = settings.opensearch_url

    async def run() -> int:
        driver = await open_driver(settings)
        index = OpenSearchIndex(url, settings.search_index, timeout=60.0)
        reader = DocumentReader(driver, settings.neo4j_database, settings.trait_names())
        started = time.monotonic()
        try:
            if args.recreate:
                await index.drop_index()
            created = await index.ensure_index()
            done = await reindex(reader, index, args.batch)
        except SearchUnavailable as err:
            print(f"graphcdp search: {err}", file=sys.stderr)
            return 1
        finally:
            await index.close()
            await driver.close()
        made = " (created)" if created else ""
        print(f"graphcdp search: {done.indexed} customers indexed into {settings.search_index}"
              f"{made} in {time.monotonic() - started:.1f} s")  # fmt: skip
        return 0

    return asyncio.run(run())


def _file_records(
    settings: Settings, path: Path, mapping: str | None
) -> list[dict[str, str | None]]:
    """The model records of a record file (rejected rows left out)."""
    from ingest.importer import Reject, load_mapping, read_records
    from matching.features import model_record

    options = settings.normalise_options()
    loaded = load_mapping(mapping, "records") if mapping else None
    return [
        model_record(item.record_id, item.to_message(), options)
        for item in read_records(path, loaded)
        if not isinstance(item, Reject)
    ]


def _match(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json
    from pathlib import Path

    from ingest.importer import ImportFileError, MappingError
    from matching.features import model_record
    from matching.train import train

    if args.action in ("activate", "deactivate", "list"):
        return _match_versions(settings, args)
    if args.action == "link":
        return _match_link(settings, args)
    options = settings.normalise_options()
    records: list[dict[str, str | None]] = []
    if args.from_graph:
        from graph.driver import open_driver
        from graph.repository import model_records

        async def read() -> None:
            driver = await open_driver(settings)
            try:
                async for record_id, golden in model_records(driver, settings.neo4j_database):
                    records.append(model_record(record_id, golden, options))
            finally:
                await driver.close()

        asyncio.run(read())
    else:
        try:
            records = _file_records(settings, Path(args.input), args.mapping)
        except (ImportFileError, MappingError, FileNotFoundError) as err:
            print(f"graphcdp match: {err}", file=sys.stderr)
            return 2
    if len(records) < 100:
        print(f"graphcdp match: {len(records)} records are too few to train on (100 at least)",
              file=sys.stderr)  # fmt: skip
        return 2
    model = train(records, seed=args.seed)
    out = Path(args.out)
    model.save(out)
    chart = Path(args.chart) if args.chart else out.with_suffix(".mu-chart.html")
    chart.write_text(model.chart_html)
    if args.register or args.activate:
        asyncio.run(_store_model(settings, model, activate=args.activate))
    print(json.dumps({"model": str(out), "version": model.version, "chart": str(chart),
                      "stored": bool(args.register or args.activate),
                      "active": bool(args.activate), **model.summary}, indent=2))  # fmt: skip
    return 0


async def _store_model(settings: Settings, model: TrainedModel, *, activate: bool) -> None:
    import json

    from graph.driver import open_driver
    from graph.repository import ModelRepository, SettingsRepository

    driver = await open_driver(settings)
    try:
        await ModelRepository(driver, settings.neo4j_database).put(
            model.version, model.text(), json.dumps(model.summary), model.summary["trained_at"]
        )
        if activate:
            await SettingsRepository(driver, settings.neo4j_database).put(
                ModelRepository.ACTIVE, model.version, "cli"
            )
    finally:
        await driver.close()


def _match_link(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import json

    from graph.driver import open_driver
    from ingest.link_job import link_graph
    from ingest.planning import model_source

    if args.model:
        settings = dataclasses.replace(settings, match_model=Path(args.model))

    async def run() -> int:
        driver = await open_driver(settings)
        try:
            matcher = await model_source(settings, driver).current()
            if matcher is None:
                print("graphcdp match: no model (pass --model, or activate one)",
                      file=sys.stderr)  # fmt: skip
                return 2
            report = await link_graph(
                driver, settings.neo4j_database, matcher, settings.rules(), source=args.source,
                spark_master=args.spark or settings.spark_master,
            )  # fmt: skip
        finally:
            await driver.close()
        print(json.dumps(report.as_dict() | {"refusals": report.refusals}, indent=2))
        return 0

    return asyncio.run(run())


def _match_versions(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import json

    from graph.driver import open_driver
    from graph.repository import ModelRepository, SettingsRepository

    async def run() -> int:
        driver = await open_driver(settings)
        models = ModelRepository(driver, settings.neo4j_database)
        in_graph = SettingsRepository(driver, settings.neo4j_database)
        try:
            if args.action == "activate":
                if await models.get(args.version) is None:
                    print(f"graphcdp match: no stored model {args.version}", file=sys.stderr)
                    return 2
                await in_graph.put(ModelRepository.ACTIVE, args.version, "cli")
                print(f"graphcdp match: {args.version} is active (workers follow within 5 s)")
                return 0
            if args.action == "deactivate":
                await in_graph.put(ModelRepository.ACTIVE, "", "cli")
                print("graphcdp match: no active model (workers follow within 5 s)")
                return 0
            active = await in_graph.text(ModelRepository.ACTIVE)
            for row in await models.versions():
                mark = "*" if active and active[0] == row["version"] else " "
                print(f"{mark} {row['version']}  trained {row['trained_at']}  "
                      f"{json.loads(row['summary']).get('records')} records")  # fmt: skip
            return 0
        finally:
            await driver.close()

    return asyncio.run(run())


def _apikey(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from graph.driver import open_driver
    from graph.repository import ApiKeyExists, ApiKeyRepository, hash_secret, new_secret

    async def run() -> int:
        driver = await open_driver(settings)
        keys = ApiKeyRepository(driver, settings.neo4j_database)
        try:
            if args.action == "create":
                secret = new_secret()
                try:
                    await keys.create(args.name, args.role, hash_secret(secret))
                except ApiKeyExists as err:
                    print(f"graphcdp apikey: {err}", file=sys.stderr)
                    return 2
                print(f"graphcdp apikey: {args.name} ({args.role}) created; its secret, shown "
                      "only now (the graph keeps its SHA-256):", file=sys.stderr)  # fmt: skip
                print(secret)
                return 0
            if args.action == "revoke":
                if not await keys.revoke(args.name):
                    print(f"graphcdp apikey: no API key named {args.name!r}", file=sys.stderr)
                    return 2
                print(f"graphcdp apikey: {args.name} revoked (API processes refuse it within "
                      "10 s)")  # fmt: skip
                return 0
            for row in await keys.keys():
                state = f"revoked {row['revoked_at']}" if row["revoked"] else "active"
                kind = " (bootstrap)" if row["bootstrap"] else ""
                print(f"{row['name']}\t{row['role']}\tcreated {row['created_at']}\t{state}{kind}")
            return 0
        finally:
            await driver.close()

    return asyncio.run(run())


# The benchmarks that need no server: every other one starts the stack and applies the schema
# first, so it runs the same on a fresh machine as on a used one (without the schema a load
# into an empty Neo4j MERGEs with label scans: minutes per batch instead of a second).
SERVERLESS_BENCHES = frozenset({"realtime-match", "predict"})


def _bench(settings: Settings, args: argparse.Namespace) -> int:
    if args.what not in SERVERLESS_BENCHES:
        _stack_ready(settings)
    if args.what == "api":
        from bench.api import main as bench_api

        return bench_api(settings, args.customers, args.seconds, args.clients, args.seed,
                         args.fresh, args.generators, args.load, args.paced_share)  # fmt: skip
    if args.what == "segments":
        from bench.segments import main as bench_segments

        return bench_segments(settings, args.customers, args.rate, args.seconds, args.seed,
                              args.fresh)  # fmt: skip
    if args.what == "match":
        from bench.match import main as bench_match

        return bench_match(settings, args.dataset, args.persons, args.seed, args.link, args.fresh)
    if args.what == "link":
        from bench.link_scale import main as bench_link

        return bench_link(settings, args.records, args.seed, args.spark, args.fresh)
    if args.what == "realtime-match":
        from bench.realtime_match import main as bench_realtime

        return bench_realtime(args.persons, args.arrivals, args.seed)
    if args.what == "predict":
        from bench.predict import main as bench_predict

        return bench_predict(args.customers, args.seed)
    if args.what == "resolve":
        from bench.resolve import main as bench_resolve

        return bench_resolve(settings, args.persons, args.seed, args.fresh, args.json)
    from bench.ingest import main as bench_ingest

    return bench_ingest(settings, args.events, args.rate, args.seconds, args.workers, args.warmup)


def _stack_ready(settings: Settings) -> None:
    """Every local server running (idempotent) and the Neo4j schema applied."""
    from graph.schema import apply_schema
    from stack import up

    up(settings)
    apply_schema(settings)


def _key_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", value):
        raise argparse.ArgumentTypeError("1-64 characters of [A-Za-z0-9_.-]")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphcdp", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    stack = sub.add_parser("stack", help="the local Neo4j, Kafka, OpenSearch and Redis")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.add_argument(
        "--only",
        action="append",
        metavar="SERVER",
        choices=["redis", "neo4j", "kafka", "opensearch"],
        help="act on this server only (repeatable)",
    )
    stack.set_defaults(handler=_stack)

    schema = sub.add_parser(
        "schema",
        help="apply: the Neo4j constraints and indexes; export: the GraphQL schema (SDL)",
    )
    schema.add_argument("action", choices=["apply", "export"])
    schema.add_argument("--out", default="schema.graphql", help="export: the file to write")
    schema.set_defaults(handler=_schema)

    api = sub.add_parser("api", help="serve the tracking API and GraphQL")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.set_defaults(handler=_api)

    worker = sub.add_parser("worker", help="consume cdp.events into Neo4j")
    worker.set_defaults(handler=_worker)

    dev = sub.add_parser("dev", help="API + worker + demo data until Ctrl-C (make run)")
    dev.set_defaults(handler=_dev)

    imp = sub.add_parser("import", help="records or events from CSV, JSONL or Parquet files")
    imp.add_argument("kind", choices=["records", "events"])
    imp.add_argument("file")
    imp.add_argument("--mapping", help="YAML/JSON column mapping for a foreign layout")
    imp.add_argument("--rejects", help="where to write rejected rows (default FILE.rejects.jsonl)")
    imp.add_argument("--source", default="import", help="source name of imported events")
    imp.set_defaults(handler=_import)

    events = sub.add_parser("events", help="event housekeeping")
    events.add_argument("action", choices=["prune"])
    events.add_argument(
        "--days", type=int, help="the default days (default: the setting); rules still apply"
    )
    events.add_argument("--batch", type=int, default=10_000, help="events per transaction")
    events.set_defaults(handler=_events)

    ident = sub.add_parser("identity", help="operator corrections of the identity graph")
    ident_sub = ident.add_subparsers(dest="action", required=True)
    split = ident_sub.add_parser(
        "split", help="correct one customer and re-resolve its records (unmerge)"
    )
    split.add_argument("--customer", required=True, help="the live customer id")
    what = split.add_mutually_exclusive_group(required=True)
    what.add_argument("--link", nargs=2, metavar=("RECORD", "IDENTIFIER"),
                      help="remove one record's link to an identifier (type:value)")  # fmt: skip
    what.add_argument("--identifier", help="detach an identifier (type:value) from the customer")
    what.add_argument("--record", help="detach a record into a customer of its own")
    what.add_argument("--block", help="block an identifier value (type:value) everywhere")
    split.add_argument("--actor", help="who decides (default cli:<user>)")
    split.add_argument("--reason", help="why, kept in the history")
    split.set_defaults(handler=_identity)
    traits = sub.add_parser("traits", help="computed traits housekeeping")
    traits_sub = traits.add_subparsers(dest="action", required=True)
    traits_sub.add_parser("refresh", help="re-evaluate windowed traits that changed with time")
    again = traits_sub.add_parser(
        "recompute", help="rebuild traits from events (after changing their definitions)"
    )
    chosen = again.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--customer", action="append", help="a customer id (repeatable)")
    chosen.add_argument("--all", action="store_true", help="every live customer, in pages")
    traits.set_defaults(handler=_traits)
    pred = sub.add_parser(
        "predict",
        help="predictive traits: churn risk, expected purchases and CLV (BG/NBD, Gamma-Gamma)",
    )
    pred.add_argument("--as-of", help="the date predictions are made at (default: today, UTC)")
    pred.add_argument("--horizon-days", type=int,
                      help="days ahead for expected purchases and CLV "
                           "(default GRAPHCDP_PREDICT_HORIZON_DAYS, 365)")  # fmt: skip
    pred.add_argument("--discount", type=float, default=0.10,
                      help="annual discount rate of the CLV")  # fmt: skip
    pred.add_argument("--penalizer", type=float, default=0.0,
                      help="L2 penalty on the parameters (small populations)")  # fmt: skip
    pred.add_argument("--customer", action="append",
                      help="fit and score only this customer id (repeatable)")  # fmt: skip
    pred.add_argument("--page", type=int, default=1000, help="customers per read and write")
    pred.add_argument("--validate-cdnow", action="store_true",
                      help="fit on the CDNOW data of lifetimes; print the published parameters "
                           "beside ours (no servers)")  # fmt: skip
    pred.set_defaults(handler=_predict)
    search = sub.add_parser("search", help="the OpenSearch customer index")
    search_sub = search.add_subparsers(dest="action", required=True)
    rebuild = search_sub.add_parser(
        "reindex", help="send every live customer of the graph to the index, in batches"
    )
    rebuild.add_argument("--batch", type=int, default=1000, help="customers per bulk request")
    rebuild.add_argument(
        "--recreate", action="store_true",
        help="delete the index first and create it with the current mapping",
    )  # fmt: skip
    search.set_defaults(handler=_search)
    match = sub.add_parser("match", help="probabilistic matching (Splink)")
    match_sub = match.add_subparsers(dest="action", required=True)
    training = match_sub.add_parser("train", help="train a Splink model and save it")
    source = training.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="records file: CSV, JSONL or Parquet")
    source.add_argument("--from-graph", action="store_true", help="the records in the graph")
    training.add_argument("--mapping", help="column mapping file for a foreign layout")
    training.add_argument("--out", required=True, help="the model file to write (JSON)")
    training.add_argument("--chart", help="the m/u chart (default OUT.mu-chart.html)")
    training.add_argument("--seed", type=int, default=1, help="random sampling seed")
    training.add_argument("--register", action="store_true", help="store it in the graph")
    training.add_argument("--activate", action="store_true",
                          help="store it and make it the model the workers use")  # fmt: skip
    activate = match_sub.add_parser("activate", help="make a stored model the active one")
    activate.add_argument("version")
    linking = match_sub.add_parser(
        "link", help="score every candidate pair in the graph with Splink and join the links"
    )
    linking.add_argument("--model", help="a model file (default: the active model)")
    linking.add_argument("--source", help="only the records of this source")
    linking.add_argument("--spark", metavar="MASTER",
                         help="predict on Spark (local[2], spark://host:7077); "
                              "default GRAPHCDP_SPARK_MASTER, else DuckDB")  # fmt: skip
    match_sub.add_parser("deactivate", help="match with no model (deterministic rules only)")
    match_sub.add_parser("list", help="the stored models (* marks the active one)")
    match.set_defaults(handler=_match)
    res = sub.add_parser(
        "resolve", help="resolve a record file into the graph; write record_id,customer_id"
    )
    res.add_argument("--input", required=True, help="records: CSV, JSONL or Parquet")
    res.add_argument("--output", required=True, help="clusters CSV to write")
    res.add_argument("--mapping", help="column mapping file for a foreign layout")
    res.add_argument("--rejects", help="where rejected rows go (default FILE.rejects.jsonl)")
    res.add_argument("--fresh", action="store_true", help="clear the graph first (required "
                     "when it is not empty)")  # fmt: skip
    model = res.add_mutually_exclusive_group()
    model.add_argument("--model", help="match probabilistically with this model file too")
    model.add_argument(
        "--train", action="store_true", help="train on the input first (OUTPUT.model.json)"
    )
    res.set_defaults(handler=_resolve)
    bench = sub.add_parser("bench", help="benchmarks on the local stack (numbers as JSON)")
    bench.add_argument(
        "what",
        choices=[
            "ingest",
            "resolve",
            "realtime-match",
            "match",
            "link",
            "api",
            "predict",
            "segments",
        ],
    )
    bench.add_argument(
        "--customers",
        type=int,
        default=100_000,
        help="api: customers loaded; predict: synthetic customers",
    )
    bench.add_argument("--clients", type=int, default=16, help="api: concurrent connections")
    bench.add_argument(
        "--generators",
        type=int,
        default=2,
        help="api, --load httpx: generator processes (the clients split between them)",
    )
    bench.add_argument(
        "--load",
        choices=["wrk", "httpx"],
        default="wrk",
        help="api: the load generator (wrk: Debian's, installed when missing)",
    )
    bench.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="api: after each saturated run, the scenario again on a fixed schedule at this "
        "share of its throughput (bench/openloop.py; 0: not run)",
    )
    bench.add_argument("--records", type=int, default=1_000_000, help="link: synthetic records")
    bench.add_argument("--spark", metavar="MASTER", help="link: predict on Spark")
    bench.add_argument("--dataset", choices=["febrl4", "rldata10000", "synthetic"],
                       default="febrl4", help="match: the labelled data set")  # fmt: skip
    bench.add_argument("--link", type=float, default=0.99, help="match: link probability")
    bench.add_argument("--events", type=int, default=20_000, help="events for throughput")
    bench.add_argument("--rate", type=int, default=1000, help="events/s during freshness")
    bench.add_argument("--seconds", type=float, default=10.0,
                       help="length of freshness run; api: of each scenario")  # fmt: skip
    bench.add_argument("--workers", type=int, default=1, help="worker processes")
    bench.add_argument(
        "--warmup", type=int, default=5000, help="ingest: events sent first, not measured"
    )
    bench.add_argument("--json", action="store_true", help="print JSON (the only output)")
    bench.add_argument("--persons", type=int, default=2000, help="resolve: synthetic people")
    bench.add_argument("--seed", type=int, default=7, help="resolve: generator seed")
    bench.add_argument("--fresh", action="store_true", help="resolve: clear a non-empty graph")
    bench.add_argument("--arrivals", type=int, default=200, help="realtime-match: new records")
    bench.set_defaults(handler=_bench)

    from resolvers.roles import ROLES

    apikey = sub.add_parser("apikey", help="API keys of the GraphQL API (stored hashed)")
    apikey_sub = apikey.add_subparsers(dest="action", required=True)
    create = apikey_sub.add_parser("create", help="a new key; its secret is printed once")
    create.add_argument("--name", required=True, type=_key_name, help="unique, e.g. crm-sync")
    create.add_argument("--role", required=True, choices=ROLES)
    apikey_sub.add_parser("list", help="every key: name, role, created, revoked")
    revoke = apikey_sub.add_parser("revoke", help="refuse a key from now on (within 10 s)")
    revoke.add_argument("name")
    apikey.set_defaults(handler=_apikey)

    bulk = sub.add_parser(
        "export", help="every customer as JSON lines (--mask for copies outside production)"
    )
    bulk.add_argument("--mask", action="store_true", help="mask PII, keeping its shape")
    bulk.add_argument(
        "--purpose",
        default="analytics",
        help="only customers whose consent allows it (default: analytics)",
    )
    bulk.add_argument("--all", action="store_true", help="every customer, whatever its consent")
    bulk.add_argument("--out", type=Path, help="write to this file (default: stdout)")
    bulk.set_defaults(handler=_export)

    privacy = sub.add_parser("privacy", help="data-subject requests: erase or export a person")
    privacy_sub = privacy.add_subparsers(dest="action", required=True)
    erase = privacy_sub.add_parser(
        "erase", help="forget a customer everywhere, suppress its identifiers (irreversible)"
    )
    erase.add_argument("--customer", required=True, help="its id (or an id merged into it)")
    erase.add_argument("--reference", help="the request's ticket id, kept in the audit log")
    export = privacy_sub.add_parser("export", help="everything held about a customer, as JSON")
    export.add_argument("--customer", required=True, help="its id (or an id merged into it)")
    export.add_argument("--out", type=Path, help="write to this file (default: stdout)")
    privacy.set_defaults(handler=_privacy)

    demo = sub.add_parser("demo", help="demo data")
    demo.add_argument("action", choices=["load"])
    demo.add_argument("--url", help="the API's base URL (default: from the settings)")
    demo.add_argument("--tag", type=_key_name, help="suffix every id, email and name (a copy)")
    demo.set_defaults(handler=_demo)

    bloom = sub.add_parser("bloom", help="export: the Neo4j Bloom perspective (JSON)")
    bloom.add_argument("action", choices=["export"])
    bloom.add_argument("--out", default="bloom/graphcdp.perspective.json")
    bloom.set_defaults(handler=_bloom)

    graph = sub.add_parser("graph", help="export: a customer's neighbourhood for other tools")
    graph.add_argument("action", choices=["export"])
    graph.add_argument("--customer", required=True, help="customer id (merged ids redirect)")
    graph.add_argument("--depth", type=int, default=2, help="hops from the customer (1-5)")
    graph.add_argument("--format", choices=["graphml", "json", "cypher"], default="graphml")
    graph.add_argument("--out", help="the file to write (default: standard output)")
    graph.add_argument(
        "--cap",
        type=int,
        default=100,
        help="relationships followed from one node (hubs stay small)",
    )
    graph.add_argument(
        "--skip",
        action="append",
        metavar="TYPE",
        help="a relationship type not to follow (repeatable)",
    )
    graph.add_argument(
        "--label-prefix",
        default="",
        help="cypher: prefix every label (load a copy beside the original)",
    )
    graph.set_defaults(handler=_graph)
    return parser


if __name__ == "__main__":
    sys.exit(main())
