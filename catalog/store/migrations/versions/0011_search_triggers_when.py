"""PostgreSQL: the search index's row triggers (0006) test ``catalog.defer_search_index``
in their WHEN, so a bulk write that sets it queues no trigger event and calls no
function a row; the function's own test stays for callers of it.

0006's triggers called ``paper_search_trigger()`` for every row and returned at once
while a bulk write (catalog.store.search.bulk_index) had them deferred: a .bib import of
20,000 entries wrote 120,000 rows and made as many calls; an AFTER trigger's WHEN is
evaluated as the row is written, and a false one leaves no event to fire. Other writes
are indexed as before (the setting is off: the WHEN holds). SQLite: nothing changes.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_DEFER = "catalog.defer_search_index"  # catalog.store.search._PG_DEFER
_WHEN = f"WHEN (current_setting('{_DEFER}', true) IS DISTINCT FROM 'on')"
# 0006's triggers, as 0006 made them.
_TRIGGERS = {
    "paper_search_paper": "AFTER INSERT OR UPDATE OF title ON paper",
    "paper_search_paper_author": "AFTER INSERT OR UPDATE OR DELETE ON paper_author",
    "paper_search_abstract": "AFTER INSERT OR UPDATE OF paper_id, text OR DELETE ON abstract",
    "paper_search_author": "AFTER UPDATE OF name ON author",
}


def _recreate(when: str) -> None:
    for name, event in _TRIGGERS.items():
        table = event.rsplit(" ON ", 1)[1]
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH ROW {when}"
            " EXECUTE FUNCTION paper_search_trigger()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(_WHEN)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("")
