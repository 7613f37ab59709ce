"""Validate the graph against the SHACL shapes and say what is wrong in plain words.

pySHACL runs on the rdflib graph (linear at scale, STYLE.md) with the ontology mixed in, so
``sh:class`` sees ``rdfs:subClassOf`` without inference. Violations make the graph not conform;
warnings (no Wikidata link, sources disagree) are reported and do not. Each finding names the
entity by its label, the property by its label, and the data file and line it came from.
SHACL: https://www.w3.org/TR/shacl/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .errors import ProjectError
from .vocab import bind_prefixes


@dataclass(frozen=True, order=True)
class Finding:
    """One SHACL result, readable: severity, entity, property, message, and where it came from."""

    severity: str
    focus: str
    label: str
    path: str
    path_iri: str
    message: str
    value: str
    component: str
    origin: str

    def line(self) -> str:
        where = f" [{self.origin}]" if self.origin else ""
        prop = f" {self.path}:" if self.path else ""
        return f"{self.severity}: {self.label}{prop} {self.message}{where}"


@dataclass(frozen=True)
class Report:
    """The outcome of a validation; conforms when there is no violation."""

    findings: tuple[Finding, ...]

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "Violation")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "Warning")

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        head = (
            "the graph conforms to the shapes"
            if self.conforms
            else f"the graph does not conform: {len(self.violations)} violation(s)"
        )
        lines = [f.line() for f in self.findings]
        summary = f"{head}; {len(self.warnings)} warning(s)"
        return "\n".join([*lines, summary])


def load_graph(path: Path) -> Graph:
    """Parse a Turtle file of the project (ontology, shapes), raising ProjectError if unusable."""
    if not path.is_file():
        raise ProjectError(f"{path}: file not found")
    try:
        return bind_prefixes(Graph()).parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser exception types
        raise ProjectError(f"{path}: not valid Turtle: {exc}") from exc


def validate(
    graph: Graph, shapes: Graph, ontology: Graph, origins: Mapping[URIRef, str] | None = None
) -> Report:
    """Validate ``graph`` and return the readable report (never raises for non-conformance)."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    data = _PreparedQueryGraph()
    for triple in graph:
        data.add(triple)
    try:
        _, results, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            allow_warnings=True,
            meta_shacl=True,
            inplace=True,  # mixes the ontology into our private copy, not the caller's graph
        )
    except ReportableRuntimeError as exc:
        raise ProjectError(f"the SHACL shapes are not valid: {exc.message}") from exc
    if not isinstance(results, Graph):  # pySHACL returns a ValidationFailure for bad shapes
        raise ProjectError(f"the SHACL shapes are not valid: {results}")
    names = _Names(graph, ontology)
    findings = [
        _finding(results, result, names, origins or {})
        for result in results.subjects(RDF.type, SH.ValidationResult)
    ]
    return Report(tuple(sorted(findings, key=lambda f: (f.severity != "Violation", f))))


@lru_cache(maxsize=256)
def _prepared(text: str) -> Any:
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL runs a SPARQL-based constraint once per focus node, passing the same text each
    time, and rdflib parses a query string on every call (~40 ms, several times the
    evaluation): with the parsed query reused, validation runs about three times faster
    (bench/bench.py).
    """

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str) and not kwargs.get("initNs"):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


class _Names:
    """Readable names: a node's label, or a CURIE; a property's ontology label."""

    def __init__(self, data: Graph, ontology: Graph) -> None:
        self.data, self.ontology = data, ontology

    def node(self, node: Node) -> str:
        label = self.data.value(node, RDFS.label) or self.ontology.value(node, RDFS.label)
        if label is not None:
            return str(label)
        return self.curie(node)

    def curie(self, node: Node) -> str:
        if isinstance(node, URIRef):
            try:
                return self.data.namespace_manager.curie(node, generate=False)
            except (KeyError, ValueError):
                return f"<{node}>"
        if isinstance(node, Literal):
            return (
                repr(str(node))
                if node.datatype is None
                else f"{node} ({self.curie(node.datatype)})"
            )
        return str(node)


def _finding(results: Graph, result: Node, names: _Names, origins: Mapping[URIRef, str]) -> Finding:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    severity = results.value(result, SH.resultSeverity)
    component = results.value(result, SH.sourceConstraintComponent)
    message = results.value(result, SH.resultMessage)
    kind = "Violation"
    if severity == SH.Warning:
        kind = "Warning"
    elif severity == SH.Info:
        kind = "Info"
    text = str(message) if message is not None else "does not satisfy its shape"
    if value is not None and component is not None and "{" not in text and str(value) not in text:
        text += f" (value: {names.curie(value)})"
    return Finding(
        severity=kind,
        focus=str(focus),
        label=names.node(focus) if focus is not None else "?",
        path=names.node(path) if isinstance(path, URIRef) else "",
        path_iri=str(path) if isinstance(path, URIRef) else "",
        message=text,
        value=names.curie(value) if value is not None else "",
        component=str(component).rsplit("#", 1)[-1] if component is not None else "",
        origin=origins.get(focus, "") if isinstance(focus, URIRef) else "",
    )
