"""Every written form of a paper identifier, parsed into one canonical :class:`Identifier`.

Stdlib only: the post and .bib importers use this on every link they read.

* :func:`parse_identifier` is strict: what a user typed (``doi:10.1038/nature20101``, a
  bare DOI, ``openreview:ID``, ``pmlr:v80/kazemi18a``, ``acl:N19-1423``,
  ``dblp:conf/icml/KazemiG18``, ``neurips:...``, any arXiv form, or a page URL that
  carries one of them) gives an :class:`Identifier`, anything else raises
  :class:`InvalidIdentifier` naming the input, saying what is wrong and listing the
  accepted forms. arXiv forms are :mod:`catalog.sources.arxiv.ids`'s (its
  :class:`~catalog.errors.InvalidArxivId` is an :class:`InvalidIdentifier`).
* :func:`identifier_in_url` is lenient: a link found in a post or a .bib file gives
  its identifier, or ``None``. It never raises.
* :func:`identifier_url` is the link to show for an identifier.
* :func:`link_kind` says what a link without an identifier is: a ``"paper"`` on a host
  that carries no identifier (ieeexplore, jmlr.org, usenix.org, a lab's PDF), to be
  found by its title, or a ``"video"``, ``"slides"``, ``"code"``, ``"blog"`` or
  ``"web"`` page, which is never taken for a paper.
* :func:`title_hint` reads a title out of a URL's slug (NeurIPS's legacy
  ``/paper/5346-sequence-to-sequence-learning-with-neural``), for a title search.

Canonical values (what the catalog stores and compares; see :class:`Identifier`):
DOIs in lower case (DOIs are case-insensitive), with the punctuation of the prose
around them stripped; arXiv ids without version; a NeurIPS paper either by its legacy
papers.nips.cc number (``5346``: those URLs name no year) or ``YEAR/hash/<32 hex>``;
the others as their sites write them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from catalog.errors import InvalidArxivId, InvalidIdentifier
from catalog.records import Identifier
from catalog.sources.arxiv.ids import arxiv_id_from_url, parse_arxiv_id

__all__ = [
    "ITEM_TYPES",
    "InvalidIdentifier",
    "canonical_doi",
    "canonical_identifier",
    "identifier_in_url",
    "identifier_url",
    "link_kind",
    "parse_identifier",
    "title_hint",
]

# What PaperView.item_type may be: a paper, or what a link that is not a paper is.
ITEM_TYPES = ("paper", "video", "slides", "code", "blog", "web")

# --- DOIs ---------------------------------------------------------------------------------

# 10.<registrant code, 4+ digits, maybe subdivided>/<suffix without whitespace>.
_DOI = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/\S+")
_DOI_PREFIX_SHAPE = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*")
_DOI_LABEL = re.compile(r"doi:\s*", re.IGNORECASE)
_ARXIV_DOI = "10.48550/arxiv."
# Punctuation that prose puts after a DOI ("see doi:10.1038/nature20101."); never its end.
_TRAILING = ".,;!?'\"*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _strip_prose(text: str) -> str:
    """``text`` without the punctuation prose wraps around an identifier: trailing
    ``.,;!?'"*``, and a closing bracket that has no opening one inside."""
    s = text.strip().lstrip("<(['\"")
    while s:
        last = s[-1]
        if last in _TRAILING:
            s = s[:-1]
        elif last in _CLOSERS and s.count(_CLOSERS[last]) < s.count(last):
            s = s[:-1]
        else:
            break
    return s


def _doi_hint(doi: str) -> str:
    """Why ``doi`` (prose punctuation stripped, lower-cased) is not a DOI."""
    if not doi:
        return "no DOI after the prefix"
    if any(c.isspace() for c in doi):
        return "a DOI has no spaces"
    if _CONTROL.search(doi):
        return "a DOI holds no control characters"
    prefix, slash, suffix = doi.partition("/")
    if not slash or not suffix:
        return "a DOI is 10.<registrant>/<suffix>, e.g. 10.1038/nature20101: the suffix is missing"
    if not _DOI_PREFIX_SHAPE.fullmatch(prefix):
        return "a DOI starts with 10. and the registrant's digits, e.g. 10.1038/"
    return "a DOI's registrant code has 4 to 9 digits after 10., e.g. 10.1038/"


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _unlabel(text: str) -> str:
    """``text`` without a leading ``doi:`` label."""
    m = _DOI_LABEL.match(text)
    return text[m.end() :] if m else text


