"""``catalog resolve``: find the papers the catalog knows only by a title or a link.

* :mod:`catalog.resolve.rule`: the evidence a candidate record is judged on, and the
  acceptance rule (readable on its own: no database, no network);
* :mod:`catalog.resolve.plan`: which papers to look for, and what the catalog knows of
  each (:class:`~catalog.resolve.rule.Known`);
* :mod:`catalog.resolve.run`: asking the sources (by identifier first, batched per
  source; then by title), judging, and storing each batch in its own transaction.

No click here: :mod:`catalog.cli.resolve` renders progress and the report.
"""
