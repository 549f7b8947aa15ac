"""Rendering helpers shared by commands: tables, JSON, and where output goes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

if TYPE_CHECKING:  # (every command imports this module: keep it light)
    from catalog.progress import BatchNews

F = TypeVar("F", bound=Callable[..., Any])
EXPORTS_DIR = Path("exports")


def format_option(
    *choices: str, help: str = "Output format; json is for scripts."
) -> Callable[[F], F]:  # noqa: A002
    """``--format table|json`` (the first choice is the default)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


def iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Option callback: a ``YYYY-MM-DD`` date, or a usage error that says so."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def echo_json(data: Any) -> None:
    click.echo(json_text(data))


def json_text(data: Any) -> str:
    """``data`` as :func:`echo_json` prints it: UTF-8, indented by 2."""
    import json  # lazy: commands that print text (catalog check) need none

    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def pager_option(f: F) -> F:
    """``--pager/--no-pager``: on a terminal, long output goes through ``$PAGER``."""
    return click.option(
        "--pager/--no-pager",
        default=True,
        help="On a terminal, page output longer than the screen through $PAGER "
        "(default less); never when stdout is a pipe or a file.",
    )(f)


def echo_paged(text: str, *, pager: bool = True) -> None:
    """Print ``text``: through a pager when ``pager`` is on, stdin and stdout are a
    terminal and the text is taller than it; else straight to stdout."""
    if pager and sys.stdin.isatty() and sys.stdout.isatty():
        import shutil

        rows = shutil.get_terminal_size((80, 24)).lines
        if text.count("\n") + 1 >= rows:  # one row is left for the prompt
            # As git does: less quits by itself when the text fits after all (F),
            # shows colours (R) and leaves the text on the screen when it quits (X).
            os.environ.setdefault("LESS", "FRX")
            click.echo_via_pager(text)
            return
    click.echo(text)


def truncate(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, flex: int = -1) -> str:
    """A plain aligned table; column ``flex`` shrinks to fit the terminal width."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    import shutil

    total = shutil.get_terminal_size((120, 24)).columns
    flex_index = flex % len(headers)
    fixed = sum(w for i, w in enumerate(widths) if i != flex_index) + 2 * (len(headers) - 1)
    widths[flex_index] = max(10, min(widths[flex_index], total - fixed))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in cells:
        parts = [truncate(c, widths[i]).ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def resolve_output(target: str | None) -> Path | None:
    """``None`` or ``-`` mean stdout; a bare name lands under ``exports/``."""
    if target is None or target == "-":
        return None
    path = Path(target)
    if path.parent == Path(".") and not target.startswith("./"):
        return EXPORTS_DIR / path
    return path


@contextmanager
def output_stream(target: str | None) -> Iterator[TextIO]:
    """Yield where to write: stdout, or a file replaced atomically on success."""
    path = resolve_output(target)
    if path is None:
        yield sys.stdout
        return
    from catalog.fsutil import atomic_open

    try:
        with atomic_open(path) as handle:
            yield handle
    except OSError as exc:
        from catalog.errors import CatalogError

        raise CatalogError(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"wrote {path}", err=True)




class BatchProgress:
    """A one-line bar redrawn in place on a terminal; one plain line per batch otherwise
    (``name: detail (counts)``), on ``stream`` (stderr)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, tty: bool, name: str = "sync", unit: str = "papers") -> None:
        self.stream = stream
        self.tty = tty
        self.name = name
        self.unit = unit
        self.drawn = False

    def __call__(self, news: BatchNews) -> None:
        if self.tty:
            filled = self.WIDTH * news.done // news.total if news.total else self.WIDTH
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = (
                f"[{bar}] {news.done}/{news.total} {self.unit}  batch {news.batches_done}/"
                f"{news.batches}  {plural(news.requests, 'request')}  "
                f"{plural(news.retries, 'retry', 'retries')}"
            )
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()
            self.drawn = True
        elif news.kind == "batch":
            self.stream.write(
                f"{self.name}: {news.detail} ({news.done}/{news.total} {self.unit}, "
                f"{plural(news.requests, 'request')}, "
                f"{plural(news.retries, 'retry', 'retries')})\n"
            )
            self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def echo_counts(rows: Sequence[tuple[str, int, str]]) -> None:
    """A batched command's summary: one aligned line per (label, count, note); the note
    only where the count is not zero."""
    for label, n, note in rows:
        click.echo(f"  {label:10}{n:>6}" + (f"  ({note})" if note and n else ""))


def plural(count: int, one: str, many: str | None = None) -> str:
    """``3 requests``, ``1 retry``."""
    return f"{count} {one if count == 1 else many or one + 's'}"
