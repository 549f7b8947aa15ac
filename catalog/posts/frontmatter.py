"""Front matter: YAML between ``---`` lines (Jekyll) or TOML between ``+++`` lines (Hugo).

Read with limits, because sites check posts that arrive in pull requests: a YAML alias
may not refer to a node that contains it, and aliases may not expand the document past
:data:`MAX_YAML_NODES` nodes (nine nested levels of ``&a [*b, *b, ...]`` would be
billions). Either is an error on the line of the alias, found while the YAML is
composed, in milliseconds, before anything is built from it.

Front matter of plain ``key: text`` lines and ``- text`` lists under a key (what a Jekyll
post's ``layout``, ``title``, ``tags`` are) is read without PyYAML (:func:`_plain_yaml`):
importing PyYAML was a sixth of ``catalog check``'s start-up for one post. Anything
else, and any value YAML reads as other than text (a number, a date, true, null), goes
to PyYAML, so the result is what PyYAML gives either way.

PyYAML (imported lazily) and the standard library's ``tomllib`` only.
"""

from __future__ import annotations

import re
from datetime import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

__all__ = ["MAX_YAML_NODES", "FrontMatter", "read_front_matter"]

# Nodes a YAML front matter may expand to once its aliases are followed. Real front
# matter has a few dozen; the limit is far above that and far below what hurts.
MAX_YAML_NODES = 10_000

# The plain front matter read without PyYAML: "key: text", "key:" then "- text" items
# (indented by 0 or 2 spaces). Text is a YAML plain scalar that starts with a letter, a
# digit, "_", "(" or "/" and holds none of YAML's indicators (no "#", quotes, brackets,
# tabs; ":" only inside a word); non-ASCII letters and punctuation (:func:`_printable`)
# are text too. (ASCII classes only: a class of non-ASCII ranges takes 10 ms to compile.)
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_(/][A-Za-z0-9 _.,/()+\-'&!?=%;~$*<>:]*")
_PLAIN_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,127}):(?: +(.*?))? *")
_PLAIN_ITEM = re.compile(r"( {0,2})- +(.*?) *")
# Plain scalars YAML 1.1 (PyYAML's resolver) reads as booleans or null, and the only
# characters a number or a timestamp can hold: a value starting with a digit that holds
# any other character ("2019-team", "5Generative") is text.
_NOT_TEXT = frozenset(
    "yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF "
    "null Null NULL".split()
)
_NUMBER_CHARS = frozenset("0123456789_:.+- abcdefABCDEFxinINtTZ")

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


class FrontMatter:
    """What the front matter holds and where the body starts.

    ``body`` is the 0-based index of the first line after the front matter (0 without
    one). ``error`` is (line, column, message), 1-based positions in the file, when the
    front matter does not parse; ``data`` is then empty.
    """

    __slots__ = ("data", "body", "error", "format")

    def __init__(self, data: dict[str, Any] | None = None, body: int = 0,
                 error: tuple[int, int, str] | None = None, format: str | None = None) -> None:
        self.data: dict[str, Any] = {} if data is None else data
        self.body = body
        self.error = error
        self.format = format  # "yaml" | "toml" | None


def read_front_matter(lines: list[str]) -> FrontMatter:
    """The front matter at the top of ``lines`` (a post split into lines)."""
    if not lines:
        return FrontMatter()
    first = lines[0].rstrip()
    if first == "---":
        return _delimited(lines, ("---", "..."), "yaml")
    if first == "+++":
        return _delimited(lines, ("+++",), "toml")
    return FrontMatter()


def _delimited(lines: list[str], closers: tuple[str, ...], fmt: str) -> FrontMatter:
    end = next((j for j in range(1, len(lines)) if lines[j].rstrip() in closers), None)
    if end is None:
        return FrontMatter(body=1, format=fmt, error=(
            1, 1, f"front matter opened on line 1 is never closed with '{closers[0]}'"
        ))
    source = "\n".join(lines[1:end])
    data, error = _yaml(source, end) if fmt == "yaml" else _toml(source, end)
    if error is not None:
        return FrontMatter(body=end + 1, error=error, format=fmt)
    if data is None:
        return FrontMatter(body=end + 1, format=fmt)
    if not isinstance(data, dict):
        return FrontMatter(body=end + 1, format=fmt, error=(
            2, 1, f"front matter is a {type(data).__name__}, not a mapping of keys"
        ))
    return FrontMatter({str(k): v for k, v in data.items()}, end + 1, None, fmt)


# --------------------------------------------------------------------------- YAML


def _printable(ch: str) -> bool:
    """A non-ASCII character YAML reads as text: printable, not a line break (U+2028,
    U+2029, U+0085), a no-break space, a byte-order mark or a surrogate."""
    return ("\u00a1" <= ch <= "\u2027" or "\u202a" <= ch <= "\ud7ff"
            or "\ue000" <= ch <= "\ufefe" or "\uff00" <= ch <= "\ufffd")


def _is_text(value: str) -> bool:
    """Is ``value`` a plain scalar that PyYAML reads as this very string?"""
    if not value.isascii():  # each non-ASCII character stands for a letter
        if not all(ch.isascii() or _printable(ch) for ch in value):
            return False
        value = "".join(ch if ch.isascii() else "a" for ch in value)
    if not _PLAIN_TEXT.fullmatch(value) or ": " in value or value.endswith(":"):
        return False
    first = value[0]
    if first in "yYnNtTfFoO":
        return value not in _NOT_TEXT
    if first.isascii() and first.isdigit():
        return any(ch not in _NUMBER_CHARS for ch in value)
    return True


