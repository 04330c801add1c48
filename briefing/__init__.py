"""make-brief: sourced policy briefs from news articles, every quote verified."""

__version__ = "0.1.0"
