"""A loopback stand-in for arXiv's query API (``/api/query``), for tests and benchmarks.

It is a real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, in a background thread)
that answers GET and POST like arXiv does: an Atom 1.0 feed with ``opensearch:`` and
``arxiv:`` elements, hard line breaks in titles and abstracts, ``http://`` entry ids, element
order that varies a little between entries; an HTTP 400 error feed for a malformed id; no
entry for an id that is well formed but unknown. ``search_query=ti:"a phrase"`` (terms
joined by ``AND``) finds the papers whose title holds each phrase, as arXiv's title search
does. The server machinery (thread, log, generic faults) is :mod:`tests.standin`'s.

Faults, all settable while the server runs (thread-safe):

* ``server.script("503:retry-after=1", "truncated", ...)`` queues one fault per request,
  consumed first-in first-out before normal answers resume. Fault words:

  ==========================  ===============================================================
  ``ok``                      a normal answer
  ``503`` / ``500`` / ``429``  that status (any 4xx/5xx number works), small HTML body
  ``503:retry-after=N``       ... with ``Retry-After: N`` (seconds)
  ``503:retry-date=N``        ... with ``Retry-After`` as an HTTP date N seconds ahead
  ``truncated``               200, the real feed cut in half (Content-Length matches)
  ``cut``                     200, full Content-Length announced, half sent, then closed
  ``empty``                   200, a well-formed feed with zero entries
  ``partial``                 200, a well-formed feed with only the first entry
  ``html``                    200, an HTML error page with a doctype
  ``garbage``                 200, bytes that are not XML
  ``reset``                   connection closed without any answer
  ``slow:S``                  wait S seconds, then a normal answer
  ``redirect:URL``            302 to URL (absolute, or a path on this server)
  ``billion`` / ``xxe``       200, an entity-expansion / external-entity payload
  ==========================  ===============================================================

* ``server.set_chaos(seed=1, fail_503_rate=0.2, truncated_rate=0.1, empty_rate=0.1,
  reset_rate=0.0)`` draws random faults (seeded, reproducible) for requests the script
  does not cover.
* ``server.error_ids[id] = message`` makes any request naming ``id`` an HTTP 400 error feed
  (``None`` as message gives arXiv's ``incorrect id format for <id>``);
  ``server.missing_ids.add(id)`` hides an id (no entry) although it is in the corpus.
* ``server.log`` is a list of :class:`LoggedRequest` ``(time, method, ids, status, path,
  params, headers)``, time from ``time.monotonic()`` when the request arrived, status 0
  when no answer was sent.

Run standalone for benchmarks and manual tests::

    python tests/arxiv_server.py --port 8765 --synthetic 5000
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import textwrap
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

if __package__ in (None, ""):  # run as a script: python tests/arxiv_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.standin import HTML_PAGE, Answer, LoggedRequest, Request, StandIn, run_standalone

__all__ = [
    "HTML_PAGE",
    "ArxivStandIn",
    "LoggedRequest",
    "Paper",
    "default_corpus",
    "synthetic_papers",
]


# --- corpus ------------------------------------------------------------------------------------


@dataclass
class Paper:
    """One paper as the stand-in knows it. ``id`` is arXiv's canonical form (no version;
    old-style ids without subject class, e.g. ``math/0309136``)."""

    id: str
    title: str
    authors: list[tuple[str, str | None]]  # (name, affiliation)
    abstract: str
    versions: list[datetime]  # dates of v1, v2, ...; the last one is the latest
    categories: list[str]  # the first is the primary category
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None

    @property
    def version(self) -> int:
        return len(self.versions)


def _d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _authors(*names: str) -> list[tuple[str, str | None]]:
    return [(name, None) for name in names]


def default_corpus() -> dict[str, Paper]:
    """A small corpus: the five papers of the 2018 generative-models session (real titles,
    authors and abstracts; dates and versions approximate) plus synthetic entries that
    exercise old-style ids, non-ASCII names, TeX, and journal references with DOIs."""
    papers = [
        Paper(
            id="1611.00712",
            title="The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
            authors=_authors("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
            abstract=(
                "The reparameterization trick enables optimizing large scale stochastic "
                "computation graphs via gradient descent. The essence of the trick is to "
                "refactor each stochastic node into a differentiable function of its "
                "parameters and a random variable with fixed distribution. After refactoring, "
                "the gradients of the loss propagated by the chain rule through the graph are "
                "low variance unbiased estimators of the gradients of the expected loss. While "
                "many continuous random variables have such reparameterizations, discrete "
                "random variables lack useful reparameterizations due to the discontinuous "
                "nature of discrete states. In this work we introduce Concrete random "
                "variables---continuous relaxations of discrete random variables. The Concrete "
                "distribution is a new family of distributions with closed form densities and "
                "a simple reparameterization. Whenever a discrete stochastic node of a "
                "computation graph can be refactored into a one-hot bit representation that is "
                "treated continuously, Concrete stochastic nodes can be used with automatic "
                "differentiation to produce low-variance biased gradients of objectives "
                "(including objectives that depend on the log-probability of latent stochastic "
                "nodes) on the corresponding discrete graph. We demonstrate the effectiveness "
                "of Concrete relaxations on density estimation and structured prediction tasks "
                "using neural networks."
            ),
            versions=[
                _d("2016-11-02T15:55:39"),
                _d("2017-01-20T18:05:46"),
                _d("2017-03-05T21:44:04"),
            ],
            categories=["cs.LG", "stat.ML"],
            comment="ICLR 2017 camera ready version",
        ),
        Paper(
            id="1804.01694",
            title="Feedback GAN (FBGAN) for DNA: a Novel Feedback-Loop Architecture for "
            "Optimizing Protein Functions",
            authors=_authors("Anvita Gupta", "James Zou"),
            abstract=(
                "Generative Adversarial Networks (GANs) represent an attractive and novel "
                "approach to generate realistic data, such as genes, proteins, or drugs, in "
                "synthetic biology. Here, we apply GANs to generate synthetic DNA sequences "
                "encoding for proteins of variable length. We propose a novel feedback-loop "
                "architecture, called Feedback GAN (FBGAN), to optimize the synthetic gene "
                "sequences for desired properties using an external function analyzer. The "
                "proposed architecture also has the advantage that the analyzer need not be "
                "differentiable. We apply the feedback-loop mechanism to two examples: 1) "
                "generating synthetic genes coding for antimicrobial peptides, and 2) "
                "optimizing synthetic genes for the secondary structure of their resulting "
                "peptides. A suite of metrics demonstrate that the GAN generated proteins have "
                "desirable biophysical properties. The FBGAN architecture can also be used to "
                "optimize GAN-generated datapoints for useful properties in domains beyond "
                "genomics."
            ),
            versions=[_d("2018-04-05T07:12:21")],
            categories=["q-bio.GN", "cs.LG", "stat.ML"],
        ),
        Paper(
            id="1711.05772",
            title="Latent Constraints: Learning to Generate Conditionally from Unconditional "
            "Generative Models",
            authors=_authors("Jesse Engel", "Matthew Hoffman", "Adam Roberts"),
            abstract=(
                "Deep generative neural networks have proven effective at both conditional and "
                "unconditional modeling of complex data distributions. Conditional generation "
                "enables interactive control, but creating new controls often requires "
                "expensive retraining. In this paper, we develop a method to condition "
                "generation without retraining the model. By post-hoc learning latent "
                "constraints, value functions that identify regions in latent space that "
                "generate outputs with desired attributes, we can conditionally sample from "
                "these regions with gradient-based optimization or amortized actor functions. "
                'Combining attribute constraints with a universal "realism" constraint, which '
                "enforces similarity to the data distribution, we generate realistic "
                "conditional images from an unconditional variational autoencoder. Further, "
                "using gradient-based optimization, we demonstrate identity-preserving "
                "transformations that make the minimal adjustment in latent space to modify "
                "the attributes of an image. Finally, with discrete sequences of musical notes, "
                "we demonstrate zero-shot conditional generation, learning latent constraints "
                "in the absence of labeled data or a differentiable reward function. Code with "
                "dedicated cloud instance has been made publicly available."
            ),
            versions=[_d("2017-11-15T19:53:25"), _d("2017-12-21T01:47:26")],
            categories=["cs.LG", "stat.ML"],
        ),
        Paper(
            id="1802.02550",
            title="Semi-Amortized Variational Autoencoders",
            authors=_authors(
                "Yoon Kim", "Sam Wiseman", "Andrew C. Miller", "David Sontag", "Alexander M. Rush"
            ),
            abstract=(
                "Amortized variational inference (AVI) replaces instance-specific local "
                "inference with a global inference network. While AVI has enabled efficient "
                "training of deep generative models such as variational autoencoders (VAE), "
                "recent empirical work suggests that inference networks can produce suboptimal "
                "variational parameters. We propose a hybrid approach, to use AVI to initialize "
                "the variational parameters and run stochastic variational inference (SVI) to "
                "refine them. Crucially, the local SVI procedure is itself differentiable, so "
                "the inference network and generative model can be trained end-to-end with "
                "gradient-based optimization. This semi-amortized approach enables the use of "
                "rich generative models without experiencing the posterior-collapse phenomenon "
                "common in training VAEs for problems like text generation. Experiments show "
                "this approach outperforms strong autoregressive and variational baselines on "
                "standard text and image datasets."
            ),
            versions=[
                _d("2018-02-07T18:12:40"),
                _d("2018-02-20T16:03:10"),
                _d("2018-07-23T17:13:52"),
            ],
            categories=["stat.ML", "cs.CL", "cs.LG"],
            comment="ICML 2018",
        ),
        Paper(
            id="1804.01118",
            title="Synthesizing Programs for Images using Reinforced Adversarial Learning",
            authors=[
                ("Yaroslav Ganin", "MILA"),
                ("Tejas Kulkarni", "DeepMind"),
                ("Igor Babuschkin", "DeepMind"),
                ("S. M. Ali Eslami", "DeepMind"),
                ("Oriol Vinyals", "DeepMind"),
            ],
            abstract=(
                "Advances in deep generative networks have led to impressive results in recent "
                "years. Nevertheless, such models can often waste their capacity on the "
                "minutiae of datasets, presumably due to weak inductive biases in their "
                "decoders. This is where graphics engines may come in handy since they abstract "
                "away low-level details and represent images as high-level programs. Current "
                "methods that combine deep learning and renderers are limited by hand-crafted "
                "likelihood or distance functions, a need for large amounts of supervision, or "
                "difficulties in scaling their inference algorithms to richer datasets. To "
                "mitigate these issues, we present SPIRAL, an adversarially trained agent that "
                "generates a program which is executed by a graphics engine to interpret and "
                "sample images. The goal of this agent is to fool a discriminator network that "
                "distinguishes between real and rendered data, trained with a distributed "
                "reinforcement learning setup without any supervision. A surprising finding is "
                "that using the discriminator's output as a reward signal is the key to allow "
                "the agent to make meaningful progress at matching the desired output "
                "rendering. To the best of our knowledge, this is the first demonstration of an "
                "end-to-end, unsupervised and adversarial inverse graphics agent on challenging "
                "real world (MNIST, Omniglot, CelebA) and synthetic 3D datasets."
            ),
            versions=[_d("2018-04-03T18:14:58")],
            categories=["cs.CV", "cs.LG", "stat.ML"],
            comment="12 pages, 13 figures",
        ),
        # Synthetic entries below: plausible shapes, invented content.
        Paper(
            id="hep-th/9901001",
            title="Boundary States and Orbifold Projections in Two-Dimensional Conformal Field "
            "Theory",
            authors=_authors("A. N. Example", "B. Placeholder"),
            abstract=(
                "We construct boundary states for $\\mathbb{Z}_N$ orbifolds of compact bosons "
                "and show that the Cardy condition fixes the fractional brane charges. The "
                "open-string spectrum between fractional branes is computed and compared with "
                "the projected closed-string exchange."
            ),
            versions=[_d("1999-01-01T12:00:00"), _d("1999-03-15T09:30:00")],
            categories=["hep-th"],
            journal_ref="Nucl. Phys. B 550 (1999) 123-145",
            comment="LaTeX, 24 pages",
        ),
        Paper(
            id="math/0309136",
            title="Surgery Presentations of Knot Complements and Their Invariants",
            authors=_authors("C. D. Sample"),
            abstract=(
                "We give explicit surgery presentations for complements of two-bridge knots and "
                "use them to compute quantum invariants at roots of unity."
            ),
            versions=[_d("2003-09-08T16:00:00"), _d("2004-02-02T10:00:00")],
            categories=["math.GT", "math.QA"],
        ),
        Paper(
            id="2103.04567",
            title="Gödel, Łukasiewicz and $\\ell_p$-Sensitivity: Tight $\\mathcal{O}(n \\log n)$ "
            "Bounds for Émile's Sampler",
            authors=[
                ("José Ñúñez-García", "Universidad de Sevilla"),
                ("Zoë Łukasiewicz", None),
                ("Søren Ødegård", "Københavns Universitet"),
                ("李华", "清华大学"),
                ("Ahmet Yılmaz", None),
            ],
            abstract=(
                "Let $f:\\{0,1\\}^n \\to \\mathbb{R}$ with $\\|f\\|_p \\le 1$. We show that "
                "Émile's sampler needs $\\Theta(n \\log n)$ queries when $p < 2$ & "
                "$\\Omega(n^{2})$ otherwise -- answering a question of Ølgaard. Our proof uses "
                "a Fourier–Walsh decomposition and \\emph{hypercontractivity}."
            ),
            versions=[_d("2021-03-08T11:22:33")],
            categories=["cs.DS", "math.PR"],
            comment="19 pages; v1",
        ),
        Paper(
            id="1905.01234",
            title="Gravitational-Wave Constraints on Dark Sectors with Light Mediators",
            authors=_authors("E. F. Tester", "G. H. Mock", "I. J. Stub"),
            abstract=(
                "We derive constraints on dark sectors coupled through light mediators from the "
                "stochastic gravitational-wave background."
            ),
            versions=[_d("2019-05-03T08:00:00"), _d("2019-09-30T14:45:00")],
            categories=["hep-ph", "astro-ph.CO", "gr-qc"],
            doi="10.1103/PhysRevD.100.063001",
            journal_ref="Phys. Rev. D 100, 063001 (2019)",
            comment="9 pages, 4 figures; matches published version",
        ),
        # The papers of the example posts in examples/_posts (abstracts as the posts
        # summarise them, so a synced catalog checks those posts clean).
        Paper(
            id="1611.01578",
            title="Neural Architecture Search with Reinforcement Learning",
            authors=_authors("Barret Zoph", "Quoc V. Le"),
            abstract=(
                "A recurrent network generates descriptions of neural networks and is trained "
                "with reinforcement learning to maximise the accuracy of the generated "
                "architectures on a validation set."
            ),
            versions=[_d("2016-11-05T00:15:14"), _d("2017-02-15T05:28:05")],
            categories=["cs.LG", "cs.AI", "cs.NE"],
        ),
        Paper(
            id="1709.07417",
            title="Neural Optimizer Search with Reinforcement Learning",
            authors=_authors("Irwan Bello", "Barret Zoph", "Vijay Vasudevan", "Quoc V. Le"),
            abstract=(
                "A controller network searches a domain-specific language of update rules, "
                "discovering optimizers such as PowerSign and AddSign that transfer across tasks."
            ),
            versions=[_d("2017-09-21T17:54:04"), _d("2017-09-22T18:14:41")],
            categories=["cs.AI", "cs.LG", "stat.ML"],
            comment="ICML 2017 Conference paper",
        ),
        Paper(
            id="1802.03268",
            title="Efficient Neural Architecture Search via Parameter Sharing",
            authors=_authors(
                "Hieu Pham", "Melody Y. Guan", "Barret Zoph", "Quoc V. Le", "Jeff Dean"
            ),
            abstract=(
                "Child models share weights inside one large computational graph, which makes "
                "architecture search a thousand times cheaper than standard neural "
                "architecture search."
            ),
            versions=[_d("2018-02-09T14:12:51"), _d("2018-02-12T03:54:00")],
            categories=["cs.LG", "cs.CL", "cs.CV", "cs.NE", "stat.ML"],
        ),
        Paper(
            id="1412.6572",
            title="Explaining and Harnessing Adversarial Examples",
            authors=_authors("Ian J. Goodfellow", "Jonathon Shlens", "Christian Szegedy"),
            abstract=(
                "Several machine learning models consistently misclassify adversarial "
                "examples; the paper argues that their linear nature is the primary cause and "
                "introduces the fast gradient sign method for generating them."
            ),
            versions=[
                _d("2014-12-20T01:17:12"),
                _d("2015-02-25T20:30:34"),
                _d("2015-03-20T20:19:16"),
            ],
            categories=["stat.ML", "cs.LG"],
        ),
        Paper(
            id="1706.06083",
            title="Towards Deep Learning Models Resistant to Adversarial Attacks",
            authors=_authors(
                "Aleksander Madry",
                "Aleksandar Makelov",
                "Ludwig Schmidt",
                "Dimitris Tsipras",
                "Adrian Vladu",
            ),
            abstract=(
                "Adversarial robustness is studied through robust optimization, giving a "
                "principled view of attacks and defenses and networks trained with projected "
                "gradient descent that resist a wide range of attacks."
            ),
            versions=[_d("2017-06-19T17:53:06"), _d("2019-09-04T13:45:36")],
            categories=["stat.ML", "cs.LG", "cs.NE"],
        ),
    ]
    corpus = {p.id: p for p in papers}
    for paper in _shared_corpus_preprints():
        corpus.setdefault(paper.id, paper)
    return corpus


def _shared_corpus_preprints() -> list[Paper]:
    """The arXiv preprints of the shared works corpus (tests/fixtures/works.py) that the
    list above does not hold, so title search finds what Crossref and DBLP know too."""
    from tests.fixtures.works import WORKS

    out = []
    for work in WORKS:
        if not work.arxiv:
            continue
        yymm = work.arxiv.split(".")[0]
        first = datetime(2000 + int(yymm[:2]), int(yymm[2:]), 10, 17, 0, 0, tzinfo=UTC)
        out.append(
            Paper(
                id=work.arxiv,
                title=work.title,
                authors=_authors(*(p.name for p in work.authors)),
                abstract=work.abstract or f"The abstract of {work.title}.",
                versions=[first, first + timedelta(days=40)],
                categories=["cs.CL", "cs.LG"] if work.acl else ["cs.LG", "stat.ML"],
                comment=f"{work.venue} {work.year}" if work.venue else None,
            )
        )
    return out


def synthetic_papers(n: int, start: int = 1, yymm: str = "2101") -> dict[str, Paper]:
    """``n`` generated papers with ids ``<yymm>.00001`` onwards, for sync and load tests."""
    out: dict[str, Paper] = {}
    base = datetime(2000 + int(yymm[:2]), int(yymm[2:]), 1, 9, 0, 0, tzinfo=UTC)
    for i in range(start, start + n):
        pid = f"{yymm}.{i:05d}"
        versions = [base + timedelta(hours=i)]
        for _ in range(i % 3):  # a third each of v1, v2, v3
            versions.append(versions[-1] + timedelta(days=30))
        out[pid] = Paper(
            id=pid,
            title=f"Synthetic Study {i} of Generative Models for Reading Group Catalogs",
            authors=_authors(f"Author {i} One", f"Author {i} Two"),
            abstract=f"This is the abstract of synthetic paper number {i}. " * 3,
            versions=versions,
            categories=["cs.LG", "stat.ML"] if i % 2 else ["cs.CL"],
            doi=f"10.5555/synthetic.{i}" if i % 5 == 0 else None,
        )
    return out


# --- rendering ---------------------------------------------------------------------------------

ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
)
_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")
_OLD_ID = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}")


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrap(text: str, width: int, indent: str) -> str:
    # arXiv's titles and abstracts come with hard line breaks and leading spaces.
    # Like arXiv, break at spaces only (never inside "variables---continuous").
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    return f"\n{indent}".join(lines)


def _render_entry(paper: Paper, version: int, flavour: int) -> str:
    vid = f"{paper.id}v{version}"
    parts = {
        "id": f"    <id>http://arxiv.org/abs/{vid}</id>\n",
        "dates": (
            f"    <updated>{_stamp(paper.versions[version - 1])}</updated>\n"
            f"    <published>{_stamp(paper.versions[0])}</published>\n"
        ),
        "title": f"    <title>{escape(_wrap(paper.title, 60, '  '))}</title>\n",
        "summary": f"    <summary>  {escape(_wrap(paper.abstract, 78, ''))}\n</summary>\n",
        "authors": "".join(
            "    <author>\n"
            f"      <name>{escape(name)}</name>\n"
            + (f"      <arxiv:affiliation>{escape(aff)}</arxiv:affiliation>\n" if aff else "")
            + "    </author>\n"
            for name, aff in paper.authors
        ),
        "extra": (
            (f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>\n" if paper.doi else "")
            + (
                f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>\n"
                if paper.journal_ref
                else ""
            )
            + (
                f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>\n"
                if paper.comment
                else ""
            )
        ),
        "links": (
            f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>\n'
            f'    <link title="pdf" href="https://arxiv.org/pdf/{vid}" rel="related" '
            'type="application/pdf"/>\n'
            + (
                f'    <link title="doi" href={quoteattr("https://doi.org/" + paper.doi)} '
                'rel="related"/>\n'
                if paper.doi
                else ""
            )
        ),
        "categories": (
            f'    <arxiv:primary_category term="{paper.categories[0]}" '
            'scheme="http://arxiv.org/schemas/atom"/>\n'
            + "".join(
                f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>\n'
                for c in paper.categories
            )
        ),
    }
    orders = [
        ["id", "dates", "title", "summary", "authors", "extra", "links", "categories"],
        ["id", "title", "dates", "authors", "summary", "links", "categories", "extra"],
        ["dates", "id", "title", "summary", "authors", "categories", "links", "extra"],
    ]
    body = "".join(parts[key] for key in orders[flavour % len(orders)])
    return f"  <entry>\n{body}  </entry>\n"


def render_feed(entries: list[str], total: int, start: int, query: str) -> bytes:
    now = _stamp(datetime.now(UTC))
    head = (
        ATOM_HEAD + f'  <link href={quoteattr("https://arxiv.org/api/query?" + query)} rel="self" '
        'type="application/atom+xml"/>\n'
        + f'  <title type="html">ArXiv Query: {escape(query)}</title>\n'
        + f"  <id>http://arxiv.org/api/{zlib.crc32(query.encode()):010d}</id>\n"
        + f"  <updated>{now}</updated>\n"
        + f'  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"{total}</opensearch:totalResults>\n"
        + f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        + f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
    )
    return (head + "".join(entries) + "</feed>\n").encode("utf-8")


def render_error_feed(bad: list[tuple[str, str]]) -> bytes:
    """arXiv's 400 answer: one entry per (id, message)."""
    now = _stamp(datetime.now(UTC))
    entries = []
    for _ident, message in bad:  # the message names the id, as arXiv's does
        anchor = "https://arxiv.org/api/errors#" + re.sub(r"\s+", "_", message.strip())
        entries.append(
            "  <entry>\n"
            f"    <id>{escape(anchor)}</id>\n"
            "    <title>Error</title>\n"
            f"    <summary>{escape(message)}</summary>\n"
            f"    <updated>{now}</updated>\n"
            f'    <link href={quoteattr(anchor)} rel="alternate" type="text/html"/>\n'
            "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
            "  </entry>\n"
        )
    head = (
        ATOM_HEAD
        + '  <link href="https://arxiv.org/api/query" rel="self" type="application/atom+xml"/>\n'
        + '  <title type="html">ArXiv Query: error</title>\n'
        + "  <id>https://arxiv.org/api/errors</id>\n"
        + f"  <updated>{now}</updated>\n"
        + f"  <opensearch:totalResults>{len(entries)}</opensearch:totalResults>\n"
        + "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        + f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
    )
    return (head + "".join(entries) + "</feed>\n").encode("utf-8")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1611.00712v1</id>
