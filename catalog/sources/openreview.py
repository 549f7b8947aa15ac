"""OpenReview: submissions by note id, and whether (and where) they were accepted.

Two APIs, each with its variable:

* ``CATALOG_OPENREVIEW_URL`` (default ``https://api2.openreview.net``, API v2): content
  values are wrapped, ``{"title": {"value": "..."}}``;
* ``CATALOG_OPENREVIEW_V1_URL`` (default ``https://api.openreview.net``, API v1): plain
  values; venues before 2023 live there.

``GET /notes?id=ID`` is asked on v2 first; a note v2 does not have (a 404
``NotFoundError``, or no notes) is asked on v1. ``CATALOG_OPENREVIEW_DELAY`` spaces the
requests to each host (default 1 s).

A submission is a published paper only when its venue says it was accepted: v2's
``venue`` / ``venueid`` ("ICLR 2024 oral", ``ICLR.cc/2024/Conference``), v1's
``content.venue`` where OpenReview filled it in, else the decision note of the forum
(``GET /notes?forum=ID``, one more request, for ICLR 2017/2018 notes). A rejected,
withdrawn or undecided submission is returned as ``kind="preprint"`` without a venue:
it is on OpenReview, but it is not a published paper. The venue is named without the
track ("ICLR 2018 Conference Poster" is "ICLR 2018").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from catalog.records import Identifier, WorkRecord
from catalog.sources import FetchOutcome
from catalog.sources.base import HttpSource
from catalog.sources.http import (
    BadAnswer,
    Failure,
    Http,
    HttpEvent,
    Refused,
    Reply,
    env_delay,
    env_url,
)
from catalog.sources.markup import plain_text

__all__ = ["DEFAULT_URL", "DEFAULT_V1_URL", "OpenReviewSource", "note_record"]

DEFAULT_URL = "https://api2.openreview.net"
DEFAULT_V1_URL = "https://api.openreview.net"
DEFAULT_DELAY = 1.0
WEB = "https://openreview.net"

_NOT_PUBLISHED = re.compile(r"withdraw|reject|submitted to|under review|/submission\b", re.I)
# Track words after the venue and year: "ICLR 2018 Conference Poster", "ICLR 2024 oral".
_TRACK = re.compile(
    r"(?:\s+(?:conference|main|track|oral|poster|spotlight|notable|top[\s-]*\d+%|"
    r"accept(?:ed)?|\(.*\)))+\s*$",
    re.I,
)
_ID = re.compile(r"^[A-Za-z0-9_-]{5,40}$")


@dataclass(frozen=True)
class _Note:
    api: int
    data: dict[str, Any]


class OpenReviewSource(HttpSource):
    """OpenReview's APIs v2 and v1. Use as a context manager."""

    name = "openreview"

    def __init__(
        self,
        base_url: str | None = None,
        v1_url: str | None = None,
        delay: float | None = None,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        on_event: Callable[[HttpEvent], None] | None = None,
    ) -> None:
        self.base_url = (base_url or env_url("CATALOG_OPENREVIEW_URL", DEFAULT_URL)).rstrip("/")
        self.v1_url = (v1_url or env_url("CATALOG_OPENREVIEW_V1_URL", DEFAULT_V1_URL)).rstrip("/")
        configured = (
            env_delay("CATALOG_OPENREVIEW_DELAY", DEFAULT_DELAY) if delay is None else delay
        )
        assert configured is not None  # a default was given
        self.http = Http(
            self.name,
            [self.base_url, self.v1_url],
            delay=configured,
            timeout=timeout,
            max_attempts=max_attempts,
            accept="application/json",
            on_event=on_event,
        )

    # -- capabilities

    def knows(self, ident: Identifier) -> bool:
        return ident.scheme == "openreview"

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome:
        """Records by note id: v2, then v1 for the notes v2 does not have."""
        with self.counted() as out:
            for ident in dict.fromkeys(i for i in idents if self.knows(i)):
                note_id = ident.value.strip()
                if not _ID.fullmatch(note_id):
                    out.missing.append(ident)  # no such note can exist; nothing to ask
                    continue
                found = self._note(note_id)
                if isinstance(found, Failure):
                    out.failed[ident] = f"OpenReview: {found}"
                elif found is None:
                    out.missing.append(ident)
                else:
                    decision: str | None = None
                    if found.api == 1 and not _has_venue(found.data):
                        asked = self._decision(note_id)
                        if isinstance(asked, Failure):
                            out.failed[ident] = f"OpenReview: {asked}"
                            continue
                        decision = asked
                    record = note_record(found.data, api=found.api, decision=decision)
                    if record is None:
                        out.failed[ident] = "OpenReview: the note has no title"
                    else:
                        out.records[ident] = record
        return out

    # -- internals

    def _note(self, note_id: str) -> _Note | Failure | None:
        for api, base in ((2, self.base_url), (1, self.v1_url)):
            outcome = self.http.get(
                f"{base}/notes", {"id": note_id}, read=_read_notes, accept_status=(200, 403, 404)
            )
            if isinstance(outcome, Failure):
                return outcome
            for note in outcome:
                if note.get("id") == note_id:
                    return _Note(api, note)
        return None

    def _decision(self, note_id: str) -> str | Failure | None:
        """The decision text of a v1 forum ("Accept (Poster)", "Reject"), if it has one."""
        outcome = self.http.get(
            f"{self.v1_url}/notes", {"forum": note_id}, read=_read_notes, accept_status=(200, 404)
        )
        if isinstance(outcome, Failure):
            return outcome
        for note in outcome:
            content = note.get("content")
            if isinstance(content, dict) and isinstance(content.get("decision"), str):
                return str(content["decision"])
        return None


