"""The local stack: Neo4j, Kafka and OpenSearch from Maven Central, Redis from Debian.

No Docker: ``graphcdp stack up`` resolves each Java server's class path with Maven (once,
into ``~/.m2``; later starts reuse it offline), starts the servers one after another on
loopback with readiness checks, and keeps their data and logs under the state directory.
"""

from __future__ import annotations

from stack.control import StackError, down, status, up

__all__ = ["StackError", "down", "status", "up"]
