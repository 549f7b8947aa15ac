"""Parse and format every form of arXiv identifier.

Stdlib only: the post parser imports this on every run, so it must stay light.

Two entry points:

* :func:`parse_arxiv_id` is strict. It takes what a user typed (bare id, ``arXiv:`` id,
  abs/pdf URL, ``10.48550/arXiv.`` DOI or DOI URL) and either returns an :class:`ArxivId`
  or raises :class:`~catalog.errors.InvalidArxivId` with a hint saying what is wrong.
* :func:`arxiv_id_from_url` is lenient. It takes any link found in a post and returns an
  :class:`ArxivId` when the link is an arXiv abs/pdf page or an arXiv DOI, else ``None``.
  It never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from catalog.errors import InvalidArxivId

__all__ = ["ArxivId", "parse_arxiv_id", "arxiv_id_from_url"]

# arXiv DOIs: 10.48550/arXiv.<id>. DOIs are case-insensitive, so "arxiv." is too.
DOI_PREFIX = "10.48550/arxiv."

_NEW = re.compile(r"(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})\.(?P<num>[0-9]+)(?:v(?P<v>[0-9]+))?")
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subj>[A-Z]{2}))?"
    r"/(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<num>[0-9]{3})(?:v(?P<v>[0-9]+))?"
)
# Loose shapes, only used to choose a helpful hint.
_LOOSE_NEW = re.compile(r"[0-9]+\.[0-9]+(?:v[0-9]*)?")
_LOOSE_OLD = re.compile(r"[A-Za-z][A-Za-z.-]*/[0-9]+(?:v[0-9]*)?")
_ARXIV_PREFIX = re.compile(r"arxiv:\s*", re.IGNORECASE)
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org"}
_DOI_HOSTS = {"doi.org", "dx.doi.org", "www.doi.org"}


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier: canonical id without version, plus an optional version."""

    # Hidden sort key, compared first, so that sorting ids with and without a version never
    # compares None with an int (plain order=True would raise TypeError for that).
    _sort_key: tuple[str, int] = field(init=False, repr=False, compare=True)
    id: str  # "1611.00712", "hep-th/9901001", "math.GT/0309136"
    version: int | None = None

    def __post_init__(self) -> None:
        key = (self.id, -1 if self.version is None else self.version)
        object.__setattr__(self, "_sort_key", key)

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"

    @property
    def versioned(self) -> str:
        """``"1611.00712v2"``, or ``"1611.00712"`` when no version is known."""
        return str(self)

    @property
    def is_old_style(self) -> bool:
        return "/" in self.id

    @property
    def api_id(self) -> str:
        """The id as arXiv's API writes it in answers: old-style ids lose their subject class
        (asking for ``math.GT/0309136`` gives an entry ``.../abs/math/0309136v1``)."""
        if "/" not in self.id:
            return self.id
        archive, number = self.id.split("/", 1)
        return f"{archive.split('.', 1)[0]}/{number}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self}"

    @property
    def doi(self) -> str:
        """The DataCite DOI arXiv assigns to every paper (it names no version)."""
        return f"10.48550/arXiv.{self.id}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted form of arXiv id, strictly.

    Raises :class:`InvalidArxivId` naming the input, with a hint on what is wrong.
    """
    if not isinstance(text, str):
        raise InvalidArxivId(repr(text), "expected text")
    s = text.strip()
    if not s:
        raise InvalidArxivId(text, "empty input")
    m = _ARXIV_PREFIX.match(s)
    if m:
        s = s[m.end() :]
    elif _looks_like_url(s):
        candidate = _id_part_of_url(s)
        if candidate is None:
            raise InvalidArxivId(
                text, "not an arxiv.org abs/pdf URL or a doi.org URL of an arXiv DOI"
            )
        s = candidate
    elif s.lower().startswith(DOI_PREFIX):
        s = s[len(DOI_PREFIX) :]
    elif s.lower().startswith("doi:"):
        rest = s[4:].strip()
        if not rest.lower().startswith(DOI_PREFIX):
            raise InvalidArxivId(text, "not an arXiv DOI (arXiv DOIs start with 10.48550/arXiv.)")
        s = rest[len(DOI_PREFIX) :]
    elif s.startswith("10."):
        raise InvalidArxivId(text, "not an arXiv DOI (arXiv DOIs start with 10.48550/arXiv.)")
    result, hint = _parse_bare(s)
    if result is None:
        raise InvalidArxivId(text, hint)
    return result


def arxiv_id_from_url(url: str) -> ArxivId | None:
    """Return the arXiv id named by an arxiv.org abs/pdf URL or an arXiv DOI URL, else None.

    Lenient about the URL's shape (scheme, ``www.``/``export.`` host, ``.pdf``, trailing
    slash, query, fragment); strict about the id itself. Never raises.
    """
    try:
        if not isinstance(url, str):
            return None
        s = url.strip()
        if not _looks_like_url(s):
            return None
        candidate = _id_part_of_url(s)
        if candidate is None:
            return None
        result, _ = _parse_bare(candidate)
        return result
    except Exception:  # lenient by contract: any oddity means "not an arXiv link"
        return None


def _looks_like_url(s: str) -> bool:
    low = s.lower()
    if "://" in low:
        return True
    host = low.split("/", 1)[0]
    return host in _ARXIV_HOSTS or host in _DOI_HOSTS


def _id_part_of_url(s: str) -> str | None:
    """The id text from an arXiv abs/pdf URL or a DOI URL, unvalidated; None if not one."""
    if "://" not in s:
        s = "https://" + s
    parts = urlsplit(s)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host in _ARXIV_HOSTS:
        m = re.fullmatch(r"/+(?:abs|pdf)/+(.+?)/*", path)
        if not m:
            return None
        ident = m.group(1)
        if ident.lower().endswith(".pdf"):
            ident = ident[:-4]
        return ident
    if host in _DOI_HOSTS:
        doi = path.lstrip("/")
        if not doi.lower().startswith(DOI_PREFIX):
            return None
        return doi[len(DOI_PREFIX) :].rstrip("/")
    return None


def _parse_bare(s: str) -> tuple[ArxivId | None, str]:
    """Validate a bare id (no prefix, no URL). Returns (id, "") or (None, hint)."""
    m = _NEW.fullmatch(s)
    if m:
        hint = _check_new(m)
        if hint:
            return None, hint
        return _build(f"{m['yy']}{m['mm']}.{m['num']}", m["v"])
    m = _OLD.fullmatch(s)
    if m:
        hint = _check_old(m)
        if hint:
            return None, hint
        subj = f".{m['subj']}" if m["subj"] else ""
        return _build(f"{m['archive']}{subj}/{m['yy']}{m['mm']}{m['num']}", m["v"])
    return None, _shape_hint(s)


def _build(ident: str, v: str | None) -> tuple[ArxivId | None, str]:
    if v is None:
        return ArxivId(ident), ""
    version = int(v)
    if version < 1:
        return None, "versions start at v1"
    return ArxivId(ident, version), ""


def _check_new(m: re.Match[str]) -> str:
    month = int(m["mm"])
    if not 1 <= month <= 12:
        return f"month {m['mm']} does not exist"
    yymm = m["yy"] + m["mm"]
    if yymm < "0704":
        return "new-style ids start at 0704 (April 2007); older papers use archive/YYMMNNN"
    digits = len(m["num"])
    if yymm <= "1412" and digits != 4:
        return f"ids from {yymm} have 4 digits after the dot, not {digits}"
    if yymm >= "1501" and digits != 5:
        if digits not in (4, 5):
            return f"new-style ids have 4 or 5 digits after the dot, not {digits}"
        return f"ids from 2015 on have 5 digits after the dot, not {digits}"
    return ""


def _check_old(m: re.Match[str]) -> str:
    month = int(m["mm"])
    if not 1 <= month <= 12:
        return f"month {m['mm']} does not exist"
    # Old-style ids ran from August 1991 to March 2007.
    yy = int(m["yy"])
    if not (yy >= 91 or yy <= 7):
        return f"old-style ids run from 1991 to 2007, not 20{m['yy']}"
    return ""


def _shape_hint(s: str) -> str:
    if not s:
        return "no id after the prefix"
    if any(c.isspace() for c in s):
        squeezed = "".join(s.split())
        if squeezed and _parse_bare(squeezed)[0] is not None:
            return "an id has no spaces"
    if _LOOSE_NEW.fullmatch(s):
        head, _, tail = s.partition(".")
        if len(head) != 4:
            return "new-style ids have 4 digits (YYMM) before the dot"
        num = tail.split("v", 1)[0]
        if len(num) not in (4, 5):
            return "new-style ids have 4 or 5 digits after the dot"
        return "a version is v followed by a number, e.g. v2"
    if _LOOSE_OLD.fullmatch(s):
        archive, _, rest = s.partition("/")
        name, _, subj = archive.partition(".")
        if name != name.lower():
            return "archive names are lowercase, e.g. hep-th"
        if subj and not re.fullmatch(r"[A-Z]{2}", subj):
            return "subject classes are two uppercase letters, e.g. math.GT"
        number = rest.split("v", 1)[0]
        if len(number) != 7:
            return "old-style ids have 7 digits (YYMMNNN) after the slash"
        return "a version is v followed by a number, e.g. v2"
    if re.fullmatch(r"[0-9]{7}(?:v[0-9]+)?", s):
        return "old-style ids need their archive, e.g. hep-th/9901001"
    if re.fullmatch(r"[0-9]{8,9}(?:v[0-9]+)?", s):
        return "new-style ids have a dot after YYMM, e.g. 1611.00712"
    return "expected YYMM.NNNNN, archive/YYMMNNN, an arXiv URL or a 10.48550/arXiv. DOI"