def _parse_doi(text: str) -> tuple[Identifier | None, str]:
    """(identifier, "") for a DOI written bare (``10.1038/X``), or (None, hint). An
    arXiv DOI (10.48550/arXiv.ID) is the arXiv identifier ID. DOIs are case-insensitive
    for ASCII letters (the DOI Handbook), so those are lower-cased; others are kept."""
    doi = _strip_prose(text).translate(_ASCII_LOWER)
    if doi.startswith(_ARXIV_DOI):
        try:
            return Identifier("arxiv", parse_arxiv_id(doi).id), ""
        except InvalidArxivId as exc:
            return None, f"an arXiv DOI, but {exc.hint or 'not a valid arXiv id'}"
    if _DOI.fullmatch(doi) and not _CONTROL.search(doi):
        return Identifier("doi", doi), ""
    return None, _doi_hint(doi)


def canonical_doi(text: str | None) -> str | None:
    """The canonical (lower-case) form of a DOI written bare, with ``doi:`` or as a
    doi.org URL; ``None`` when it is not one (arXiv DOIs included: they are arXiv ids)."""
    if not text or not isinstance(text, str):
        return None
    s = text.strip()
    try:
        found = _from_url(s)[0] if _looks_like_url(s) else _parse_doi(_unlabel(s))[0]
    except ValueError:
        return None
    return found.value if found is not None and found.scheme == "doi" else None


# --- the other schemes, written as values -------------------------------------------------

_OPENREVIEW = re.compile(r"[A-Za-z0-9_-]{5,40}")
_PMLR = re.compile(r"(?P<vol>[vVrR][0-9]{1,4})/(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)")
_ACL_OLD = re.compile(r"(?P<letter>[A-Za-z])(?P<yy>[0-9]{2})-(?P<num>[0-9]{4})(?:v[0-9]+)?")
_ACL_NEW = re.compile(r"(?P<id>[0-9]{4}\.[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.[0-9]+)(?:v[0-9]+)?")
# DBLP record keys: type/venue/name (conf/icml/KazemiG18, journals/corr/abs-1611-00712).
_DBLP_TYPES = ("conf", "journals", "books", "phd", "series", "reference", "tr", "ms")
_DBLP = re.compile(
    r"(?P<key>(?:" + "|".join(_DBLP_TYPES) + r")(?:/[A-Za-z0-9][A-Za-z0-9_'.-]*){1,3})"
)
_NEURIPS_LEGACY = re.compile(r"[0-9]{1,5}")
_NEURIPS_HASH = re.compile(r"(?P<year>(?:19|20)[0-9]{2})/hash/(?P<hex>[0-9a-fA-F]{32})")


def _value_openreview(value: str) -> tuple[Identifier | None, str]:
    if _OPENREVIEW.fullmatch(value):
        return Identifier("openreview", value), ""
    return None, "an OpenReview id is the id= of a forum URL, e.g. BkpiPMbA-"


def _value_pmlr(value: str) -> tuple[Identifier | None, str]:
    m = _PMLR.fullmatch(value.strip("/"))
    if m:
        return Identifier("pmlr", f"{m['vol'].lower()}/{m['name']}"), ""
    return None, "a PMLR id is volume/name, e.g. v80/kazemi18a"


def _value_acl(value: str) -> tuple[Identifier | None, str]:
    value = value.strip("/")
    m = _ACL_OLD.fullmatch(value)
    if m:
        return Identifier("acl", f"{m['letter'].upper()}{m['yy']}-{m['num']}"), ""
    m = _ACL_NEW.fullmatch(value)
    if m:
        return Identifier("acl", m["id"].lower()), ""
    return None, "an ACL Anthology id looks like N19-1423 or 2020.acl-main.1"


