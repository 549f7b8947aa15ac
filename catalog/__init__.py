"""catalog: a paper catalog and bibliography manager for research reading groups."""

__version__ = "0.1.0"
