"""A generated .bib file of realistic entries, for bench_import.py (and its tests' size).

What a group's Zotero, JabRef or dblp export holds: ``@string`` venue macros at the top,
articles and proceedings papers with arXiv eprints (``archivePrefix``), DOIs, venues
(written out or as macros), 3-8 authors drawn from a long-tailed pool of names ("Last,
First" mostly, "First Last" sometimes; some with TeX accents, some in UTF-8), braced
acronyms and a little math in titles, abstracts in a third of them, URLs, pages,
keywords. Some entries repeat an earlier key (the parser reports them), some are an
earlier entry's paper again under another key (they merge with it), and some are papers
already in the catalog (``known``: found by arXiv id, DOI or title).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from catalog.records import PaperView

WORDS = (
    "learning deep neural network networks generative adversarial variational inference "
    "bayesian optimization stochastic gradient descent reinforcement policy graph attention "
    "transformer language model models representation contrastive self-supervised robust "
    "efficient scalable sparse dynamic latent diffusion causal structured prediction kernel "
    "convex nonconvex federated private differential equations manifold embedding "
    "clustering retrieval translation segmentation detection image video speech protein "
    "quantum sampling estimation theory bounds regret bandits online adaptive invariant"
).split()
SMALL = ["for", "of", "with", "and", "in", "via", "on", "the", "a", "to"]
ACRONYMS = ["{GAN}", "{VAE}", "{BERT}", "{RL}", "{DNA}", "{MCMC}", "{SGD}", "{GNN}", "{LSTM}"]
SYLLABLES = (
    "ka ri mo an de la su ve ni to ha ze lu pa mi or en sa ti ko ba ru el go na "
    "yo che li wa fe dor ma stin ber gu"
).split()
TEX_ACCENTED = [r"M{\"u}ller", r"Sch{\"o}lkopf", r"P{\'e}rez", r"{\L}ukasz", r"G{\"u}nther"]
UTF8_ACCENTED = ["Jürgen", "Zoë", "Søren", "Çelik", "Ólafsson", "Dvořák"]
VENUES = [
    ("neurips", "Advances in Neural Information Processing Systems", "inproceedings"),
    ("icml", "Proceedings of the International Conference on Machine Learning", "inproceedings"),
    ("iclr", "International Conference on Learning Representations", "inproceedings"),
    ("cvpr", "IEEE/CVF Conference on Computer Vision and Pattern Recognition", "inproceedings"),
    ("jmlr", "Journal of Machine Learning Research", "article"),
    ("tpami", "IEEE Transactions on Pattern Analysis and Machine Intelligence", "article"),
    ("natcomm", "Nature Communications", "article"),
]
MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _people(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """(given, family) names; 6% with accents (half TeX-escaped, half UTF-8)."""
    people = []
    for _ in range(size):
        given = f"{_name(rng, 2)}" + (
            f" {chr(65 + rng.randrange(26))}." if rng.random() < 0.4 else ""
        )
        family = _name(rng, rng.randint(2, 3))
        roll = rng.random()
        if roll < 0.03:
            family = rng.choice(TEX_ACCENTED)
        elif roll < 0.06:
            given = rng.choice(UTF8_ACCENTED)
        people.append((given, family))
    return people


def _author(rng: random.Random, pool: Sequence[tuple[str, str]]) -> str:
    # Long-tailed: a few authors on many papers, most on one or two.
    given, family = pool[int(len(pool) * rng.random() ** 3)]
    return f"{family}, {given}" if rng.random() < 0.7 else f"{given} {family}"


def _title(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 13))]
    for j in range(1, len(words) - 1, 3):
        words[j] = rng.choice(SMALL)
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = rng.choice(ACRONYMS)
    if rng.random() < 0.03:
        words.append(r"with $\alpha$-Divergence")
    return " ".join(w if w in SMALL or w.startswith("{") else w.capitalize() for w in words)


def _entry(key: str, kind: str, fields: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name:<{width}} = {value}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def bib_entries(n: int, known: Sequence[PaperView] = (), seed: int = 7) -> Iterator[str]:
    """``n`` entries (and the ``@string`` block first) as .bib text, one block each.

    About 10% are papers of ``known`` (the catalog's): 6% by arXiv eprint, 2% by DOI, 2%
    by their title alone; 1% repeat an earlier entry's key, 1% give an earlier entry's
    paper again under a new key."""
    rng = random.Random(seed)
    pool = _people(rng, 60_000)
    yield "".join(f'@string{{{macro} = "{name}"}}\n' for macro, name, _ in VENUES) + "\n"
    known_doi = [p for p in known if p.doi]
    earlier: list[tuple[str, list[tuple[str, str]], str]] = []  # (key, fields, kind)
    for i in range(n):
        roll = rng.random()
        if earlier and roll < 0.01:  # a key used before: the parser skips it
            key, fields, kind = rng.choice(earlier)
            yield "\n" + _entry(key, kind, [("title", f"{{{_title(rng)}}}"), *fields[1:3]])
            continue
        if earlier and roll < 0.02:  # an earlier entry's paper under another key
            key, fields, kind = rng.choice(earlier)
            yield "\n" + _entry(f"{key}b", kind, fields)
            continue
        year = rng.randint(2008, 2024)
        macro, venue, kind = rng.choice(VENUES)
        authors = [_author(rng, pool) for _ in range(rng.randint(3, 8))]
        title = _title(rng)
        fields = [("title", f"{{{title}}}"), ("author", "{" + " and ".join(authors) + "}")]
        ident_roll = rng.random()
        if known and roll < 0.08:
            paper = rng.choice(known)
            title = paper.title
            fields[0] = ("title", f"{{{title}}}")
            fields += [("eprint", f"{{{paper.arxiv_id}}}"), ("archivePrefix", "{arXiv}")]
        elif known_doi and roll < 0.10:
            paper = rng.choice(known_doi)
            fields[0] = ("title", f"{{{paper.title}}}")
            fields.append(("doi", f"{{{paper.doi}}}"))
        elif known and roll < 0.12:
            paper = rng.choice(known)
            fields[0] = ("title", f"{{{paper.title}}}")
        elif ident_roll < 0.55:
            yymm = f"{year % 100:02d}{rng.randint(1, 12):02d}"
            digits = 4 if yymm < "1501" else 5
            number = 5000 + i % 4999 if digits == 4 else 50000 + i % 49999
            fields += [
                ("eprint", f"{{{yymm}.{number:0{digits}d}}}"),
                ("archivePrefix", "{arXiv}"),
                ("primaryClass", "{" + rng.choice(["cs.LG", "stat.ML", "cs.CV"]) + "}"),
            ]
            if rng.random() < 0.3:
                fields.append(("doi", f"{{10.5555/bench.{i}}}"))
        elif ident_roll < 0.85:
            fields.append(("doi", f"{{10.5555/bench.{i}}}"))
        venue_field = "booktitle" if kind == "inproceedings" else "journal"
        fields.append((venue_field, macro if rng.random() < 0.2 else f"{{{venue}}}"))
        fields.append(("year", f"{{{year}}}"))
        if rng.random() < 0.5:
            fields.append(("month", rng.choice(MONTHS)))
        first = rng.randrange(1, 3000)
        fields.append(("pages", f"{{{first}--{first + rng.randint(5, 20)}}}"))
        if rng.random() < 0.3:
            fields.append(("url", f"{{https://example.org/papers/{i}.pdf}}"))
        if rng.random() < 0.3:
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 110)))
            fields.append(("abstract", f"{{{words.capitalize()}.}}"))
        if rng.random() < 0.4:
            fields.append(("keywords", "{" + ", ".join(rng.sample(WORDS, 3)) + "}"))
        key = f"{_name(rng, 2).lower()}{year}{rng.choice(WORDS)}{i}"
        earlier.append((key, fields, kind))
        if len(earlier) > 5000:
            earlier.pop(rng.randrange(len(earlier)))
        yield "\n" + _entry(key, kind, fields)


def write_bib(path: str, n: int, known: Sequence[PaperView] = (), seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for block in bib_entries(n, known, seed):
            out.write(block)
