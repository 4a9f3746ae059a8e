"""The running stack's JVMs carry the options stack/servers.py gives them."""

from __future__ import annotations

from pathlib import Path

from graphcdp.settings import Settings
from stack.control import status
from stack.servers import NEO4J_GC


def _argv(settings: Settings, name: str) -> list[str]:
    (server,) = status(settings, (name,))
    assert server.pid, f"{name} is not running"
    return Path(f"/proc/{server.pid}/cmdline").read_bytes().decode().split("\0")


def test_the_running_neo4j_has_large_g1_regions_and_a_capped_heap(settings: Settings) -> None:
    argv = _argv(settings, "neo4j")
    assert set(NEO4J_GC) <= set(argv)
    assert f"-Xmx{settings.neo4j_heap}" in argv


def test_the_running_kafka_keeps_the_default_regions(settings: Settings) -> None:
    argv = _argv(settings, "kafka")
    assert not any("G1HeapRegionSize" in a for a in argv)
    assert f"-Xmx{settings.kafka_heap}" in argv
