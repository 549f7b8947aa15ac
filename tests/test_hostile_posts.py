"""``catalog check`` and ``catalog import`` of one hostile file end within 2 s of CPU and
200 MB of address space (import: 2 s beyond its own start-up, measured in the same run on
a one-row post, since loading the ORM alone costs about a second on a loaded machine).

Each command runs in its own process with those resource limits (RLIMIT_CPU, RLIMIT_AS):
a command that went over would be killed (SIGXCPU) or fail to allocate, and the test
would see it. CPU time rather than wall time, so a busy machine does not fail the test;
the wall-clock timeout only catches a hang. Bytecode goes to a temporary cache that a
first, unlimited run fills, so the limits measure the command, not Python's compiler.
"""

from __future__ import annotations

import json
import math
import os
import random
import resource
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.posts.frontmatter import MAX_YAML_NODES
from catalog.posts.parse import MAX_FOOTNOTES, MAX_POST_BYTES
from catalog.posts.tables import MAX_POST_ROWS, MAX_TABLE_ROWS

CPU_SECONDS = 2
ADDRESS_SPACE = 200 * 2**20
HANG = 120  # seconds of wall time after which the command is taken to hang

WORDS = (
    "learning neural network deep generative adversarial variational inference graph "
    "attention transformer robust sparse efficient stochastic gradient optimization "
    "representation latent discrete continuous policy reinforcement bayesian kernel "
    "convolutional recurrent memory program synthesis search architecture meta few shot "
    "contrastive self supervised diffusion flow energy causal fairness privacy federated"
).split()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    cpu: float  # CPU seconds the command used (user + system)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    cache = tmp_path_factory.mktemp("pycache")
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ["PYTHONPYCACHEPREFIX"] = str(cache)
    yield environ


def catalog(
    env: dict[str, str], db: Path, *args: str, limited: bool = True, cpu: int = CPU_SECONDS
) -> Run:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "catalog", "--db", str(db), *args],
        capture_output=True, text=True, timeout=HANG, env=env,
        preexec_fn=limits if limited else None,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert done.returncode >= 0, f"killed by signal {-done.returncode}: {done.stderr[-500:]}"
    return Run(done.returncode, done.stdout, done.stderr, used)


def title(rng: random.Random) -> str:
    return " ".join(w.capitalize() for w in rng.sample(WORDS, rng.randint(4, 8)))