def _value_dblp(value: str) -> tuple[Identifier | None, str]:
    m = _DBLP.fullmatch(value.strip("/"))
    if m:
        return Identifier("dblp", m["key"]), ""
    return None, "a DBLP key looks like conf/icml/KazemiG18 or journals/corr/abs-1611-00712"


def _value_neurips(value: str) -> tuple[Identifier | None, str]:
    value = value.strip("/")
    if _NEURIPS_LEGACY.fullmatch(value):
        return Identifier("neurips", str(int(value))), ""
    m = _NEURIPS_HASH.fullmatch(value)
    if m:
        return Identifier("neurips", f"{m['year']}/hash/{m['hex'].lower()}"), ""
    return None, "a NeurIPS id is a papers.nips.cc number (5346) or YEAR/hash/<32 hex digits>"


def _value_arxiv(value: str) -> tuple[Identifier | None, str]:
    try:
        return Identifier("arxiv", parse_arxiv_id(value).id), ""
    except InvalidArxivId as exc:
        return None, exc.hint or "not an arXiv id"


def _value_doi(value: str) -> tuple[Identifier | None, str]:
    return _parse_doi(value)


_PREFIXED: dict[str, Callable[[str], tuple[Identifier | None, str]]] = {
    "arxiv": _value_arxiv,
    "doi": _value_doi,
    "openreview": _value_openreview,
    "pmlr": _value_pmlr,
    "acl": _value_acl,
    "dblp": _value_dblp,
    "neurips": _value_neurips,
}
_SCHEME_PREFIX = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9]*):\s*(?P<rest>.*)", re.DOTALL)

# --- page URLs ----------------------------------------------------------------------------


def _host(netloc_host: str) -> str:
    return netloc_host.lower().removeprefix("www.")


_ARXIV_HOSTS = {"arxiv.org", "export.arxiv.org"}
_DOI_HOSTS = {"doi.org", "dx.doi.org"}
# Publishers whose landing pages are /doi/[abs|full|pdf|epdf|fullHtml/]10.xxxx/...
_DOI_PATH_HOSTS = {
    "dl.acm.org",
    "onlinelibrary.wiley.com",
    "science.org",
    "pnas.org",
    "tandfonline.com",
    "journals.sagepub.com",
    "pubs.acs.org",
}
_SPRINGER_HOSTS = {"link.springer.com"}
_NATURE_HOSTS = {"nature.com"}
_OPENREVIEW_HOSTS = {"openreview.net"}
_PMLR_HOSTS = {"proceedings.mlr.press"}
_NEURIPS_HOSTS = {"papers.nips.cc", "papers.neurips.cc", "proceedings.neurips.cc"}
_ACL_HOSTS = {"aclanthology.org", "aclweb.org"}
_DBLP_HOSTS = {"dblp.org", "dblp.uni-trier.de", "dblp.dagstuhl.de"}
# Hosts a link may be written without a scheme for (``nature.com/articles/X``).
_KNOWN_HOSTS = (
    _ARXIV_HOSTS | _DOI_HOSTS | _DOI_PATH_HOSTS | _SPRINGER_HOSTS | _NATURE_HOSTS
    | _OPENREVIEW_HOSTS | _PMLR_HOSTS | _NEURIPS_HOSTS | _ACL_HOSTS | _DBLP_HOSTS
    | {"jmlr.org"}
)  # fmt: skip

