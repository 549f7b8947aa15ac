"""Reading the fields arXiv writes the same way in OAI-PMH and in the snapshot.

* version dates: RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``), read by a fast path for
  arXiv's own shape and :func:`email.utils.parsedate_to_datetime` for anything else;
* sizes: ``37kb`` (``0kb`` is a withdrawn version);
* DOIs: one field may hold several, separated by spaces, commas or semicolons;
* author lists: ``C. Bal\\'azs, E. L. Berger and C.-P. Yuan (ANL)``: split at top-level
  commas and " and ", affiliations in parentheses dropped, TeX accents decoded.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from catalog.text import title_key

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_RFC2822 = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:GMT|UT|UTC|Z|\+0000)?\s*$"
)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*$")
_DOI_SPLIT = re.compile(r"[\s,;]+")
_AND = re.compile(r"\s+and\s+|\s*&\s*", re.I)


def parse_version_date(text: str | None) -> datetime | None:
    """An RFC 2822 date as an aware UTC datetime; None when empty or unreadable."""
    if not text or not text.strip():
        return None
    if text[-4:] == " GMT" and text[-13:-12] == " ":  # arXiv's own shape: see version_stamp
        plain, clock = _plain_day(text[:-13]), text[-12:-4]
        if plain and (clock in CLOCKS_SEEN or _plain_clock(clock)):
            return datetime.fromisoformat(f"{plain}T{clock}").replace(tzinfo=UTC)
    return read_version_date(text)


def read_version_date(text: str) -> datetime | None:
    """:func:`parse_version_date` without the short way for arXiv's own shape."""
    m = _RFC2822.match(text)
    if m and m.group(2).lower() in _MONTHS:
        day, month, year, hour, minute, second = m.groups()
        try:
            return datetime(
                int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute),
                int(second or 0), tzinfo=UTC,
            )  # fmt: skip
        except ValueError:
            return None
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def version_stamp(text: str | None) -> str | None:
    """An RFC 2822 date as SQLite stores it, naive UTC ``YYYY-MM-DD HH:MM:SS``: what
    ``store.db_stamp(parse_version_date(text), "sqlite")`` gives, without the datetime in
    between (for arXiv's own shape; a snapshot has a million and a half of them, and
    making then printing the datetime was a quarter of reading a line)."""
    if not text:
        return None
    if text[-4:] == " GMT" and text[-13:-12] == " ":  # "Mon, 2 Apr 2007 19:18:42 GMT"
        plain, clock = _plain_day(text[:-13]), text[-12:-4]
        if plain and (clock in CLOCKS_SEEN or _plain_clock(clock)):
            return f"{plain} {clock}"
    m = _RFC2822.match(text)
    if m is not None:
        month = _MONTHS.get(m.group(2).lower())
        if month is not None:
            day, year = int(m.group(1)), int(m.group(3))
            hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
            leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            if not (
                year >= 1 and 1 <= day <= _DAYS[month - 1] + leap
                and hour < 24 and minute < 60 and second < 60
            ):  # fmt: skip
                return None  # what datetime() refuses
            return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    when = parse_version_date(text)
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


_MONTH_OF = {name.title(): i for name, i in _MONTHS.items()}
DAYS_SEEN: dict[str, str] = {}  # "Mon, 2 Apr 2007" -> "2007-04-02" ("" if not so)
CLOCKS_SEEN: set[str] = set()  # "19:18:42" once seen valid (86,400 at most)


def _plain_day(head: str) -> str:
    """The day of arXiv's own ``Mon, 2 Apr 2007`` as ``2007-04-02``, else "" (the general
    way decides then). Days repeat from version to version: each is read once (a regex
    match and six group calls for each date were most of :func:`version_stamp`)."""
    day = DAYS_SEEN.get(head)
    if day is None:
        if len(DAYS_SEEN) >= 100_000:  # bounded: arXiv has some 12,000 days so far
            DAYS_SEEN.clear()
        day = DAYS_SEEN[head] = _read_plain_day(head)
    return day


def _read_plain_day(head: str) -> str:
    parts = head.split(" ")
    if len(parts) != 4 or not head.isascii():
        return ""
    weekday, day, month_name, year = parts
    month = _MONTH_OF.get(month_name)
    if (
        month is None or len(weekday) != 4 or weekday[3] != "," or not weekday[:3].isalpha()
        or len(year) != 4 or not year.isdigit() or not (0 < len(day) < 3) or not day.isdigit()
    ):  # fmt: skip
        return ""
    d, y = int(day), int(year)
    leap = month == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not (y >= 1 and 1 <= d <= _DAYS[month - 1] + leap):
        return ""  # what datetime() refuses; the general way says None too
    return f"{year}-{month:02d}-{d:02d}"


def _plain_clock(clock: str) -> bool:
    """Whether ``clock`` is ``HH:MM:SS`` of a real time of day (remembered if so)."""
    hh, mm, ss = clock[:2], clock[3:5], clock[6:]
    if not (
        len(clock) == 8 and clock[2] == ":" and clock[5] == ":" and clock.isascii()
        and (hh + mm + ss).isdigit() and hh < "24" and mm < "60" and ss < "60"
    ):  # fmt: skip
        return False
    CLOCKS_SEEN.add(clock)
    return True


