"""Which files are posts: the paths given, and ``*.md`` / ``*.markdown`` under folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from catalog.errors import PostReadError

POST_SUFFIXES = (".md", ".markdown")


def find_posts(paths: Iterable[str | Path]) -> list[Path]:
    """Post files under ``paths`` (folders recursively), sorted, each once.

    A path that does not exist is an error naming it; a file named explicitly is
    taken whatever its suffix.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in POST_SUFFIXES:
                    found.setdefault(child, None)
        elif path.is_file():
            found.setdefault(path, None)
        elif path.exists():
            raise PostReadError(f"{path}: not a file or folder")
        else:
            raise PostReadError(
                f"{path}: no such file or folder; give post files or a _posts/ folder"
            )
    return list(found)
