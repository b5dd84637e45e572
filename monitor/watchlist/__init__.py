"""Watchlist: which watched entities (brands, products, people, topics) a text mentions.

Public API: `Watchlist.compile(entities)` then `watchlist.match(MatchDoc(...))`; the query
language is described in `monitor.watchlist.query` (`describe_syntax()`). jieba feeding
lives in `monitor.watchlist.jieba_dict` (not imported here, so importing this package
does not import jieba). Nothing here reads configuration or touches the database.
"""

from classifiers.normalise import normalise
from monitor.watchlist.matcher import EntitySpec, MatchDoc, Watchlist
from monitor.watchlist.query import QuerySyntaxError, describe_syntax, parse_query

__all__ = [
    "EntitySpec",
    "MatchDoc",
    "QuerySyntaxError",
    "Watchlist",
    "describe_syntax",
    "normalise",
    "parse_query",
]
