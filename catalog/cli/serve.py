"""``catalog serve``: the catalog as a web site and a JSON API (see catalog.web)."""

from __future__ import annotations

from pathlib import Path

import click

from catalog.cli.context import AppContext, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--posts",
    "posts",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Also lint these posts (folders or files; repeatable) and show the findings at /check.",
)
@click.option("--edit", is_flag=True, help="Serve the planning forms too (sessions, talks).")
@click.option(
    "--token",
    envvar="CATALOG_SERVE_TOKEN",
    metavar="TOKEN",
    help="With --edit: editors log in with this token (needed beyond 127.0.0.1; "
    "env CATALOG_SERVE_TOKEN).",
)
@pass_app
def serve(
    app: AppContext, host: str, port: int, posts: tuple[Path, ...], edit: bool, token: str | None
) -> None:
    """Serve the catalog as a web site and a JSON API (read-only unless --edit).

    Pages: / (counts, latest sessions, search), /papers (search and filters), a page per
    paper (BibTeX to copy, downloads), /sessions, /presenters, /check (with --posts),
    /export.bib|.json|.csl.json (catalog export's filters as query parameters).
    The JSON API is under /api/, documented at /api/docs.

    --edit adds forms to create sessions, add papers to them by arXiv id or URL,
    move and remove talks and rename presenters. Editing is served on 127.0.0.1
    only, unless --token (or CATALOG_SERVE_TOKEN) is given; editors then log in at
    /login with it.

    \b
    Examples:
      catalog serve                               # http://127.0.0.1:8000, read-only
      catalog serve --port 8080 --posts _posts/   # and lint the site's posts
      catalog serve --edit                        # planning forms, on this machine only
      CATALOG_SERVE_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe())') \\
        catalog serve --host 0.0.0.0 --edit       # editors log in with the token
    """
    from catalog.web import WEB_EXTRA, missing_dependencies

    missing = missing_dependencies()
    if missing:
        click.echo(
            f"catalog: error: catalog serve needs the {WEB_EXTRA} extra ({', '.join(missing)} "
            f"missing): pip install 'catalog[{WEB_EXTRA}]'",
            err=True,
        )
        raise SystemExit(2)
    from catalog.store.engine import describe, resolve_url
    from catalog.web.config import ServeConfig

    config = ServeConfig.for_host(host, port, edit=edit, token=token, posts=posts)

    _check_port(host, port)
    import uvicorn

    from catalog.web.app import create_app

    web_app = create_app(config, app.catalog)
    if web_app.state.linter is not None:
        # A missing folder or a bad catalog.toml is named now, not on the first /check.
        web_app.state.linter.files()
    shown = f"[{host}]" if ":" in host else host
    mode = "editing on" if edit else "read-only"
    click.echo(
        f"serving {describe(resolve_url(app.db_url))} at http://{shown}:{port}/ ({mode}); "
        "Ctrl-C stops",
        err=True,
    )
    uvicorn.run(
        web_app, host=host, port=port, log_level="warning", access_log=False, server_header=False
    )


def _check_port(host: str, port: int) -> None:
    """One clear line (exit 2) when the address cannot be listened on, before anything
    starts; uvicorn would log it among its own messages."""
    import socket

    from catalog.web.config import ServeOptionError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServeOptionError(
            f"cannot listen on {host}:{port}: {reason.lower()}; choose another --port or --host"
        ) from None


COMMANDS = [serve]
