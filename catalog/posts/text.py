"""Text helpers for post parsing: normalised titles, author names, venue suffixes.

Stdlib only (the CLI imports the post parser on every ``catalog check`` run).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "normalize_title",
    "content_tokens",
    "looks_like_name",
    "looks_like_venue",
    "split_names",
    "split_title_authors",
    "strip_markup",
    "STOPWORDS",
]

# Small function words: differences in these do not make two titles different papers.
STOPWORDS = frozenset(
    """a an the of for in on with to and or via by from at as is are be using towards toward
    its it their we our into through without over under not do does can how what when why
    all your you this that vs versus""".split()
)

# Words that appear in titles but hardly ever as a person's name; a comma-separated
# part holding one of them is part of the title, not an author.
_TITLE_WORDS = frozenset(
    """learning learn network networks neural deep model models generative adversarial
    variational autoencoder autoencoders inference optimization optimizing training
    representation representations reinforcement search graph graphs data distribution
    distributions random variables relaxation continuous discrete image images programs
    synthesis synthesizing attention transformer transformers language detection
    classification regression analysis approach method methods algorithm algorithms
    estimation gradient gradients bayesian stochastic efficient robust scalable fast
    machine system systems knowledge information embedding embeddings generation
    summary survey overview review tutorial introduction part session papers paper recent
    few several discussion notes towards beyond lecture chapter""".split()
)
_PARTICLES = frozenset(
    "de del della der den di da du dos van von la le bin ibn al el ter ten zu y".split()
)
_INITIAL = re.compile(r"^(?:[A-Z]\.)(?:-?[A-Z]\.)*$")
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?$")

_VENUE_ACRONYMS = (
    "arxiv|icml|iclr|nips|neurips|cvpr|iccv|eccv|aaai|ijcai|acl|emnlp|naacl|eacl|coling|kdd|"
    "www|uai|aistats|colt|icra|iros|sigir|sigmod|vldb|icde|jmlr|tpami|tmlr|corl|interspeech|"
    "icassp|wsdm|recsys|cikm|sdm|icdm|miccai|bmvc|wacv|usenix|ccs|ndss|s&p|oakland|osdi|sosp|"
    "nature|science|pnas|ieee|acm|tacl|jair|mlsys|sysml|ismb|recomb|bioinformatics|iclr-w|"
    "icml-w|workshop"
)
_VENUE_WORDS = frozenset(_VENUE_ACRONYMS.split("|"))
_VENUE_RE = re.compile(
    rf"""^(?:
        (?:in\s+)?(?:{_VENUE_ACRONYMS})(?:\s*[-'’]?\s*(?:19|20)?\d{{2}})?
            (?:\s+(?:workshop|oral|spotlight|poster|preprint|best\s+paper))*
      | [A-Z][A-Za-z&]*[A-Z](?:\s+[A-Z][A-Za-z&]*[A-Z])*\s*[-'’]?\s*(?:19|20)?\d{{2}}
            (?:\s+(?:workshop|oral|spotlight|poster))*
      | (?:19|20)\d{{2}}
      | arxiv\s+(?:preprint|submitted)\b.*
      | submitted\s+on\b.*
      | (?:in\s+)?proc(?:eedings|\.)\s.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_NAME_SEP = re.compile(r",|;|\band\b|&")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*)\)\s*$")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.{1,300}?)(?<=\S)\1")  # bounded: no O(n^2)
_URL = re.compile(r"(?:https?://|www\.)\S+|\{\{\s*site\.baseurl\s*\}\}\S*")
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\*?\s*")
_NON_WORD = re.compile(r"[^\w]+")
_SPACES = re.compile(r"\s+")


def _drop_comments(text: str) -> str:
    """HTML comments (``<!-- catalog: ignore[...] -->``) removed; linear in the text."""
    out, pos = [], 0
    while (a := text.find("<!--", pos)) != -1 and (b := text.find("-->", a + 4)) != -1:
        out += [text[pos:a], " "]
        pos = b + 3
    return "".join(out) + text[pos:]


def strip_markup(text: str) -> str:
    """HTML tags and comments, emphasis markers and escaped pipes removed, HTML entities
    decoded (``&lt;b&gt;`` is the text a page shows as ``<b>``); whitespace collapsed."""
    if "<" in text:
        if "<!--" in text:
            text = _drop_comments(text)
        text = _TAG.sub(" ", text)
    if "*" in text or "_" in text or "~" in text:
        text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("\\|", "|")
    if "\\[" in text or "\\]" in text:
        text = text.replace("\\[", "[").replace("\\]", "]")
    if "&" in text:
        import html  # lazy: most cells hold no entity

        text = html.unescape(text)
    return " ".join(text.split())


def normalize_title(text: str) -> str:
    """Matching key: accents, case, LaTeX commands/braces, URLs, HTML entities ("&amp;" is
    "&") and punctuation set aside."""
    if "&" in text:
        import html

        text = html.unescape(text)
    if "http" in text or "www." in text or "{{" in text:
        text = _URL.sub(" ", text)
    if "\\" in text:
        text = _LATEX_CMD.sub(" ", text)
    text = text.replace("{", "").replace("}", "")  # LaTeX grouping: "{B}ayes" is "Bayes"
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.casefold()).replace("_", " ")
    return " ".join(text.split())


