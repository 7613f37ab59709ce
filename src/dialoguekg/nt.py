"""RDF terms as N-Triples text: the build writes the graph as lines, pyoxigraph reads them.

Writing N-Triples ourselves keeps the build free of per-triple Python RDF objects (rdflib
needs ~1.35 KB a triple, STYLE.md); a line is a string, sorted and deduplicated as one, and
pyoxigraph parses them at Rust speed. N-Triples: https://www.w3.org/TR/n-triples/
"""

from __future__ import annotations

from .vocab import XSD

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def iri(value: str) -> str:
    """``<value>``: the reader has checked that every IRI it passes on is a valid one."""
    return f"<{value}>"


def literal(text: str, *, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal: plain (xsd:string), language-tagged (tag lower-cased) or typed."""
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.translate(_ESCAPES)
    quoted = '"' + text + '"'
    if lang:
        return f"{quoted}@{lang.lower()}"
    if datatype and datatype != XSD.string:
        return f"{quoted}^^<{datatype}>"
    return quoted


def line(subject: str, predicate: str, obj: str) -> str:
    """One N-Triples statement (terms already written), without its newline."""
    return f"{subject} {predicate} {obj} ."
