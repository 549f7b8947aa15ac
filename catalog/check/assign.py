"""The assignment problem behind footnote matching: rows to footnotes, most score in all.

Pairs that score 0 are not candidates, so the problem is sparse: it falls apart into
connected components (a row, the footnotes it could be about, the other rows those
could be about, ...), each solved on its own. Most components are trivial (one row,
one footnote); small ones are solved exactly here (the Hungarian method, O(n³));
only a component larger than :data:`SMALL` imports scipy's
:func:`~scipy.optimize.linear_sum_assignment`, whose import costs more than a whole
``catalog check`` of one post.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["CITED_BONUS", "SMALL", "assign", "assign_sparse"]

# A row keeps the footnote it already cites when scores tie.
CITED_BONUS = 0.001
# Components up to this many rows and footnotes (each) are solved in pure Python.
SMALL = 60


def assign(
    scores: Sequence[Sequence[float]], cited: Sequence[Sequence[bool]] | None = None
) -> dict[int, int]:
    """Row index -> footnote index, maximising the total score over pairs scoring > 0.

    ``cited[i][j]`` marks pairs where row i already cites footnote j; they win ties.
    """
    edges = {
        (i, j): s
        for i, row in enumerate(scores)
        for j, s in enumerate(row)
        if s > 0
    }
    marked = {(i, j) for (i, j) in edges if cited is not None and cited[i][j]}
    return assign_sparse(edges, marked)


def assign_sparse(
    edges: Mapping[tuple[int, int], float], cited: Iterable[tuple[int, int]] = ()
) -> dict[int, int]:
    """Like :func:`assign`, for the pairs in ``edges`` ((row, footnote) -> score > 0)."""
    if not edges:
        return {}
    bonus = set(cited)
    weight = {e: s + (CITED_BONUS if e in bonus else 0.0) for e, s in edges.items() if s > 0}
    out: dict[int, int] = {}
    for rows, cols, pairs in _components(weight):
        if len(pairs) == 1:
            ((i, j),) = pairs
            out[i] = j
            continue
        out.update(_solve(rows, cols, {e: weight[e] for e in pairs}))
    return out


def _components(
    weight: Mapping[tuple[int, int], float],
) -> list[tuple[list[int], list[int], list[tuple[int, int]]]]:
    """Connected components of the bipartite graph of candidate pairs."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for i, j in weight:
        a, b = find(("r", i)), find(("c", j))
        if a != b:
            parent[a] = b
    groups: dict[tuple[str, int], tuple[set[int], set[int], list[tuple[int, int]]]] = {}
    for i, j in weight:
        rows, cols, pairs = groups.setdefault(find(("r", i)), (set(), set(), []))
        rows.add(i)
        cols.add(j)
        pairs.append((i, j))
    return [(sorted(r), sorted(c), p) for r, c, p in groups.values()]


def _solve(
    rows: list[int], cols: list[int], weight: Mapping[tuple[int, int], float]
) -> dict[int, int]:
    """The best assignment of one component (pairs outside ``weight`` score 0)."""
    transpose = len(rows) > len(cols)
    if transpose:  # the Hungarian method below wants no more rows than columns
        rows, cols = cols, rows
        weight = {(j, i): s for (i, j), s in weight.items()}
    cost = [[-weight.get((i, j), 0.0) for j in cols] for i in rows]
    if len(cols) <= SMALL:
        picked = _hungarian(cost)
    else:
        from scipy.optimize import linear_sum_assignment  # lazy: a heavy import

        r, c = linear_sum_assignment(cost)
        picked = [-1] * len(rows)
        for a, b in zip(r, c, strict=True):
            picked[int(a)] = int(b)
    out: dict[int, int] = {}
    for a, b in enumerate(picked):
        if b < 0:
            continue
        i, j = rows[a], cols[b]
        if weight.get((i, j), 0.0) <= 0:
            continue  # paired only to fill the square: not a match
        if transpose:
            out[j] = i
        else:
            out[i] = j
    return out


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Column of each row in a minimum-cost assignment (n rows <= m columns).

    The shortest-augmenting-path form of the Hungarian method with potentials
    (Kuhn-Munkres, as in Jonker & Volgenant), O(n² m).
    """
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j]: the row (1-based) holding column j; 0 = free
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            row = cost[i0 - 1]
            ui = u[i0]
            delta = inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = row[j - 1] - ui - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while True:  # augment along the path found
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
            if j0 == 0:
                break
    picked = [-1] * n
    for j in range(1, m + 1):
        if owner[j]:
            picked[owner[j] - 1] = j - 1
    return picked
