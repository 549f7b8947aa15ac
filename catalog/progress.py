"""What a batched command (``catalog sync``, ``catalog resolve``) tells its progress display
after each request, retry and finished batch. Stdlib only: the CLI's bar imports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["BatchCounts", "BatchNews"]

NewsKind = Literal["request", "retry", "batch"]


class BatchCounts(Protocol):
    """The counters a batched run's report keeps, which its news repeats."""

    planned: int
    requests: int
    retries: int
    batches_done: int
    batches: int


@dataclass(frozen=True)
class BatchNews:
    """News for a progress display: after each request, retry and finished batch."""

    kind: NewsKind
    done: int  # items whose batch is over
    total: int
    requests: int
    retries: int
    batches_done: int
    batches: int
    detail: str

    @classmethod
    def of(cls, kind: NewsKind, report: BatchCounts, done: int, detail: str = "") -> BatchNews:
        """The news of ``report`` as it stands, ``done`` of its planned items finished."""
        return cls(
            kind, done, report.planned, report.requests, report.retries,
            report.batches_done, report.batches, detail,
        )  # fmt: skip
