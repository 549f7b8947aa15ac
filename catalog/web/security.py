"""What keeps the server safe to run: response headers, the Host check, bounded request
bodies, CSRF tokens on every form, and the edit token.

The middleware is plain ASGI (no per-request task or body copy, unlike Starlette's
``BaseHTTPMiddleware``), so it costs next to nothing on every response.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "TOKEN_COOKIE",
    "SecurityMiddleware",
    "csrf_cookie_value",
    "csrf_token",
    "has_edit_token",
    "valid_csrf",
]

# Scripts and styles come from this server only; nothing inline, no plug-ins, no frames.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
CSRF_COOKIE = "catalog_csrf"
CSRF_FIELD = "csrf_token"
TOKEN_COOKIE = "catalog_token"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(Exception):
    pass


class SecurityMiddleware:
    """Adds the security headers (and Server-Timing) to every response, answers only
    the allowed Host names (421 otherwise), and refuses request bodies over
    ``max_body`` bytes (413), whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, *, max_body: int, allowed_hosts: frozenset[str] | None):
        self.app = app
        self.max_body = max_body
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            await _plain_error(scope, send, 421, f"this server does not answer for host {host!r}")
            return
        length = headers.get(b"content-length")
        if scope["method"] in _BODY_METHODS and length is not None:
            if not length.isdigit() or int(length) > self.max_body:
                await _plain_error(scope, send, 413, self._too_large())
                return
        started = False
        begun = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # How long the application took (what bench_serve.py measures).
                took = f"app;dur={(time.perf_counter() - begun) * 1000:.1f}".encode()
                message["headers"] = [
                    *message.get("headers", []),
                    *_HEADERS,
                    (b"server-timing", took),
                ]
            await send(message)

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except _TooLarge:
            if started:
                raise
            await _plain_error(scope, send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"request body too large: at most {self.max_body} bytes"


async def _plain_error(scope: Scope, send: Send, status: int, message: str) -> None:
    """A JSON error (the API's shape) sent before the application saw the request."""
    body = json.dumps({"status": status, "detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- CSRF --------------------------------------------------------------------------------
# Double submit, signed: the browser holds a random cookie (SameSite=Strict); every form
# carries HMAC(server secret, cookie). Another site can neither read the form's token
# nor compute it, and a token is worthless with another browser's cookie.


def csrf_cookie_value(request: Request) -> tuple[str, bool]:
    """This browser's CSRF cookie value, and whether it is new (then it must be set)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(current) <= 100 and current.isascii():
        return current, False
    cached: str | None = getattr(request.state, "new_csrf_cookie", None)
    if cached is None:
        cached = request.state.new_csrf_cookie = secrets.token_urlsafe(32)
    return cached, True


def csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def valid_csrf(secret: bytes, request: Request, form: Any) -> bool:
    """The form's token matches this browser's cookie, and the request comes from this
    site (an Origin header, when the browser sends one, names this server)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD)
    if not cookie or not isinstance(given, str):
        return False
    return hmac.compare_digest(given, csrf_token(secret, cookie))


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def has_edit_token(token: str | None, request: Request) -> bool:
    """No token configured, or the request carries it (cookie or Bearer header)."""
    if token is None:
        return True
    given = request.cookies.get(TOKEN_COOKIE, "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())
