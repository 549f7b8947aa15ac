# Sourced by the other scripts: make .venv (Python >= 3.11) and install catalog into it.
# EXTRAS picks the optional dependencies ("" for the tool alone, "dev" for tests and lint).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$candidate; break
    fi
  done
fi
[ -n "$PY" ] || { echo "catalog needs Python 3.11 or newer" >&2; exit 2; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
spec="."
[ -n "${EXTRAS:-}" ] && spec=".[${EXTRAS}]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
