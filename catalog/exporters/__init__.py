"""Exporters: one small module per format, chosen by name from :data:`EXPORTERS`.

Every exporter has the same signature::

    export(papers, sessions, out, options) -> None

``papers`` and ``sessions`` are plain records (:mod:`catalog.records`); the exporter
writes text to ``out`` and never touches files or the database (the CLI does that).
The papers an export covers are ``papers`` followed by every paper of ``sessions``
not already among them (see :func:`catalog.exporters.common.collect_papers`).

The format modules import bibtexparser, PyYAML, ... so they are imported lazily, on the
first call: ``catalog --help`` must not pay for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

from catalog.records import PaperView, SessionView

__all__ = ["EXPORTERS", "FILE_SUFFIXES", "PREFER", "ExportOptions", "Exporter", "get_exporter"]

# What ExportOptions.prefer may say (the first is the default).
PREFER = ("published", "arxiv")


@dataclass(frozen=True)
class ExportOptions:
    """Options shared by all formats; a format ignores the ones that mean nothing to it.

    * ``abstracts``: add abstracts to BibTeX entries and CSL items. JSON always carries
      them and Markdown posts always show them (that is the group's footnote format).
    * ``ascii``: BibTeX only; write non-ASCII characters as LaTeX (``M{\\"u}ller``).
    * ``title``: Markdown only; the post title of a reading list (no session given).
    * ``prefer``: BibTeX and CSL; ``"published"`` types an arXiv paper that a source
      found published by where it appeared (``@inproceedings``, ``@article``, ...),
      ``"arxiv"`` writes it as its preprint (``@misc`` with the eprint), as before.
      Papers without an arXiv id are always typed by their published record.
    """

    abstracts: bool = False
    ascii: bool = False
    title: str | None = None
    prefer: str = "published"  # one of PREFER


class Exporter(Protocol):
    def __call__(
        self,
        papers: Sequence[PaperView],
        sessions: Sequence[SessionView],
        out: TextIO,
        options: ExportOptions,
    ) -> None: ...


def _lazy(module_name: str) -> Exporter:
    """An exporter that imports ``catalog.exporters.<module_name>`` when first called."""

    def export(
        papers: Sequence[PaperView],
        sessions: Sequence[SessionView],
        out: TextIO,
        options: ExportOptions,
    ) -> None:
        module = importlib.import_module(f"{__name__}.{module_name}")
        module.export(papers, sessions, out, options)

    export.__name__ = f"export_{module_name}"
    export.__qualname__ = export.__name__
    export.__doc__ = f"Export in the format of catalog.exporters.{module_name} (imported lazily)."
    return export


EXPORTERS: dict[str, Exporter] = {
    "bibtex": _lazy("bibtex"),
    "csl": _lazy("csl"),
    "json": _lazy("json"),
    "markdown": _lazy("markdown"),
}

# Suggested file name suffix per format, for the CLI's default output names.
FILE_SUFFIXES: dict[str, str] = {
    "bibtex": ".bib",
    "csl": ".csl.json",
    "json": ".json",
    "markdown": ".md",
}


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name``; raises ``KeyError`` naming the known formats."""
    try:
        return EXPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(EXPORTERS))
        raise KeyError(f"unknown export format {name!r}; known formats: {known}") from None
