"""Lint reading-group posts: footnotes that drift from their rows, empty links, bad tables.

``Finding``, ``KnownPaper`` and ``CODES`` are light; ``check_post``, ``fix_post``,
``unified_diff``, ``render_text`` and ``render_json`` are imported on first use so that
``catalog.posts`` (which reports parse findings) can import this package cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog.check.findings import CODES, SEVERITY, Finding, KnownPaper

if TYPE_CHECKING:
    from catalog.check.fix import fix_post, unified_diff
    from catalog.check.report import render_json, render_text
    from catalog.check.rules import check_post

__all__ = [
    "CODES",
    "SEVERITY",
    "Finding",
    "KnownPaper",
    "check_post",
    "fix_post",
    "render_json",
    "render_text",
    "unified_diff",
]

_LAZY = {
    "check_post": "catalog.check.rules",
    "fix_post": "catalog.check.fix",
    "unified_diff": "catalog.check.fix",
    "render_text": "catalog.check.report",
    "render_json": "catalog.check.report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'catalog.check' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