_DOI_PATH = re.compile(r"/doi/(?:(?:abs|full|pdf|epdf|fullHtml|reader|pdfdirect)/)?(?P<doi>10\..+)")
_SPRINGER_PATH = re.compile(
    r"/(?:(?:article|chapter|book|referenceworkentry|protocol)/(?P<doi>10\..+)"
    r"|content/pdf/(?P<pdf>10\..+)\.pdf)"
)
_NATURE_PATH = re.compile(r"/articles/(?P<article>[^/]+?)(?:\.pdf)?/?")
_PMLR_PATH = re.compile(
    r"/(?P<vol>[vr][0-9]{1,4})/(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)"
    r"(?:\.html|\.pdf|/(?:[A-Za-z0-9_.-]+\.pdf)?)?"
)
# PMLR was JMLR's Workshop and Conference Proceedings: same volumes, same names.
_JMLR_WCP_PATH = re.compile(r"/proceedings/papers" + _PMLR_PATH.pattern)
_NEURIPS_LEGACY_PATH = re.compile(
    r"/paper/(?P<num>[0-9]{1,5})-(?P<slug>[A-Za-z0-9-]*?)(?:\.pdf)?/?"
)
_NEURIPS_HASH_PATH = re.compile(
    r"/paper(?:_files/paper)?/(?P<year>(?:19|20)[0-9]{2})/(?:hash|file)/"
    r"(?P<hex>[0-9a-fA-F]{32})-[A-Za-z_-]+\.(?:html|pdf|zip|json|bib)"
)
_ACL_PATH = re.compile(
    r"/(?:anthology/(?:[A-Za-z]/[A-Za-z][0-9]{2}/)?)?(?P<id>[^/]+?)(?:\.pdf|\.bib|\.xml)?/?"
)
_DBLP_PATH = re.compile(
    r"/rec/(?:(?:bibtex|bib|xml|html)/)?(?P<key>.+?)"
    r"(?:\.html|\.xml|\.bib|\.ris|\.nt|\.rdf|\.ttl)?/?"
)


# Top-level domains that make "host/..." typed without a scheme a URL. Lower case only:
# an arXiv subject class (math.CA/0101001) is upper case.
_TLDS = {
    "com", "org", "net", "edu", "gov", "io", "cc", "press", "info", "ai", "dev", "pub",
    "science", "uk", "de", "fr", "ca", "au", "ch", "nl", "jp", "cn", "be", "it", "es",
}  # fmt: skip
_HOSTNAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _looks_like_url(s: str) -> bool:
    if "://" in s:
        return True
    host = s.split("/", 1)[0]
    if _host(host) in _KNOWN_HOSTS:
        return True
    return bool(_HOSTNAME.fullmatch(host)) and host.rsplit(".", 1)[-1] in _TLDS


def _split(s: str) -> tuple[str, str, str] | None:
    """(host without www., path, query) of an http(s) URL, or None."""
    if "://" not in s:
        s = "https://" + s
    parts = urlsplit(s)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return _host(parts.hostname or ""), parts.path, parts.query


