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
    # "path:line: message": imported, but the post has a problem worth fixing.
    warnings: list[str] = field(default_factory=list)


def catalog_lookup(
    catalog: Catalog, keys: Sequence[str]
) -> Callable[[str], KnownPaper | None]:
    """A checker lookup over what sources told the catalog about these papers (arXiv ids,
    or ``scheme:value`` identifiers: :func:`catalog.check.match.link_key`), by the read
    path ``catalog check`` uses, over the catalog's engine."""
    from catalog.store.lookup import engine_reader

    return engine_reader(catalog.engine).lookup(keys)


def import_posts(
    catalog: Catalog, files: Sequence[Path], *, dry_run: bool = False
) -> ImportSummary:
    from catalog.check.match import own_footnotes
    from catalog.posts.parse import read_post
    from catalog.posts.tables import NO_SEPARATOR

    # Parsing and storing 1,000 posts allocates millions of small objects without
    # cycles: the collector would only rescan them (see catalog.gc_pause).
    with paused_gc():
        summary = ImportSummary()
        posts = []
        for path in files:
            try:
                post = read_post(path)
            except CatalogError as exc:
                # The message names the file already: "PATH: not UTF-8 ...".
                summary.failed.append((str(path), str(exc).removeprefix(f"{path}: ")))
                continue
            # Importing with broken front matter would wipe the session's title, term and
            # tags; a file or table too large to read would drop its talks: refuse instead.
            broken = [f for f in post.findings
                      if f.code in ("frontmatter-invalid", "file-too-large", "table-too-large")]
            if broken:
                summary.failed.append((str(path), f"line {broken[0].line}: {broken[0].message}"))
                continue
            for f in post.findings:
                if f.code == "table-malformed" and f.message == NO_SEPARATOR:
                    summary.warnings.append(
                        f"{path}:{f.line}: table header has no separator row (| --- | --- |) "
                        "after it: its rows are imported, but the page does not show them as "
                        "a table; add one"
                    )
            posts.append(post)
        lookup = catalog_lookup(
            catalog, [e.arxiv_id for p in posts for r in p.rows for e in r.papers if e.arxiv_id]
        )
        items = [(post, own_footnotes(post, lookup)) for post in posts]
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            summary.imported += catalog.write(partial(store_posts, items=batch), dry_run=dry_run)
        return summary
