"""Domain errors. The library raises these; the CLI turns each into one line on
stderr and an exit code (see ``catalog.cli.main.EXIT_CODES``)."""

from __future__ import annotations


class CatalogError(Exception):
    """Base class for every error the CLI reports as one line."""

    exit_code = 1


class InvalidIdentifier(CatalogError, ValueError):
    """Input that is not any accepted written form of a paper identifier (an arXiv id,
    a DOI, an OpenReview, PMLR, NeurIPS, ACL Anthology or DBLP id or page URL).

    The message names the input, says what is wrong (``hint``) and lists the accepted
    forms; ``text`` and ``hint`` are kept for callers that report it their own way.
    """

    exit_code = 2
    what = "a paper identifier"
    forms = (
        "arXiv ids (1611.00712, arxiv:hep-th/9901001, arxiv.org/abs/... URLs), "
        "doi:10.1038/nature20101, 10.1038/nature20101, https://doi.org/10.1038/nature20101, "
        "dl.acm.org/doi/10..., link.springer.com/article/10..., nature.com/articles/..., "
        "openreview:BkpiPMbA-, openreview.net/forum?id=..., pmlr:v80/kazemi18a, "
        "proceedings.mlr.press/v80/kazemi18a.html, papers.nips.cc/paper/5346-..., "
        "proceedings.neurips.cc/paper/2020/hash/...-Abstract.html, acl:N19-1423, "
        "aclanthology.org/N19-1423/, dblp:conf/icml/KazemiG18, dblp.org/rec/..."
    )

    def __init__(self, text: str, hint: str | None = None) -> None:
        self.text = text
        self.hint = hint
        msg = f"not {self.what}: {text!r}"
        if hint:
            msg += f" ({hint})"
        super().__init__(f"{msg}; accepted forms: {self.forms}")


class InvalidArxivId(InvalidIdentifier):
    """Input that is not any accepted form of arXiv identifier."""

    what = "an arXiv id"
    forms = (
        "arxiv:1611.00712, 2301.12345v3, hep-th/9901001, math.GT/0309136v2, "
        "https://arxiv.org/abs/1611.00712, https://arxiv.org/pdf/1611.00712.pdf, "
        "10.48550/arXiv.1611.00712"
    )


class SourceUnavailable(CatalogError):
    """A metadata source (arXiv, Crossref, DBLP, ...) could not be reached, or kept
    failing, after its retries."""

    exit_code = 3


class SourceConfigError(CatalogError):
    """A source's configuration is wrong: CATALOG_SOURCES names an unknown source, or an
    endpoint or delay variable holds something unusable."""

    exit_code = 2


class ArxivUnavailable(SourceUnavailable):
    """arXiv could not be reached or kept failing after retries."""


class PostReadError(CatalogError):
    """A post file could not be read (missing, unreadable, not UTF-8)."""

    exit_code = 2


class NotFound(CatalogError):
    """A paper, session or presenter named by the user is not in the catalog."""

    exit_code = 1


class DatabaseError(CatalogError):
    """The database URL is bad, the driver is missing, or the schema is too new."""

    exit_code = 4


class InvalidSearch(CatalogError):
    """A search or listing the store cannot run as asked (a query too long, an unknown
    sort key, a negative limit)."""

    exit_code = 2
