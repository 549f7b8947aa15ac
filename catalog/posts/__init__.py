"""Reading-group posts: parse Jekyll posts (front matter, paper tables, footnotes)."""

from catalog.posts.model import Cell, Footnote, FootnoteRef, Link, Post, Row
from catalog.posts.parse import parse_post, read_post

__all__ = ["Cell", "Footnote", "FootnoteRef", "Link", "Post", "Row", "parse_post", "read_post"]
