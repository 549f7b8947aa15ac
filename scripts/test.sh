#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, type check, tests on SQLite and PostgreSQL.
# Extra arguments go to pytest (e.g. scripts/test.sh -k check -x).
set -euo pipefail
EXTRAS="dev" source "$(dirname "$0")/bootstrap.sh"
.venv/bin/ruff check catalog tests benchmarks
.venv/bin/mypy
# pytest exits 5 when it collects no test: that is a failure here too (set -e).
.venv/bin/python -m pytest -p no:cacheprovider -n auto "$@"