def alias_bomb() -> bytes:
    lines = ["---", "title: Alias bomb", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":  # nine levels: 6 * 9**8 values once expanded
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines += ["---", "", "| Presenter | Papers |", "| --- | --- |", "| Ann | Deep Sets |", ""]
    return "\n".join(lines).encode()


def long_line() -> bytes:
    return b"---\ntitle: One long line\n---\n\n" + b"[a](" * (10 * 2**20 // 4) + b"\n"


def many_rows(n: int, seed: int = 3) -> bytes:
    """A table of ``n`` rows whose references are rotated by one."""
    rng = random.Random(seed)
    titles = [f"{title(rng)} {i}" for i in range(n)]
    lines = ["---", "title: Many rows", "---", "", "| Presenter | Papers | Paper URL |",
             "| --- | --- | --- |"]
    for i, t in enumerate(titles):
        link = f"[PDF](https://arxiv.org/abs/1801.{i:05d})"
        lines.append(f"| P{i % 7} | {t} [^{(i + 1) % n}] | {link} |")
    lines.append("")
    for i, t in enumerate(titles):
        lines += [f"[^{i}]: <sub><sup> {t}, Ann Lee / ICML18 / Paper {i}. </sup></sub>", ""]
    return "\n".join(lines).encode()


def many_footnotes() -> bytes:
    rng = random.Random(5)
    lines = ["---", "title: Many footnotes", "---", "", "| Presenter | Papers |", "| --- | --- |"]
    titles = [title(rng) for _ in range(10_000)]
    for i in range(5):
        lines.append(f"| P{i} | {titles[i * 997]} [^{i}] |")
    lines.append("")
    for i, t in enumerate(titles):
        lines.append(f"[^{i}]: {t} / Ann Lee / Paper {i}.")
    return "\n".join(lines).encode()


def too_many_footnotes() -> bytes:
    lines = ["---", "title: Tiny footnotes", "---", "", "| Presenter | Papers |",
             "| --- | --- |", "| Ann | Deep Sets [^1] |", ""]
    return "\n".join(lines + [f"[^{i}]: A B" for i in range(MAX_FOOTNOTES * 7)]).encode()


def many_tables() -> bytes:
    """Tables of MAX_TABLE_ROWS rows each, more than a post may have in all."""
    lines = ["---", "title: Many tables", "---", ""]
    for t in range(MAX_POST_ROWS // MAX_TABLE_ROWS + 3):
        lines += ["| Presenter | Papers | Paper URL |", "| --- | --- | --- |"]
        lines += [f"| A{i} | Paper {t}x{i} on Sets [^{t}x{i}] | [PDF](https://x.org/{i}) |"
                  for i in range(MAX_TABLE_ROWS)]
        lines.append("")
    return "\n".join(lines).encode()


def crlf() -> bytes:
    text = (
        "---\ntitle: CRLF\n---\n\n| Presenter | Papers | Paper URL |\n| --- | --- | --- |\n"
        "| Ann | Deep Sets [^2] | [PDF](https://arxiv.org/abs/1703.06114) |\n"
        "| Bo | Set Transformer [^1] | [PDF](https://arxiv.org/abs/1810.00825) |\n\n"
        "[^1]: Deep Sets, Manzil Zaheer / NIPS17 / We study sets.\n\n"
        "[^2]: Set Transformer, Juho Lee / ICML19 / Attention over sets.\n"
    )
    return text.replace("\n", "\r\n").encode()


def bom() -> bytes:
    return b"\xef\xbb\xbf" + crlf().replace(b"\r\n", b"\n").replace(b"CRLF", b"BOM")


SHAPES = {
    "alias-bomb": alias_bomb,
    "10mb-line": long_line,
    "3000-rows": lambda: many_rows(3000),
    "10000-footnotes": many_footnotes,
    "too-many-footnotes": too_many_footnotes,
    "many-tables": many_tables,
    "binary": lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 256,
    "nul-bytes": lambda: (
        b"---\ntitle: NUL\n---\n\n| Presenter | Papers |\n| --- | --- |\n| A\x00 | B |\n"
    ),
    "crlf": crlf,
    "bom": bom,
}


@pytest.fixture(scope="module")
def posts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = {}
    for name, make in SHAPES.items():
        path = folder / f"2019-01-01-{name}.md"
        path.write_bytes(make())
        out[name] = path
    return out


@pytest.fixture(scope="module")
def empty_catalog(
    env: dict[str, str], posts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    db = tmp_path_factory.mktemp("db") / "catalog.sqlite"
    # Unlimited: create the schema, and fill the bytecode cache for the runs below.
    assert catalog(env, db, "db", "upgrade", limited=False).code == 0
    assert catalog(env, db, "import", "--dry-run", str(posts["crlf"]), limited=False).code == 0
    assert catalog(env, db, "check", str(posts["crlf"]), limited=False).code == 1
    return db


@pytest.fixture(scope="module")
def import_cpu(
    env: dict[str, str], empty_catalog: Path, tmp_path_factory: pytest.TempPathFactory
) -> int:
    """The CPU limit of an import: 2 s beyond what importing a one-row post costs here."""
    folder = tmp_path_factory.mktemp("small")
    small = folder / "2019-01-01-small.md"
    small.write_text("---\ntitle: Small\n---\n\n| Presenter | Paper |\n| --- | --- |\n"
                     "| Ann | A Small Paper |\n", encoding="utf-8")
    db = folder / "catalog.sqlite"
    startup = []
    for _ in range(3):
        db.write_bytes(empty_catalog.read_bytes())
        run = catalog(env, db, "import", str(small), limited=False)
        assert run.code == 0, run.stderr
        startup.append(run.cpu)
    return CPU_SECONDS + math.ceil(sorted(startup)[1])


def findings(run: Run) -> list[tuple[int, str]]:
    return [(f["line"], f["code"]) for f in json.loads(run.stdout)["findings"]]


EXPECTED_CHECK = {
    "alias-bomb": (1, [(7, "frontmatter-invalid")]),
    "too-many-footnotes": (1, [(1, "file-too-large")]),
    "10mb-line": (1, [(1, "file-too-large")]),
    "3000-rows": (1, [(5, "table-too-large")]),
    "crlf": (1, [(7, "footnote-mismatch"), (8, "footnote-mismatch")]),
    "bom": (1, [(7, "footnote-mismatch"), (8, "footnote-mismatch")]),
}


@pytest.mark.parametrize("where", ["no-catalog", "catalog"])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_check_of_a_hostile_file_is_bounded(
    name: str, where: str, posts: dict[str, Path], env: dict[str, str], empty_catalog: Path,
    tmp_path: Path,
) -> None:
    # Without a catalog (pre-commit on a fresh clone), and with one, whose read path
    # is then asked about every arXiv link the post holds.
    db = empty_catalog if where == "catalog" else tmp_path / "none.sqlite"
    before = empty_catalog.read_bytes()
    run = catalog(env, db, "check", str(posts[name]), "--format", "json")
    assert empty_catalog.read_bytes() == before  # check only reads the catalog
    if name in ("binary", "nul-bytes"):
        assert run.code == 2
        assert f"{posts[name]}: not a text file (NUL byte on line" in run.stderr
        assert "posts are UTF-8 Markdown" in run.stderr
        return
    if name == "many-tables":
        assert run.code == 1
        found = findings(run)
        skipped = [line for line, code in found if code == "table-too-large"]
        assert len(skipped) == 3  # the tables past MAX_POST_ROWS; the first ones are read
        assert sum(code == "footnote-undefined" for _, code in found) == MAX_POST_ROWS
        return
    if name == "10000-footnotes":
        assert run.code == 1
        found = findings(run)
        assert found.count((7, "footnote-mismatch")) == 0  # row 1 cites its own footnote
        assert sum(code == "footnote-unused" for _, code in found) == 10_000 - 5
        assert sum(code == "footnote-mismatch" for _, code in found) == 4
        return
    code, expected = EXPECTED_CHECK[name]
    assert (run.code, findings(run)) == (code, expected)
    assert not (tmp_path / "none.sqlite").exists()  # check never creates a catalog


def test_messages_of_the_limits(
    posts: dict[str, Path], env: dict[str, str], empty_catalog: Path, tmp_path: Path
) -> None:
    db = tmp_path / "none.sqlite"
    bomb = catalog(env, db, "check", str(posts["alias-bomb"]))
    assert f"{posts['alias-bomb']}:7:8: frontmatter-invalid " in bomb.stdout
    assert (f"front matter is not valid YAML: aliases expand the front matter to more than "
            f"{MAX_YAML_NODES:,} values (an alias bomb?)") in bomb.stdout
    big = catalog(env, db, "check", str(posts["10mb-line"]))
    assert (f"file-too-large post is {posts['10mb-line'].stat().st_size:,} bytes, more than "
            f"the {MAX_POST_BYTES:,} that check and import read; it is skipped") in big.stdout
    rows = catalog(env, db, "check", str(posts["3000-rows"]))
    assert (f"table-too-large table has 3,000 rows, more than the {MAX_TABLE_ROWS:,} that "
            "check and import read; it is skipped (split it)") in rows.stdout
    assert rows.stdout.count("\n") == 2  # one finding and the summary: its refs still count
    notes = catalog(env, db, "check", str(posts["too-many-footnotes"]))
    assert (f"file-too-large post has {MAX_FOOTNOTES * 7:,} footnotes, more than the "
            f"{MAX_FOOTNOTES:,} that check and import read; it is skipped") in notes.stdout
    tables = catalog(env, db, "check", str(posts["many-tables"]))
    assert (f"table-too-large table has {MAX_TABLE_ROWS:,} rows; with the {MAX_POST_ROWS:,} "
            f"above it, the post has more than the {MAX_POST_ROWS:,} that check and import "
            "read; it is skipped (split the post)") in tables.stdout


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_import_of_a_hostile_file_is_bounded(
    name: str, posts: dict[str, Path], env: dict[str, str], empty_catalog: Path, tmp_path: Path,
    import_cpu: int,
) -> None:
    db = tmp_path / "catalog.sqlite"
    db.write_bytes(empty_catalog.read_bytes())
    run = catalog(env, db, "import", str(posts[name]), cpu=import_cpu)
    if name in ("crlf", "bom", "10000-footnotes"):
        assert run.code == 0, run.stderr
        assert "1 post: 1 added" in run.stderr
        return
    assert run.code == 1
    assert "0 posts: 0 added, 0 updated, 0 unchanged, 1 failed" in run.stderr
    reason = {
        "alias-bomb": "line 7: front matter is not valid YAML: aliases expand",
        "10mb-line": "line 1: post is 10,485,",
        "3000-rows": "line 5: table has 3,000 rows",
        "too-many-footnotes": f"line 1: post has {MAX_FOOTNOTES * 7:,} footnotes",
        "many-tables": f"line {2 * (MAX_TABLE_ROWS + 3) + 5}: table has 1,000 rows; with the "
        "2,000 above it",
        "binary": "not a text file (NUL byte on line 3)",
        "nul-bytes": "not a text file (NUL byte on line 7)",
    }[name]
    assert f"catalog: error: {posts[name]}: {reason}" in run.stderr


def test_a_full_table_whose_references_are_all_rotated(
    env: dict[str, str], empty_catalog: Path, tmp_path: Path
) -> None:
    # The largest table check reads, every reference moved: the assignment is solved
    # for all of it, within the same limits.
    post = tmp_path / "2019-01-01-rotated.md"
    post.write_bytes(many_rows(MAX_TABLE_ROWS))
    run = catalog(env, tmp_path / "none.sqlite", "check", str(post), "--format", "json")
    found = json.loads(run.stdout)["findings"]
    assert run.code == 1
    assert [f["code"] for f in found] == ["footnote-mismatch"] * MAX_TABLE_ROWS
    assert all(f["suggest"] == str(k) for k, f in enumerate(found))
