"""Markdown export: the reading group's own post format (Jekyll, kramdown footnotes).

With sessions, one complete post per session::

    ---
    layout: post
    title: Generative18 -A few more DNN Generative Models
    desc: 2018-team
    categories:
    - 2018Reads
    tags:
    - 5Generative
    ---

    | Presenter | Papers | Paper URL | Our Slides |
    | -----: | ---------------------------: | :----- | :----- |
    | Arshdeep | The Concrete ... [^1] | [PDF](https://arxiv.org/abs/1611.00712) | [PDF](...) |

    [^1]: <sub><sup> Title, Venue / Authors / Abstract </sup></sub>

* Front matter keys in a fixed order (layout, title, desc, categories, tags, term), then
  the session's other keys in their own order; empty values are left out. Written with
  PyYAML, so titles with ``:`` or quotes are quoted as YAML needs.
* One row per presentation in position order. A row and its footnote are written from
  one title, the catalog's title of the paper, so every exported post passes ``catalog
  check`` (even for a paper arXiv knows under another title than the post used): the
  Papers cell holds that title, then `` [^N]``. The talk's own wording is kept instead
  only where ``check`` reads it as naming that paper (it may carry authors, a venue, a
  shorter form). A talk about several papers has one title and reference per paper,
  joined with `` <br> ``; a talk about none keeps its text. Paper URL: ``[PDF](url)``
  per paper (the arXiv abstract page, else the paper's URL; ``[PDF]()`` without one)
  joined with `` + ``; a row without papers links its own ``link_url``, or leaves the
  cell empty (a survey talk: no paper, so no link, and no link-empty finding). Our
  Slides: ``[PDF](slides)`` or empty.
* Footnotes are numbered 1..N in row order, one per paper occurrence, so every row
  cites its own. Text: "Title, Venue / Authors / Abstract" (a missing venue, author list
  or abstract is left out with its separator; the venue is ``venue``, else ``journal_ref``).
  Abstracts are always shown: that is the group's footnote format.
* Cells and footnotes are one line: newlines collapse to spaces. ``|`` becomes ``\\|``
  (in tables and, for one rule everywhere, in footnotes too). HTML entities are decoded
  first ("&amp;" and "&" are the same text), then ``<``, ``>`` and an ``&`` that would
  start an entity are written as ``&lt;``, ``&gt;``, ``&amp;``: the page shows exactly
  the stored text, and a title can never open an HTML tag inside ``<sub><sup>``; a
  ``[`` that would start a footnote reference or a link is written ``\\[``. TeX
  math (``$\\alpha$``) is kept for MathJax. URLs are written as given, with spaces and
  parentheses percent-encoded so the link does not end early.
* Without sessions (a filtered reading list): one post titled ``ExportOptions.title``
  (default "Reading list"), one row per paper with the Presenter cell empty.
* Several sessions: the posts one after another, each preceded (after the first) by a
  ``<!-- next post: <slug> -->`` line, so they can be split again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from catalog.exporters import ExportOptions
from catalog.exporters.common import abs_url, clean, collect_papers
from catalog.records import PaperView, PresentationView, SessionView

__all__ = ["export", "render_reading_list", "render_session"]

HEADER = "| Presenter | Papers | Paper URL | Our Slides |"
SEPARATOR = "| -----: | ---------------------------: | :----- | :----- |"
_FRONT_MATTER_ORDER = ("layout", "title", "desc", "categories", "tags", "term")
# An "&" that a browser would read as the start of an entity ("&amp;", "&#38;", "&x27;").
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_URL_BREAKERS = re.compile(r"[\s()<>]")


def md_text(text: str | None) -> str:
    """Text for a table cell or footnote: one line, entities decoded then escaped so
    that the page shows the text itself, ``|`` escaped."""
    value = clean(text)  # whitespace collapsed, entities decoded
    if "&" in value:
        value = _ENTITY_START.sub("&amp;", value)
    if "<" in value or ">" in value:
        value = value.replace("<", "&lt;").replace(">", "&gt;")
    if "[" in value and ("[^" in value or "](" in value):
        value = value.replace("[", "\\[")  # text, not a footnote reference or a link
    return value.replace("|", "\\|")


def md_url(url: str | None) -> str:
    """A link target: as given, with what would end the Markdown link percent-encoded."""
    if not url:
        return ""
    value = url.strip()
    return _URL_BREAKERS.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), value)


def _front_matter(fields: dict[str, Any]) -> str:
    import yaml  # only the Markdown export needs PyYAML

    body = yaml.safe_dump(
        fields, sort_keys=False, allow_unicode=True, default_flow_style=False, width=2**31 - 1
    )
    return f"---\n{body}---\n"


def _session_front_matter(session: SessionView) -> dict[str, Any]:
    known: dict[str, Any] = {
        "layout": session.layout,
        "title": clean(session.title),
        "desc": session.desc,
        "categories": list(session.categories),
        "tags": list(session.tags),
        "term": session.term,
    }
    fields = {k: v for k, v in known.items() if v not in (None, "", [])}
    for key, value in session.extra.items():
        if key not in known and value is not None:
            fields[str(key)] = value
    return fields


def _paper_link(paper: PaperView) -> str:
    return f"[PDF]({md_url(abs_url(paper))})"


def _footnote_text(paper: PaperView) -> str:
    head = md_text(paper.title)
    venue = md_text(paper.venue or paper.journal_ref)
    if venue:
        head = f"{head}, {venue}" if head else venue
    authors = md_text(", ".join(a for a in paper.authors if a.strip()))
    parts = [head, authors, md_text(paper.abstract)]
    return " / ".join(p for p in parts if p)


def _footnote(number: int, text: str) -> str:
    return f"[^{number}]: <sub><sup> {text} </sup></sub>"


def _wording(text: str | None, paper: PaperView, footnote: str) -> str | None:
    """The talk's own wording for the Papers cell of a talk about one paper, when check
    reads it as naming the paper and its footnote; None: write the paper's title."""
    title = md_text(paper.title)
    own = md_text(text)
    if not own or own == title or not title:
        return None
    from catalog.check.match import names_paper  # the checker's own reading
    from catalog.posts.text import strip_markup

    return own if names_paper(own, paper.title, strip_markup(footnote)) else None


