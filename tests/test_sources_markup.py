"""Plain text out of services' markup (catalog/sources/markup.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.sources.markup import display_name, kind_from_title, plain_text, strip_dblp_title


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("Sonic <i>hedgehog</i> and H<sub>2</sub>O<sub>2</sub>", "Sonic hedgehog and H2O2"),
        ("Attacks &amp; Defenses", "Attacks & Defenses"),
        ("Attacks &amp;amp; Defenses", "Attacks &amp; Defenses"),  # decoded once, not twice
        (
            'and <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:msub>'
            "<mml:mi>ℓ</mml:mi><mml:mi>p</mml:mi></mml:msub></mml:math>-Sensitivity",
            "and ℓp-Sensitivity",
        ),
        (
            "<jats:title>Abstract</jats:title><jats:p>One.</jats:p><jats:p>Two &lt; 3.</jats:p>",
            "One. Two < 3.",
        ),
        ("<jats:sec><jats:title>Methods</jats:title><jats:p>We</jats:p></jats:sec>", "Methods We"),
        ("a <script>alert(1)</script>title", "a title"),
        ("  spread\n over\tlines  ", "spread over lines"),
        ("x < y and y > z", "x < y and y > z"),
        (None, ""),
    ],
)
def test_plain_text(markup: str | None, text: str) -> None:
    assert plain_text(markup) == text


@given(st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=["Cs"])))
def test_text_without_markup_only_loses_extra_whitespace(text: str) -> None:
    assert plain_text(text) == " ".join(text.split())


@given(st.lists(st.sampled_from(["<i>", "</i>", "<sub>", "</sub>", "word", " ", "&amp;"])))
def test_no_tag_survives(parts: list[str]) -> None:
    out = plain_text("".join(parts))
    assert "<i>" not in out and "<sub>" not in out and "&amp;" not in out


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Comment on “Hybrid computing using a neural network”", "comment"),
        ("Reply to: Comment on X", "comment"),
        ("Response to the comment by Smith", "comment"),
        ("Erratum: Hybrid computing", "erratum"),
        ("Correction to: Deep learning", "erratum"),
        ("Author Correction: Deep learning", "erratum"),
        ("Corrigendum to “X”", "erratum"),
        ("Book review: Deep Learning", "review"),
        ("Hybrid computing using a neural network", None),
        ("Response to noise in gene networks", None),
        ("Corrections of errors in robust estimation", None),
        ("Commentary-free learning", None),
    ],
)
def test_kind_from_title(title: str, kind: str | None) -> None:
    assert kind_from_title(title) == kind


def test_dblp_titles_and_highwire_names() -> None:
    assert strip_dblp_title("Deep learning.") == "Deep learning"
    assert strip_dblp_title("Is attention all you need?") == "Is attention all you need?"
    assert strip_dblp_title("Wait...") == "Wait..."
    assert display_name("Kazemi, Ehsan") == "Ehsan Kazemi"
    assert display_name("Le, Quoc V.") == "Quoc V. Le"
    assert display_name("Ilya Sutskever") == "Ilya Sutskever"
    assert display_name("King, Jr.") == "King, Jr."
