"""``/readyz``: whether every server the API needs answers, each within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

Check = Callable[[], Awaitable[object]]


async def readiness(checks: Mapping[str, Check], deadline: float = 2.0) -> dict[str, str]:
    """Run every check at once; ``ok`` or why not, per name (a check that raises or takes
    longer than ``deadline`` seconds fails)."""

    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), deadline)
        except TimeoutError:
            return f"no answer within {deadline:g} s"
        except Exception as err:  # any failure of a dependency is an answer here
            return f"{type(err).__name__}: {err}"[:300]
        return "ok"

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