def _from_url(s: str) -> tuple[Identifier | None, str]:
    """The identifier a page URL carries, or (None, why not). Never raises on odd URLs
    (the caller catches what urlsplit raises)."""
    split = _split(s)
    if split is None:
        return None, "only http(s) links carry an identifier"
    host, raw_path, query = split
    path = unquote(raw_path)
    if host in _ARXIV_HOSTS:
        arxiv = arxiv_id_from_url(s)
        if arxiv is None:
            return None, "not an arxiv.org abs/pdf URL with a valid arXiv id"
        return Identifier("arxiv", arxiv.id), ""
    if host in _DOI_HOSTS:
        doi = _unlabel(path.lstrip("/"))
        return _parse_doi(doi) if doi else (None, "no DOI after doi.org/")
    if host in _DOI_PATH_HOSTS:
        m = _DOI_PATH.fullmatch(path)
        if m:
            return _parse_doi(m["doi"].rstrip("/"))
        return None, f"{host} links carry a DOI as {host}/doi/10...."
    if host in _SPRINGER_HOSTS:
        m = _SPRINGER_PATH.fullmatch(path)
        if m:
            return _parse_doi((m["doi"] or m["pdf"]).rstrip("/"))
        return None, "link.springer.com links carry a DOI as /article/10.... or /chapter/10...."
    if host in _NATURE_HOSTS:
        m = _NATURE_PATH.fullmatch(path)
        if m:
            return _parse_doi(f"10.1038/{m['article']}")
        return None, "nature.com links carry a DOI as nature.com/articles/NAME"
    if host in _OPENREVIEW_HOSTS:
        if path.rstrip("/") in ("/forum", "/pdf", "/attachment"):
            ids = parse_qs(query).get("id")
            if ids:
                return _value_openreview(ids[0])
            return None, "an OpenReview link names its paper with ?id="
        return None, "OpenReview papers are openreview.net/forum?id=... or /pdf?id=..."
    if host in _PMLR_HOSTS:
        m = _PMLR_PATH.fullmatch(path)
        if m:
            return Identifier("pmlr", f"{m['vol']}/{m['name']}"), ""
        return None, "PMLR papers are proceedings.mlr.press/vN/NAME.html or .pdf"
    if host == "jmlr.org":
        m = _JMLR_WCP_PATH.fullmatch(path)
        if m:
            return Identifier("pmlr", f"{m['vol']}/{m['name']}"), ""
        return None, _NO_ID_HINT.format(host=host)
    if host in _NEURIPS_HOSTS:
        m = _NEURIPS_HASH_PATH.fullmatch(path)
        if m:
            return Identifier("neurips", f"{m['year']}/hash/{m['hex'].lower()}"), ""
        m = _NEURIPS_LEGACY_PATH.fullmatch(path)
        if m and m["slug"] is not None and (m["slug"] or path.endswith(".pdf")):
            return Identifier("neurips", str(int(m["num"]))), ""
        return (
            None,
            "NeurIPS papers are .../paper/NNNN-title or .../paper/YEAR/hash/HEX-Abstract.html",
        )
    if host in _ACL_HOSTS:
        m = _ACL_PATH.fullmatch(path)
        if m and (host == "aclanthology.org" or path.startswith("/anthology/")):
            acl, _ = _value_acl(m["id"])
            if acl is not None:
                return acl, ""
        return (
            None,
            "ACL Anthology papers are aclanthology.org/ID/, e.g. aclanthology.org/N19-1423/",
        )
    if host in _DBLP_HOSTS:
        m = _DBLP_PATH.fullmatch(path)
        if m:
            return _value_dblp(m["key"])
        return None, "DBLP records are dblp.org/rec/KEY, e.g. dblp.org/rec/conf/icml/KazemiG18"
    if _kind_of_host(host, path) == "paper" or path.lower().endswith(".pdf"):
        return None, _NO_ID_HINT.format(host=host or s)
    return None, f"{host or s} is not a page the catalog reads identifiers from"


_NO_ID_HINT = (
    "{host} pages carry no identifier: give the paper's DOI, or import the link from a "
    "post and let catalog resolve find the paper by its title"
)


def parse_identifier(text: str) -> Identifier:
    """Parse any accepted written form of a paper identifier, strictly.

    Raises :class:`InvalidIdentifier` (exit 2) naming ``text``, with a hint on what is
    wrong and the accepted forms. Page URLs of hosts that carry no identifier
    (ieeexplore, jmlr.org papers, usenix.org, a lab's PDF) are refused too: a paper
    there is found by its title, from the post or .bib file that links it.
    """
    if not isinstance(text, str):
        raise InvalidIdentifier(repr(text), "expected text")
    s = _strip_prose(text)  # "(doi:10.1038/nature20101)," as prose writes it
    if not s:
        raise InvalidIdentifier(text, "empty input")
    found: Identifier | None
    try:
        m = _SCHEME_PREFIX.fullmatch(s)
        parse = _PREFIXED.get(m["scheme"].lower()) if m else None
        if m and parse:
            found, hint = parse(m["rest"].strip())
        elif s.startswith("10."):
            found, hint = _parse_doi(s)
        elif _looks_like_url(s):
            found, hint = _from_url(s)
        elif m:
            known = ", ".join(f"{name}:" for name in _PREFIXED)
            found, hint = None, f"unknown scheme {m['scheme']}:, known: {known}"
        else:
            found, hint = _bare(s)
    except ValueError:  # urlsplit on a malformed host ("http://[::1")
        found, hint = None, "a malformed URL"
    if found is None:
        raise InvalidIdentifier(text, hint)
    return found


