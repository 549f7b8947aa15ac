"""Importers: read other formats into plain records for the store.

* :mod:`catalog.importers.bib` - ``read_bib(text, path) -> BibImport`` for .bib files.

Modules are imported by their users (``from catalog.importers.bib import read_bib``), so
importing this package stays free of bibtexparser and pylatexenc.
"""