def parse_size_kb(text: str | None) -> int | None:
    """``37kb`` -> 37, ``1.2mb`` -> 1229; None when absent or unreadable."""
    if not text:
        return None
    m = _SIZE.match(text)
    if not m:
        return None
    scale = {"": 1, "k": 1, "m": 1024, "g": 1024 * 1024}[m.group(2).lower()]
    return round(float(m.group(1)) * scale)


def parse_day(text: str | None) -> date | None:
    """``2008-11-13`` (or a longer ISO timestamp) -> date; None when unreadable."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def parse_dois(text: str | None) -> tuple[str, ...]:
    """Every DOI in a field, lower case, in order, each once (``10.1/a 10.2/b``)."""
    if not text:
        return ()
    found: list[str] = []
    for part in _DOI_SPLIT.split(text.strip()):
        doi = part.strip().rstrip(".").lower()
        for prefix in ("https://doi.org/", "http://dx.doi.org/", "doi:"):
            if doi.startswith(prefix):
                doi = doi[len(prefix) :]
        if doi.startswith("10.") and "/" in doi and doi not in found:
            found.append(doi)
    return tuple(found)


def plain_spaced(flat: str) -> bool:
    """Whether ASCII ``flat`` has no space that str.split() would fold: no two in a row,
    none of the other characters it splits at (tested one by one: 3 us on an abstract,
    against 4 for a generator over them and 10 for a regex character class)."""
    return (
        "  " not in flat and "\t" not in flat and "\r" not in flat and "\x0b" not in flat
        and "\x0c" not in flat and "\x1c" not in flat and "\x1d" not in flat
        and "\x1e" not in flat and "\x1f" not in flat
    )  # fmt: skip


# The characters beyond ASCII that str.split() splits at (str.isspace() of each).
_WIDE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def narrow_spaced(flat: str) -> bool:
    """Whether ``flat`` (any text) has no space that str.split() would fold: ASCII ones
    as :func:`plain_spaced` says, and none of the wider ones of Unicode (a regex search
    over a name or a title costs less than splitting it)."""
    return plain_spaced(flat) and (flat.isascii() or _WIDE_SPACE.search(flat) is None)


def one_line(text: str | None) -> str:
    """Hard line breaks and runs of spaces folded into single spaces."""
    if not text:
        return ""
    # Most of arXiv's text is lines joined by a newline and some indent ("\n  " in
    # titles), with no other run of spaces: then stripping each line and joining them is
    # the whole job, at a fraction of splitting a 1,500-character abstract (and searching
    # the text for "\n  " costs as much: spaces are common). When that leaves a run of
    # spaces or any other space that splitting folds, the general way decides.
    if "\n" in text:
        flat = " ".join([line.strip() for line in text.split("\n")]).strip()
    else:
        flat = text.strip()
    if narrow_spaced(flat):
        return flat
    return " ".join(flat.split())


def split_authors(text: str | None) -> tuple[str, ...]:
    """arXivRaw's one-string author list as names."""
    if not text:
        return ()
    if "(" not in text and ")" not in text:  # no affiliations: every comma splits
        names = text.split(",")
    else:
        names = _split_top_level(text)
    out: list[str] = []
    for chunk in names:
        for name in _AND.split(chunk):
            name = one_line(name)
            if name:
                out.append(plain_name(name))
    return tuple(out)


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside parentheses, the parenthesised parts dropped."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            if ch == ",":
                names.append("".join(current))
                current = []
            else:
                current.append(ch)
    names.append("".join(current))
    return names


def plain_name(name: str) -> str:
    """A name with TeX accents decoded (``Bal\\'azs`` -> ``Balázs``); plain names as they are."""
    if "\\" not in name and "{" not in name:
        return name
    return _de_tex(name)


@lru_cache(maxsize=65536)  # the same authors come back page after page
def _de_tex(name: str) -> str:
    try:
        text = _latex_to_text().latex_to_text(name)
    except Exception:  # pylatexenc gives up on broken TeX: keep arXiv's text
        return name
    return one_line(text) or name


@lru_cache(maxsize=1)
def _latex_to_text() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


def name_from_parts(parts: Any) -> str:
    """The snapshot's ``authors_parsed`` entry ``[keyname, forenames, suffix]`` as a name."""
    if type(parts) is list and len(parts) == 3:  # arXiv's own shape, made cheap
        keyname, forenames, suffix = parts
        if type(keyname) is str and type(forenames) is str and type(suffix) is str:
            name = " ".join(f"{forenames} {keyname} {suffix}".split())
            return name if "\\" not in name and "{" not in name else _de_tex(name)
    if not isinstance(parts, list | tuple):
        return ""
    try:
        keyname, forenames, *rest = parts
        text = " ".join(p for p in (forenames, keyname, *rest) if isinstance(p, str))
    except (TypeError, ValueError):  # not a list of at least two parts
        return ""
    name = " ".join(text.split())
    return plain_name(name) if name else ""


# ASCII letters lower-cased and digits kept, everything else a space: what
# catalog.text.fold does to ASCII text without TeX commands.
_ASCII_FOLD = str.maketrans({i: chr(i).lower() if chr(i).isalnum() else " " for i in range(128)})


def index_title_key(title: str) -> str:
    """:func:`catalog.text.title_key`, by one ``str.translate`` for the ASCII titles
    without TeX, which are most of arXiv's (a test holds the two the same)."""
    if title.isascii() and "\\" not in title:
        return " ".join(title.translate(_ASCII_FOLD).split())
    return title_key(title)
