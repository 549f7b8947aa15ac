"""arXiv: ids (``ids``), the Atom feed reader (``feed``), the API client (``client``) and
the source of WorkRecords for the resolver (``source``).

Only the stdlib-only id helpers are re-exported here: importing ``catalog.sources.arxiv.ids``
runs this file first, and the post parser must not pay for httpx or defusedxml.
Import ``catalog.sources.arxiv.client`` / ``.feed`` / ``.source`` explicitly where needed.
"""

from catalog.sources.arxiv.ids import ArxivId, arxiv_id_from_url, parse_arxiv_id

__all__ = ["ArxivId", "arxiv_id_from_url", "parse_arxiv_id"]
