"""The Neo4j driver's lifecycle: created in the app's lifespan or the worker, never at import."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase, NotificationDisabledClassification
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from graphcdp.settings import Settings

# The driver's errors of a server that is down, restarting or unreachable (DriverErrors, not
# Neo4jErrors): a caller waits them out and tries again, or answers 503; never a crash.
UNAVAILABLE: tuple[type[Exception], ...] = (ServiceUnavailable, SessionExpired)


def auth(settings: Settings) -> tuple[str, str] | None:
    """Basic auth when a user is configured; the local stack runs with auth off on loopback."""
    return (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_user else None


async def open_driver(settings: Settings, retry_seconds: float = 30.0) -> AsyncDriver:
    """An async driver that has proven it can reach the server.

    Args:
        settings: where the server is.
        retry_seconds: how long a managed transaction is retried (deadlocks, an unreachable
            server) before its error is raised: the driver's 30 s for the workers, a few
            seconds for the API, whose callers are better served by a quick 503.
    """
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth(settings),
        max_connection_pool_size=50,
        connection_acquisition_timeout=10.0,
        max_transaction_retry_time=retry_seconds,
        # Labels and types that do not exist yet (an empty graph) are not worth a warning.
        notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
    )
    await driver.verify_connectivity()
    return driver
