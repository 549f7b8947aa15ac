"""The assignment solver: as good as scipy's on any matrix, and scipy only when needed."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from catalog.check.assign import SMALL, assign, assign_sparse

scores = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.integers(min_value=1, max_value=12).flatmap(
        lambda m: st.lists(
            st.lists(
                st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1.0)),
                min_size=m, max_size=m,
            ),
            min_size=n, max_size=n,
        )
    )
)


def best_total(matrix: list[list[float]]) -> float:
    rows, cols = linear_sum_assignment([[-x for x in row] for row in matrix])
    return sum(matrix[i][j] for i, j in zip(rows, cols, strict=True))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(scores)
def test_total_is_optimal_and_pairs_are_real(matrix: list[list[float]]) -> None:
    got = assign(matrix)
    assert len(set(got.values())) == len(got)  # each footnote to one row at most
    assert all(matrix[i][j] > 0 for i, j in got.items())  # no pair that scored 0
    assert abs(sum(matrix[i][j] for i, j in got.items()) - best_total(matrix)) < 1e-9


def test_ties_go_to_the_cited_pair() -> None:
    assert assign([[0.9, 0.9], [0.9, 0.9]], [[False, True], [True, False]]) == {0: 1, 1: 0}
    assert assign_sparse({(0, 0): 0.8, (1, 0): 0.8}, [(1, 0)]) == {1: 0}


def test_components_are_solved_apart() -> None:
    # Two independent swaps and a lone pair: three components.
    edges = {(0, 1): 1.0, (1, 0): 1.0, (0, 0): 0.2, (5, 7): 0.9, (2, 3): 0.8, (3, 2): 0.8}
    assert assign_sparse(edges) == {0: 1, 1: 0, 5: 7, 2: 3, 3: 2}


def test_large_component_uses_scipy_and_small_ones_do_not() -> None:
    code = (
        "import sys\n"
        "from catalog.check.assign import assign_sparse\n"
        "n = int(sys.argv[1])\n"
        "edges = {(i, j): 1.0 - abs(i - j) / (2 * n) for i in range(n) for j in range(n)}\n"
        "assert assign_sparse(edges) == {i: i for i in range(n)}\n"
        "print('scipy' in sys.modules)\n"
    )
    small = subprocess.run([sys.executable, "-c", code, str(SMALL)], capture_output=True,
                           text=True, check=True)
    large = subprocess.run([sys.executable, "-c", code, str(SMALL + 1)], capture_output=True,
                           text=True, check=True)
    assert (small.stdout.strip(), large.stdout.strip()) == ("False", "True")