def _read_notes(reply: Reply) -> list[dict[str, Any]]:
    """The notes of an answer; [] for a 404 NotFoundError or a 403 (a private note)."""
    if reply.status in (403, 404):
        try:
            data = reply.json()
        except BadAnswer:
            data = None
        name = data.get("name") if isinstance(data, dict) else None
        if reply.status == 404 or name in ("ForbiddenError", "NotFoundError"):
            return []
        raise Refused(f"OpenReview answered HTTP {reply.status}")
    data = reply.json()
    notes = data.get("notes") if isinstance(data, dict) else None
    if not isinstance(notes, list):
        raise BadAnswer("OpenReview's answer has no notes list")
    return [n for n in notes if isinstance(n, dict)]


def _value(content: dict[str, Any], name: str) -> Any:
    value = content.get(name)
    if isinstance(value, dict) and "value" in value:  # API v2 wraps every value
        return value["value"]
    return value


def _has_venue(note: dict[str, Any]) -> bool:
    content = note.get("content")
    if not isinstance(content, dict):
        return False
    return bool(_value(content, "venue") or _value(content, "venueid"))


def note_record(
    note: dict[str, Any], *, api: int = 2, decision: str | None = None
) -> WorkRecord | None:
    """A submission note (API v1 or v2) as a WorkRecord; ``decision`` is a v1 forum's
    decision text when the note itself names no venue."""
    content = note.get("content")
    if not isinstance(content, dict):
        return None
    title = plain_text(_str(_value(content, "title")))
    if not title:
        return None
    note_id = _str(note.get("id"))
    authors = tuple(
        " ".join(a.split()) for a in _value(content, "authors") or [] if isinstance(a, str)
    )
    venue = " ".join(_str(_value(content, "venue")).split())
    venueid = _str(_value(content, "venueid"))
    invitation = _str(note.get("invitation")) or " ".join(
        i for i in note.get("invitations") or [] if isinstance(i, str)
    )
    group = venueid or invitation.split("/-/", 1)[0]
    if venue or venueid:
        published = not _NOT_PUBLISHED.search(f"{venue} {venueid}")
        venue_name = _TRACK.sub("", venue) if venue else _from_group(group)
    elif decision is not None:
        published = decision.strip().casefold().startswith("accept")
        venue_name = _from_group(group)
    else:
        published, venue_name = False, ""  # undecided: not (yet) a published paper
    year = _year_in(venue) or _year_in(group) or _year_of(note)
    kind = "preprint"
    if note.get("forum") not in (None, note_id):
        kind = "comment"  # a review or comment inside a forum, not the submission
    elif published:
        journal = venueid.startswith("TMLR") or re.search(r"journal|transactions", venue, re.I)
        kind = "journal" if journal else "proceedings"
    pdf = _str(_value(content, "pdf"))
    links = (f"{WEB}{pdf}" if pdf.startswith("/") else pdf,) if pdf else ()
    return WorkRecord(
        source="openreview",
        title=title,
        authors=authors,
        year=year,
        kind=kind,
        venue=(venue_name or None) if kind in ("proceedings", "journal") else None,
        abstract=plain_text(_str(_value(content, "abstract"))) or None,
        url=f"{WEB}/forum?id={note_id}",
        identifiers=(Identifier("openreview", note_id),),
        links=links,
        source_id=note_id,
    )


def _from_group(group: str) -> str:
    """``ICLR.cc/2017/conference`` -> ``ICLR 2017``."""
    parts = [p for p in group.split("/") if p]
    if not parts:
        return ""
    name = re.sub(r"\.(cc|org|net|com)$", "", parts[0], flags=re.I)
    year = next((p for p in parts[1:] if re.fullmatch(r"(19|20)\d\d", p)), None)
    return f"{name} {year}" if year else name


def _year_in(text: str) -> int | None:
    m = re.search(r"\b((?:19|20)\d\d)\b", text)
    return int(m.group(1)) if m else None


def _year_of(note: dict[str, Any]) -> int | None:
    for name in ("pdate", "odate", "cdate", "tcdate"):
        stamp = note.get(name)
        if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
            return datetime.fromtimestamp(stamp / 1000, UTC).year
    return None


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
