"""Merge a .bib file's entries into the catalog.

Entries are matched to catalogued papers by arXiv id, then DOI, then URL, then
title; a match is filled in (never overwriting what arXiv said) and keeps the .bib
citation key when it has none yet, so existing LaTeX documents keep citing it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.errors import PostReadError
from catalog.records import PaperView
from catalog.store.catalog import Catalog, set_abstract, set_authors, utcnow
from catalog.store.models import Paper
from catalog.store.sessions import find_paper_for
from catalog.text import title_key, url_key


@dataclass
class BibReport:
    path: str
    added: list[str] = field(default_factory=list)  # citation keys
    merged: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _key_taken(s: DbSession, key: str, paper_id: int | None) -> bool:
    owner = s.execute(select(Paper.id).where(Paper.citation_key == key)).scalar_one_or_none()
    return owner is not None and owner != paper_id


def merge_entry(s: DbSession, view: PaperView) -> tuple[str, str]:
    """Store one .bib entry; return (status, citation key)."""
    paper = find_paper_for(s, arxiv_id=view.arxiv_id, url=view.url, title=view.title)
    if paper is None and view.doi:
        paper = s.execute(
            select(Paper).where(col(Paper.doi) == view.doi).limit(1)
        ).scalar_one_or_none()
    status = "merged"
    if paper is None:
        status = "added"
        paper = Paper(
            arxiv_id=view.arxiv_id,
            title=view.title,
            title_key=title_key(view.title),
            categories=[],
            extra_fields={},
            sync_source="bib",
            created_at=utcnow(),
        )
    from_arxiv = paper.synced_at is not None
    if not from_arxiv:
        paper.title = view.title or paper.title
        paper.title_key = title_key(paper.title)
        if view.published and paper.published is None:
            from datetime import UTC, datetime

            paper.published = datetime(
                view.published.year, view.published.month, view.published.day, tzinfo=UTC
            )
    paper.url = paper.url or view.url
    paper.url_key = url_key(paper.url)
    paper.doi = paper.doi or view.doi
    paper.journal_ref = paper.journal_ref or view.journal_ref
    paper.venue = paper.venue or view.venue
    paper.entry_type = paper.entry_type or view.entry_type
    paper.extra_fields = {**view.extra_fields, **(paper.extra_fields or {})}
    key = view.citation_key
    if key and paper.citation_key is None and not _key_taken(s, key, paper.id):
        paper.citation_key = key
    s.add(paper)
    s.flush()
    assert paper.id is not None
    if view.authors and (status == "added" or not from_arxiv):
        set_authors(s, paper.id, view.authors)
    if view.abstract:
        set_abstract(s, paper.id, view.abstract, "bib", view.citation_key or "")
    return status, paper.citation_key or key or ""


def import_bib(catalog: Catalog, path: Path, *, dry_run: bool = False) -> BibReport:
    from catalog.importers.bib import read_bib

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PostReadError(f"{path}: cannot read .bib file: {reason}") from None
    parsed = read_bib(text, str(path))
    report = BibReport(str(path), failed=list(parsed.failed))

    def work(s: DbSession) -> None:
        for view in parsed.papers:
            status, key = merge_entry(s, view)
            (report.added if status == "added" else report.merged).append(key)

    catalog.write(work, dry_run=dry_run)
    return report


def import_bib_files(catalog: Catalog, files: list[Path], *, dry_run: bool, fmt: str) -> int:
    """The CLI side of ``catalog import refs.bib``; returns the number of failures."""
    reports = [import_bib(catalog, path, dry_run=dry_run) for path in files]
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in reports], indent=2, ensure_ascii=False))
    else:
        verb = "would add" if dry_run else "added"
        for r in reports:
            click.echo(
                f"{r.path}: {verb} {len(r.added)}, merged {len(r.merged)}"
                + (f", {len(r.failed)} blocks failed" if r.failed else "")
            )
    for r in reports:
        for line, message in r.failed:
            click.echo(f"{r.path}:{line}: could not parse: {message}", err=True)
    return sum(len(r.failed) for r in reports)
