"""The four servers of the local stack: how each is configured, started and checked."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from graphcdp.settings import Settings
from stack import maven
from stack.process import Managed, ProcessError, port_open

# Neo4j's heap in 8 MB G1 regions instead of the 1 MB a 1 GB heap gets: an object of half a
# region or more is "humongous", and each humongous allocation (a Bolt message of a large
# UNWIND batch, a long result) may start a concurrent marking cycle whose Remark pause stops
# every query. With 1 MB regions one `graphcdp bench api` run had 60 such cycles and Remark
# pauses up to 125 ms; with 8 MB, none and at most 62 ms (bench/README.md, session 11).
NEO4J_GC = ("-XX:G1HeapRegionSize=8m",)

JAVA_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)


@dataclass
class Server:
    """One server: its settings, its directory under the state dir, and its process."""

    name: str
    settings: Settings
    timeout: float = 180.0
    notes: str = ""

    @property
    def home(self) -> Path:
        return (self.settings.state_dir / self.name).resolve()

    @property
    def managed(self) -> Managed:
        return Managed(self.name, self.home)

    @property
    def host(self) -> str:
        return self.settings.address(self.name)[0]

    @property
    def port(self) -> int:
        return self.settings.address(self.name)[1]

    def prepare(self) -> list[str]:
        """Write config files and return the command line that runs the server."""
        raise NotImplementedError

    def ready(self) -> bool:
        """True once the server answers a real request."""
        raise NotImplementedError

    def after_start(self) -> None:
        """Work done once the server is ready (topics, settings); idempotent."""


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka's own `Uuid.randomUuid` makes it: 22 url-safe base64
    characters, never starting with "-" (one id in 64 would, and the storage tool's argument
    parser then reads it as an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ProcessError("java (17 or newer) is not on PATH and JAVA_HOME is not set")
    return java


def _jvm(heap: str, home: Path, *extra: str) -> list[str]:
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    (home / "logs").mkdir(parents=True, exist_ok=True)  # the JVM opens gc.log at start
    return [
        _java(),
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        f"-Djava.io.tmpdir={tmp}",
        # GC pauses are the first suspect when latency spikes: keep a small rotating log.
        f"-Xlog:gc:file={home / 'logs' / 'gc.log'}:time,uptime:filecount=2,filesize=5m",
        *extra,
        *JAVA_OPENS,
    ]


class Neo4j(Server):
    """Neo4j 5.26 Community, embedded, with Bolt; APOC and OpenGDS when they resolve."""

    plugins: tuple[str, ...] = ("apoc", "gds")

    def prepare(self) -> list[str]:
        loaded: list[str] = []
        names = ["neo4j"]
        for plugin in self.plugins:
            try:
                maven.classpath(plugin)
            except maven.MavenError as err:
                print(
                    f"  neo4j: plugin {plugin} not loaded ({str(err).splitlines()[0]})",
                    file=sys.stderr,
                )
                continue
            names.append(plugin)
            loaded.append(plugin)
        jars = maven.merged(*names)
        plugin_dir = self.home / "plugins"
        shutil.rmtree(plugin_dir, ignore_errors=True)
        plugin_dir.mkdir(parents=True)
        # Procedure classes are found by scanning the plugin directory, extension factories by
        # ServiceLoader on the class path: plugin jars go in both places.
        for plugin in loaded:
            for jar in maven.classpath(plugin):
                if "/org/neo4j/" in str(jar):
                    (plugin_dir / jar.name).symlink_to(jar)
        self.notes = "plugins: " + (", ".join(loaded) or "none")
        conf = self.home / "neo4j.conf"
        lines = {
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"{self.host}:{self.port}",
            "server.bolt.advertised_address": f"{self.host}:{self.port}",
            "dbms.security.auth_enabled": "false",
            "server.memory.pagecache.size": self.settings.neo4j_pagecache,
            "server.directories.plugins": str(plugin_dir),
            "dbms.security.procedures.unrestricted": "apoc.*,gds.*",
            "db.tx_log.rotation.retention_policy": "2 files",
            "db.logs.query.enabled": "OFF",
            # No keep-alive hint: with it (connection.recv_timeout_seconds, 120 s) the Python
            # driver wraps each of the ~10 socket reads of a query in a timed task: 1.5-1.8 ms
            # of driver CPU a query against 1.1-1.4 without. TCP keep-alive remains.
            "server.bolt.connection_keep_alive_for_requests": "OFF",
        }
        conf.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        (self.home / "plugins.txt").write_text(self.notes + "\n")
        launcher = maven.JAVA_DIR / "neo4j" / "Neo4jLauncher.java"
        return [
            *_jvm(self.settings.neo4j_heap, self.home, *NEO4J_GC),
            "-cp",
            os.pathsep.join(map(str, jars)),
            str(launcher),
            str(self.home),
            str(conf),
        ]

    def ready(self) -> bool:
        from neo4j import GraphDatabase

        if not port_open(self.host, self.port):
            return False  # the driver would retry (and log) for 30 s

        auth = (
            (self.settings.neo4j_user, self.settings.neo4j_password)
            if self.settings.neo4j_user
            else None
        )
        with GraphDatabase.driver(self.settings.neo4j_uri, auth=auth) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS ok", database_="neo4j")
            return bool(records and records[0]["ok"] == 1)


class Kafka(Server):
    """Apache Kafka 3.9 in KRaft combined mode; storage formatted on first start."""

    def prepare(self) -> list[str]:
        jars = os.pathsep.join(map(str, maven.classpath("kafka")))
        data = self.home / "data"
        ctrl = self.settings.kafka_controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{ctrl}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{ctrl}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": str(self.settings.kafka_partitions),
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "168",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }
        conf = self.home / "server.properties"
        conf.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        log4j = self.home / "log4j.properties"
        log4j.write_text(
            "log4j.rootLogger=INFO, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=INFO\n"
            "log4j.logger.state.change.logger=WARN\nlog4j.logger.kafka.request.logger=WARN\n"
        )
        jvm = [
            *_jvm(self.settings.kafka_heap, self.home),
            f"-Dlog4j.configuration=file:{log4j}",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            "-cp",
            jars,
        ]
        if not (data / "meta.properties").exists():
            cluster_id = kafka_cluster_id()
            shutil.rmtree(data, ignore_errors=True)
            fmt_args = ["format", f"--cluster-id={cluster_id}", "-c", str(conf)]
            fmt = subprocess.run(
                [*jvm, "kafka.tools.StorageTool", *fmt_args],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if fmt.returncode != 0:
                raise ProcessError(f"kafka storage format failed:\n{fmt.stdout}{fmt.stderr}")
        return [*jvm, "kafka.Kafka", str(conf)]

    def ready(self) -> bool:
        return port_open(self.host, self.port) and asyncio.run(_kafka_topics(self.settings, False))

    def after_start(self) -> None:
        asyncio.run(_kafka_topics(self.settings, True))
        self.notes = (
            f"topics: {', '.join(self.settings.topics.all())} "
            f"({self.settings.kafka_partitions} partitions)"
        )


async def _kafka_topics(settings: Settings, create: bool) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        if create:
            missing = [t for t in settings.topics.all() if t not in existing]
            if missing:
                await admin.create_topics(
                    [NewTopic(t, settings.kafka_partitions, 1) for t in missing]
                )
        return True
    finally:
        await admin.close()


class OpenSearch(Server):
    """OpenSearch 2.19, one node, through the codelibs runner; disk thresholds off."""

    def prepare(self) -> list[str]:
        jars = os.pathsep.join(map(str, maven.classpath("opensearch")))
        launcher = maven.JAVA_DIR / "opensearch" / "OpenSearchLauncher.java"
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        return [
            *_jvm(self.settings.opensearch_heap, self.home),
            "-Dopensearch.set.netty.runtime.available.processors=false",
            "-Dlog4j2.formatMsgNoLookups=true",
            "-cp",
            jars,
            str(launcher),
            str(self.home / "data"),
            self.host,
            str(self.port),
            str(self.settings.opensearch_transport_port),
        ]

    def ready(self) -> bool:
        url = f"{self.settings.opensearch_url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own URL
            body = json.load(response)
        return body.get("status") in {"yellow", "green"}


class Redis(Server):
    """Redis from Debian's redis-server package (installed here when missing)."""

    def prepare(self) -> list[str]:
        binary = shutil.which("redis-server") or install_debian("redis-server", "redis-server")
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        return [
            binary,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "",
        ]

    def ready(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.settings.redis_url, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()


def install_debian(package: str, binary: str) -> str:
    """apt-get install ``package`` (which brings ``binary``) without letting it start a
    daemon of its own; the path of ``binary``."""
    if os.geteuid() != 0:
        raise ProcessError(f"{binary} is missing; run `sudo apt-get install {package}`")
    print(f"  installing Debian's {package} package", file=sys.stderr)
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
            done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ProcessError(f"apt-get install {package} failed:\n{done.stderr[-2000:]}")
    finally:
        if created:
            policy.unlink(missing_ok=True)
    found = shutil.which(binary)
    if found is None:
        raise ProcessError(f"{binary} is still missing after apt-get install {package}")
    return found


def servers(settings: Settings) -> list[Server]:
    """The stack in start order: the fast one first, then the JVMs one after another."""
    return [
        Redis("redis", settings, timeout=30.0),
        Neo4j("neo4j", settings, timeout=240.0),
        Kafka("kafka", settings, timeout=180.0),
        OpenSearch("opensearch", settings, timeout=300.0),
    ]
