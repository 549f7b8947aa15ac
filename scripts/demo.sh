#!/usr/bin/env bash
# The main job on the embedded default database (db/catalog.sqlite):
# install (with the web extra), import the example posts, check them, export a reading list.
set -euo pipefail
EXTRAS="web" source "$(dirname "$0")/bootstrap.sh"
run() { echo "\$ $*" >&2; "$@"; }
run .venv/bin/catalog import examples/_posts
run .venv/bin/catalog check examples/_posts
run .venv/bin/catalog list
run .venv/bin/catalog export bibtex -o reading-list.bib
run .venv/bin/catalog export markdown --session 2018-07-31-generative -o 2018-07-31-generative.md
echo "done: see db/catalog.sqlite and exports/; browse it: .venv/bin/catalog serve" >&2