<title>&lol9;</title><updated>2016-11-02T15:55:39Z</updated></entry></feed>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feed [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1611.00712v1</id>
<title>&xxe;</title><updated>2016-11-02T15:55:39Z</updated></entry></feed>
"""

# --- server ------------------------------------------------------------------------------------


@dataclass
class _Chaos:
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    fail_503_rate: float = 0.0
    truncated_rate: float = 0.0
    empty_rate: float = 0.0
    reset_rate: float = 0.0


class ArxivStandIn(StandIn):
    """The stand-in server. Use as a context manager, or call :meth:`start` / :meth:`stop`."""

    name = "arxiv"

    def __init__(
        self,
        corpus: dict[str, Paper] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.corpus: dict[str, Paper] = default_corpus() if corpus is None else dict(corpus)
        self.error_ids: dict[str, str | None] = {}
        self.missing_ids: set[str] = set()
        self._chaos = _Chaos()
        super().__init__(host, port)

    @property
    def url(self) -> str:
        """The query endpoint, for ``CATALOG_ARXIV_URL`` / ``ArxivClient(base_url=...)``."""
        return f"{self.base}/api/query"

    def start(self) -> ArxivStandIn:
        super().start()
        return self

    def __enter__(self) -> ArxivStandIn:
        return self.start()

    # -- switches

    def set_chaos(
        self,
        seed: int = 0,
        fail_503_rate: float = 0.0,
        truncated_rate: float = 0.0,
        empty_rate: float = 0.0,
        reset_rate: float = 0.0,
    ) -> None:
        with self._lock:
            self._chaos = _Chaos(
                random.Random(seed), fail_503_rate, truncated_rate, empty_rate, reset_rate
            )

    def add_papers(self, papers: dict[str, Paper] | Iterable[Paper]) -> None:
        items = papers.values() if isinstance(papers, dict) else papers
        with self._lock:
            for paper in items:
                self.corpus[paper.id] = paper

    # -- how arXiv answers

    def chaos_fault(self) -> str:
        c = self._chaos
        for word, rate in (
            ("503", c.fail_503_rate),
            ("truncated", c.truncated_rate),
            ("empty", c.empty_rate),
            ("reset", c.reset_rate),
        ):
            if rate and c.rng.random() < rate:
                return word
        return "ok"

    def request_ids(self, request: Request) -> tuple[str, ...]:
        return tuple(_split_ids(request.params))

    def special(self, word: str, arg: str, request: Request) -> Answer | None:
        if word == "garbage":
            return Answer(200, b"\x00\xffnot xml at all", ATOM)
        if word in ("billion", "xxe"):
            return Answer(200, BILLION_LAUGHS if word == "billion" else EXTERNAL_ENTITY, ATOM)
        if word == "empty":
            return Answer(200, render_feed([], 0, 0, request.query), ATOM)
        if word == "partial":
            trimmed = dict(request.params)
            trimmed["max_results"] = ["1"]
            status, body, _ = self._answer(trimmed, request.query)
            return Answer(status, body, ATOM)
        return None

    def answer(self, request: Request) -> Answer:
        if not request.path.rstrip("/").endswith("/query"):
            return Answer(404, b"not found", "text/plain")
        status, body, _ = self._answer(request.params, request.query)
        return Answer(status, body, ATOM)

    def _answer(self, params: dict[str, list[str]], query: str) -> tuple[int, bytes, int]:
        """(status, body, number of entries) for a normal answer to ``params``."""
        if params.get("search_query"):
            return self._search(params, query)
        ids = _split_ids(params)
        with self._lock:
            error_ids = dict(self.error_ids)
            missing = set(self.missing_ids)
            corpus = self.corpus
        bad: list[tuple[str, str]] = []
        for ident in ids:
            if not (_NEW_ID.fullmatch(_strip_v(ident)) or _OLD_ID.fullmatch(_strip_v(ident))):
                bad.append((ident, f"incorrect id format for {ident}"))
            elif ident in error_ids or _strip_v(ident) in error_ids:
                msg = error_ids.get(ident) or error_ids.get(_strip_v(ident))
                bad.append((ident, msg or f"incorrect id format for {ident}"))
        if bad:
            return 400, render_error_feed(bad), 0
        start = _int(params, "start", 0)
        max_results = _int(params, "max_results", 10)
        found: list[tuple[Paper, int]] = []
        seen: set[str] = set()
        for ident in ids:
            bare = _strip_v(ident)
            key = _api_key(bare)
            if key in seen or bare in missing or key in missing:
                continue
            paper = corpus.get(key)
            if paper is None:
                continue
            m = re.search(r"v(\d+)$", ident)
            version = int(m.group(1)) if m else paper.version
            if not 1 <= version <= paper.version:
                continue
            seen.add(key)
            found.append((paper, version))
        page = found[start : start + max_results]
        entries = [_render_entry(p, v, i) for i, (p, v) in enumerate(page)]
        return 200, render_feed(entries, len(found), start, query), len(entries)

    def _search(self, params: dict[str, list[str]], query: str) -> tuple[int, bytes, int]:
        """``search_query=ti:"a phrase" AND ti:word``: papers whose title holds every
        phrase (its words in a row, case and punctuation ignored), best fit first."""
        raw = params["search_query"][0]
        phrases = [
            _words(quoted or bare)
            for quoted, bare in re.findall(r'ti:\s*(?:"([^"]*)"|(\S+))', raw, re.I)
        ]
        phrases = [p for p in phrases if p]
        if not phrases:
            return 400, render_error_feed([("", f"malformed search query {raw!r}")]), 0
        with self._lock:
            papers = [p for p in self.corpus.values() if p.id not in self.missing_ids]
        hits = []
        for paper in papers:
            title = _words(paper.title)
            if all(_contains(title, phrase) for phrase in phrases):
                hits.append((len(title), paper))
        hits.sort(key=lambda hit: hit[0])  # the shortest title holding the phrase first
        start = _int(params, "start", 0)
        max_results = _int(params, "max_results", 10)
        page = [paper for _, paper in hits[start : start + max_results]]
        entries = [_render_entry(p, p.version, i) for i, p in enumerate(page)]
        return 200, render_feed(entries, len(hits), start, query), len(entries)


ATOM = "application/atom+xml; charset=utf-8"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def _strip_v(ident: str) -> str:
    return re.sub(r"v\d+$", "", ident)


def _api_key(bare: str) -> str:
    # arXiv answers old-style ids without subject class: math.GT/0309136 -> math/0309136.
    if "/" in bare:
        archive, number = bare.split("/", 1)
        return f"{archive.split('.', 1)[0]}/{number}"
    return bare


def _split_ids(params: dict[str, list[str]]) -> list[str]:
    raw = ",".join(params.get("id_list", []))
    return [part.strip() for part in raw.split(",") if part.strip()]


def _int(params: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return max(0, int(params.get(name, [str(default)])[0]))
    except ValueError:
        return default


def main(argv: list[str] | None = None) -> None:
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--synthetic", type=int, default=0, help="add N synthetic papers")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--fail-503-rate", type=float, default=0.0)
        parser.add_argument("--truncated-rate", type=float, default=0.0)
        parser.add_argument("--empty-rate", type=float, default=0.0)
        parser.add_argument("--reset-rate", type=float, default=0.0)

    def make(args: argparse.Namespace) -> ArxivStandIn:
        server = ArxivStandIn(host=args.host, port=args.port)
        if args.synthetic:
            server.add_papers(synthetic_papers(args.synthetic))
        server.set_chaos(
            args.seed, args.fail_503_rate, args.truncated_rate, args.empty_rate, args.reset_rate
        )
        return server

    def banner(server: StandIn) -> str:
        assert isinstance(server, ArxivStandIn)
        return (
            f"arXiv stand-in at {server.url} ({len(server.corpus)} papers); Ctrl-C stops it\n"
            "  (--port 0 picks a free port)\n"
            f"  CATALOG_ARXIV_URL={server.url} CATALOG_ARXIV_DELAY=0 ..."
        )

    run_standalone(
        "Loopback stand-in for arXiv's query API", make, banner, argv, add_arguments=add_arguments
    )


if __name__ == "__main__":
    main()