def _bare(s: str) -> tuple[Identifier | None, str]:
    """Text without a scheme, URL or DOI prefix: an arXiv id, or a hint on what to write."""
    try:
        return Identifier("arxiv", parse_arxiv_id(s).id), ""
    except InvalidArxivId as exc:
        arxiv_hint = exc.hint or ""
    if _DBLP.fullmatch(s):
        return None, f"a DBLP key? write dblp:{s}"
    if _ACL_OLD.fullmatch(s) or _ACL_NEW.fullmatch(s):
        return None, f"an ACL Anthology id? write acl:{s}"
    if _PMLR.fullmatch(s):
        return None, f"a PMLR id? write pmlr:{s}"
    if re.fullmatch(r"[0-9]+[.v/][0-9.v/]*|[A-Za-z][A-Za-z.-]*/[0-9]+(?:v[0-9]*)?|[0-9]{7,9}", s):
        return None, f"as an arXiv id: {arxiv_hint}"
    return None, "expected an arXiv id, a DOI (10....), a page URL, or scheme:value"


def canonical_identifier(ident: Identifier) -> Identifier | None:
    """``ident`` in its canonical form (``arxiv:1611.00712v2`` gives ``1611.00712``, a DOI
    in lower case, an arXiv DOI the arXiv id), or None when its value is not one of its
    scheme's. For records from sources, whose values the catalog compares as stored."""
    try:
        found = parse_identifier(f"{ident.scheme}:{ident.value}")
    except InvalidIdentifier:
        return None
    if found.scheme == ident.scheme or (ident.scheme == "doi" and found.scheme == "arxiv"):
        return found
    return None


def identifier_in_url(url: str) -> Identifier | None:
    """The identifier a link carries (a page URL of any accepted form, or a ``doi:``
    URI), else ``None``. Lenient about the URL's shape, strict about the identifier;
    never raises."""
    try:
        if not isinstance(url, str):
            return None
        s = url.strip()
        if not s:
            return None
        if _DOI_LABEL.match(s):
            found, _ = _parse_doi(_unlabel(s))
            return found
        if not _looks_like_url(s):
            return None
        found, _ = _from_url(s)
        return found
    except Exception:  # lenient by contract: any oddity means "no identifier here"
        return None


# Characters a DOI keeps in a doi.org URL; the rest ("#", "?", "%", spaces) are encoded.
_DOI_URL_SAFE = "/:;()._-~!$&'*+,=@"


def identifier_url(ident: Identifier) -> str | None:
    """The page to show for ``ident``; ``None`` when it names no page by itself (a
    legacy NeurIPS number: papers.nips.cc's old links also carried the title)."""
    scheme, value = ident.scheme, ident.value
    if scheme == "arxiv":
        return f"https://arxiv.org/abs/{value}"
    if scheme == "doi":
        return f"https://doi.org/{quote(value, safe=_DOI_URL_SAFE)}"
    if scheme == "openreview":
        return f"https://openreview.net/forum?id={quote(value, safe='')}"
    if scheme == "pmlr":
        return f"https://proceedings.mlr.press/{value}.html"
    if scheme == "acl":
        return f"https://aclanthology.org/{value}/"
    if scheme == "dblp":
        return f"https://dblp.org/rec/{value}.html"
    if scheme == "neurips":
        m = _NEURIPS_HASH.fullmatch(value)
        if m is None:
            return None
        # From 2022 on the proceedings name the track in the page name.
        page = "Abstract" if int(m["year"]) < 2022 else "Abstract-Conference"
        return f"https://proceedings.neurips.cc/paper_files/paper/{m['year']}/hash/{m['hex']}-{page}.html"
    return None


# --- links that are not papers ------------------------------------------------------------

