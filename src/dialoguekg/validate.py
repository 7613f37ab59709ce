"""Validate the graph against the SHACL shapes and say what is wrong in plain words.

Two engines give the same findings (a test holds them to it on every shape case and on the real
graph): ``fast``, the shapes compiled to whole-graph SPARQL on pyoxigraph (``shacl``), linear
at a million triples; and ``pyshacl``, the reference implementation, on an rdflib copy of the
graph with the ontology mixed in, so ``sh:class`` sees ``rdfs:subClassOf`` without inference.
Violations make the graph not conform; warnings (no Wikidata link, sources disagree) are
reported and do not. Each finding names the entity by its label, the property by its label,
and the data file and line it came from.
SHACL: https://www.w3.org/TR/shacl/
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .errors import ProjectError
from .shacl import RawResult, Shapes, Term, plain
from .sources import HEDGES
from .vocab import DKG, ONTOLOGY_IRI, PROV, RDF, RDFS, XSD, curie

if TYPE_CHECKING:
    import rdflib

ENGINES = ("fast", "pyshacl")


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

    def text(self, verbose: bool = False) -> str:
        """Every violation; the warnings one line each with ``verbose``, else summed up."""
        head = (
            "the graph conforms to the shapes"
            if self.conforms
            else f"the graph does not conform: {len(self.violations)} violation(s)"
        )
        shown = self.findings if verbose else self.violations
        lines = [f.line() for f in shown]
        if not verbose:
            lines += self.summary()
        summary = f"{head}; {len(self.warnings)} warning(s)"
        return "\n".join([*lines, summary])

    def summary(self) -> list[str]:
        """One line per kind of warning and kind of entity, most frequent first."""
        groups: dict[tuple[str, str, str], int] = {}
        for finding in self.warnings:
            key = (_kind_of(finding.focus), finding.path, finding.message.split(":", 1)[0])
            groups[key] = groups.get(key, 0) + 1
        lines = [
            f"Warning: {kind}{' ' + path if path else ''}: {message} ({n})"
            for (kind, path, message), n in sorted(groups.items(), key=lambda g: (-g[1], g[0]))
        ]
        if lines:
            lines.append("(--verbose lists every warning with its file and line)")
        return lines


def _kind_of(focus: str) -> str:
    """The kind of entity an IRI of the graph names (``…/id/person/x`` → person)."""
    rest = focus.split("/id/", 1)[1] if "/id/" in focus else ""
    return rest.split("/", 1)[0] if "/" in rest else "resource"


def validate(
    data: ox.Store,
    shapes_file: Path,
    origins: Mapping[str, str] | None = None,
    *,
    engine: str = "fast",
) -> Report:
    """Validate the graph in ``data``'s default graph (the ontology in its named graph) and
    return the readable report; never raises for non-conformance."""
    if engine not in ENGINES:
        raise ProjectError(f"unknown validation engine {engine!r}; choose one of {ENGINES}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        disagreeing = pool.submit(disagreements, data)
        if engine == "fast":
            raw = compiled_shapes(shapes_file).validate(data)
        else:
            raw = _pyshacl(data, shapes_file)
        raw += disagreeing.result()
    names = _Names(data)
    findings = [_finding(r, names, origins or {}) for r in raw]
    return Report(tuple(sorted(findings, key=lambda f: (f.severity != "Violation", f))))


def compiled_shapes(shapes_file: Path) -> Shapes:
    """The shapes file compiled for the fast engine (cached per file content)."""
    if not shapes_file.is_file():
        raise ProjectError(f"{shapes_file}: file not found")
    return _compile(shapes_file.read_bytes(), str(shapes_file))


@lru_cache(maxsize=4)
def _compile(text: bytes, name: str) -> Shapes:
    return Shapes(text, name)


# ---------------------------------------------------------------------------------------------
# Where sources disagree (a warning, the same for both engines)
# ---------------------------------------------------------------------------------------------

_CONFLICTS = f"""SELECT ?s ?p ?o ?other ?label ?other_label ?q ?other_q WHERE {{
    ?a <{DKG.conflictsWith}> ?b . FILTER (STR(?a) < STR(?b))
    ?a <{RDF.subject}> ?s ; <{RDF.predicate}> ?p ; <{RDF.object}> ?o ;
       <{PROV.wasDerivedFrom}> ?source .
    ?b <{RDF.object}> ?other ; <{PROV.wasDerivedFrom}> ?other_source .
    OPTIONAL {{ ?a <{DKG.countQualifier}> ?q }}
    OPTIONAL {{ ?b <{DKG.countQualifier}> ?other_q }}
    OPTIONAL {{ ?source <{RDFS.label}> ?label }}
    OPTIONAL {{ ?other_source <{RDFS.label}> ?other_label }} }}"""


def disagreements(data: ox.Store) -> list[RawResult]:
    """A warning for each two claims that conflict: the ``dkg:conflictsWith`` pairs the build
    found (``verdicts``: same fact, measure and status, values that cannot both be true)."""
    rows = data.query(_CONFLICTS)
    assert isinstance(rows, ox.QuerySolutions)
    found = {
        RawResult(
            "Warning",
            row["s"],
            row["p"],
            row["o"],
            "SourcesDisagree",
            f"sources disagree: {_hedged(row['o'], row['q'])} per {_shown(row['label'])}; "
            f"{_hedged(row['other'], row['other_q'])} per {_shown(row['other_label'])}",
        )
        for row in rows
    }
    return sorted(found, key=str)


def _hedged(value: Term, qualifier: Term | None) -> str:
    """A claimed value with its hedge, as the source printed it."""
    hedge = HEDGES.get(qualifier.value, "") if isinstance(qualifier, ox.NamedNode) else ""
    return hedge + _shown(value)


def _shown(term: Term | None) -> str:
    """A value or label as a message prints it."""
    if term is None:
        return "an unnamed source"
    return term.value if isinstance(term, ox.Literal | ox.NamedNode) else str(term)


# ---------------------------------------------------------------------------------------------
# The reference: pySHACL
# ---------------------------------------------------------------------------------------------


def load_graph(path: Path) -> rdflib.Graph:
    """Parse a Turtle file of the project with rdflib, raising ProjectError if unusable."""
    from rdflib import Graph

    if not path.is_file():
        raise ProjectError(f"{path}: file not found")
    try:
        return Graph().parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser exception types
        raise ProjectError(f"{path}: not valid Turtle: {exc}") from exc


def _pyshacl(data: ox.Store, shapes_file: Path) -> list[RawResult]:
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError
    from rdflib import Graph
    from rdflib.namespace import RDF as RDFLIB_RDF
    from rdflib.namespace import SH as RDFLIB_SH

    graph = _prepared_query_graph()()
    graph.parse(data=data.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    ontology = Graph().parse(
        data=data.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(ONTOLOGY_IRI)),
        format="nt",
    )
    try:
        _, results, _ = pyshacl.validate(
            graph,
            shacl_graph=load_graph(shapes_file),
            ont_graph=ontology,
            inference="none",
            allow_warnings=True,
            meta_shacl=True,
            inplace=True,  # mixes the ontology into our private copy
        )
    except ReportableRuntimeError as exc:
        raise ProjectError(f"the SHACL shapes are not valid: {exc.message}") from exc
    if not isinstance(results, Graph):  # pySHACL returns a ValidationFailure for bad shapes
        raise ProjectError(f"the SHACL shapes are not valid: {results}")
    out = []
    for result in results.subjects(RDFLIB_RDF.type, RDFLIB_SH.ValidationResult):

        def get(predicate: Any, result: Any = result) -> Any:
            return results.value(result, predicate)

        focus = _ox(get(RDFLIB_SH.focusNode))
        assert focus is not None
        path = get(RDFLIB_SH.resultPath)
        message = get(RDFLIB_SH.resultMessage)
        out.append(
            RawResult(
                severity=str(get(RDFLIB_SH.resultSeverity)).rsplit("#", 1)[-1],
                focus=focus,
                path=_ox(path) if path is not None else None,
                value=_ox(get(RDFLIB_SH.value)),
                component=str(get(RDFLIB_SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                message=str(message) if message is not None else "does not satisfy its shape",
            )
        )
    return out


def _ox(term: Any) -> Term | None:
    """An rdflib term as the pyoxigraph term the fast engine would report."""
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


@lru_cache(maxsize=256)
def _prepared(text: str) -> Any:
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


@lru_cache(maxsize=1)
def _prepared_query_graph() -> type[rdflib.Graph]:
    from rdflib import Graph

    class PreparedQueryGraph(Graph):
        """A graph that parses each distinct SPARQL text once: pySHACL runs a SPARQL-based
        constraint once per focus node with the same text, and rdflib parses a query string
        on every call (~40 ms, several times the evaluation)."""

        def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(query_object, str) and not kwargs.get("initNs"):
                query_object = _prepared(query_object)
            return super().query(query_object, *args, **kwargs)

    return PreparedQueryGraph


# ---------------------------------------------------------------------------------------------
# Naming findings (one implementation for both engines)
# ---------------------------------------------------------------------------------------------


class _Names:
    """Readable names: a node's label (data or ontology), or a CURIE."""

    def __init__(self, data: ox.Store) -> None:
        self.data = data
        self._paths: dict[Term, str] = {}

    def node(self, node: Term) -> str:
        if isinstance(node, ox.Literal):
            return self.curie(node)
        labels = sorted(
            plain(q.object)
            for q in self.data.quads_for_pattern(node, ox.NamedNode(RDFS.label), None, None)
        )
        return labels[0] if labels else self.curie(node)

    def path(self, path: Term) -> str:
        """A property's name: looked up once, as thousands of findings share a few paths."""
        name = self._paths.get(path)
        if name is None:
            name = self._paths[path] = self.node(path)
        return name

    @staticmethod
    def curie(node: Term) -> str:
        if isinstance(node, ox.NamedNode):
            return _curie(node.value)
        if isinstance(node, ox.Literal):
            if node.language or node.datatype.value == XSD.string:
                return repr(node.value)
            return f"{node.value} ({_curie(node.datatype.value)})"
        return str(node)


def _curie(iri: str) -> str:
    """``dkg:Meeting`` for a term of a known vocabulary; ``<iri>`` for anything else."""
    return curie(iri) or f"<{iri}>"


def _finding(result: RawResult, names: _Names, origins: Mapping[str, str]) -> Finding:
    text = result.message
    value = result.value
    if value is not None and "{" not in text and plain(value) not in text:
        text += f" (value: {names.curie(value)})"
    path = result.path
    return Finding(
        severity=result.severity,
        focus=plain(result.focus),
        label=names.node(result.focus),
        path=names.path(path) if isinstance(path, ox.NamedNode) else "",
        path_iri=path.value if isinstance(path, ox.NamedNode) else "",
        message=text,
        value=names.curie(value) if value is not None else "",
        component=result.component,
        origin=origins.get(result.focus.value, "")
        if isinstance(result.focus, ox.NamedNode)
        else "",
    )