@dataclass
class _Line:
    """A table row to write: its Papers cell is the wording, or one title per paper."""

    presenter: str
    titles: list[str]  # "Title [^N]" per paper (or the talk's text without papers)
    links: str
    slides: str
    wording: str | None = None  # kept instead of titles[0] (a talk about one paper)

    def render(self) -> str:
        cell = " <br> ".join(self.titles)
        if self.wording is not None:
            cell = self.wording + self.titles[0][self.titles[0].rindex(" [^"):]
        return f"| {self.presenter} | {cell} | {self.links} | {self.slides} |"


class _Post:
    """One post's table rows and footnotes, numbering footnotes as rows are added."""

    def __init__(self) -> None:
        self.rows: list[_Line] = []
        self.notes: list[str] = []

    def add_row(
        self,
        presenter: str | None,
        text: str,
        papers: Sequence[PaperView],
        link_url: str | None,
        slides_url: str | None,
        other_links: Sequence[tuple[str, str]] = (),
    ) -> None:
        titles = []  # one title and reference per paper
        wording = None
        for paper in papers:
            number = len(self.notes) + 1
            note = _footnote_text(paper)
            self.notes.append(_footnote(number, note))
            title = md_text(paper.title)
            titles.append(f"{title} [^{number}]" if title else f"[^{number}]")
            if len(papers) == 1 and title:
                wording = _wording(text, paper, note)
        if papers:
            links = " + ".join(_paper_link(p) for p in papers)
        elif link_url:
            links = f"[PDF]({md_url(link_url)})"
        else:
            links = ""  # a survey talk has no paper to link; "[PDF]()" is a link-empty finding
        for text_, url in other_links:  # "[code](...)" beside the paper's link
            extra = f"[{md_text(text_)}]({md_url(url)})"
            links = f"{links} + {extra}" if links else extra
        slides = f"[PDF]({md_url(slides_url)})" if slides_url else ""
        self.rows.append(
            _Line(md_text(presenter), titles or [md_text(text)], links, slides, wording)
        )

    def _text(self, head: str) -> str:
        lines = [head, HEADER, SEPARATOR, *(row.render() for row in self.rows)]
        text = "\n".join(lines) + "\n"
        if self.notes:
            text += "\n" + "\n\n".join(self.notes) + "\n"
        return text

    def render(self, front_matter: dict[str, Any]) -> str:
        head = _front_matter(front_matter)
        text = self._text(head)
        kept = [k for k, row in enumerate(self.rows) if row.wording is not None]
        if not kept:
            return text  # every row written from its paper's title
        # A talk's wording may name another paper of the post better than its own: read
        # the post as check does, and write the title wherever a footnote finding arises.
        from catalog.check.rules import check_post
        from catalog.posts.parse import parse_post

        first = head.count("\n") + 4  # the line of the first row (a blank line, header, ---)
        for _ in range(len(kept)):
            found = check_post(parse_post(text, "export.md"))
            lines = {f.line for f in found if f.code.startswith("footnote-")}
            wrong = [k for k in kept if first + k in lines]
            if not wrong:
                break
            for k in wrong:
                self.rows[k].wording = None
            kept = [k for k in kept if k not in wrong]
            text = self._text(head)
        return text


def _row(post: _Post, row: PresentationView) -> None:
    post.add_row(row.presenter, row.title, row.papers, row.link_url, row.slides_url, row.links)


def render_session(session: SessionView) -> str:
    """One session as a complete post."""
    post = _Post()
    for row in sorted(session.presentations, key=lambda r: r.position):
        _row(post, row)
    return post.render(_session_front_matter(session))


def render_reading_list(papers: Sequence[PaperView], title: str | None = None) -> str:
    """A post listing ``papers`` (no presenters), titled ``title`` or "Reading list"."""
    post = _Post()
    for paper in papers:
        post.add_row(None, paper.title, [paper], None, None)
    return post.render({"layout": "post", "title": clean(title) or "Reading list"})


def export(
    papers: Sequence[PaperView],
    sessions: Sequence[SessionView],
    out: TextIO,
    options: ExportOptions,
) -> None:
    """Write one post per session, or a reading-list post of ``papers`` without sessions."""
    if not sessions:
        out.write(render_reading_list(collect_papers(papers, []), options.title))
        return
    for i, session in enumerate(sessions):
        if i:
            slug = md_text(session.slug).replace("--", "-")  # "--" would end the comment
            out.write(f"\n<!-- next post: {slug} -->\n\n")
        out.write(render_session(session))
