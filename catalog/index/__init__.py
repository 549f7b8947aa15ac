"""The local arXiv index: arXiv's metadata, harvested over OAI-PMH or loaded from the
published snapshot, kept apart from the group's papers.

Modules, in the direction data flows:

* :mod:`catalog.index.http` — polite GETs to the OAI-PMH endpoint (the one network module);
* :mod:`catalog.index.oai` — ``ListRecords`` pages parsed (arXivRaw and arXiv formats);
* :mod:`catalog.index.snapshot` — the JSON-lines snapshot, plain, gzip or zip, streamed;
* :mod:`catalog.index.harvest` — incremental, resumable harvests and snapshot loads;
* :mod:`catalog.index.store` — :class:`~catalog.index.store.ArxivIndex`: storage, state,
  status, and the lookup API (:mod:`catalog.index.lookup`): ``get``, ``get_many``,
  ``by_title``, ``search``;
* :mod:`catalog.index.schema` — where the index lives and its own migration chain.

Nothing is imported here, so ``import catalog.index`` stays cheap.
"""
