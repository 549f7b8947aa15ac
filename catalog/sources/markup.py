"""Plain text out of what metadata services send: HTML and MathML in Crossref titles,
JATS in its abstracts, entities in DBLP titles, "Family, Given" names in Highwire tags.

Stdlib only (``html.parser``): these run on every record a source reads. Nothing is ever
rendered or executed; tags are dropped and their text kept (``H<sub>2</sub>O`` is
``H2O``, ``<mml:mi>k</mml:mi>`` is ``k``), block elements become spaces, entities are
decoded, whitespace collapsed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["display_name", "kind_from_title", "plain_text", "strip_dblp_title"]

# Elements after which words must not run together (paragraphs, titles, line breaks).
_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "sec", "title", "h1", "h2", "h3", "h4", "td", "tr",
    "list-item", "label", "caption", "disp-formula",
}  # fmt: skip
_SKIPPED = {"script", "style", "head"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._drop_title = False  # a JATS abstract's own "Abstract" heading

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.rsplit(":", 1)[-1]
        if name in _SKIPPED:
            self._skip += 1
        elif name in _BLOCKS:
            self.parts.append(" ")
        if name == "title" and not "".join(self.parts).strip():
            self._drop_title = True

    def handle_endtag(self, tag: str) -> None:
        name = tag.rsplit(":", 1)[-1]
        if name in _SKIPPED and self._skip:
            self._skip -= 1
        elif name in _BLOCKS:
            self.parts.append(" ")
        if name == "title":
            self._drop_title = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._drop_title and data.strip().casefold().rstrip(".:") in {"abstract", "summary"}:
            return
        self.parts.append(data)


def plain_text(markup: str | None) -> str:
    """Markup (HTML, MathML, JATS, or text with entities) as one line of plain text."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


def strip_dblp_title(title: str) -> str:
    """DBLP ends every title with "." (unless it ends with "?" or "!"): take it off."""
    title = title.strip()
    if title.endswith(".") and not title.endswith(".."):
        return title[:-1].rstrip()
    return title


def display_name(name: str) -> str:
    """``"Kazemi, Ehsan"`` -> ``"Ehsan Kazemi"``; a name without a comma is kept."""
    name = " ".join(name.split())
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given and not re.fullmatch(r"(?i)jr\.?|sr\.?|ii|iii|iv", given):
            return f"{given} {family}"
    return name


_COMMENT = re.compile(
    r"^(?:comments?\s+(?:on|to)\b|comment\s*:|(?:reply|replies|rejoinder)\b|"
    r"response\s+to\s+(?:the\s+)?(?:comments?|critique|criticism|letter)\b|"
    r"discussion\s+of\b)",
    re.I,
)
_ERRATUM = re.compile(
    r"^(?:erratum|errata|corrigendum|corrigenda|addendum|retraction(?:\s+note)?|"
    r"(?:author|publisher)(?:'s)?\s+correction|correction)\b",
    re.I,
)
_REVIEW = re.compile(r"^(?:book\s+review|review\s+of)\b", re.I)


def kind_from_title(title: str) -> str | None:
    """What a title says the work is when it answers another work: "comment" ("Comment
    on ...", "Reply to ..."), "erratum" ("Erratum: ...", "Correction to ..."), "review"
    ("Book review: ..."); None for an ordinary title."""
    text = title.strip().lstrip("\"'“‘[(").strip()
    if _COMMENT.match(text):
        return "comment"
    if _ERRATUM.match(text):
        return "erratum"
    if _REVIEW.match(text):
        return "review"
    return None
