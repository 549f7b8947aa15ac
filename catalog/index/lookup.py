"""Finding papers in the arXiv index: by id, by title, by words.

* by id: the ``arxiv_id`` unique index; any written form of an id is accepted;
* by title: equality on ``title_key`` (:func:`catalog.text.title_key`: case, accents,
  TeX commands and punctuation set aside), served by its index;
* by words: every word must match as a word prefix in the title, authors or abstract;
  ranked by FTS5's bm25 on SQLite (title counts 10x, authors 4x the abstract), by
  ``ts_rank`` over the weighted ``tsvector`` on PostgreSQL. Without FTS5, a LIKE scan.

Records the OAI-PMH feed marked deleted are not returned.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.index.record import IndexRecord, Version
from catalog.index.store import as_date, as_datetime, has_fts
from catalog.text import title_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from catalog.sources.arxiv.ids import ArxivId

_COLUMNS = (
    "id, arxiv_id, title, authors, abstract, categories, dois, journal_ref, comments, datestamp"
)
_TOKEN = re.compile(r"[^\W_]+")
_CHUNK = 500
CANDIDATES = 2_000  # records ranked at most for one word search (see search())


def get(conn: Connection, arxiv_id: str) -> IndexRecord | None:
    found = get_many(conn, [arxiv_id])
    return next(iter(found.values()), None)


def get_many(conn: Connection, arxiv_ids: Iterable[str]) -> dict[str, IndexRecord]:
    """Keyed by the canonical form of each id asked (``math.GT/0309136`` finds the record
    arXiv files as ``math/0309136``)."""
    asked: dict[str, list[str]] = {}  # arXiv's form -> canonical ids asked
    for text in arxiv_ids:
        ident = _parse(text)
        if ident is not None:
            asked.setdefault(ident.api_id, []).append(ident.id)
    keys = list(asked)
    out: dict[str, IndexRecord] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ", ".join([_param(conn)] * len(chunk))
        rows = conn.exec_driver_sql(
            f"SELECT {_COLUMNS} FROM arxiv_record WHERE arxiv_id IN ({marks}) AND NOT deleted",
            tuple(chunk),
        ).all()
        for record in _records(conn, rows):
            for canonical in asked.get(record.arxiv_id, ()):
                out[canonical] = record
    return out


def by_title(conn: Connection, title: str, limit: int = 10) -> list[IndexRecord]:
    key = title_key(title)
    if not key:
        return []
    rows = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM arxiv_record WHERE title_key = {_param(conn)} AND NOT deleted"
        f" ORDER BY id LIMIT {int(limit)}",
        (key,),
    ).all()
    return _records(conn, rows)


@dataclass
class IndexHits:
    """One page of a word search, and how many records match: ``total`` exactly, or, when
    ``more`` is set, a lower bound (the search stopped counting at its candidate bound)."""

    records: list[IndexRecord]
    total: int
    more: bool = False


def search(conn: Connection, query: str, limit: int = 20, offset: int = 0) -> IndexHits:
    """Records matching every word of ``query`` as a word prefix, best first.

    Ranking needs a score for every candidate, and a word that half of arXiv uses has
    millions of matches; so when more than :data:`CANDIDATES` records match, only a
    bounded set is ranked, on SQLite and PostgreSQL alike: first the :data:`CANDIDATES`
    most recently stored records whose *title* matches (the ones a reader is after),
    ranked, then the :data:`CANDIDATES` most recently stored matches anywhere, ranked.
    ``total`` then says "more than"
    :data:`CANDIDATES`. ``limit=0`` asks for every match, all ranked.
    """
    tokens = [t for word in query.split() for t in _TOKEN.findall(word.lower())]
    if not tokens:
        return IndexHits([], 0)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        order, total, more = _pg_search(conn, tokens, limit, offset)
    elif has_fts(conn):
        order, total, more = _fts_search(conn, tokens, limit, offset)
    else:
        order, total, more = _like_search(conn, tokens, limit, offset)
    if not order:
        return IndexHits([], total, more)
    marks = ", ".join([_param(conn)] * len(order))
    rows = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM arxiv_record WHERE id IN ({marks})", tuple(order)
    ).all()
    by_id = {row[0]: record for row, record in zip(rows, _records(conn, rows), strict=True)}
    return IndexHits([by_id[i] for i in order if i in by_id], total, more)


def _words(tokens: list[str], quote: str) -> list[str]:
    """Each token as a prefix, but one or two letters as a whole word: "a"* would be
    every word starting with a, costly to merge and no use to narrow a search."""
    return [f"{quote}{t}{quote}*" if len(t) > 2 else f"{quote}{t}{quote}" for t in tokens]


def _fts_search(
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
    found = [r[0] for r in conn.exec_driver_sql(newest, (words, CANDIDATES + 1)).all()]
    need = offset + limit
    if len(found) <= CANDIDATES:  # every match is a candidate: all ranked
        scored = _bm25(conn, phrases, found, title_only=False)
        if scored is None:
            return _fts5_bm25_search(conn, tokens, limit, offset)
        scored.sort(key=_by_score)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # Past the bound, in two tiers: the newest CANDIDATES records whose title matches
    # (however old: a reader is after these), ranked, then the newest CANDIDATES
    # matches anywhere, ranked.
    titles = f"{{title}} : ({words})"
    in_title = [r[0] for r in conn.exec_driver_sql(newest, (titles, CANDIDATES)).all()]
    seen = set(in_title)
    tier = _bm25(conn, phrases, in_title, title_only=True)
    rest = _bm25(conn, phrases, [i for i in found[:CANDIDATES] if i not in seen], title_only=False)
    if tier is None or rest is None:
        return _fts5_bm25_search(conn, tokens, limit, offset)
    ordered = sorted(tier, key=_by_score) + sorted(rest, key=_by_score)
    return [r[0] for r in ordered[offset:need]], CANDIDATES, True


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
    words = match or " ".join(_words(tokens, '"'))
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
    scored = [(r[0], r[1]) for r in conn.exec_driver_sql(newest, (words, CANDIDATES + 1))]
    need = offset + limit
    if len(scored) <= CANDIDATES:  # every match is a candidate: all ranked
        scored.sort(key=_by_score)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # Past the bound, in two tiers: the newest CANDIDATES records whose title matches
    # (however old: a reader is after these), ranked, then the newest CANDIDATES
    # matches anywhere, ranked.
    titles = f"{{title}} : ({words})"
    tier = [(r[0], r[1]) for r in conn.exec_driver_sql(newest, (titles, CANDIDATES))]
    in_title = {rowid for rowid, _score in tier}
    rest = [r for r in scored[:CANDIDATES] if r[0] not in in_title]
    ordered = sorted(tier, key=_by_score) + sorted(rest, key=_by_score)
    return [r[0] for r in ordered[offset:need]], CANDIDATES, True


def _by_score(row: tuple[int, float]) -> tuple[float, int]:
    return (row[1], row[0])  # bm25: lower is better; ties by id


def _pg_search(
    conn: Connection, tokens: list[str], limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """``ts_rank`` over the weighted ``tsvector`` (title A, authors B, abstract C) of
    ``arxiv_text``, which holds live records only (a deleted one leaves it). Past the
    bound, the two tiers of :func:`_fts_search`: the newest CANDIDATES records whose
    title matches, ranked, then the newest CANDIDATES matches anywhere, ranked."""
    words = [w.replace("*", ":*") for w in _words(tokens, "")]
    tsquery = " & ".join(words)
    if limit <= 0:
        ids = list(
            conn.exec_driver_sql(
                "SELECT record_id FROM arxiv_text, to_tsquery('simple', %s) q"
                " WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC, record_id"
                f" OFFSET {int(offset)}",
                (tsquery,),
            ).scalars()
        )
        return ids, offset + len(ids), False
    need = offset + limit
    scored = _pg_newest(conn, _ANYWHERE, words, CANDIDATES + 1)
    if len(scored) <= CANDIDATES:  # every match is a candidate: all ranked
        scored.sort(key=_by_rank)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # The title's words are the A-weighted ones: "w:*A" matches a title word only.
    in_titles = " & ".join(f"{w}A" if w.endswith(":*") else f"{w}:A" for w in words)
    tier = _pg_newest(conn, _IN_TITLE, words, CANDIDATES, in_titles)
    in_title = {rowid for rowid, _rank in tier}
    rest = [r for r in scored[:CANDIDATES] if r[0] not in in_title]
    ordered = sorted(tier, key=_by_rank) + sorted(rest, key=_by_rank)
    return [r[0] for r in ordered[offset:need]], CANDIDATES, True


def _by_rank(row: tuple[int, float]) -> tuple[float, int]:
    return (-row[1], row[0])  # ts_rank: higher is better; ties by id


# Where a word search's words must match on PostgreSQL: anywhere (the GIN index of
# ``tsv``), or in the title (ix0005's GIN index of the title's lexemes).
_ANYWHERE = "tsv"
_IN_TITLE = "ts_filter(tsv, '{a}')"
# The ids a first, bounded statement looks through: this many times those expected to
# hold the matches wanted, from the planner's estimate (which is rough for rare words).
_SPAN = 2
# A word whose matches are this many times fewer than every other word's alone makes
# the bitmap of a search (_pg_newest).
_RAREST = 10


def _pg_newest(
    conn: Connection, words: str, parts: list[str], n: int, weighted: str | None = None
) -> list[tuple[int, float]]:
    """The ``n`` newest records whose ``words`` match every one of ``parts`` (tsquery
    words), with their rank.

    A GIN index gives its matches as a bitmap of all of them: a word in every abstract
    is a million rows read to keep 2,001 (seconds). Walking the records from the newest
    and testing each instead costs ``n`` times the records per match: cheap exactly when
    the words are frequent. So, as the catalog's own search does (catalog.store.search),
    the planner's estimate of the matches decides: walk when it is above the square
    root of ``n`` times the records (each way then reads about as many rows), else the
    bitmap. Either looks at the newest ids first, as many as should hold ``n`` matches
    (``_SPAN`` times over), and reads the rest from the bitmap only if they did not.
    The bitmap is of the word with the fewest matches when the others have far more
    (``_RAREST`` times), the others tested on its rows: a GIN index merges all of a
    prefix's postings first, and "dortrilo:* & learning:*" on titles read dortrilo's
    650,000 to keep learning's 19,000 (130 ms). Nearer, reading the rarest word's rows
    costs more than merging (a row read is some ten postings). ``weighted``
    is the query as the walk tests it (the title's weight), if not the same."""
    tsquery = " & ".join(parts)
    plain = f"{words} @@ to_tsquery('simple', %s)"
    estimate, *each = _pg_estimates(conn, plain, [tsquery, *parts] if len(parts) > 1 else parts)
    rarest = tsquery
    if each and sorted(each)[1] > _RAREST * min(each):
        rarest = parts[each.index(min(each))]
    match = plain
    if rarest != tsquery:  # the rarest word from the index, then the whole query
        match = f"{plain} AND ({words} @@ to_tsquery('simple', %s)) IS TRUE"
    bitmap_params = (rarest, tsquery) if rarest != tsquery else (tsquery,)
    size, top = conn.exec_driver_sql(
        "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'arxiv_text'::regclass),"
        " (SELECT max(record_id) FROM arxiv_text)"
    ).one()
    if top is None:
        return []
    size = float(size or 0)
    # Without statistics (reltuples -1 before the first ANALYZE) the bitmap, of all.
    span = int(_SPAN * n * size / max(estimate, 1.0)) if size > 0 else top
    low = top - span
    # The rank in the same statement, of the rows kept: a sort that carried their
    # tsvectors (1.8 KB each) went to disk past work_mem.
    ranked = "SELECT record_id, ts_rank(tsv, to_tsquery('simple', %s)) FROM arxiv_text"
    if size > 0 and estimate * estimate > n * size:
        # (tsv @@ q) IS TRUE is no condition a GIN index serves: the primary key's
        # order, newest first, is the only way the LIMIT cuts short.
        test = "tsv @@ to_tsquery('simple', %s)" if weighted else plain
        first = (
            f"{ranked} WHERE ({test}) IS TRUE AND record_id > %s ORDER BY record_id DESC LIMIT %s"
        )
        params: tuple[Any, ...] = (tsquery, weighted or tsquery, low, n)
    else:
        # ORDER BY record_id + 0: not the primary key's order, which with the LIMIT
        # would make the planner walk; the GIN bitmap of the words instead (and of
        # the newest ids, which it may AND with).
        first = f"{ranked} WHERE {match} AND record_id > %s ORDER BY record_id + 0 DESC LIMIT %s"
        params = (tsquery, *bitmap_params, low, n)
    rows = [(r[0], float(r[1])) for r in conn.exec_driver_sql(first, params)]
    if len(rows) < n and low > 0:  # the newest ids held fewer: the rest from the bitmap
        rest = f"{ranked} WHERE {match} AND record_id <= %s ORDER BY record_id + 0 DESC LIMIT %s"
        older = conn.exec_driver_sql(rest, (tsquery, *bitmap_params, low, n - len(rows)))
        rows += [(r[0], float(r[1])) for r in older]
    return rows


def _pg_estimates(conn: Connection, match: str, queries: list[str]) -> list[float]:
    """The planner's estimates of the records ``match`` finds for each query. For a
    prefix it guesses from the share of its sampled words the prefix starts, and a
    small table's sample (or a word with few relatives) makes that a few rows even for
    a word in every record; the prefix matches at least what its whole words do, which
    the planner counts from their own frequency. So the larger of the two. (One EXPLAIN
    each: of a UNION ALL the planner may give a parallel plan's rows per worker.)"""
    select = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM arxiv_text WHERE {match}"
    estimates = []
    for query in queries:
        rows = 0.0
        for form in {query, query.replace(":*", "")}:
            plan = conn.exec_driver_sql(select, (form,)).scalar()
            found: Any = json.loads(plan) if isinstance(plan, str) else plan
            rows = max(rows, float(found[0]["Plan"]["Plan Rows"]))
        estimates.append(rows)
    return estimates


def _like_search(
    conn: Connection, tokens: list[str], limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """Without FTS5 (a SQLite built without it): a scan, in id order."""
    # SQLite has no OFFSET without a LIMIT; -1 is its "no limit".
    page = f" LIMIT {int(limit) if limit > 0 else -1} OFFSET {int(offset)}"
    where = " AND ".join(["(title || ' ' || authors || ' ' || abstract) LIKE ?"] * len(tokens))
    params = tuple(f"%{t}%" for t in tokens)
    total = conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM arxiv_record WHERE {where} AND NOT deleted", params
    ).scalar()
    ids = conn.exec_driver_sql(
        f"SELECT id FROM arxiv_record WHERE {where} AND NOT deleted ORDER BY id" + page, params
    ).scalars()
    return list(ids), int(total or 0), False


def _records(conn: Connection, rows: Sequence[Any]) -> list[IndexRecord]:
    """Rows of ``_COLUMNS`` as records, with their versions (one query for all)."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ", ".join([_param(conn)] * len(ids))
    versions: dict[int, list[Version]] = {}
    for rid, number, when, size, withdrawn in conn.exec_driver_sql(
        "SELECT record_id, number, date, size_kb, withdrawn FROM arxiv_version"
        f" WHERE record_id IN ({marks}) ORDER BY record_id, number",
        tuple(ids),
    ).all():
        versions.setdefault(rid, []).append(
            Version(number, as_datetime(when), size, None if withdrawn is None else bool(withdrawn))
        )
    return [
        IndexRecord(
            arxiv_id=row[1],
            title=row[2],
            authors=tuple(row[3].split("\n")) if row[3] else (),
            abstract=row[4],
            categories=tuple(row[5].split()),
            versions=tuple(versions.get(row[0], ())),
            dois=tuple(row[6].split()),
            journal_ref=row[7],
            comments=row[8],
            datestamp=as_date(row[9]),
        )
        for row in rows
    ]


def _parse(text: str) -> ArxivId | None:
    from catalog.sources.arxiv.ids import parse_arxiv_id

    try:
        return parse_arxiv_id(text)
    except CatalogError:
        return None


def _param(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"
