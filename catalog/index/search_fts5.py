"""Word search in the arXiv index on SQLite: FTS5, ranked by bm25 (the title counting
10x, the authors 4x the abstract), with the bounded two tiers of
:func:`catalog.index.lookup.search` past :data:`catalog.index.lookup.CANDIDATES` matches.

Kept apart from :mod:`catalog.index.lookup` because most of it is working FTS5's bm25
out for the candidates of frequent words (see :func:`fts_search`).
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from typing import TYPE_CHECKING

from catalog.index import lookup

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["fts_search"]


def fts_search(
    conn: Connection, tokens: list[str], limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """FTS5, ranked by bm25 with the title counting 10x, the authors 4x the abstract. The
    full-text table holds live records only (a deleted one leaves it), so no join.

    FTS5 would be slow here twice over for frequent words: a prefix ("dor"*) merges the
    doclists of every word it starts before the first row (9 s for a 3-letter prefix over
    a million records), and bm25 counts every match of each phrase (its document
    frequency) again in each statement (30 ms for a word in every record). So a prefix is
    asked as the words it stands for (read lazily, newest first: a few ms), the candidates
    are taken without bm25, and their bm25 is worked out here (:func:`_bm25`): the same
    formula on the same figures, FTS5's own column sizes and each phrase's document count,
    counted once and kept until the index changes. The result is FTS5's bm25 order."""
    if limit <= 0:  # every match, all ranked: FTS5 counts what it must read anyway
        return _fts5_bm25_search(conn, tokens, limit, offset)
    phrases = _phrases(conn, tokens)
    if phrases is None:
        return _fts5_bm25_search(conn, tokens, limit, offset)
    if not all(phrases):  # a prefix no indexed word starts: nothing matches
        return [], 0, False
    words = _match(phrases)
    if _cheap_to_count(conn, phrases):  # the same phrases, so the same bm25: FTS5's
        return _fts5_bm25_search(conn, tokens, limit, offset, words)
    newest = "SELECT rowid FROM arxiv_fts WHERE arxiv_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    found = [r[0] for r in conn.exec_driver_sql(newest, (words, lookup.CANDIDATES + 1)).all()]
    need = offset + limit
    if len(found) <= lookup.CANDIDATES:  # every match is a candidate: all ranked
        scored = _bm25(conn, phrases, found, title_only=False)
        if scored is None:
            return _fts5_bm25_search(conn, tokens, limit, offset)
        scored.sort(key=_by_score)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # Past the bound, in two tiers: the newest CANDIDATES records whose title matches
    # (however old: a reader is after these), ranked, then the newest CANDIDATES
    # matches anywhere, ranked.
    titles = f"{{title}} : ({words})"
    in_title = [r[0] for r in conn.exec_driver_sql(newest, (titles, lookup.CANDIDATES)).all()]
    seen = set(in_title)
    tier = _bm25(conn, phrases, in_title, title_only=True)
    rest = _bm25(
        conn, phrases, [i for i in found[: lookup.CANDIDATES] if i not in seen], title_only=False
    )
    if tier is None or rest is None:
        return _fts5_bm25_search(conn, tokens, limit, offset)
    ordered = sorted(tier, key=_by_score) + sorted(rest, key=_by_score)
    return [r[0] for r in ordered[offset:need]], lookup.CANDIDATES, True


# A prefix standing for more words than this is left to FTS5 (its merge, and bm25's
# count of it, take seconds). 242 words start "dor" in the generated 1M index: their OR,
# newest first, reads 2,001 matches in some 60 ms.
_MAX_WORDS = 256
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WEIGHTS = (10.0, 4.0, 1.0)  # title, authors, abstract: as bm25(arxiv_fts, 10.0, 4.0, 1.0)
_K1, _B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)


# FTS5's bm25 counts each word's matches in each statement, some 0.09 ms per thousand
# over both tiers; working bm25 out here costs some 50 ms for the two tiers' 4,000
# candidates, whatever the words. So when every phrase is one word and their matches
# are fewer than this, FTS5 ranks. Measured on the 1M index (CPU, FTS5 / here):
# "lodorlo" (41,613 records) 26 / 72 ms, "learning" (286,378) 34-45 / 42-60 ms,
# "vekakalo" (804,612) 82-91 / 49-56 ms.
_FTS5_COUNTS = 400_000


def _cheap_to_count(conn: Connection, phrases: list[tuple[str, ...]]) -> bool:
    """Whether each phrase is one word whose document count the vocabulary lookup kept,
    and together they have fewer than :data:`_FTS5_COUNTS` matches to count."""
    from catalog.store.fts5_words import known

    if any(len(words) != 1 for words in phrases):
        return False
    cache = known(conn, "arxiv_fts")
    counts = [int(c) for w in phrases if (c := cache.get(("documents", w[0]))) is not None]
    return len(counts) == len(phrases) and sum(counts) < _FTS5_COUNTS


