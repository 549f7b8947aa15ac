"""Import posts into the catalog: parse, find each row's own footnote, store.

Posts are stored in batches, each batch one transaction: a post is either wholly in
the catalog or not at all, and a large ``_posts/`` folder costs a few statements per
batch rather than per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from catalog.check.findings import KnownPaper
from catalog.errors import CatalogError
from catalog.gc_pause import paused_gc
from catalog.store.catalog import Catalog
from catalog.store.post_import import PostImport, store_posts

# Posts per transaction: large enough to amortise the statements, small enough that
# concurrent writers are not kept waiting long.
BATCH = 200


@dataclass
class ImportSummary:
    imported: list[PostImport] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def catalog_lookup(
    catalog: Catalog, arxiv_ids: Sequence[str]
) -> Callable[[str], KnownPaper | None]:
    """A checker lookup over what arXiv told the catalog about these ids."""
    known = catalog.arxiv_metadata(arxiv_ids)

    def lookup(arxiv_id: str) -> KnownPaper | None:
        hit = known.get(arxiv_id)
        return KnownPaper(arxiv_id, hit[0], hit[1]) if hit else None

    return lookup


def import_posts(
    catalog: Catalog, files: Sequence[Path], *, dry_run: bool = False
) -> ImportSummary:
    from catalog.check.match import own_footnotes
    from catalog.posts.parse import read_post

    # Parsing and storing 1,000 posts allocates millions of small objects without
    # cycles: the collector would only rescan them (see catalog.gc_pause).
    with paused_gc():
        summary = ImportSummary()
        posts = []
        for path in files:
            try:
                post = read_post(path)
            except CatalogError as exc:
                summary.failed.append((str(path), str(exc)))
                continue
            broken = [f for f in post.findings if f.code == "frontmatter-invalid"]
            if broken:
                # Importing would wipe the session's title, term and tags: refuse instead.
                summary.failed.append((str(path), f"line {broken[0].line}: {broken[0].message}"))
                continue
            posts.append(post)
        lookup = catalog_lookup(catalog, [r.arxiv_id for p in posts for r in p.rows if r.arxiv_id])
        items = [(post, own_footnotes(post, lookup)) for post in posts]
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            summary.imported += catalog.write(partial(store_posts, items=batch), dry_run=dry_run)
        return summary
