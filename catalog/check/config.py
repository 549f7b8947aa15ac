"""``catalog check``'s settings, found and resolved the way ruff finds and resolves its own.

Where settings come from, for each checked post:

- The closest folder, from the post's folder upward, that holds ``.catalog.toml``,
  ``catalog.toml``, or a ``pyproject.toml`` with a ``[tool.catalog]`` table. In one folder
  ``.catalog.toml`` wins over ``catalog.toml``, and both over ``pyproject.toml`` (ruff:
  ``.ruff.toml`` > ``ruff.toml`` > ``pyproject.toml``); a ``pyproject.toml`` without
  ``[tool.catalog]`` is passed over. Files further up are not merged in.
- ``--config FILE`` uses that one file for every post; ``--isolated`` uses none.
- Flags apply on top of the file: ``--select`` replaces its ``select`` (and with it its
  ``ignore``, as in ruff), ``--extend-select`` and ``--ignore`` add, ``--exclude``
  replaces its ``exclude``.

Rules are selected by code, by family (``footnote`` is every ``footnote-*`` code) or
``ALL``; within one source the more specific selector wins, and ``ignore`` wins a tie.
``exclude`` and ``per-file-ignores`` patterns are relative to the folder of the file that
sets them (flags: the current folder); a pattern without ``/`` matches a file or folder
name anywhere below it. ``*`` matches any characters, ``/`` included.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from catalog.check.codes import RULES, SEVERITY, Severity, nearest_codes
from catalog.errors import CatalogError

__all__ = [
    "CONFIG_NAMES",
    "KEYS",
    "ConfigError",
    "Overrides",
    "Resolver",
    "Settings",
    "describe",
    "parse_selectors",
]

CONFIG_NAMES = (".catalog.toml", "catalog.toml", "pyproject.toml")  # precedence order
KEYS = ("select", "extend-select", "ignore", "severity", "exclude", "per-file-ignores")
_LISTS = ("select", "extend-select", "ignore", "exclude")
_FAMILIES = frozenset(code.split("-")[0] for code in RULES)


class ConfigError(CatalogError):
    """A configuration file or flag that cannot be used: unknown key or rule, bad TOML."""

    exit_code = 2


@dataclass(frozen=True)
class Overrides:
    """What the command line says (None: the flag was not given)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    config: Path | None = None
    isolated: bool = False


@dataclass(frozen=True)
class _Level:
    """One source of settings: a configuration file, or the command line."""

    origin: str  # "catalog.toml" path, or "the command line"
    base: Path  # folder that its patterns are relative to
    values: Mapping[str, Any]  # validated keys, as written
    flags: bool = False

    def said(self, key: str, selector: str, code: str) -> str:
        """Why a rule is on or off: "ignore footnote in catalog.toml", "--select"."""
        via = "" if selector == code else f" {selector}"
        return f"--{key}{via}" if self.flags else f"{key}{via} in {self.origin}"


@dataclass(frozen=True)
class RuleState:
    enabled: bool
    severity: Severity
    why: str  # "default", "ignore in /site/catalog.toml", "--select", ...


@dataclass(frozen=True)
class Settings:
    """The resolved settings for the posts under one configuration."""

    source: Path | None  # the configuration file; None: defaults (and flags) only
    levels: tuple[_Level, ...]
    rules: Mapping[str, RuleState]
    exclude: tuple[tuple[str, Path], ...]  # (pattern, base folder)
    per_file_ignores: tuple[tuple[str, Path, frozenset[str]], ...]

    @property
    def enabled(self) -> frozenset[str]:
        return frozenset(code for code, state in self.rules.items() if state.enabled)

    def enabled_for(self, path: Path) -> frozenset[str]:
        """The rules that apply to ``path``: selected, less its per-file-ignores."""
        codes = self.enabled
        for pattern, base, ignored in self.per_file_ignores:
            if ignored & codes and _matches(pattern, base, path):
                codes -= ignored
        return codes

    def severity_of(self, code: str) -> Severity:
        state = self.rules.get(code)
        return state.severity if state is not None else SEVERITY[code]

    def is_excluded(self, path: Path) -> bool:
        return any(_matches(pattern, base, path) for pattern, base in self.exclude)