_VIDEO_HOSTS = {
    "youtube.com", "m.youtube.com", "youtu.be", "youtube-nocookie.com", "vimeo.com",
    "player.vimeo.com", "videolectures.net", "slideslive.com", "bilibili.com",
    "dailymotion.com", "twitch.tv", "loom.com", "tiktok.com",
}  # fmt: skip
_SLIDES_HOSTS = {
    "slideshare.net", "speakerdeck.com", "prezi.com", "slides.com", "slides.google.com",
    "pitch.com",
}  # fmt: skip
_CODE_HOSTS = {
    "github.com", "gist.github.com", "gitlab.com", "bitbucket.org", "codeberg.org",
    "sourceforge.net", "colab.research.google.com", "huggingface.co", "kaggle.com",
    "pypi.org", "cran.r-project.org", "sr.ht", "git.sr.ht",
}  # fmt: skip
_BLOG_HOSTS = {
    "medium.com", "towardsdatascience.com", "substack.com", "wordpress.com", "blogspot.com",
    "blogger.com", "ghost.io", "dev.to", "hackernoon.com", "thegradient.pub",
    "ai.googleblog.com", "bair.berkeley.edu", "lilianweng.github.io", "colah.github.io",
    "karpathy.github.io", "jalammar.github.io", "hashnode.dev", "tumblr.com",
}  # fmt: skip
# Hosts of papers that carry no identifier in their URLs (or whose identifiers the
# catalog does not read): such a link is a paper, found by its title.
_PAPER_HOSTS = {
    "ieeexplore.ieee.org", "computer.org", "jmlr.org", "usenix.org", "ncbi.nlm.nih.gov",
    "pubmed.ncbi.nlm.nih.gov", "europepmc.org", "sciencedirect.com", "springer.com",
    "cell.com", "academic.oup.com", "iopscience.iop.org", "journals.aps.org",
    "journals.plos.org", "frontiersin.org", "mdpi.com", "jstor.org", "biorxiv.org",
    "medrxiv.org", "ssrn.com", "papers.ssrn.com", "semanticscholar.org", "researchgate.net",
    "openaccess.thecvf.com", "cv-foundation.org", "ecva.net", "ojs.aaai.org", "aaai.org",
    "ijcai.org", "iclr.cc", "icml.cc", "neurips.cc", "nips.cc", "mlr.press", "distill.pub",
    "royalsocietypublishing.org", "elifesciences.org", "bmj.com", "thelancet.com",
    "nejm.org", "science.sciencemag.org", "citeseerx.ist.psu.edu", "hal.science",
    "hal.archives-ouvertes.fr", "isca-speech.org", "aclweb.org", "dl.acm.org",
    "proceedings.neurips.cc", "papers.nips.cc", "openreview.net", "aclanthology.org",
    "proceedings.mlr.press", "link.springer.com", "nature.com", "onlinelibrary.wiley.com",
    "science.org", "pnas.org", "tandfonline.com", "journals.sagepub.com", "pubs.acs.org",
    "doi.org", "dx.doi.org", "arxiv.org", "export.arxiv.org", "dblp.org",
}  # fmt: skip
_SLIDES_EXT = (".ppt", ".pptx", ".key", ".odp", ".pps", ".ppsx")
_VIDEO_EXT = (".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v")
_CODE_EXT = (".ipynb", ".py", ".zip", ".tar.gz", ".tgz")
_PAPER_EXT = (".pdf", ".ps", ".ps.gz", ".djvu")
_SLIDES_WORD = re.compile(r"(?:^|[^a-z])(?:slides?|talk|presentation|deck)(?:[^a-z]|$)")
_POST_PATH = re.compile(
    r"/(?:posts?|blog|articles?|notes)/|/(?:19|20)[0-9]{2}/[0-9]{2}/|/(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}-"
)


def _suffix_host(host: str, table: set[str]) -> bool:
    """``host`` or one of its parent domains is in ``table`` (``x.medium.com``)."""
    while host:
        if host in table:
            return True
        _, dot, host = host.partition(".")
        if not dot:
            return False
    return False


