"""Content negotiation in one place: one table of formats, one q-value-aware Accept parser.

A client's ``Accept`` header (RFC 9110 §12.5.1) is matched against what a resource offers;
the most specific matching range sets each offer's quality, the best quality wins, and ties go
to the order of the offers (the server's preference). Browsers ask for ``text/html`` first and
get HTML; ``curl`` and other clients that send ``*/*`` (or nothing) get the first offer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """A format a resource can be had in: its name, file suffix and media types."""

    name: str
    suffix: str
    media_type: str
    aliases: tuple[str, ...] = ()

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


TURTLE = Format("turtle", "ttl", "text/turtle", ("application/x-turtle",))
HTML = Format("html", "html", "text/html", ("application/xhtml+xml",))
JSONLD = Format("jsonld", "jsonld", "application/ld+json", ("application/json",))
NTRIPLES = Format("ntriples", "nt", "application/n-triples", ("text/plain",))
RDFXML = Format("rdfxml", "rdf", "application/rdf+xml", ("application/xml", "text/xml"))

#: The formats of a resource's description, in the server's order of preference.
RESOURCE_FORMATS: tuple[Format, ...] = (TURTLE, HTML, JSONLD, NTRIPLES, RDFXML)

SPARQL_JSON = Format("json", "srj", "application/sparql-results+json", ("application/json",))
SPARQL_XML = Format("xml", "srx", "application/sparql-results+xml", ("application/xml", "text/xml"))
SPARQL_CSV = Format("csv", "csv", "text/csv")
SPARQL_TSV = Format("tsv", "tsv", "text/tab-separated-values")

#: The formats of SELECT and ASK results, JSON first.
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
#: The formats of CONSTRUCT and DESCRIBE results and of the service description.
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES, RDFXML)


def by_suffix(suffix: str, offers: Sequence[Format] = RESOURCE_FORMATS) -> Format | None:
    """The format a file suffix (``ttl``) or a ``?format=`` value (``ttl``, ``turtle``) names."""
    return next((f for f in offers if suffix in (f.suffix, f.name)), None)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their qualities; no header means ``*/*``."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media_range = fields[0].lower()
        if "/" not in media_range:
            continue
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range, quality))
    return ranges


def _quality(media_type: str, ranges: Sequence[tuple[str, float]]) -> tuple[int, float]:
    """(specificity, quality) of the most specific range matching ``media_type``, or (-1, 0)."""
    kind = media_type.split("/")[0]
    best = (-1, 0.0)
    for media_range, quality in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, quality)
    return best


def negotiate(header: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The offer the client prefers, or None when it accepts none of them (answer 406).
    Clients send the same few headers again and again: the answers to headers of up to
    ``KEPT_HEADER`` characters are kept (``KEPT_ANSWERS`` of them, the least recently used
    dropped first), so a request usually costs a look-up, not a parse."""
    if header is not None and len(header) > KEPT_HEADER:
        return _negotiate(header, offers)
    return _kept(header, offers)


#: The longest Accept header whose answer is kept, and how many answers are kept: at most
#: some 0.3 MB, however many distinct headers clients send.
KEPT_HEADER = 512
KEPT_ANSWERS = 512


def _negotiate(header: str | None, offers: tuple[Format, ...]) -> Format | None:
    ranges = parse_accept(header)
    best: Format | None = None
    best_quality = 0.0
    for offer in offers:
        quality = max(_quality(t, ranges)[1] for t in offer.media_types)
        if quality > best_quality:
            best, best_quality = offer, quality
    return best


_kept = functools.lru_cache(maxsize=KEPT_ANSWERS)(_negotiate)