# ------------------------------------------------------------------------ selectors


def _expand(selector: str) -> tuple[list[str], int] | None:
    """(codes, specificity) for ``ALL`` (0), a family (1) or a code (2); None: unknown."""
    if selector == "ALL":
        return list(RULES), 0
    if selector in RULES:
        return [selector], 2
    if selector in _FAMILIES:
        return [c for c in RULES if c.startswith(selector + "-")], 1
    return None


def _unknown(selectors: Iterable[str], where: str) -> ConfigError | None:
    bad = [s for s in selectors if _expand(s) is None]
    if not bad:
        return None
    parts = [f"{s!r} (did you mean {_nearest_selector(s)}?)" for s in bad]
    noun = "rule" if len(bad) == 1 else "rules"
    return ConfigError(
        f"{where}: unknown {noun} {', '.join(parts)}; "
        "see the codes with: catalog check --explain CODE"
    )


def _nearest_selector(word: str) -> str:
    import difflib

    names = ["ALL", *sorted(_FAMILIES), *RULES]
    close = (difflib.get_close_matches(word, names, n=1, cutoff=0.85)
             or difflib.get_close_matches(word, names, n=3, cutoff=0.6) or nearest_codes(word))
    return close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1]


def parse_selectors(values: Iterable[str]) -> tuple[str, ...]:
    """Flag values (each may be comma-separated) -> selectors, blanks dropped."""
    return tuple(s.strip() for v in values for s in v.split(",") if s.strip())


def _select(levels: Sequence[_Level]) -> dict[str, RuleState]:
    """Apply each level's select / extend-select / ignore in order, as ruff does."""
    state = {code: RuleState(True, SEVERITY[code], "default") for code in RULES}
    for level in levels:
        v = level.values
        if not any(k in v for k in ("select", "extend-select", "ignore")):
            continue
        if "select" in v:
            not_in = "not in --select" if level.flags else f"not in select in {level.origin}"
            state = {c: RuleState(False, s.severity, not_in) for c, s in state.items()}
        decided: dict[str, int] = {}  # code -> specificity of the selector that decided it
        for key, on in (("select", True), ("extend-select", True), ("ignore", False)):
            for selector in v.get(key, ()):
                expanded = _expand(selector)
                assert expanded is not None  # validated when the level was made
                codes, spec = expanded
                for code in codes:
                    # More specific wins; on a tie the later key (ignore) wins.
                    if decided.get(code, -1) <= spec:
                        decided[code] = spec
                        state[code] = RuleState(on, state[code].severity,
                                                level.said(key, selector, code))
    for level in levels:
        for selector, severity in _by_specificity(level.values.get("severity", {})):
            codes, _ = _expand(selector) or ([], 0)
            for code in codes:
                st = state[code]
                state[code] = RuleState(st.enabled, severity,
                                        f"{st.why}; severity in {level.origin}")
    return state


def _by_specificity(table: Mapping[str, Severity]) -> list[tuple[str, Severity]]:
    return sorted(table.items(), key=lambda kv: (_expand(kv[0]) or ([], 0))[1])


# ------------------------------------------------------------------------- patterns


def _matches(pattern: str, base: Path, path: Path) -> bool:
    """ruff-style path pattern: a bare name matches any file or folder of that name below
    ``base``; a pattern with ``/`` matches the path from ``base`` (or any folder on it)."""
    target = Path(os.path.abspath(path))
    try:
        rel = PurePosixPath(target.relative_to(base).as_posix())
    except ValueError:
        rel = None
    pattern = pattern.removeprefix("./").rstrip("/")
    if not pattern:
        return False
    if "/" not in pattern:
        names = rel.parts if rel is not None else (target.name,)
        return any(fnmatch.fnmatchcase(name, pattern) for name in names)
    if pattern.startswith("/"):
        candidates = [PurePosixPath(target.as_posix())]
    elif rel is None:
        return False
    else:
        candidates = [rel]
    for cand in candidates:
        for sub in (cand, *cand.parents):
            if str(sub) != "." and fnmatch.fnmatchcase(str(sub), pattern):
                return True
    return False


