"""RDF graphs written in the formats the server offers, the same way for documents and for
SPARQL ``CONSTRUCT`` answers (JSON-LD compacted with the project's context, like the dump)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from ..vocab import PREFIXES

OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
WRITER_PREFIXES = {p: ns for p, ns in PREFIXES.items() if p != "id"}


def graph(triples: Iterable[ox.Triple], name: str, context: dict[str, Any]) -> bytes:
    """``triples`` in the format named ``name`` (a ``conneg.Format`` name)."""
    triples = list(triples)
    if name == "jsonld":
        from ..export import jsonld

        text = bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
        return jsonld(sorted(line for line in text.split("\n") if line), context)
    output = ox.serialize(triples, format=OX_FORMATS[name], prefixes=WRITER_PREFIXES)
    return bytes(output or b"")
