"""A process started before Neo4j answers waits for it (graph.driver.open_driver_when_up).

Neo4j itself keeps running: the test points the driver at a port where nothing listens yet,
then opens that port as a plain TCP relay to the real server, as a Neo4j coming up would."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from urllib.parse import urlparse

import pytest

from graph.driver import open_driver_when_up
from graphcdp.settings import Settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _relay(port: int, target: tuple[str, int]) -> asyncio.Server:
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def test_it_waits_for_neo4j_to_come_up(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()
    real = urlparse(settings.neo4j_uri)
    later = dataclasses.replace(settings, neo4j_uri=f"bolt://127.0.0.1:{port}")
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="graph.driver"):
        waiting = asyncio.create_task(open_driver_when_up(later, stop, retry_seconds=2.0))
        await asyncio.sleep(1.6)
        assert not waiting.done()  # nothing listens yet: it keeps trying
        server = await _relay(port, (real.hostname or "127.0.0.1", real.port or 7687))
        try:
            driver = await asyncio.wait_for(waiting, 15)
            assert driver is not None
            try:
                records, _, _ = await driver.execute_query("RETURN 41 + 1 AS n")
                assert records[0]["n"] == 42
            finally:
                await driver.close()
        finally:
            server.close()
    assert any("does not answer" in r.getMessage() for r in caplog.records)


async def test_a_stop_while_waiting_gives_up(settings: Settings) -> None:
    nowhere = dataclasses.replace(settings, neo4j_uri=f"bolt://127.0.0.1:{_free_port()}")
    stop = asyncio.Event()
    waiting = asyncio.create_task(open_driver_when_up(nowhere, stop))
    await asyncio.sleep(0.8)
    stop.set()
    assert await asyncio.wait_for(waiting, 5) is None