def _phrases(conn: Connection, tokens: list[str]) -> list[tuple[str, ...]] | None:
    """Each token as the indexed words it matches: itself (one or two letters), or the
    words its prefix starts (none: nothing matches). None when FTS5 must do it all: a
    token that is not ASCII (the tokenizer's folding is FTS5's to know), or a prefix of
    more than :data:`_MAX_WORDS` words."""
    from catalog.store.fts5_words import words_of

    if not all(_ASCII_WORD.fullmatch(t) for t in tokens):
        return None
    prefixes = {t for t in tokens if len(t) > 2}
    words = words_of(conn, "arxiv_fts", prefixes, _MAX_WORDS) if prefixes else {}
    out: list[tuple[str, ...]] = []
    for token in tokens:
        if len(token) <= 2:
            out.append((token,))
            continue
        found = words[token]
        if found is None:
            return None
        out.append(found)
    return out


def _match(phrases: list[tuple[str, ...]]) -> str:
    """Every phrase, each any of its words (quoted: letters and digits, no FTS5 syntax)."""
    return " AND ".join(_either(words) for words in phrases)


def _either(words: tuple[str, ...]) -> str:
    return f'"{words[0]}"' if len(words) == 1 else "(" + " OR ".join(f'"{w}"' for w in words) + ")"


def _bm25(
    conn: Connection, phrases: list[tuple[str, ...]], ids: list[int], *, title_only: bool
) -> list[tuple[int, float]] | None:
    """FTS5's bm25 of each record of ``ids``, worked out as fts5_aux.c does, for the
    query of ``phrases`` (within the title for ``title_only``, as ``{title} : ...``).

    The figures are FTS5's: the number of rows and of tokens (its averages record), each
    record's size in tokens (``arxiv_fts_docsize``), each phrase's document count (the
    rows matching it, counted once per state of the index: :func:`_documents`). Only the
    number of times each phrase occurs in each column comes from the text, found here by
    the tokenizer's rule for ASCII words (runs of letters and digits, case and accents
    set aside). None if that disagrees with FTS5 (a record where a phrase it matched is
    not found): the caller then leaves the ranking to FTS5."""
    if not ids:
        return []
    rows_total, tokens_total = _averages(conn)
    avgdl = tokens_total / rows_total
    # One phrase: its idf is a factor common to every score (positive: bm25 floors it at
    # 1e-6), which orders them as they are; so it is not counted (a word in every record
    # is a million rows to count). The scores then differ from FTS5's by that factor;
    # only two within a rounding of each other could order differently (ties go by id).
    idf = [1.0]
    if len(phrases) > 1:
        idf = []
        for words in phrases:
            hits = _documents(conn, words, title_only)
            value = math.log((rows_total - hits + 0.5) / (hits + 0.5))
            idf.append(value if value > 0.0 else 1e-6)
    # Each phrase's words' common start, a substring test that rules most texts out
    # cheaply, and the pattern that counts the phrase's occurrences.
    checks = [(os.path.commonprefix(list(words)), _occurrence(words)) for words in phrases]
    columns = "r.title" if title_only else "r.title, r.authors, r.abstract"
    marks = ", ".join("?" * len(ids))
    rows = conn.exec_driver_sql(
        f"SELECT r.id, d.sz, {columns} FROM arxiv_record r JOIN arxiv_fts_docsize d"
        f" ON d.id = r.id WHERE r.id IN ({marks})",
        tuple(ids),
    ).all()
    out = []
    for rowid, size, *texts in rows:
        folded = [_fold(text or "") for text in texts]
        length = float(_size(size))
        norm = _K1 * (1 - _B + _B * length / avgdl)  # as fts5_aux.c has it, once a row
        score = 0.0
        for i, (head, pattern) in enumerate(checks):
            freq = 0.0  # the sum of the weights of its occurrences, as FTS5 adds them
            for weight, text in zip(_WEIGHTS, folded, strict=False):
                if head in text:
                    freq += weight * len(pattern.findall(text))
            if freq == 0.0:  # FTS5 matched a phrase this reading does not find
                return None
            score += idf[i] * ((freq * (_K1 + 1.0)) / (freq + norm))
        out.append((rowid, -1.0 * score))
    return out


def _averages(conn: Connection) -> tuple[int, int]:
    """FTS5's averages record (rowid 1 of ``arxiv_fts_data``): the rows, then each column's
    tokens, as varints. The rows and the tokens of every column."""
    block = conn.exec_driver_sql("SELECT block FROM arxiv_fts_data WHERE id = 1").scalar()
    rows, *sizes = _varints(bytes(block or b""))
    return max(rows, 1), sum(sizes)


