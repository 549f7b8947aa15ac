"""Pausing the cyclic garbage collector around bulk work (stdlib only)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BULK_GC_THRESHOLD", "fewer_collections", "paused_gc"]

# The collector during bulk work that keeps its objects (an import, a snapshot load): a
# collection of the young objects every 50,000 allocations, not 700. A batch makes and
# drops hundreds of thousands of tuples, lists and strings, few in cycles, all freed by
# reference counting; each collection walked those still alive (a tenth of a .bib
# reader's time). Memory stays bounded: the collector still runs.
BULK_GC_THRESHOLD = (50_000, 20, 20)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while bulk work allocates.

    Reading or exporting 100,000 papers allocates millions of small objects (rows,
    records, fields, strings) that form no reference cycles; the collector, triggered
    by the allocations alone, would rescan the whole growing heap again and again (a
    third of the time of such a read or export). Reference counting still frees
    everything as usual, and the collector is back on when the block ends. Nests.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector's thresholds at :data:`BULK_GC_THRESHOLD` for the duration, then
    back as they were."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
