"""Natural-language feedback -> typed edit commands (pipeline.edits), offline and rule-based.

`parse(text, catalog)` splits the feedback into clauses, understands each with small rules
(attributes like pace or aspect; references like "the one with the car" resolved against the
project's files, analysis tags, contributors and the parent plan's shots) and says what it
understood and what it didn't.
"""

from conversation.refinement.catalog import Catalog, Entry, build_catalog
from conversation.refinement.parser import ParseResult, Question, parse

__all__ = ["Catalog", "Entry", "ParseResult", "Question", "build_catalog", "parse"]
