"""arXiv's published metadata snapshot: JSON lines, one paper per line, streamed.

The file may be plain, gzip-compressed or a zip archive holding it (as it is
distributed); which one is told by the file's first bytes, not its name. Each line is an
object with ``id``, ``title``, ``authors`` and ``authors_parsed``, ``abstract``,
``categories``, ``versions`` (``[{"version": "v1", "created": "<RFC 2822>"}]``),
``update_date``, ``doi``, ``journal-ref``, ``comments``. Lines are read one at a time, so
memory does not grow with the file.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from queue import Empty
from typing import IO, TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.index.fields import (
    CLOCKS_SEEN,
    DAYS_SEEN,
    index_title_key,
    name_from_parts,
    narrow_spaced,
    one_line,
    parse_day,
    parse_dois,
    parse_version_date,
    split_authors,
    version_stamp,
)
from catalog.index.record import IndexRecord, Version

if TYPE_CHECKING:
    from catalog.index.store import Rows


class SnapshotError(CatalogError):
    """The snapshot file cannot be read, or a line of it is not a paper."""

    exit_code = 2


@contextmanager
def open_snapshot(path: Path) -> Iterator[IO[bytes]]:
    """The snapshot's JSON-lines bytes, whatever the packaging."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc.strerror}") from None
    try:
        magic = raw.read(4)
        raw.seek(0)
        if magic[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream  # type: ignore[misc]
        elif magic == b"PK\x03\x04":
            try:
                archive = zipfile.ZipFile(raw)
            except zipfile.BadZipFile as exc:
                raise SnapshotError(f"snapshot {path} is a broken zip file ({exc})") from None
            with archive, archive.open(_member(archive, path)) as stream:
                yield stream
        else:
            yield raw
    finally:
        raw.close()


def _member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    """The JSON file inside the archive: the only file, else the largest ``.json``."""
    files = [i for i in archive.infolist() if not i.is_dir()]
    jsons = [i for i in files if i.filename.lower().endswith((".json", ".jsonl"))]
    pick = jsons or (files if len(files) == 1 else [])
    if not pick:
        raise SnapshotError(f"snapshot {path}: the zip file holds no .json file")
    return max(pick, key=lambda i: i.file_size)


def read_snapshot(path: Path) -> Iterator[tuple[int, IndexRecord]]:
    """(line number, record) for each paper of the snapshot, in file order.

    Raises :class:`SnapshotError` naming the line that is not a paper.
    """
    with open_snapshot(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="\n")
        number = 0
        try:
            for number, line in enumerate(text, 1):  # noqa: B007 (used after the loop)
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    raise SnapshotError(
                        f"snapshot {path} line {number}: not JSON ({exc.args[0]})"
                    ) from None
                yield number, record_from_json(data, path, number)
        except UnicodeDecodeError:
            raise SnapshotError(f"snapshot {path} line {number + 1}: not UTF-8 text") from None
        except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
            raise SnapshotError(
                f"snapshot {path} is damaged after line {number} ({exc}); "
                "the papers before it are stored"
            ) from None


def read_rows(path: Path, batch_size: int, dialect: str) -> Iterator[tuple[int, Rows]]:
    """(last line number, rows) for each batch of ``batch_size`` papers, made straight
    from each line's JSON into the tuples the driver takes (:func:`snapshot_rows`): in a
    first fill this is the reader's whole job, and no record object is made in between.
    Lines are decoded by orjson, from the bytes (it checks the UTF-8 as it goes: half
    the time of decoding the text, then ``json.loads``).
    Raises :class:`SnapshotError` naming the line that is not a paper."""
    import orjson

    from catalog.index.store import Rows

    placed = dialect == "sqlite"  # versions by their record's place (Rows.placed)
    with open_snapshot(path) as stream:
        number = 0
        records: dict[str, tuple[Any, ...]] = {}  # by id: the last line of an id wins
        versions: dict[str, list[tuple[Any, ...]]] = {}
        newest: date | None = None
        loads = orjson.loads
        try:
            for number, line in enumerate(stream, 1):  # noqa: B007 (used after the loop)
                try:
                    data = loads(line)
                except ValueError as exc:
                    if not line.strip():
                        continue
                    raise _not_json(path, number, line, exc) from None
                row, its_versions, day = snapshot_rows(data, dialect, path, number)
                records[row[0]] = row
                versions[row[0]] = its_versions
                if day is not None and (newest is None or day > newest):
                    newest = day
                if len(records) >= batch_size:
                    yield number, Rows.of(records, versions, newest, placed=placed)
                    records, versions, newest = {}, {}, None
        except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
            raise SnapshotError(
                f"snapshot {path} is damaged after line {number} ({exc}); "
                "the papers before it are stored"
            ) from None
        if records:
            yield number, Rows.of(records, versions, newest, placed=placed)


def _not_json(path: Path, number: int, line: bytes, exc: ValueError) -> SnapshotError:
    """The error for a line orjson refused: not UTF-8, or not JSON (said as ``json``
    says it, which names what it expected)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return SnapshotError(f"snapshot {path} line {number}: not UTF-8 text")
    try:
        json.loads(text)
    except ValueError as plain:
        exc = plain
    return SnapshotError(f"snapshot {path} line {number}: not JSON ({exc.args[0]})")


# Batches go from the reader to the load through memory both processes map (made
# before the fork): the load unpickles a batch where the reader wrote it. Through the
# queue's pipe, the load read each batch's 16 MB in 64 KB pieces and copied them
# together (30 ms of its CPU a batch, 3 s of a million records). A batch's pickle
# larger than a slot goes through the queue as before.
SLOT_BYTES = 48 * 1024 * 1024
_SLOTS = 2


def read_batches(path: Path, batch_size: int, dialect: str) -> Iterator[tuple[int, Rows]]:
    """:func:`read_rows` run in a second process, so that parsing and storing run at
    once; at most two batches wait between them, so memory stays bounded. Errors in the
    reader come out here."""
    import mmap
    import multiprocessing

    # fork: the reader needs nothing of the parent but the path (and touches no database)
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=2)
    free: Any = context.Queue()  # the slots of ``shared`` the load has read
    for slot in range(_SLOTS):
        free.put(slot)
    shared = mmap.mmap(-1, _SLOTS * SLOT_BYTES)  # anonymous and shared with the fork
    worker = context.Process(
        target=_read_into,
        args=(path, batch_size, dialect, queue, os.getpid(), free, shared),
        daemon=True,
        name="snapshot-reader",
    )
    worker.start()
    try:
        while True:
            try:
                message = queue.get(timeout=1.0)
            except Empty:
                if worker.is_alive():
                    continue
                raise SnapshotError(
                    f"snapshot {path}: the reader process stopped (exit code {worker.exitcode})"
                ) from None
            item = _receive(message, shared, free)
            del message
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        worker.join()
    finally:
        if worker.is_alive():
            worker.terminate()
            worker.join()
        shared.close()


def _receive(message: Any, shared: Any, free: Any) -> Any:
    """What the reader sent: ``(slot, size)`` of a pickle in ``shared`` (the slot is
    given back at once: nothing unpickled refers to it), else the pickle itself."""
    import pickle

    if type(message) is not tuple:
        return pickle.loads(message)
    slot, size = message
    with memoryview(shared) as whole, whole[slot * SLOT_BYTES : slot * SLOT_BYTES + size] as part:
        item = pickle.loads(part)
    free.put(slot)
    return item


def _dumps(item: object) -> bytes:
    """``item`` pickled without the memo: a batch is tuples of strings, none shared or
    cyclic, and remembering each of its half a million objects was a third of pickling
    them (and made unpickling them slower too)."""
    import pickle

    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo (deprecated in name only: still how to skip it)
    pickler.dump(item)
    return out.getvalue()


def _read_into(
    path: Path, batch_size: int, dialect: str, queue: Any, parent: int, free: Any, shared: Any
) -> None:
    """In the reader process: parse ``path``, send batches, then None (or the error).

    It ends when the load's process ``parent`` does, however that ends: a load killed
    by SIGKILL left its reader blocked for ever on the full queue, and holding (forked
    with it) the index's run lock, so that every later load or harvest was refused as
    busy (:func:`_end_with`).

    Without the cyclic garbage collector: a batch is half a million fresh tuples and
    strings, and each batch set off collections that walked all of them (a seventh of
    the reader's time); nothing it makes is cyclic, so reference counting frees it all,
    and the process ends with the load."""
    import gc

    _end_with(parent)
    gc.disable()

    def send(item: object) -> None:
        data = _dumps(item)
        if len(data) > SLOT_BYTES:
            queue.put(data)
            return
        slot = free.get()  # one the load has read (or not yet used)
        shared[slot * SLOT_BYTES : slot * SLOT_BYTES + len(data)] = data
        queue.put((slot, len(data)))

    try:
        for item in read_rows(path, batch_size, dialect):
            send(item)
        send(None)
    except KeyboardInterrupt:  # the main process handles Ctrl-C
        pass
    except SnapshotError as exc:
        send(SnapshotError(str(exc)))
    except Exception as exc:  # noqa: BLE001 (anything else: report it, don't hang)
        send(SnapshotError(f"snapshot {path}: {type(exc).__name__}: {exc}"))


def _end_with(parent: int, every: float = 0.2) -> None:
    """End this process as soon as ``parent`` is no longer its parent (the load died):
    a thread that looks, since a process blocked on a pipe or a lock is told nothing."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="snapshot-reader-watch", daemon=True).start()


def snapshot_rows(
    data: Any, dialect: str, path: Path | str = "-", number: int = 0
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], date | None]:
    """One snapshot line's object as the record row, its version rows and its datestamp:
    what ``prepare_rows([record_from_json(data)], dialect)`` makes, without the record
    (tests keep the two the same). arXiv's own shapes (``"v2"``, string fields, its date
    format) take the short way, inline; anything else the general one. This is most of
    the reader process's work in a first fill: a million lines."""
    if type(data) is not dict:
        raise SnapshotError(f'snapshot {path} line {number}: not a paper (no "id")')
    get = data.get
    arxiv_id = get("id")
    if type(arxiv_id) is not str or not arxiv_id:
        raise SnapshotError(f'snapshot {path} line {number}: not a paper (no "id")')
    arxiv_id = arxiv_id.strip()
    parsed = get("authors_parsed")
    if type(parsed) is list and parsed:
        authors = _author_lines(parsed)
    else:
        authors = "\n".join(split_authors(_str(get("authors"))))
    sqlite = dialect == "sqlite"
    stamp: Any = version_stamp if sqlite else _aware_stamp
    days, clocks = DAYS_SEEN, CLOCKS_SEEN
    dated: dict[int, Any] = {}  # version number -> its date; the last of a number wins
    for item in get("versions") or ():
        if type(item) is not dict:
            continue
        label = item.get("version", "")
        if type(label) is not str or label[:1] != "v" or not label[1:].isdigit():
            label = (label if isinstance(label, str) else str(label)).strip().lower().lstrip("v")
            if not label.isdigit():
                continue
        else:
            label = label[1:]
        created = item.get("created")
        if type(created) is not str:
            dated[int(label)] = stamp("")
        elif sqlite and created[-4:] == " GMT" and created[-13:-12] == " ":
            # version_stamp's short way: "Mon, 2 Apr 2007 19:18:42 GMT", its day and its
            # time of day each read before (a call less, and no slicing twice)
            day_text = days.get(created[:-13])
            clock = created[-12:-4]
            if day_text and clock in clocks:
                dated[int(label)] = day_text + " " + clock
            else:
                dated[int(label)] = version_stamp(created)
        else:
            dated[int(label)] = stamp(created)
    numbers = sorted(dated) if len(dated) > 1 else list(dated)
    title = get("title")
    title = one_line(title) if type(title) is str else ""
    abstract = get("abstract")
    categories = get("categories")
    if type(categories) is not str:
        categories = ""
    elif "\n" in categories or not narrow_spaced(categories) or categories.strip() != categories:
        categories = " ".join(categories.split())  # else it is as arXiv writes it
    day, day_text = _update_day(get("update_date"), dialect)
    journal_ref, comments, doi = get("journal-ref"), get("comments"), get("doi")
    row = (
        arxiv_id,
        title,
        index_title_key(title),
        authors,
        one_line(abstract) if type(abstract) is str else "",
        categories,
        " ".join(parse_dois(doi)) if type(doi) is str else "",
        (one_line(journal_ref) or None) if type(journal_ref) is str else None,
        (one_line(comments) or None) if type(comments) is str else None,
        numbers[-1] if numbers else 1,
        dated[numbers[0]] if numbers else None,
        dated[numbers[-1]] if numbers else None,
        day_text,
        False,
    )
    return row, [(arxiv_id, n, dated[n], None, None) for n in numbers], day


_UPDATE_DAYS: dict[tuple[str, str], tuple[date | None, Any]] = {}  # bounded, as DAYS_SEEN


def _update_day(text: Any, dialect: str) -> tuple[date | None, Any]:
    """``update_date`` as a date and as the database takes it; each text read once (a
    snapshot has some thousands of days for a million lines)."""
    if type(text) is not str:
        return None, None
    key = (text, dialect)
    found = _UPDATE_DAYS.get(key)
    if found is None:
        from catalog.index.store import db_day

        if len(_UPDATE_DAYS) >= 100_000:
            _UPDATE_DAYS.clear()
        day = parse_day(text)
        found = _UPDATE_DAYS[key] = (day, db_day(day, dialect))
    return found


def _author_lines(parsed: list[Any]) -> str:
    """``authors_parsed`` as names, one per line: arXiv's shape (lists of three strings,
    no TeX, no space that splitting would fold) joined at once, anything else name by
    name (:func:`name_from_parts`), which is what the whole is checked against."""
    if set(map(type, parsed)) == {list}:
        try:  # str.join refuses a part that is not a string
            text = "\n".join([" ".join((fore, key, suffix)) for key, fore, suffix in parsed])
        except (TypeError, ValueError):  # an entry not of three strings
            return "\n".join(n for n in map(name_from_parts, parsed) if n)
        text = text.replace(" \n", "\n").rstrip(" ")  # the names without a suffix
        if (
            text.count("\n") == len(parsed) - 1 and "\\" not in text and "{" not in text
            and " \n" not in text and "\n " not in text and "\n\n" not in text
            and text[:1] not in (" ", "\n") and text[-1:] != "\n" and narrow_spaced(text)
        ):  # fmt: skip
            return text
    return "\n".join(n for n in map(name_from_parts, parsed) if n)


def _aware_stamp(text: str) -> Any:
    """A version date for PostgreSQL: the aware datetime itself."""
    return parse_version_date(text)


def record_from_json(data: Any, path: Path | str = "-", number: int = 0) -> IndexRecord:
    """One snapshot line's object as a record."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise SnapshotError(f'snapshot {path} line {number}: not a paper (no "id")')
    parsed = data.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = tuple(n for n in map(name_from_parts, parsed) if n)
    else:
        authors = split_authors(_str(data.get("authors")))
    versions = []
    for item in data.get("versions") or ():
        if not isinstance(item, dict):
            continue
        label = str(item.get("version", "")).strip().lower().lstrip("v")
        if label.isdigit():
            versions.append(Version(int(label), parse_version_date(_str(item.get("created")))))
    versions.sort(key=lambda v: v.number)
    return IndexRecord(
        arxiv_id=data["id"].strip(),
        title=one_line(_str(data.get("title"))),
        authors=authors,
        abstract=one_line(_str(data.get("abstract"))),
        categories=tuple(_str(data.get("categories")).split()),
        versions=tuple(versions),
        dois=parse_dois(_str(data.get("doi"))),
        journal_ref=one_line(_str(data.get("journal-ref"))) or None,
        comments=one_line(_str(data.get("comments"))) or None,
        datestamp=parse_day(_str(data.get("update_date"))),
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
