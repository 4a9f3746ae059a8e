"""Garbage collection tuned for long-running servers (the API and the worker).

A GraphQL request leaves about 200 objects in reference cycles behind (graphql-core's
execution context, Strawberry's DataLoaders, the Neo4j driver's sessions and hydration
scopes), which only the cyclic collector frees. With Python's defaults its oldest generation
ran 12 times in a 25-second ``python -m bench.api_scenario --scenario related`` run, each pass
walking every tracked object (the profile caches' among them) for up to 225 ms with the
event loop stopped: those pauses were the requests' p99 (measured with ``gc.callbacks``).
:func:`tune` does what long-lived Python servers do:

- after start-up, everything allocated so far (modules, the schema, the app; about 130,000
  objects in the API) is frozen out of collection (``gc.freeze``): it lives as long as the
  process, and refcounting still frees whatever of it is dropped;
- the middle and oldest generations run less often (``THRESHOLDS``), so short-lived cycles
  are still freed young and cheaply, and full passes are rare.

Measured on the related scenario (16 clients, 2 cores): p99 260-375 ms with the defaults,
120-140 ms tuned. Reference cycles are still collected; memory stays bounded by the caches'
own limits. ``GRAPHCDP_GC_TUNING=false`` keeps Python's defaults.
"""

from __future__ import annotations

import gc

THRESHOLDS = (1000, 20, 100)  # Python's: (700, 10, 10)


def tune(enabled: bool = True) -> bool:
    """Freeze what exists now and raise the thresholds; False (nothing done) when disabled."""
    if not enabled:
        return False
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return True
