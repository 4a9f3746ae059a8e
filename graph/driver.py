"""The Neo4j driver's lifecycle: created in the app's lifespan or the worker, never at import."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase, NotificationDisabledClassification

from graphcdp.settings import Settings


def auth(settings: Settings) -> tuple[str, str] | None:
    """Basic auth when a user is configured; the local stack runs with auth off on loopback."""
    return (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_user else None


async def open_driver(settings: Settings) -> AsyncDriver:
    """An async driver that has proven it can reach the server."""
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth(settings),
        max_connection_pool_size=50,
        connection_acquisition_timeout=10.0,
        # Labels and types that do not exist yet (an empty graph) are not worth a warning.
        notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
    )
    await driver.verify_connectivity()
    return driver
