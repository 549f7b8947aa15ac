"""What a batched command (``catalog sync``, ``catalog resolve``) tells its progress display
after each request, retry and finished batch. Stdlib only: the CLI's bar imports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BatchNews"]


@dataclass(frozen=True)
class BatchNews:
    """News for a progress display: after each request, retry and finished batch."""

    kind: Literal["request", "retry", "batch"]
    done: int  # items whose batch is over
    total: int
    requests: int
    retries: int
    batches_done: int
    batches: int
    detail: str
