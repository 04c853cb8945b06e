"""fanzha (反诈): an anti-fraud governance platform for internet services."""

__version__ = "0.1.0"
