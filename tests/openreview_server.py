"""A loopback stand-in for OpenReview's APIs, v2 (``api2.openreview.net``) or v1
(``api.openreview.net``): one server per API, as the real ones are two hosts. It serves
the shared corpus (tests/fixtures/works.py): the works whose ``openreview_api`` is its own.

As OpenReview does:

* ``GET /notes?id=ID``: ``{"notes": [note], "count": 1}``. v2 wraps every content value
  (``{"title": {"value": "..."}}``) and lists ``invitations``; v1 has plain values and one
  ``invitation``. An id v2 does not have is a 404 ``{"name": "NotFoundError", ...}``; v1
  answers ``{"notes": [], "count": 0}``;
* ``GET /notes?forum=ID`` (v1): the submission and its replies, among them the decision
  note (``content.decision``: "Accept (Poster)", "Reject") for works that have one;
* a scripted 429 has OpenReview's ``RateLimitError`` body.

Fault words (besides :mod:`tests.standin`'s): ``error`` (200 with an error object and no
``notes``). ``server.log`` records the id (or forum) asked in ``ids``.

Run by hand: ``python tests/openreview_server.py --api 2 --port 8768`` (and ``--api 1
--port 8769``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python tests/openreview_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.works import WORKS, Work
from tests.standin import Answer, Request, StandIn, run_standalone

__all__ = ["OpenReviewStandIn", "note_of"]

_EPOCH_MS = {2017: 1486000000000, 2018: 1518000000000, 2024: 1705000000000}


def note_of(work: Work, api: int) -> dict[str, Any]:
    """The submission note of ``work`` as API ``api`` writes it."""
    assert work.openreview is not None
    content: dict[str, Any] = {
        "title": work.title,
        "authors": [p.name for p in work.authors],
        "authorids": [f"~{p.given.split()[0]}_{p.family}1" for p in work.authors],
        "abstract": work.abstract or f"The abstract of {work.title}.",
        "pdf": f"/pdf/{work.openreview}.pdf" if api == 1 else f"/pdf/{work.openreview}",
        "keywords": ["deep learning"],
    }
    if work.openreview_venue:
        content["venue"] = work.openreview_venue
    if work.openreview_venueid:
        content["venueid"] = work.openreview_venueid
    stamp = _EPOCH_MS.get(work.year, 1600000000000)
    note: dict[str, Any] = {
        "id": work.openreview,
        "forum": work.openreview,
        "number": 1000 + len(work.title),
        "cdate": stamp - 90 * 86400000,
        "tcdate": stamp - 90 * 86400000,
        "mdate": stamp,
        "signatures": [f"{(work.openreview_venueid or 'ICLR.cc/2024/Conference')}/Authors"],
        "readers": ["everyone"],
        "writers": [],
    }
    if api == 2:
        note["content"] = {name: {"value": value} for name, value in content.items()}
        group = work.openreview_venueid or "ICLR.cc/2024/Conference"
        group = group.split("/Rejected")[0].split("/Withdrawn")[0]
        note["invitations"] = [f"{group}/-/Submission", f"{group}/-/Post_Submission"]
        note["domain"] = group
        note["pdate"] = stamp if work.kind == "proceedings" else None
        note["odate"] = stamp - 60 * 86400000
    else:
        note["content"] = content
        note["invitation"] = work.openreview_invitation or "ICLR.cc/2018/Conference/-/Submission"
        note["original"] = None
    return note


def _decision_note(work: Work) -> dict[str, Any]:
    group = (work.openreview_invitation or "").split("/-/", 1)[0]
    return {
        "id": f"{work.openreview}D",
        "forum": work.openreview,
        "replyto": work.openreview,
        "invitation": f"{group}/-/paper{len(work.title)}/acceptance",
        "content": {
            "title": "ICLR committee final decision",
            "comment": "The reviewers agree the paper is strong.",
            "decision": work.openreview_decision,
        },
        "signatures": [f"{group}/pcs"],
        "readers": ["everyone"],
    }


def _review_note(work: Work) -> dict[str, Any]:
    return {
        "id": f"{work.openreview}R",
        "forum": work.openreview,
        "replyto": work.openreview,
        "invitation": "ICLR.cc/2017/conference/-/paper/official/review",
        "content": {"title": "Nice paper", "review": "Clear and useful.", "rating": "8"},
    }


class OpenReviewStandIn(StandIn):
    name = "openreview"

    def __init__(
        self, api: int = 2, works: tuple[Work, ...] = WORKS, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.api = api
        self.works = {w.openreview: w for w in works if w.openreview and w.openreview_api == api}
        super().__init__(host, port)

    @property
    def url(self) -> str:
        """For ``CATALOG_OPENREVIEW_URL`` (v2) or ``CATALOG_OPENREVIEW_V1_URL`` (v1)."""
        return self.base

    def _json(self, status: int, data: Any) -> Answer:
        return Answer(status, json.dumps(data).encode("utf-8"), "application/json; charset=utf-8")

    def error_answer(self, status: int, request: Request) -> Answer:
        name = "RateLimitError" if status == 429 else "Error"
        message = "Too many requests: 1 per second" if status == 429 else "Internal error"
        return self._json(status, {"name": name, "message": message, "status": status})

    def request_ids(self, request: Request) -> tuple[str, ...]:
        return tuple(request.params.get("id", []) or request.params.get("forum", []))

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        if word == "error":
            return self._json(200, {"name": "Error", "message": "Something went wrong"})
        return None

    def answer(self, request: Request) -> Answer:
        if request.path.rstrip("/") != "/notes":
            return self._json(404, {"name": "NotFoundError", "message": "Not found", "status": 404})
        note_id = (request.params.get("id") or [""])[0]
        forum = (request.params.get("forum") or [""])[0]
        if note_id:
            work = self.works.get(note_id)
            if work is None:
                if self.api == 2:
                    return self._json(
                        404,
                        {
                            "name": "NotFoundError",
                            "message": f"The Note {note_id} was not found",
                            "status": 404,
                            "details": {"path": "id", "value": note_id},
                        },
                    )
                return self._json(200, {"notes": [], "count": 0})
            return self._json(200, {"notes": [note_of(work, self.api)], "count": 1})
        if forum:
            work = self.works.get(forum)
            notes = []
            if work is not None:
                notes = [note_of(work, self.api), _review_note(work)]
                if work.openreview_decision:
                    notes.append(_decision_note(work))
            return self._json(200, {"notes": notes, "count": len(notes)})
        return self._json(
            400, {"name": "ValidationError", "message": "id or forum is required", "status": 400}
        )


def main(argv: list[str] | None = None) -> None:
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--api", type=int, choices=(1, 2), default=2)

    def banner(s: StandIn) -> str:
        assert isinstance(s, OpenReviewStandIn)
        variable = "CATALOG_OPENREVIEW_URL" if s.api == 2 else "CATALOG_OPENREVIEW_V1_URL"
        return (
            f"OpenReview API v{s.api} stand-in at {s.base} ({len(s.works)} notes); "
            f"Ctrl-C stops it\n  {variable}={s.base} CATALOG_OPENREVIEW_DELAY=0 ..."
        )

    run_standalone(
        "Loopback stand-in for OpenReview's API (v1 or v2)",
        lambda args: OpenReviewStandIn(args.api, host=args.host, port=args.port),
        banner,
        argv,
        default_port=8768,
        add_arguments=add_arguments,
    )


if __name__ == "__main__":
    main()