# ---------------------------------------------------------------------------- files


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8; save the configuration as UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read configuration: {exc.strerror or exc.__class__.__name__}"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _table_of(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The catalog table of a configuration file: the whole file, or pyproject's
    ``[tool.catalog]`` (None when it has none)."""
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    table = tool.get("catalog") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _where(path: Path) -> str:
    return f"{path} [tool.catalog]" if path.name == "pyproject.toml" else str(path)


def _validate(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check keys, types and rule codes; return the values with lists as tuples."""
    import difflib

    unknown = [k for k in values if k not in KEYS]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        noun = "key" if len(unknown) == 1 else "keys"
        raise ConfigError(
            f"{where}: unknown {noun} {', '.join(hints)}; known keys: {', '.join(KEYS)}"
        )
    out: dict[str, Any] = {}
    for key in _LISTS:
        if key not in values:
            continue
        value = values[key]
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ConfigError(f"{where}: {key} must be a list of strings, such as "
                              f"{key} = [\"footnote-shared\"]" if key != "exclude" else
                              f"{where}: exclude must be a list of path patterns, such as "
                              "exclude = [\"_drafts\"]")
        out[key] = tuple(value)
        if key != "exclude":
            err = _unknown(value, f"{where}: {key}")
            if err:
                raise err
    if "severity" in values:
        table = values["severity"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: severity must be a table of rule = \"error\" or "
                              "\"warning\", such as [severity] footnote-shared = \"error\"")
        err = _unknown(table, f"{where}: severity")
        if err:
            raise err
        for code, level in table.items():
            if level not in ("error", "warning"):
                raise ConfigError(f"{where}: severity of {code} is {level!r}; use \"error\" "
                                  "or \"warning\" (to turn a rule off, ignore it)")
        out["severity"] = dict(table)
    if "per-file-ignores" in values:
        table = values["per-file-ignores"]
        if not isinstance(table, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in table.values()
        ):
            raise ConfigError(f"{where}: per-file-ignores must be a table of pattern = "
                              "[rules], such as [per-file-ignores] \"_posts/2017-*\" = "
                              "[\"table-short-row\"]")
        for pattern, codes in table.items():
            err = _unknown(codes, f"{where}: per-file-ignores {pattern!r}")
            if err:
                raise err
        out["per-file-ignores"] = {p: tuple(v) for p, v in table.items()}
    return out


# ------------------------------------------------------------------------ resolving