def content_tokens(normalized: str) -> list[str]:
    """Tokens of a normalised title that carry meaning (stopwords dropped)."""
    return [t for t in normalized.split() if t not in STOPWORDS]


@lru_cache(maxsize=8192)  # the same authors appear in a row and in its footnote
def looks_like_name(part: str) -> bool:
    """True for "Chris J. Maddison", "S.M. Ali Eslami", "Aäron van den Oord", "Kim et al."."""
    part = part.strip()
    if part.lower().endswith("et al.") or part.lower().endswith("et al"):
        part = part[: part.lower().rfind("et al")].strip()
        if not part:
            return False
        if " " not in part:  # "Kim et al." is a name
            return bool(_NAME_WORD.match(part)) and part.lower() not in _TITLE_WORDS
    tokens = part.split()
    if not 2 <= len(tokens) <= 5:
        return False
    words = 0
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if _INITIAL.match(tok):
            continue
        if low in _PARTICLES and 0 < i < len(tokens) - 1:
            continue
        if low in _TITLE_WORDS or low in STOPWORDS:
            return False
        if not _NAME_WORD.match(tok) or not tok[0].isupper():
            return False
        rest = tok[1:]
        if rest and not any(map(str.islower, rest)):  # "BEGAN", "GAN": acronyms
            return False
        words += 1
    return words >= 1 and not _INITIAL.match(tokens[-1])


@lru_cache(maxsize=8192)  # asked of every comma-separated part: mostly the same names
def looks_like_venue(part: str) -> bool:
    """True for "ICLR17", "ICML 2018", "arxiv 2017", "(2016)", "arxiv Submitted on 5 Apr 2018"."""
    part = part.strip().strip("()").strip()
    if not part:
        return False
    if not any(map(str.isdigit, part)):
        # Without a year only "ICML", "ICML workshop", "arxiv preprint ...", "Submitted
        # on ...", "Proceedings of ..." are venues: most parts (names) are ruled out here.
        first = part.split(None, 2)
        word = first[1] if first[0].lower() == "in" and len(first) > 1 else first[0]
        word = word.lower()
        if word not in _VENUE_WORDS and not word.startswith(("arxiv", "submitted", "proc")):
            return False
    return bool(_VENUE_RE.match(part))


def split_names(text: str) -> list[str] | None:
    """A list of author names, or None when ``text`` is not (only) names."""
    found = _split_names(text)
    return list(found) if found is not None else None


@lru_cache(maxsize=8192)  # the same authors appear in a row, its footnote, other posts
def _split_names(text: str) -> tuple[str, ...] | None:
    text = text.strip().rstrip(",;").strip()
    if text.endswith(".") and not text.endswith("al."):
        text = text[:-1]  # a sentence's full stop, not "et al."
    if not text:
        return None
    parts = [p.strip() for p in _NAME_SEP.split(text) if p.strip()]
    if not parts or not all(looks_like_name(p) for p in parts):
        return None
    return tuple(parts)


def _peel_paren(text: str) -> tuple[str, str | None]:
    """Remove a trailing "(2016)" / "(ICLR 2018)" / "(arxiv Submitted on ...)" note."""
    if ")" not in text:
        return text, None  # (most parts: no search along the text for a parenthesis)
    m = _TRAILING_PAREN.search(text)
    if m and looks_like_venue(m.group(1)):
        return text[: m.start()].rstrip(), m.group(1).strip()
    return text, None


@lru_cache(maxsize=4096)  # a row and its footnote often start with the same text
def split_title_authors(text: str) -> tuple[str, tuple[str, ...], str | None]:
    """Split ``"Title, A. Author, B. Author, ICML18"`` into (title, authors, venue).

    Parts are peeled from the end while they look like a venue or a person's name, so
    commas inside the title ("Summary of ..., SeqGAN, MaskGAN") survive.
    """
    text, venue = _peel_paren(text.strip())
    parts = text.split(",")
    authors: list[str] = []
    while len(parts) > 1:
        last = parts[-1].strip()
        if not last:
            parts.pop()
            continue
        last_clean, paren_venue = _peel_paren(last)
        if looks_like_venue(last_clean):
            venue = venue or last_clean.strip("() ")
            parts.pop()
            continue
        names = split_names(last_clean)
        if names is None:
            break
        if paren_venue:
            venue = venue or paren_venue
        authors.extend(reversed(names))  # peeled back to front; reversed below
        parts.pop()
    title = ",".join(parts).strip().rstrip(",").strip()
    if not title:  # everything looked like names: keep the text as the title
        return text.strip(), (), venue
    return title, tuple(reversed(authors)), venue