def _documents(conn: Connection, words: tuple[str, ...], title_only: bool) -> int:
    """The rows matching any of ``words`` (in the title, for ``title_only``): what bm25's
    count of a phrase is. Counted once, then kept while the index stays as it is."""
    from catalog.store.fts5_words import known

    cache = known(conn, "arxiv_fts")
    key = ("documents", words, title_only)
    if key not in cache and not title_only and len(words) == 1:
        listed = cache.get(("documents", words[0]))  # the vocabulary lookup's count
        if listed is not None:
            cache[key] = listed
    if key not in cache:
        match = _either(words)
        if title_only:
            match = f"{{title}} : {match}"
        cache[key] = int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM arxiv_fts WHERE arxiv_fts MATCH ?", (match,)
            ).scalar()
            or 0
        )
    return int(cache[key])


def _occurrence(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``words`` as a whole token of folded text: not inside a run of letters and
    digits (an underscore parts tokens, as unicode61 has it). The words' common start
    comes first and the check of what precedes it after: a pattern that starts with a
    literal is searched for as one (a leading look-behind made it 5x slower)."""
    head = os.path.commonprefix(list(words))
    rests = "|".join(re.escape(w[len(head) :]) for w in sorted(words, key=len, reverse=True))
    lead = re.escape(head)
    return re.compile(rf"{lead}(?<![^\W_]{lead})(?:{rests})(?![^\W_])")


class _Folding(dict[int, str]):
    """unicode61 with remove_diacritics 2, for str.translate: a letter with accents as its
    letter (é as e), worked out once per character met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        parts = unicodedata.normalize("NFD", char)
        base = "".join(c for c in parts if not unicodedata.combining(c))
        folded = base if base and len(parts) > 1 else char
        self[code] = folded
        return folded


_FOLDING = _Folding()


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return text.translate(_FOLDING).lower()


def _size(data: bytes) -> int:
    """The sum of a docsize record's varints: a record's tokens (fewer than 2**56)."""
    total = value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            total += value
            value = 0
    return total


def _varints(data: bytes) -> list[int]:
    """SQLite's varints (FTS5's record format): seven bits a byte, high bit set on all but
    the last; a ninth byte gives all eight."""
    out = []
    i, end = 0, len(data)
    while i < end:
        value = 0
        for n in range(9):
            byte = data[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def _fts5_bm25_search(
    conn: Connection, tokens: list[str], limit: int, offset: int, match: str | None = None
) -> tuple[list[int], int, bool]:
    """FTS5's own bm25, the title counting 10x, the authors 4x the abstract: for every
    match ranked (``limit=0``), words that are not ASCII, and a prefix standing for more
    than :data:`_MAX_WORDS` words; and ``match`` (the query as whole words) when counting
    its words costs FTS5 less than the text costs :func:`_bm25`."""
    words = match or " ".join(lookup.query_words(tokens, '"'))
    rank = "bm25(arxiv_fts, 10.0, 4.0, 1.0)"
    ranked = f"SELECT rowid, {rank} FROM arxiv_fts WHERE arxiv_fts MATCH ?"
    if limit <= 0:  # every match, all ranked: what was asked
        every = ranked + f" ORDER BY 2, 1 LIMIT -1 OFFSET {int(offset)}"
        ids = [r[0] for r in conn.exec_driver_sql(every, (words,))]
        return ids, offset + len(ids), False
    # Scored newest first: FTS5 walks the doclist from its end and stops at the LIMIT,
    # so bm25 is computed for those rows only. (Scoring chosen rows by ``rowid IN
    # (...)`` instead made FTS5 evaluate the whole query again for each id: a third of
    # a second apiece on a common word over a million records.)
    newest = ranked + " ORDER BY rowid DESC LIMIT ?"
    scored = [(r[0], r[1]) for r in conn.exec_driver_sql(newest, (words, lookup.CANDIDATES + 1))]
    need = offset + limit
    if len(scored) <= lookup.CANDIDATES:  # every match is a candidate: all ranked
        scored.sort(key=_by_score)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # Past the bound, in two tiers: the newest CANDIDATES records whose title matches
    # (however old: a reader is after these), ranked, then the newest CANDIDATES
    # matches anywhere, ranked.
    titles = f"{{title}} : ({words})"
    tier = [(r[0], r[1]) for r in conn.exec_driver_sql(newest, (titles, lookup.CANDIDATES))]
    in_title = {rowid for rowid, _score in tier}
    rest = [r for r in scored[: lookup.CANDIDATES] if r[0] not in in_title]
    ordered = sorted(tier, key=_by_score) + sorted(rest, key=_by_score)
    return [r[0] for r in ordered[offset:need]], lookup.CANDIDATES, True


def _by_score(row: tuple[int, float]) -> tuple[float, int]:
    return (row[1], row[0])  # bm25: lower is better; ties by id
