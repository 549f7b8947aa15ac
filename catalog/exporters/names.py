"""Split a person's name as arXiv writes it ("Chris J. Maddison") into BibTeX's parts.

arXiv gives names first-name-first, in one string. BibTeX, CSL and citation keys all
need the family name, so this module decides, once, what the family name is:

* the last word is the family name: "S. M. Ali Eslami" -> first "S. M. Ali", last "Eslami";
* lowercase words before it are particles (BibTeX's "von" part): "Ludwig van der Berg"
  -> von "van der", last "Berg"; capitalised words between the particles and the last
  word belong to the family name ("Jean de La Fontaine" -> last "La Fontaine");
* a trailing "Jr.", "Sr.", "II", "III", ... (with or without a comma) is the suffix;
* "Last, First" and "von Last, Jr, First" (as in .bib files) are understood too;
* one word ("Plato") or an organisation ("The ATLAS Collaboration") is a literal name.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["NameParts", "simple_name", "split_name"]

SUFFIXES = frozenset(
    {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd", "junior", "senior"}
)
# Words that make a name an organisation, written as one literal name.
_ORG_WORDS = frozenset(
    "collaboration consortium team group project committee society institute university "
    "laboratory laboratories lab labs inc ltd corporation association organization "
    "organisation initiative network foundation alliance council".split()
)
# A word that does not start with a capital letter (of the Latin, Greek or Cyrillic
# blocks): it may be a particle ("van", "'t"), so the exact test has to run.
_CAPITALS = "".join(re.escape(chr(c)) for c in range(0x530) if chr(c).isupper())
_MAYBE_PARTICLE = re.compile(rf"(?:^| )[^{_CAPITALS}\s]")
# Punctuation that may stick to an organisation word ("Inc.", "(CERN)"), made spaces.
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in ".,()"})


class NameParts(NamedTuple):
    """BibTeX's four name parts; ``literal`` names (one word, organisations) use ``last``.
    (A NamedTuple: exports split hundreds of thousands of names.)"""

    first: str = ""
    von: str = ""
    last: str = ""
    suffix: str = ""
    literal: bool = False

    @property
    def family(self) -> str:
        """Particles and family name, as BibTeX's "von Last"."""
        return f"{self.von} {self.last}" if self.von else self.last


# Anything that makes a name need the full rules: TeX specials, commas, parentheses,
# whitespace other than single spaces, a word not starting with an ASCII capital after
# the first word (particles, digits), a word "and" in any case (BibTeX would split the
# name there).
_NOT_SIMPLE = re.compile(r"[\\{}$&%#_~^,()\t\n\r\f\v]|  |^ | $| [^A-Z]|(?:^| )(?i:and)(?: |$)")


def simple_name(name: str) -> tuple[str, str] | None:
    """(given names, family name) for the common shape "Chris J. Maddison": ASCII, no
    particles, suffix, comma or TeX specials, not an organisation. None otherwise: then
    use :func:`split_name`. Exports meet hundreds of thousands of names, most of them
    this simple."""
    if not name.isascii() or _NOT_SIMPLE.search(name):
        return None
    cut = name.rfind(" ")
    if cut <= 0:
        return None
    last = name[cut + 1 :]
    if last.lower() in SUFFIXES:
        return None
    # _is_org() for a name without ",()" or odd whitespace, with fewer steps.
    if not _ORG_WORDS.isdisjoint(name.lower().replace(".", " ").split()):
        return None
    return name[:cut], last


def _is_lower_word(word: str) -> bool:
    """BibTeX's test for a "von" word: its first letter is lowercase."""
    first = word[:1]
    if first.isalpha():  # the common case, without a Python-level loop
        return first.islower()
    for ch in word:
        if ch.isalpha():
            return ch.islower()
    return False


def _is_org(text: str) -> bool:
    return not _ORG_WORDS.isdisjoint(text.lower().translate(_PUNCT_TO_SPACE).split())


def _split_von_last(words: list[str]) -> tuple[str, str]:
    """Split "von Last" words: leading lowercase words are the particles."""
    i = 0
    while i < len(words) - 1 and _is_lower_word(words[i]):
        i += 1
    return " ".join(words[:i]), " ".join(words[i:])


def split_name(name: str) -> NameParts:
    """Split one person's name (see the module docstring for the rules)."""
    text = " ".join(name.split())
    if not text:
        return NameParts(literal=True)
    if _is_org(text):
        return NameParts(last=text, literal=True)
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) == 2 and parts[1].lower() in SUFFIXES and " " in parts[0]:
            # "Martin Luther King, Jr." is first-name-first with a suffix.
            inner = split_name(parts[0])
            return NameParts(inner.first, inner.von, inner.last, parts[1], inner.literal)
        if len(parts) == 2 and parts[0] and parts[1]:
            von, last = _split_von_last(parts[0].split(" "))
            return NameParts(first=parts[1], von=von, last=last)
        if len(parts) == 3 and parts[0] and parts[2]:
            von, last = _split_von_last(parts[0].split(" "))
            return NameParts(first=parts[2], von=von, last=last, suffix=parts[1])
        return NameParts(last=text, literal=True)
    words = text.split(" ")
    suffix = ""
    if len(words) > 2 and words[-1].lower() in SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return NameParts(last=words[0], suffix=suffix, literal=not suffix)
    last_word = words[-1]
    rest = words[:-1]
    if len(rest) == 1 or not _MAYBE_PARTICLE.search(" ".join(rest[1:])):
        # The common case: every middle word starts with a capital, so no particles.
        return NameParts(rest[0] if len(rest) == 1 else " ".join(rest), "", last_word, suffix)
    # The particles run from the first lowercase word (never the very first word, which
    # is a given name even when written in lowercase) to the last lowercase one.
    lower = [i for i in range(1, len(rest)) if _is_lower_word(rest[i])]
    if not lower:
        return NameParts(" ".join(rest), "", last_word, suffix)
    start, end = lower[0], lower[-1]
    return NameParts(
        first=" ".join(rest[:start]),
        von=" ".join(rest[start : end + 1]),
        last=" ".join(rest[end + 1 :] + [last_word]),
        suffix=suffix,
    )