def _kind_of_host(host: str, path: str) -> str | None:
    """What a link is by its host and path alone, or None when they do not say."""
    low = path.lower()
    if low.endswith(_VIDEO_EXT) or _suffix_host(host, _VIDEO_HOSTS):
        return "video"
    if (
        low.endswith(_SLIDES_EXT)
        or _suffix_host(host, _SLIDES_HOSTS)
        or (host == "docs.google.com" and low.startswith("/presentation"))
    ):
        return "slides"
    if low.endswith(_PAPER_EXT):
        name = low.rsplit("/", 1)[-1]
        return "slides" if _SLIDES_WORD.search(name) else "paper"
    if host == "github.com" and "/blob/" not in low and "/raw/" not in low and low.count("/") <= 2:
        return "code"
    if _suffix_host(host, _CODE_HOSTS):
        return "code"
    if _suffix_host(host, _BLOG_HOSTS) or host.startswith("blog.") or "/blog/" in low:
        return "blog"
    if host.endswith(".github.io") and _POST_PATH.search(low):
        return "blog"
    if _suffix_host(host, _PAPER_HOSTS):
        return "paper"
    return None


def link_kind(url: str | None) -> str:
    """What a link is, one of :data:`ITEM_TYPES`: ``"paper"`` when it carries an
    identifier, is on a host of papers or is a PDF (a lab's paper); ``"video"``
    (YouTube, Vimeo, SlidesLive, .mp4, ...), ``"slides"`` (SlideShare, Speaker Deck,
    Google Slides, .pptx, a PDF named slides/talk), ``"code"`` (GitHub, GitLab,
    Colab, ...), ``"blog"`` (Medium, Substack, blog.* hosts, /blog/ paths, posts on
    *.github.io); ``"web"`` for any other page. Never raises."""
    try:
        if not url or not isinstance(url, str):
            return "web"
        s = url.strip()
        if identifier_in_url(s) is not None:
            return "paper"
        if "://" not in s and not _looks_like_url(s):
            # A site-relative link ("/talks/x.pdf"): only its path says anything.
            return _kind_of_host("", urlsplit(s).path) or "web"
        split = _split(s)
        if split is None:
            return "web"
        host, path, _ = split
        return _kind_of_host(host, unquote(path)) or "web"
    except Exception:
        return "web"


# --- titles in slugs ----------------------------------------------------------------------

_SLUG_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']*|[0-9]+")
_ID_LIKE = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}|[0-9]{5,}")


def title_hint(url: str | None) -> str | None:
    """Words of a title that a URL's last path segment spells (lower case, maybe cut
    short, as slugs are), for a title search; None when it spells none. NeurIPS legacy
    ``/paper/5346-sequence-to-sequence-learning-with-neural`` gives "sequence to
    sequence learning with neural"; a blog post's ``/2018/07/31/some-long-title-1a2b3c4d5e6f``
    gives "some long title". Never raises."""
    try:
        if not url or not isinstance(url, str):
            return None
        parts = urlsplit(url.strip() if "://" in url else "https://" + url.strip())
        path = unquote(parts.path)
        m = _NEURIPS_LEGACY_PATH.fullmatch(path)
        segments = [seg for seg in path.split("/") if seg]
        if m and _host(parts.hostname or "") in _NEURIPS_HOSTS:
            slug = m["slug"]
        elif segments:
            slug = segments[-1]
            if slug.lower() in ("index.html", "index.htm", "index.php") and len(segments) > 1:
                slug = segments[-2]
            slug = re.sub(r"\.(?:html?|php|aspx?|pdf)$", "", slug, flags=re.IGNORECASE)
        else:
            return None
        if "-" not in slug and "_" not in slug:
            return None
        words = re.split(r"[-_]+", slug)
        while words and (words[0].isdigit() or not words[0]):  # dates, paper numbers
            words.pop(0)
        while words and (not words[-1] or _ID_LIKE.fullmatch(words[-1].lower())):
            words.pop()
        if sum(1 for w in words if w.isalpha()) < 3 or not all(
            _SLUG_WORD.fullmatch(w) for w in words
        ):
            return None
        return " ".join(words).lower()
    except Exception:
        return None
