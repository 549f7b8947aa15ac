"""Symbols a UTF-8 BibTeX export still writes as LaTeX: Greek letters, sub/superscript
digits and common math signs, as Crossref titles hold them ("α-Synuclein", "CO₂",
"Ca²⁺", "p ≤ 0.05").

Latin-1 (``é``, ``ü``, ``±``, ``µ``) and other accented Latin letters stay UTF-8 in a
BibTeX export (every engine of the last decade reads them), but pdflatex, still the
default for BibTeX users and on arXiv, has no glyph for these in its default setup and
stops with "Unicode character ... not set up for use with LaTeX". Each is written with
a command of LaTeX itself, no package needed: ``{\\ensuremath{\\alpha}}`` (math in text
and in math mode alike), ``{\\textsubscript{2}}``, ``{\\textsuperscript{+}}``. The braces
make each a "special character" for BibTeX, whose case changes and sorting leave it
alone. Greek capitals that look like Latin ones (LaTeX has no ``\\Alpha``) are those
Latin letters. ``--ascii`` writes these the same way and converts every other
character as well (pylatexenc).

A .bib import reads Greek and the math signs back as the same characters; sub- and
superscripts come back as plain digits and signs ("CO2").
"""

from __future__ import annotations

import re

__all__ = ["SYMBOLS", "tex_symbols"]


def _math(command: str) -> str:
    return f"{{\\ensuremath{{{command}}}}}"


# Greek letters whose capitals look like Latin ones are written as those Latin letters,
# as LaTeX has no command for them (there is no \Alpha).
_GREEK = {
    "α": _math("\\alpha"), "β": _math("\\beta"), "γ": _math("\\gamma"), "δ": _math("\\delta"),
    "ε": _math("\\varepsilon"), "ϵ": _math("\\epsilon"), "ζ": _math("\\zeta"),
    "η": _math("\\eta"), "θ": _math("\\theta"), "ϑ": _math("\\vartheta"), "ι": _math("\\iota"),
    "κ": _math("\\kappa"), "λ": _math("\\lambda"), "μ": _math("\\mu"), "ν": _math("\\nu"),
    "ξ": _math("\\xi"), "ο": "o", "π": _math("\\pi"), "ϖ": _math("\\varpi"),
    "ρ": _math("\\rho"), "ϱ": _math("\\varrho"), "σ": _math("\\sigma"),
    "ς": _math("\\varsigma"), "τ": _math("\\tau"), "υ": _math("\\upsilon"),
    "φ": _math("\\varphi"), "ϕ": _math("\\phi"), "χ": _math("\\chi"), "ψ": _math("\\psi"),
    "ω": _math("\\omega"),
    "Α": "A", "Β": "B", "Γ": _math("\\Gamma"), "Δ": _math("\\Delta"), "Ε": "E", "Ζ": "Z",
    "Η": "H", "Θ": _math("\\Theta"), "Ι": "I", "Κ": "K", "Λ": _math("\\Lambda"), "Μ": "M",
    "Ν": "N", "Ξ": _math("\\Xi"), "Ο": "O", "Π": _math("\\Pi"), "Ρ": "P",
    "Σ": _math("\\Sigma"), "Τ": "T", "Υ": _math("\\Upsilon"), "Φ": _math("\\Phi"), "Χ": "X",
    "Ψ": _math("\\Psi"), "Ω": _math("\\Omega"),
}  # fmt: skip
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni", strict=True))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", "0123456789+-=()", strict=True))
_SIGNS = {
    "≤": _math("\\leq"), "≥": _math("\\geq"), "≠": _math("\\neq"), "≈": _math("\\approx"),
    "∼": _math("\\sim"), "≃": _math("\\simeq"), "≡": _math("\\equiv"), "∝": _math("\\propto"),
    "≪": _math("\\ll"), "≫": _math("\\gg"), "∞": _math("\\infty"), "∂": _math("\\partial"),
    "∇": _math("\\nabla"), "∑": _math("\\sum"), "∏": _math("\\prod"), "∫": _math("\\int"),
    "√": _math("\\surd"), "∈": _math("\\in"), "∉": _math("\\notin"), "⊂": _math("\\subset"),
    "⊆": _math("\\subseteq"), "∪": _math("\\cup"), "∩": _math("\\cap"),
    "∀": _math("\\forall"), "∃": _math("\\exists"), "∅": _math("\\emptyset"),
    "→": _math("\\rightarrow"), "←": _math("\\leftarrow"), "↔": _math("\\leftrightarrow"),
    "⇒": _math("\\Rightarrow"), "⇔": _math("\\Leftrightarrow"), "′": _math("\\prime"),
}  # fmt: skip

_TABLE: dict[str, str] = {
    **_GREEK,
    **{ch: f"{{\\textsuperscript{{{plain}}}}}" for ch, plain in _SUPERSCRIPTS.items()},
    **{ch: f"{{\\textsubscript{{{plain}}}}}" for ch, plain in _SUBSCRIPTS.items()},
    **_SIGNS,
}
SYMBOLS = frozenset(_TABLE)  # the characters tex_symbols() rewrites
_FIND = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_TABLE)) + "]")


def tex_symbols(text: str) -> str:
    """``text`` (already escaped for BibTeX) with the symbols above as LaTeX commands;
    every other character unchanged."""
    if text.isascii() or not _FIND.search(text):
        return text
    return _FIND.sub(lambda m: _TABLE[m.group(0)], text)
