"""What ``catalog serve`` was asked for, checked before anything starts (stdlib only)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError

__all__ = ["LOOPBACK_HOSTS", "ServeConfig", "ServeOptionError", "is_loopback"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY = 64 * 1024  # bytes: the largest form is a few ids and a title


class ServeOptionError(CatalogError):
    """A combination of ``catalog serve`` options that would be unsafe or cannot work."""

    exit_code = 2


def is_loopback(host: str) -> bool:
    """``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.strip("[]") in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    """The web application's settings.

    * ``edit``: the planning forms and their POST routes exist (otherwise they do not,
      at all: a POST to them is a 404/405 like any unknown route);
    * ``token``: with it, the edit pages need the token (a cookie set by ``/login``, or
      ``Authorization: Bearer TOKEN``); required when ``edit`` is served beyond loopback;
    * ``posts``: folders or files linted for ``/check``;
    * ``allowed_hosts``: the Host headers answered (None: any). A server bound to
      loopback answers only loopback names, so a web page elsewhere cannot reach it
      through a DNS name that resolves to 127.0.0.1 (DNS rebinding);
    * ``secret``: signs CSRF tokens; new for every server start.
    """

    db_url: str | None = None
    edit: bool = False
    token: str | None = None
    posts: tuple[Path, ...] = ()
    allowed_hosts: frozenset[str] | None = None
    max_body: int = MAX_BODY
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @classmethod
    def for_host(
        cls,
        host: str,
        port: int,
        *,
        edit: bool = False,
        token: str | None = None,
        posts: tuple[Path, ...] = (),
        db_url: str | None = None,
    ) -> ServeConfig:
        """Settings for a server on ``host:port``; refuses editing beyond loopback
        without a token (:class:`ServeOptionError`)."""
        token = token or None
        if edit and not is_loopback(host) and not token:
            raise ServeOptionError(
                f"--edit on {host} (reachable from other machines) needs --token TOKEN "
                "or CATALOG_SERVE_TOKEN; or serve on 127.0.0.1"
            )
        if token is not None and len(token) < 16:
            raise ServeOptionError(
                "the token is too short: use 16 characters or more, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe())'"
            )
        allowed = None
        if is_loopback(host):
            names = {"127.0.0.1", "localhost", "[::1]", host}
            allowed = frozenset(names | {f"{n}:{port}" for n in names})
        return cls(db_url=db_url, edit=edit, token=token, posts=posts, allowed_hosts=allowed)