class Resolver:
    """Finds the settings for each post (caching per folder) under the given flags."""

    def __init__(self, overrides: Overrides | None = None, cwd: Path | None = None) -> None:
        self.overrides = overrides or Overrides()
        self.cwd = Path(os.path.abspath(cwd or Path.cwd()))
        self._loaded: dict[Path, dict[str, Any] | None] = {}
        self._flags = self._flag_level()
        self._by_file: dict[Path | None, Settings] = {}
        self._by_dir: dict[Path, Path | None] = {}
        self._fixed: Path | None = None
        if self.overrides.config is not None and not self.overrides.isolated:
            path = Path(os.path.abspath(self.cwd / self.overrides.config))
            if not path.is_file():
                raise ConfigError(f"{self.overrides.config}: no such configuration file; "
                                  "give --config a catalog.toml or pyproject.toml")
            self._fixed = path
            self._load(path, required=True)

    def _flag_level(self) -> _Level | None:
        o = self.overrides
        values: dict[str, Any] = {}
        if o.select is not None:
            values["select"] = o.select
        if o.extend_select:
            values["extend-select"] = o.extend_select
        if o.ignore:
            values["ignore"] = o.ignore
        for key, flag in (("select", "--select"), ("extend-select", "--extend-select"),
                          ("ignore", "--ignore")):
            err = _unknown(values.get(key, ()), flag)
            if err:
                raise err
        if o.exclude is not None:
            values["exclude"] = o.exclude
        return _Level("the command line", self.cwd, values, flags=True) if values else None

    def settings_for(self, path: Path) -> Settings:
        """The settings that apply to the post at ``path``."""
        if self.overrides.isolated:
            return self._settings(None)
        if self._fixed is not None:
            return self._settings(self._fixed)
        return self._settings(self._find(Path(os.path.abspath(path)).parent))

    def _find(self, folder: Path) -> Path | None:
        """The configuration file that governs ``folder`` (cached for every folder walked)."""
        walked: list[Path] = []
        found: Path | None = None
        for d in (folder, *folder.parents):
            if d in self._by_dir:
                found = self._by_dir[d]
                break
            walked.append(d)
            hit = next((d / name for name in CONFIG_NAMES
                        if (d / name).is_file() and self._load(d / name) is not None), None)
            if hit is not None:
                found = hit
                break
        for d in walked:
            self._by_dir[d] = found
        return found

    def _load(self, path: Path, required: bool = False) -> dict[str, Any] | None:
        """The validated catalog table of ``path`` (None: a pyproject.toml without one)."""
        if path not in self._loaded:
            table = _table_of(path, _read_toml(path))
            if table is None and required:
                raise ConfigError(f"{path}: has no [tool.catalog] table")
            self._loaded[path] = None if table is None else _validate(table, _where(path))
        return self._loaded[path]

    def _settings(self, source: Path | None) -> Settings:
        if source in self._by_file:
            return self._by_file[source]
        levels: list[_Level] = []
        if source is not None:
            values = self._load(source)
            assert values is not None
            levels.append(_Level(_where(source), source.parent, values))
        if self._flags is not None:
            levels.append(self._flags)
        exclude: tuple[tuple[str, Path], ...] = ()
        for level in levels:  # the last level that sets exclude wins (flags replace)
            if "exclude" in level.values:
                exclude = tuple((p, level.base) for p in level.values["exclude"])
        pfi: list[tuple[str, Path, frozenset[str]]] = []
        for level in levels:
            for pattern, selectors in level.values.get("per-file-ignores", {}).items():
                codes = {c for s in selectors for c in (_expand(s) or ([], 0))[0]}
                pfi.append((pattern, level.base, frozenset(codes)))
        settings = Settings(source, tuple(levels), _select(levels), exclude, tuple(pfi))
        self._by_file[source] = settings
        return settings


# ---------------------------------------------------------------------- --show-settings


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, tuple | list):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(value)


def describe(settings: Settings, posts: Sequence[Path]) -> str:
    """``--show-settings``: the resolved settings and where each part came from."""
    lines: list[str] = []
    if posts:
        more = f" and {len(posts) - 1} more" if len(posts) > 1 else ""
        lines.append(f"Settings for {posts[0]}{more}:")
    lines.append("  configuration file: " + (str(settings.source) if settings.source
                                             else "none found (defaults)"))
    for level in settings.levels:
        lines.append(f"  from {level.origin} (patterns relative to {level.base}):")
        for key in KEYS:
            if key in level.values:
                lines.append(f"    {key} = {_toml_value(level.values[key])}")
    on = sorted(settings.enabled)
    lines.append(f"  rules ({len(on)} of {len(settings.rules)} on):")
    width = max(len(c) for c in settings.rules)
    for code in sorted(settings.rules):
        st = settings.rules[code]
        status = st.severity if st.enabled else "off"
        lines.append(f"    {code:<{width}}  {status:<7}  {st.why}")
    lines.append("  exclude: " + (", ".join(f"{p!r} (in {b})" for p, b in settings.exclude)
                                  if settings.exclude else "nothing"))
    if settings.per_file_ignores:
        lines.append("  per-file-ignores:")
        for pattern, base, codes in settings.per_file_ignores:
            lines.append(f"    {pattern!r} (in {base}): {', '.join(sorted(codes))}")
    else:
        lines.append("  per-file-ignores: none")
    return "\n".join(lines)
