"""graph.driver.read against the real Neo4j: rows as records, and a read made right after a
write through execute_query sees it (the same bookmark manager)."""

from __future__ import annotations

import uuid

from neo4j import AsyncDriver

from graph.driver import read


async def test_a_read_sees_the_write_before_it(driver: AsyncDriver) -> None:
    tag = f"read-{uuid.uuid4().hex[:10]}"
    for n in range(3):
        await driver.execute_query(
            "CREATE (:ReadProbe {tag: $tag, n: $n})", tag=tag, n=n, database_="neo4j"
        )
        rows = await read(
            driver, "neo4j", "MATCH (p:ReadProbe {tag: $tag}) RETURN count(p) AS n", {"tag": tag}
        )
        assert [dict(r) for r in rows] == [{"n": n + 1}]
    await driver.execute_query("MATCH (p:ReadProbe {tag: $tag}) DELETE p", tag=tag)