def _plain_yaml(source: str) -> dict[str, Any] | None:
    """The mapping of plain front matter (see :data:`_PLAIN_TEXT`), as PyYAML would read
    it; None when the front matter is anything else (PyYAML reads it then)."""
    data: dict[str, Any] = {}
    items: list[str] | None = None  # the list the "- text" lines go to
    indent: str | None = None
    last = ""  # the key the list belongs to
    for line in source.split("\n"):
        if not line:
            continue
        m = _PLAIN_KEY.fullmatch(line)
        if m is not None:
            key, value = m.group(1), m.group(2)
            if key in data or key in _NOT_TEXT:
                return None  # (a repeated key, or a key YAML reads as true or null)
            if value is None:  # "tags:": a list follows (or nothing: null)
                data[key] = None
                items, indent = [], None
                last = key
                continue
            if not _is_text(value):
                return None
            data[key] = value
            items = None
            continue
        m = _PLAIN_ITEM.fullmatch(line)
        if m is None or items is None or not _is_text(m.group(2)):
            return None
        if indent is None:
            indent = m.group(1)
            data[last] = items
        elif m.group(1) != indent:
            return None
        items.append(m.group(2))
    return data or None


def _yaml(source: str, end: int) -> tuple[Any, tuple[int, int, str] | None]:
    plain = _plain_yaml(source)
    if plain is not None:
        return plain, None
    import yaml  # lazy: only posts with front matter beyond plain text pay for it

    # An alias needs an anchor ("&name") to point at: without one, the C loader is safe
    # and fast. With anchors, the pure-Python loader below counts what aliases expand to.
    if "&" in source and "*" in source:
        loader: Any = _limited_loader()
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(source, Loader=loader), None  # noqa: S506 - safe loaders
    except yaml.MarkedYAMLError as exc:
        return None, _yaml_error(exc, end)
    except yaml.YAMLError as exc:
        return None, (1, 1, f"front matter is not valid YAML: {exc}")
    except RecursionError:  # nesting deeper than Python's stack
        return None, (2, 1, "front matter is not valid YAML: nested too deeply")


def _yaml_error(exc: yaml.MarkedYAMLError, end: int) -> tuple[int, int, str]:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context_mark is not None and "end of stream" in problem:
        # "found unexpected end of stream": where the construct began says more.
        mark = exc.context_mark
    if exc.context and exc.context != problem:
        problem = f"{exc.context}, {problem}"
    line = mark.line + 2 if mark is not None else 1  # the YAML starts on file line 2
    column = mark.column + 1 if mark is not None else 1
    return min(max(line, 2), end), column, f"front matter is not valid YAML: {problem}"


_LOADER: Any = None


def _limited_loader() -> Any:
    """A SafeLoader whose composer refuses recursive aliases and alias bombs."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml
    from yaml.composer import ComposerError
    from yaml.events import AliasEvent
    from yaml.nodes import MappingNode, Node, SequenceNode

    class LimitedSafeLoader(yaml.SafeLoader):
        """Counts the nodes each alias stands for (memoised per node, so counting is
        linear in the text however large the expansion would be)."""

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.expanded = 0
            self.sizes: dict[int, int] = {}

        def size(self, node: Node) -> int:
            known = self.sizes.get(id(node))
            if known is not None:
                return known
            total = 1
            if isinstance(node, SequenceNode):
                total += sum(self.size(child) for child in node.value)
            elif isinstance(node, MappingNode):
                total += sum(self.size(k) + self.size(v) for k, v in node.value)
            self.sizes[id(node)] = total = min(total, MAX_YAML_NODES + 1)
            return total

        def compose_node(self, parent: Node | None, index: Any) -> Node:
            if self.check_event(AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                node = self.anchors.get(event.anchor)
                if node is not None:
                    if node.end_mark is None:  # still being composed: it contains itself
                        raise ComposerError(
                            None, None,
                            f"alias *{event.anchor} refers to a node that contains it",
                            event.start_mark,
                        )
                    self.expanded += self.size(node)
                    if self.expanded > MAX_YAML_NODES:
                        raise ComposerError(
                            None, None,
                            f"aliases expand the front matter to more than "
                            f"{MAX_YAML_NODES:,} values (an alias bomb?); write the "
                            "values out instead",
                            event.start_mark,
                        )
            return super().compose_node(parent, index)  # type: ignore[return-value]

    _LOADER = LimitedSafeLoader
    return _LOADER


# --------------------------------------------------------------------------- TOML


def _toml(source: str, end: int) -> tuple[Any, tuple[int, int, str] | None]:
    import tomllib

    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line, column = end, 1
        m = _TOML_POSITION.search(message)
        if m:
            line, column = min(int(m.group(1)) + 1, end), int(m.group(2))
            message = message[: m.start()]
        else:
            message = _TOML_END.sub("", message)
        return None, (line, column, f"front matter is not valid TOML: {message}")
    return _plain(data), None


def _plain(value: Any) -> Any:
    """TOML's local times become text (YAML front matter never holds them either)."""
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
