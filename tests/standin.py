"""Machinery shared by the loopback stand-ins of outside services (arXiv, Crossref, DBLP,
OpenReview, proceedings pages): a real ``ThreadingHTTPServer`` on 127.0.0.1 in a
background thread, a request log, and fault switches. Each service's module subclasses
:class:`StandIn` and says how that service answers (:meth:`StandIn.answer`), what a
request asks for (:meth:`StandIn.request_ids`) and how its errors look.

Faults, settable while the server runs (thread-safe): ``server.script(word, ...)`` queues
one fault per coming request, consumed first-in first-out before normal answers resume.
Words every stand-in understands:

==============================  =============================================================
``ok``                          a normal answer
``503`` / ``500`` / ``429``     that status (any 4xx/5xx number), the service's error body
``503:retry-after=N``           ... with ``Retry-After: N`` (seconds)
``503:retry-date=N``            ... with ``Retry-After`` as an HTTP date N seconds ahead
``truncated``                   the real answer cut in half (Content-Length matches)
``cut``                         full Content-Length announced, half sent, connection closed
``html``                        200, an HTML error page with a doctype
``garbage``                     200, bytes that are no format at all
``reset``                       connection closed without any answer
``slow:S``                      wait S seconds, then a normal answer
``redirect:URL``                302 to URL (absolute, or a path on this server)
==============================  =============================================================

A service adds its own words (arXiv's ``empty``/``partial``, Crossref's ``error``, ...) in
:meth:`StandIn.special`, which is asked before the common words (after ``slow``), so a
service may also give a common word a meaning of its own (OAI-PMH's ``400:CODE``).
``server.log`` lists :class:`LoggedRequest`, each logged when its status line goes out, so
a client that has its answer always finds its request there. A stand-in with
``log_on_arrival = True`` logs each request as it arrives instead, with status -1 until the
status line goes out and 0 once the connection is closed without a whole answer (``cut``,
``reset``, or ``slow`` cut short by :meth:`StandIn.stop`): a test can then see a request
whose answer hangs.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

__all__ = ["Answer", "LoggedRequest", "Request", "StandIn", "run_standalone", "spaced"]

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.<br></p></body></html>\n"
)


class LoggedRequest(NamedTuple):
    time: float  # time.monotonic() when the request arrived
    method: str
    ids: tuple[str, ...]  # what the request asked for, as the service reads it
    status: int  # 0: no answer was sent (reset)
    path: str = ""
    params: Mapping[str, list[str]] = {}
    headers: Mapping[str, str] = {}  # names in lower case
    peer: int = 0  # the client's port: one per connection


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # URL path, percent-decoding left to the service
    query: str  # the raw query (GET) or query + form body (POST)
    params: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def spaced(log: list[LoggedRequest], delay: float, tolerance: float = 0.015) -> bool:
    """Whether the requests of ``log`` arrived at least ``delay`` apart, as far as the
    server can tell. An arrival is stamped when the handler thread runs, which a busy
    machine can delay: a late stamp shortens the gap after it (and lengthens the one
    before). So the span from an early arrival to the last one is judged, and one late
    first stamp is forgiven by also trying the next ones."""
    times = [entry.time for entry in log]
    n = len(times)
    return n < 2 or any(
        times[-1] - times[i] >= (n - 1 - i) * delay - tolerance for i in range(max(1, n // 2))
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a sleeping "slow" handler must not block stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (killed, timed out) is expected here, not news.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class StandIn:
    """A stand-in server. Use as a context manager, or call :meth:`start` / :meth:`stop`."""

    name = "stand-in"
    error_content_type = "text/html; charset=utf-8"
    log_on_arrival = False  # see the module docstring

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._faults: deque[str] = deque()
        self._log: list[LoggedRequest] = []
        self._log_era = 0  # bumped by clear_log: a status set later finds its entry gone
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    # -- what a service says (override)

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def request_ids(self, request: Request) -> tuple[str, ...]:
        return ()

    def error_answer(self, status: int, request: Request) -> Answer:
        """The body of a scripted 4xx/5xx (the service's own error page)."""
        return Answer(status, HTML_PAGE, self.error_content_type)

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        """A service's own fault words; None when ``word`` is not one of them. Asked
        before the common words, so it may also take a common word's place."""
        return None

    def chaos_fault(self) -> str:
        """A random fault for a request the script does not cover (called under the lock)."""
        return "ok"

    # -- lifecycle

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Any:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-stand-in:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- switches

    def script(self, *faults: str) -> None:
        """Queue faults, one per coming request (see the module docstring for the words)."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> list[str]:
        with self._lock:
            return list(self._faults)

    @property
    def log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._log_era += 1

    # -- used by the handler

    def _next_fault(self) -> str:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            return self.chaos_fault()

    def _record(self, entry: LoggedRequest) -> tuple[int, int]:
        """Log ``entry``; what :meth:`_set_status` needs to find it again."""
        with self._lock:
            self._log.append(entry)
            return self._log_era, len(self._log) - 1

    def _set_status(self, ticket: tuple[int, int], status: int) -> None:
        era, index = ticket
        with self._lock:
            if era == self._log_era:  # unless the log was cleared meanwhile
                self._log[index] = self._log[index]._replace(status=status)


def _make_handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real services
        server_version = f"{stand_in.name}-stand-in"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet; the request log is kept in stand_in.log

        def do_GET(self) -> None:
            self._handle("GET", urlsplit(self.path).query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            query = urlsplit(self.path).query
            self._handle("POST", "&".join(q for q in (query, body) if q))

        _pending: LoggedRequest | None = None  # to be logged with its status
        _ticket: tuple[int, int] | None = None  # logged on arrival, its status to be set

        def _handle(self, method: str, query: str) -> None:
            request = Request(
                method=method,
                path=urlsplit(self.path).path,
                query=query,
                params=parse_qs(query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            entry = LoggedRequest(
                time.monotonic(),
                method,
                stand_in.request_ids(request),
                0,
                request.path,
                request.params,
                request.headers,
                int(self.client_address[1]),
            )
            if stand_in.log_on_arrival:
                self._ticket = stand_in._record(entry._replace(status=-1))
            else:
                self._pending = entry
            self._apply(stand_in._next_fault(), request)
            self._ticket = None  # answered: later errors on this connection are not its

        def _log_once(self, status: int) -> None:
            if self._ticket is not None:  # the status as it stands now (cut: 200, then 0)
                stand_in._set_status(self._ticket, status)
            elif self._pending is not None:
                stand_in._record(self._pending._replace(status=status))
                self._pending = None

        def send_response(self, code: int, message: str | None = None) -> None:
            self._log_once(code)
            super().send_response(code, message)

        def _apply(self, fault: str, request: Request) -> None:
            word, _, arg = fault.partition(":")
            if word == "slow":
                if stand_in._stopping.wait(float(arg or 1.0)):
                    word = "reset"  # stopping: hang up instead of answering
                else:
                    word = "ok"
            special = stand_in.special(word, arg, request)
            if special is not None:
                self._send(special)
                return
            if word == "reset":
                self._reset()
                return
            if word == "redirect":
                self._send(Answer(302, b"", "text/plain", {"Location": arg}))
                return
            if word.isdigit():
                answer = stand_in.error_answer(int(word), request)
                if arg.startswith("retry-after="):
                    answer.headers["Retry-After"] = arg.split("=", 1)[1]
                elif arg.startswith("retry-date="):
                    when = datetime.now(UTC) + timedelta(seconds=float(arg.split("=", 1)[1]))
                    answer.headers["Retry-After"] = format_datetime(when, usegmt=True)
                self._send(answer)
                return
            if word == "html":
                self._send(Answer(200, HTML_PAGE, "text/html; charset=utf-8"))
                return
            answer = stand_in.answer(request)
            if word == "garbage":
                answer.body = b"\x00\xffnot any format at all"
            if word == "truncated":
                answer.body = answer.body[: len(answer.body) // 2]
            if word == "cut":
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                self._reset()
                return
            self._send(answer)

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

        def _reset(self) -> None:
            # Abort the connection (RST where the platform allows) without an answer.
            self._log_once(0)
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            except OSError:
                pass
            self.close_connection = True

    return Handler


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_standalone(
    description: str,
    make: Callable[[argparse.Namespace], StandIn],
    banner: Callable[[StandIn], str],
    argv: list[str] | None = None,
    default_port: int = 8765,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """``python tests/<service>_server.py --port N``: serve until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--fault", action="append", default=[], help="queue a fault (repeatable)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    server = make(args)
    server.script(*args.fault)
    print(banner(server), flush=True)
    # SIGTERM (and SIGINT, which background jobs ignore) stop it cleanly.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server._httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
