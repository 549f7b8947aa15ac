"""Every rule ``catalog check`` knows, in one registry: code, severity, summary, and the
explanation that ``catalog check --explain CODE`` prints (and SARIF's rule help carries).

Stdlib only and cheap to import: the post parser imports it (through
:mod:`catalog.check.findings`) to report parse problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "CODES", "SEVERITY", "Rule", "Severity", "explain", "nearest_codes"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One rule. ``example`` is Markdown as it appears in a post (it shows the problem)."""

    code: str
    severity: Severity
    summary: str  # one line (README table, --statistics, SARIF shortDescription)
    why: str  # what goes wrong for the site's readers
    example: str
    fix: str
    fixable: bool = False  # `catalog check --fix` rewrites it


_TABLE = "| Presenter | Papers | Paper URL |\n| --- | --- | --- |\n"

_RULES = (
    Rule(
        "footnote-undefined", "error",
        "a row cites a footnote label that no footnote defines",
        "The reference renders as the literal text `[^7]` and the reader finds no abstract "
        "for the paper. Reported on the line of the reference.",
        _TABLE + "| Ann | Deep Sets [^7] | [PDF](https://arxiv.org/abs/1703.06114) |\n\n"
        "[^1]: Deep Sets, Manzil Zaheer / NIPS17 / We study the problem of ...",
        "Cite a label that a footnote defines. When one of the footnotes is about the row's "
        "paper the message names it and `--fix` rewrites the reference; otherwise add the "
        "definition `[^7]: ...`.",
        fixable=True,
    ),
    Rule(
        "footnote-unused", "warning",
        "a footnote is defined but nothing in the post cites it",
        "GFM and kramdown drop a footnote that nothing cites, so its abstract never shows. "
        "Usually a row cites the wrong label, or the row was deleted and its footnote "
        "stayed. Reported on the line of the definition.",
        _TABLE + "| Ann | Deep Sets | [PDF](https://arxiv.org/abs/1703.06114) |\n\n"
        "[^1]: Deep Sets, Manzil Zaheer / NIPS17 / We study the problem of ...",
        "Cite it from the row whose paper it is about (the message names that row when "
        "there is one), or delete the definition.",
    ),
    Rule(
        "footnote-duplicate", "error",
        "a footnote label is defined more than once",
        "Only the first definition is rendered; the second one and its abstract are "
        "silently dropped.",
        "[^2]: Adam: A Method for Stochastic Optimization / ICLR15 / We introduce Adam ...\n\n"
        "[^2]: Shampoo: Preconditioned Stochastic Tensor Optimization / ICML18 / ...",
        "Give the second definition a label of its own and cite it from its row, or delete "
        "the copy.",
    ),
    Rule(
        "footnote-shared", "warning",
        "two rows cite the same footnote",
        "Two rows point at one abstract, so one of them usually should cite a footnote of "
        "its own. A talk in two parts about the same paper is the exception: silence the "
        "finding on that row.",
        _TABLE + "| Ann | BERT: Pre-training of Deep Bidirectional Transformers [^1] | ... |\n"
        "| Bo | RoBERTa: A Robustly Optimized BERT Pretraining Approach [^1] | ... |",
        "Make each row cite the footnote about its own paper; for a two-part talk, "
        "silence the finding on the second row.",
    ),
    Rule(
        "footnote-mismatch", "error",
        "the footnote a row cites is about another paper "
        "(suggest: the label of the footnote about the row's paper)",
        "The reader opens a row's footnote and reads another paper's title and abstract. "
        "It happens when rows are reordered or copied from an older post and their "
        "references are not. Every row is matched against every footnote at once, so a "
        "rotation or a swap is recognised as one and the suggestion is the row's own "
        "footnote.",
        _TABLE + "| Eli | Learning to learn by gradient descent by gradient descent [^1] | ... |\n"
        "| Eli | Adam: A Method for Stochastic Optimization [^2] | ... |\n\n"
        "[^1]: Adam: A Method for Stochastic Optimization / ICLR15 / We introduce Adam ...\n"
        "[^2]: Learning to learn by gradient descent by gradient descent / NIPS16 / ...",
        "`catalog check --fix` rewrites each reference to the label the message suggests "
        "(`--fix --diff` shows the change first). When no footnote is about the row's "
        "paper, write one or cite none.",
        fixable=True,
    ),
    Rule(
        "footnote-missing", "warning",
        "a row cites no footnote but one of the footnotes is about its paper",
        "The footnote with the paper's abstract exists, but nothing links the row to it.",
        _TABLE + "| Jeffrey | Prototypical Networks for Few-shot Learning | ... |\n\n"
        "[^2]: Prototypical Networks for Few-shot Learning, Jake Snell / NIPS17 / ...",
        "`catalog check --fix` appends the reference (` [^2]`) to the title cell.",
        fixable=True,
    ),
    Rule(
        "link-empty", "warning",
        "an empty paper link such as [PDF]()",
        "`[PDF]()` renders as a link to the page itself: the paper link was forgotten.",
        _TABLE + "| Ann | Deep Sets [^1] | [PDF]() |",
        "Fill in the paper's URL, or remove the link.",
    ),
    Rule(
        "url-duplicate", "warning",
        "the same paper URL appears on rows with different titles",
        "Two rows about different papers link to the same one: one link is probably left "
        "over from a copied row.",
        _TABLE + "| Ann | BERT: Pre-training of Deep Bidirectional Transformers | "
        "[PDF](https://arxiv.org/abs/1810.04805) |\n"
        "| Bo | XLNet: Generalized Autoregressive Pretraining | "
        "[PDF](https://arxiv.org/abs/1810.04805) |",
        "Correct the link of the row whose paper it is not.",
    ),
    Rule(
        "table-malformed", "error",
        "a table row with more cells than the header, a header without a separator row, "
        "or a table not ended by a blank line",
        "GFM and kramdown drop the cells beyond the header's; a header without its "
        "delimiter row (`| --- | --- |`) is no table at all and renders as a paragraph of "
        "pipes; a line of text right after a table without a blank line renders as one "
        "more row.",
        "| Presenter | Papers | Paper URL |\n"
        "| Zhe | Order Matters: Sequence to sequence for sets [^4] | [PDF](...) |\n"
        "Slides for the last talk will follow.",
        "Add the delimiter row under the header, merge or remove the extra cells (a "
        "literal pipe in a cell is written `\\|`), and leave a blank line after the table.",
    ),
    Rule(
        "table-short-row", "warning",
        "a table row with fewer cells than the header (rendered with empty cells)",
        "GFM and kramdown render the missing cells empty, so the page looks right; but a "
        "missing cell is often a forgotten paper link or slides.",
        "| Presenter | Papers | Paper URL | Our Slides |\n| --- | --- | --- | --- |\n"
        "| Weilin | Deep Sets, NIPS17 [^1] | [PDF](https://arxiv.org/abs/1703.06114) |",
        "Add the missing cells (empty ones, `| |`, are fine), or turn the rule off for the "
        "site: `ignore = [\"table-short-row\"]` in catalog.toml.",
    ),
    Rule(
        "table-too-large", "error",
        "a table with more rows than check reads; it is skipped",
        "`catalog check` reads tables up to a row limit (the message gives it), so that a "
        "post arriving in a pull request cannot make it slow; a larger table is skipped "
        "and none of its rows are checked.",
        "| Presenter | Papers |\n| --- | --- |\n| A | Paper 1 |\n| ... | ... |\n"
        "| A | Paper 5000 |",
        "Split the table (one per session or topic), or move the list out of the post.",
    ),
    Rule(
        "file-too-large", "error",
        "a post larger than check reads; it is skipped",
        "`catalog check` reads posts up to a size limit (the message gives it); a larger "
        "file is skipped unchecked. A post that size is nearly always generated or pasted "
        "by mistake.",
        "_posts/2019-01-01-dump.md  (40 MB of exported HTML)",
        "Split the post, or exclude the file: `exclude = [\"_posts/2019-01-01-dump.md\"]` "
        "in catalog.toml.",
    ),
    Rule(
        "unused-suppression", "warning",
        "a catalog: ignore comment that silences no finding",
        "A suppression that silences nothing would hide the next real finding of its code "
        "there, and tells the next reader of the post something that is not true (ruff's "
        "RUF100 does the same for `# noqa`). Codes that are not enabled, unknown codes and "
        "comments that do not parse are reported too.",
        _TABLE + "| Ann | Deep Sets [^1] <!-- catalog: ignore[link-empty] --> | "
        "[PDF](https://arxiv.org/abs/1703.06114) |",
        "Remove the comment, or the codes in it that the message names.",
    ),
    Rule(
        "frontmatter-invalid", "error",
        "the front matter (YAML, or Hugo's TOML between +++ lines) does not parse or is not "
        "a mapping",
        "Jekyll (or Hugo) cannot read the post's layout, title or date: the site fails to "
        "build, or builds the post without them. Reported on the line of the error. YAML "
        "aliases that expand the front matter past 10,000 values (an alias bomb) or that "
        "refer to what contains them are refused too.",
        "---\nlayout: post\ntitle: [Generative18 - GANs\n---",
        "Fix the YAML at the line given: quote values that contain `: ` or start with "
        "`[`, `{`, `*`, `&` or `!`, and close the front matter with `---`.",
    ),
    Rule(
        "title-mismatch", "error",
        "the row's title is not the title of the paper it links to (a wrong link?)",
        "The row's link leads to a paper with another title: usually a wrong link "
        "(a copied row, a typo in the id). arXiv links, and DOI, OpenReview and "
        "proceedings (PMLR, NeurIPS, ACL Anthology) links are checked when the catalog "
        "knows the paper from a source (`catalog import`, then `catalog sync`, `catalog "
        "resolve` or `catalog add ID`); a title known only from a post proves nothing.",
        _TABLE + "| Bo | Improved Training of Wasserstein GANs | "
        "[PDF](https://arxiv.org/abs/1701.07875) |",
        "Correct the link; if arXiv retitled the paper, update the title.",
    ),
    Rule(
        "abstract-mismatch", "warning",
        "the row's own footnote (or quoted abstract) is not the abstract of the arXiv "
        "paper the row links to",
        "The footnote carries the row's title but another paper's abstract (often a copy "
        "from the row above). Checked only when the catalog knows the paper's abstract.",
        _TABLE + "| Bo | Spectral Normalization for GANs [^3] | "
        "[PDF](https://arxiv.org/abs/1802.05957) |\n\n"
        "[^3]: Spectral Normalization for GANs / ICLR18 / We introduce a new algorithm "
        "named WGAN ...",
        "Replace the abstract with the paper's own (`catalog show ARXIV_ID` prints it).",
    ),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
# The views the rest of the code reads: code -> one-line summary, code -> severity.
CODES: dict[str, str] = {code: rule.summary for code, rule in RULES.items()}
SEVERITY: dict[str, Severity] = {code: rule.severity for code, rule in RULES.items()}



def _silence(code: str) -> list[tuple[str, str]]:
    return [
        (f"<!-- catalog: ignore[{code}] -->",
         "on the finding's line (in a table row: in any cell), or alone on the line above"),
        (f"<!-- catalog: ignore-file[{code}] -->", "anywhere in a post: the whole post"),
        (f'ignore = ["{code}"]', "in catalog.toml: every post"),
    ]


def _indent(text: str) -> str:
    return "\n".join(("    " + ln) if ln else "" for ln in text.splitlines())


def _wrap(text: str, indent: str = "    ") -> str:
    import textwrap

    return textwrap.fill(text, width=88, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False)


def explain(code: str, *, markdown: bool = False) -> str:
    """What ``code`` means, an example and how to fix it (``ruff rule`` style).

    Plain text for a terminal by default; ``markdown=True`` for SARIF's rule help.
    ``code`` must be in :data:`RULES` (KeyError otherwise). No trailing newline.
    """
    rule = RULES[code]
    tags = rule.severity + (", fixable with --fix" if rule.fixable else "")
    silence = _silence(code)
    if markdown:
        ways = "\n".join(f"- `{how}` {where}" for how, where in silence)
        return (
            f"## {code} ({tags})\n\n{rule.summary[0].upper()}{rule.summary[1:]}.\n\n"
            f"### Why\n\n{rule.why}\n\n### Example\n\n```markdown\n{rule.example}\n```\n\n"
            f"### How to fix\n\n{rule.fix}\n\n### Silence it\n\n{ways}"
        )
    return (
        f"{code} ({tags})\n\n{_wrap(rule.summary[0].upper() + rule.summary[1:] + '.', '')}"
        f"\n\nWhy:\n{_wrap(rule.why)}\n\nExample:\n{_indent(rule.example)}\n\n"
        f"How to fix:\n{_wrap(rule.fix)}\n\nSilence it:\n"
        + "\n".join(f"    {how}\n        {where}" for how, where in silence)
    )


def nearest_codes(word: str, n: int = 3) -> list[str]:
    """The codes most like ``word`` (best first; always at least one)."""
    import difflib

    close = difflib.get_close_matches(word.lower(), list(RULES), n=n, cutoff=0.5)
    if close:
        return close
    return difflib.get_close_matches(word.lower(), list(RULES), n=1, cutoff=0.0)
