"""Normal forms used to recognise the same paper or presenter written differently."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_NON_WORD = re.compile(r"[^\w]+")
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\s*")


def fold(text: str) -> str:
    """Lowercase, accents removed, LaTeX commands and punctuation turned into spaces."""
    text = _LATEX_CMD.sub(" ", text)
    if not text.isascii():  # ASCII has no accents to remove: skip the costly part
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).replace("_", " ").split())


def title_key(title: str) -> str:
    """A title's matching key: ``"The Concrete Distribution: A ..."`` -> ``"the concrete ..."``."""
    return fold(title)


def url_key(url: str | None) -> str | None:
    """A URL's matching key: scheme, ``www.``, trailing ``/``, ``.pdf`` and fragments set aside."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.").removeprefix("export.")
    path = parts.path.rstrip("/").removesuffix(".pdf")
    if not host:  # relative links such as {{site.baseurl}}/x.pdf are kept as written
        return url.strip().rstrip("/")
    key = f"{host}{path}"
    if parts.query:
        key += "?" + parts.query
    return key


def presenter_key(name: str) -> str:
    """Presenter names match case- and space-insensitively: ``"Gao Ji"`` == ``"gaoji"``."""
    return "".join(fold(name).split())
