"""SHACL shapes compiled to whole-graph SPARQL and evaluated on pyoxigraph: the fast validator.

pySHACL checks each constraint once per focus node; at a million triples that is hours. Here
each constraint of each shape becomes one SELECT over the whole graph that returns only the
violating focus nodes (and values), so validation costs a few index scans per constraint; the
``sh:maxCount`` bounds of a node shape's predicates are counted by one query (``_counts``: the
focus nodes scanned once, not once per predicate).
``validate.validate(..., engine="pyshacl")`` keeps pySHACL as the reference, and a test holds
both to the same findings on every shape case and on the real graph.

Supported (what ``ontology/shapes/shapes.ttl`` uses; anything else is refused with a
ProjectError naming the shape, so the fast path never silently skips a rule): targets
``sh:targetClass``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:targetNode``;
paths: predicates, ``sh:inversePath``, ``sh:alternativePath``, sequences;
``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:class``, ``sh:nodeKind``,
``sh:pattern``, ``sh:in``, ``sh:hasValue``, ``sh:or``, ``sh:qualifiedValueShape`` with
``sh:qualifiedMinCount`` / ``sh:qualifiedMaxCount``, and SPARQL-based constraints
(``sh:sparql`` with ``sh:select``). A SPARQL constraint runs once with ``$this`` free and is
joined with the targets, so write ``FILTER NOT EXISTS`` in it as ``OPTIONAL`` with
``FILTER (!BOUND(…))``: pyoxigraph runs that as a hash join and ``NOT EXISTS`` row by row (the
queries this module generates itself use ``MINUS``, which SHACL forbids in constraints, and
``NOT EXISTS`` only where each row's lookup is bound: ``sh:class``).
SHACL: https://www.w3.org/TR/shacl/
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox

from .errors import ProjectError
from .vocab import RDF, RDFS, SH

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class RawResult:
    """One validation result before naming: the terms a SHACL report would hold."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: Term
    path: Term | None
    value: Term | None
    component: str  # local name, e.g. "MinCountConstraintComponent"
    message: str


@dataclass(frozen=True)
class _Check:
    """One compiled constraint: its query and how to read its rows into results."""

    query: str
    severity: str
    component: str
    message: str | None
    path: Term | None
    node_value: bool = False  # the focus node is also the value (node-level constraints)
    sparql: bool = False  # a SPARQL-based constraint: path, value and message from the rows
    min_count: int = 0  # for a merged cardinality check: which bound ?n broke
    bounds: tuple[_Bound, ...] = ()  # the cardinalities counted by one query (``_counts``)


@dataclass(frozen=True)
class _Bound:
    """A ``sh:maxCount`` on a predicate, with the shape's ``sh:minCount`` if it has one, for
    the focus nodes ``targets`` selects: counted with every other bound whose targets are
    written the same (in practice, those of one node shape) in one query (``_counts``), which
    scans the focus nodes once instead of once per predicate."""

    targets: str
    path: ox.NamedNode
    min_count: int
    max_count: int | None
    severity: str
    message: str | None

    def broken(self, n: int) -> str | None:
        """The component a focus node with ``n`` values breaks, if any."""
        if n < self.min_count:
            return "MinCountConstraintComponent"
        if self.max_count is not None and n > self.max_count:
            return "MaxCountConstraintComponent"
        return None

    def condition(self, n: str) -> str:
        """The SPARQL condition for a count ``n`` of this predicate's values to break it."""
        parts = [f"{n} < {self.min_count}"] if self.min_count else []
        parts += [f"{n} > {self.max_count}"] if self.max_count is not None else []
        return f"(sameTerm(?_path, {self.path}) && ({' || '.join(parts)}))"


_SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_SUPPORTED = {
    SH.path, SH.property, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind,
    SH.pattern, SH.flags, SH["in"], SH.hasValue, SH["or"], SH.qualifiedValueShape,
    SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.sparql, SH.message, SH.severity, SH.name,
    SH.description, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
    SH.declare, SH.prefixes, SH.select, SH.deactivated, SH.order, SH.group,
    RDF.type, RDFS.label, RDFS.comment,
}  # fmt: skip


class Shapes:
    """A shapes graph read with pyoxigraph and compiled to one query per constraint."""

    def __init__(self, text: bytes | str, name: str = "shapes") -> None:
        self.name = name
        self.graph = ox.Store()
        try:
            self.graph.load(text, format=ox.RdfFormat.TURTLE)
        except SyntaxError as exc:
            raise ProjectError(f"{name}: not valid Turtle: {exc}") from exc
        self._fresh = 0
        self._subclasses: dict[str, list[str]] = {}
        self._check_declared()

    # -- reading the shapes graph --------------------------------------------------------------

    def _objects(self, node: Term, predicate: str) -> list[Term]:
        if isinstance(node, ox.Literal):
            return []
        found = self.graph.quads_for_pattern(node, ox.NamedNode(predicate), None, None)
        return sorted((q.object for q in found), key=str)

    def _value(self, node: Term, predicate: str) -> Term | None:
        values = self._objects(node, predicate)
        if len(values) > 1:
            raise ProjectError(f"{self.name}: {node} has several {predicate}")
        return values[0] if values else None

    def _int(self, node: Term, predicate: str) -> int | None:
        value = self._value(node, predicate)
        if value is None:
            return None
        if not isinstance(value, ox.Literal) or not value.value.isdigit():
            raise ProjectError(
                f"the SHACL shapes are not valid: {self.name}: {node} {predicate} "
                f"is not a whole number: {value}"
            )
        return int(value.value)

    def _list(self, node: Term) -> list[Term]:
        items: list[Term] = []
        while not (isinstance(node, ox.NamedNode) and node.value == RDF.nil):
            first = self._value(node, RDF.first)
            rest = self._value(node, RDF.rest)
            if first is None or rest is None:
                raise ProjectError(f"{self.name}: {node} is not a well-formed RDF list")
            items.append(first)
            node = rest
        return items

    def _message(self, shape: Term) -> str | None:
        messages = self._objects(shape, SH.message)
        return plain(messages[0]) if messages else None

    def _severity(self, shape: Term) -> str:
        severity = self._value(shape, SH.severity)
        return _SEVERITIES[severity.value] if isinstance(severity, ox.NamedNode) else "Violation"

    def _deactivated(self, shape: Term) -> bool:
        flag = self._value(shape, SH.deactivated)
        return isinstance(flag, ox.Literal) and flag.value == "true"

    def _check_supported(self, shape: Term) -> None:
        if isinstance(shape, ox.Literal):
            raise ProjectError(f"the SHACL shapes are not valid: {self.name}: {shape} as a shape")
        for quad in self.graph.quads_for_pattern(shape, None, None, None):
            if quad.predicate.value not in _SUPPORTED:
                raise ProjectError(
                    f"{self.name}: shape {shape} uses {quad.predicate.value}, which the fast "
                    f"validator does not support; use --engine pyshacl"
                )

    # -- compiling --------------------------------------------------------------------------

    def _check_declared(self) -> None:
        """Every declared shape, targeted or not, is one this engine can read."""
        for cls in (SH.NodeShape, SH.PropertyShape):
            for quad in self.graph.quads_for_pattern(
                None, ox.NamedNode(RDF.type), ox.NamedNode(cls), None
            ):
                self._check_supported(quad.subject)
                for predicate in (
                    SH.minCount,
                    SH.maxCount,
                    SH.qualifiedMinCount,
                    SH.qualifiedMaxCount,
                ):
                    self._int(quad.subject, predicate)

    def _compile(self) -> Iterator[_Check | _Bound]:
        shapes = {
            q.subject
            for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
            for q in self.graph.quads_for_pattern(None, ox.NamedNode(p), None, None)
        }
        for shape in sorted(shapes, key=str):
            if self._deactivated(shape):
                continue
            self._check_supported(shape)
            if self._objects(shape, SH.path):
                raise ProjectError(
                    f"{self.name}: the fast validator supports targets on node shapes only "
                    f"({shape} has a path); use --engine pyshacl"
                )
            targets = self._targets(shape)
            yield from self._constraints(shape, targets, None)
            for prop in self._objects(shape, SH.property):
                if self._deactivated(prop):
                    continue
                self._check_supported(prop)
                path = self._value(prop, SH.path)
                if path is None:
                    raise ProjectError(f"{self.name}: property shape {prop} has no sh:path")
                yield from self._constraints(prop, targets, path)
            for sparql in self._objects(shape, SH.sparql):
                yield self._sparql(shape, sparql, targets)

    def _targets(self, shape: Term) -> str:
        """A group pattern binding ?this to every focus node of ``shape``, once each."""
        classes = self._objects(shape, SH.targetClass)
        parts = [f"{{ {self._instances('?this', c)} }}" for c in classes]
        parts += [f"{{ ?this {p} [] }}" for p in self._objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ [] {p} ?this }}" for p in self._objects(shape, SH.targetObjectsOf)]
        parts += [f"{{ VALUES ?this {{ {n} }} }}" for n in self._objects(shape, SH.targetNode)]
        if len(parts) == 1 and len(classes) == 1 and len(self._classes(classes[0])) == 1:
            return parts[0]  # one class, no subclass: each instance once already
        return f"{{ SELECT DISTINCT ?this WHERE {{ {' UNION '.join(parts)} }} }}"

    def _path(self, path: Term) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(path, ox.NamedNode):
            return str(path)
        inverse = self._value(path, SH.inversePath)
        if inverse is not None:
            return f"^({self._path(inverse)})"
        alternatives = self._value(path, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self._path(p) for p in self._list(alternatives)) + ")"
        for predicate, suffix in (
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = self._value(path, predicate)
            if inner is not None:
                return f"({self._path(inner)}){suffix}"
        if self._value(path, RDF.first) is not None:
            return "(" + "/".join(self._path(p) for p in self._list(path)) + ")"
        raise ProjectError(f"{self.name}: {path} is not a SHACL path")

    def _classes(self, cls: Term) -> list[str]:
        """``cls`` and its subclasses."""
        if not isinstance(cls, ox.NamedNode):
            raise ProjectError(f"{self.name}: class {cls} is not an IRI")
        return self._subclasses.get(cls.value, [cls.value])

    def _instances(self, v: str, cls: Term, t: str | None = None) -> str:
        """A pattern binding ``v`` to instances of ``cls`` or of its subclasses (and ``t``, if
        given, to the class it has)."""
        classes = self._classes(cls)
        if len(classes) == 1 and t is None:
            return f"{v} <{RDF.type}> <{classes[0]}> ."
        t = t or self._var()
        return f"VALUES {t} {{ {' '.join(f'<{c}>' for c in classes)} }} {v} <{RDF.type}> {t} ."

    def _var(self) -> str:
        self._fresh += 1
        return f"?_v{self._fresh}"

    def _constraints(
        self, shape: Term, targets: str, path: Term | None
    ) -> Iterator[_Check | _Bound]:
        """The checks of one shape's core constraints, on the value nodes of ``path``
        (or on the focus node itself for a node shape)."""
        severity, message = self._severity(shape), self._message(shape)

        def check(
            component: str, where: str, node_value: bool = False, having: str | None = None
        ) -> _Check:
            if having is not None:  # cardinality: the focus node and the count, no value
                query = (
                    f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {targets} {where} }} "
                    f"GROUP BY ?this HAVING ({having})"
                )
            else:
                select = (
                    "?this"
                    if node_value or component == "MinCountConstraintComponent"
                    else "?this ?value"
                )
                query = f"SELECT DISTINCT {select} WHERE {{ {targets} {where} }}"
            return _Check(query, severity, component, message, path, node_value)

        if path is None:
            values, v, p = "", "?this", ""
        else:
            p = self._path(path)
            values, v = f"?this {p} ?value .", "?value"
        node_level = path is None
        min_count, max_count = self._int(shape, SH.minCount), self._int(shape, SH.maxCount)
        if isinstance(path, ox.NamedNode) and max_count is not None:
            yield _Bound(targets, path, min_count or 0, max_count, severity, message)
        elif min_count and max_count is not None:  # one query for both bounds
            both = check(
                "MaxCountConstraintComponent",
                f"OPTIONAL {{ ?this {p} ?value }}",
                having=f"COUNT(DISTINCT ?value) < {min_count} "
                f"|| COUNT(DISTINCT ?value) > {max_count}",
            )
            yield dataclasses.replace(both, min_count=min_count)
        elif min_count == 1:
            yield check(
                "MinCountConstraintComponent",
                f"OPTIONAL {{ ?this {p} ?_any }} FILTER (!BOUND(?_any))",
            )
        elif min_count:
            yield check(
                "MinCountConstraintComponent",
                f"OPTIONAL {{ ?this {p} ?value }}",
                having=f"COUNT(DISTINCT ?value) < {min_count}",
            )
        elif max_count is not None:
            yield check(
                "MaxCountConstraintComponent",
                f"?this {p} ?value .",
                having=f"COUNT(DISTINCT ?value) > {max_count}",
            )
        for component, expression in self._value_expressions(shape, v):
            yield check(component, f"{values} FILTER (!({expression}))", node_level)
        for cls in self._objects(shape, SH["class"]):
            t = self._var()
            # row by row, as each row's lookup is bound by its value: faster here than the
            # hash join of OPTIONAL and !BOUND (timed by hand at a million triples)
            where = f"{values} FILTER NOT EXISTS {{ {self._instances(v, cls, t)} }}"
            yield check("ClassConstraintComponent", where, node_level)
        for alternatives in self._objects(shape, SH["or"]):
            yield check("OrConstraintComponent", self._or(alternatives, values, v), node_level)
        qualified = self._value(shape, SH.qualifiedValueShape)
        if qualified is not None:
            yield from self._qualified(shape, qualified, p, check)

    def _value_expressions(self, shape: Term, v: str) -> Iterator[tuple[str, str]]:
        """(component, condition every value must meet) for the node-local constraints."""
        for datatype in self._objects(shape, SH.datatype):
            yield "DatatypeConstraintComponent", f"isLiteral({v}) && DATATYPE({v}) = {datatype}"
        for kind in self._objects(shape, SH.nodeKind):
            yield "NodeKindConstraintComponent", _NODE_KINDS[plain(kind)].format(v=v)
        for pattern in self._objects(shape, SH.pattern):
            flags = self._value(shape, SH.flags)
            flag_text = f", {flags}" if flags is not None else ""
            yield (
                "PatternConstraintComponent",
                f"!isBlank({v}) && REGEX(STR({v}), {pattern}{flag_text})",
            )
        for members in self._objects(shape, SH["in"]):
            yield "InConstraintComponent", self._in(self._list(members), v)
        for value in self._objects(shape, SH.hasValue):
            if self._value(shape, SH.path) is not None:
                raise ProjectError(
                    f"{self.name}: the fast validator supports sh:hasValue on a property shape "
                    f"only inside sh:or ({shape}); use --engine pyshacl"
                )
            yield "HasValueConstraintComponent", f"sameTerm({v}, {value})"

    @staticmethod
    def _in(members: list[Term], v: str) -> str:
        return (
            "(" + " || ".join(f"sameTerm({v}, {m})" for m in members) + ")" if members else "false"
        )

    def _expression(self, shape: Term, v: str) -> str | None:
        """The condition for ``v`` to conform to ``shape`` as one SPARQL expression, or None
        when the shape needs the graph (a path, a class, nested shapes)."""
        graph_based = (SH.path, SH["class"], SH["or"], SH.property, SH.qualifiedValueShape)
        if any(self._objects(shape, p) for p in graph_based):
            return None
        self._check_supported(shape)
        parts = [e for _, e in self._value_expressions(shape, v)]
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def _satisfying(self, shape: Term, v: str) -> str:
        """A group pattern binding ``v`` to nodes that conform to a property-based shape."""
        self._check_supported(shape)
        path = self._value(shape, SH.path)
        allowed = {SH.path, SH.minCount, SH.hasValue, SH.name, SH.message}
        used = {
            q.predicate.value
            for q in self.graph.quads_for_pattern(shape, None, None, None)  # type: ignore[arg-type]
        }
        value = self._value(shape, SH.hasValue)
        min_count = self._int(shape, SH.minCount)
        readable = (min_count == 1 and value is None) or (min_count is None and value is not None)
        if path is None or not used <= allowed or not readable:
            raise ProjectError(
                f"{self.name}: the fast validator supports, inside sh:or, node-local "
                f"constraints or [ sh:path P ; sh:minCount 1 ] and [ sh:path P ; sh:hasValue V ] "
                f"only ({shape}); use --engine pyshacl"
            )
        return f"{{ {v} {self._path(path)} {value if value is not None else self._var()} }}"

    def _or(self, alternatives: Term, values: str, v: str) -> str:
        """The rows whose value conforms to none of the alternatives."""
        shapes = self._list(alternatives)
        expressions = [self._expression(s, v) for s in shapes]
        if all(e is not None for e in expressions):
            return f"{values} FILTER (!({' || '.join(str(e) for e in expressions)}))"
        if values:
            raise ProjectError(
                f"{self.name}: the fast validator supports graph-based sh:or alternatives on "
                f"node shapes only ({alternatives}); use --engine pyshacl"
            )
        return " ".join(f"MINUS {self._satisfying(s, v)}" for s in shapes)

    def _qualified(
        self, shape: Term, qualified: Term, p: str, check: Callable[..., _Check]
    ) -> Iterator[_Check]:
        expression = self._expression(qualified, "?value")
        if expression is None:
            raise ProjectError(
                f"{self.name}: the fast validator supports node-local qualified value shapes "
                f"only ({shape}); use --engine pyshacl"
            )
        counted = f"OPTIONAL {{ ?this {p} ?value FILTER ({expression}) }}"
        for predicate, component, op in (
            (SH.qualifiedMinCount, "QualifiedMinCountConstraintComponent", "<"),
            (SH.qualifiedMaxCount, "QualifiedMaxCountConstraintComponent", ">"),
        ):
            bound = self._int(shape, predicate)
            if bound is not None:
                yield check(component, counted, having=f"COUNT(DISTINCT ?value) {op} {bound}")

    def _sparql(self, shape: Term, constraint: Term, targets: str) -> _Check:
        select = self._value(constraint, SH.select)
        if not isinstance(select, ox.Literal):
            raise ProjectError(f"{self.name}: SPARQL constraint of {shape} has no sh:select")
        prefixes = ""
        for ontology in self._objects(constraint, SH.prefixes):
            for declaration in self._objects(ontology, SH.declare):
                prefix, namespace = (
                    self._value(declaration, SH.prefix),
                    self._value(declaration, SH.namespace),
                )
                if prefix is not None and namespace is not None:
                    prefixes += f"PREFIX {plain(prefix)}: <{plain(namespace)}>\n"
        projection = select.value.partition("WHERE")[0]
        if not re.search(r"[$?]this\b|\*", projection):
            raise ProjectError(
                f"{self.name}: the SPARQL constraint of {shape} must select $this: the fast "
                f"validator runs it once for all focus nodes; use --engine pyshacl"
            )
        body = re.sub(r"\$this\b", "?this", select.value)
        query = f"{prefixes}SELECT * WHERE {{ {targets} {{ {body} }} }}"
        return _Check(
            query,
            self._severity(shape),
            "SPARQLConstraintComponent",
            self._message(constraint) or self._message(shape),
            None,
            node_value=True,
            sparql=True,
        )

    # -- evaluating -----------------------------------------------------------------------------

    def checks(self, data: ox.Store) -> list[_Check]:
        """The compiled checks, with every class expanded to its subclasses as ``data`` (all
        its graphs: the ontology's named graph too) declares them, as pySHACL's ``ont_graph``
        gives them to ``sh:class`` and ``sh:targetClass`` (compiled on a copy, so that one
        ``Shapes`` can serve several validations at once)."""
        compiler = copy.copy(self)
        compiler._subclasses = _subclass_closure(data)
        compiler._fresh = 0
        checks: list[_Check] = []
        bounds: dict[str, list[_Bound]] = {}
        for compiled in compiler._compile():
            if isinstance(compiled, _Bound):
                bounds.setdefault(compiled.targets, []).append(compiled)
            else:
                checks.append(compiled)
        return checks + [_counts(targets, group) for targets, group in bounds.items()]

    def validate(self, data: ox.Store) -> list[RawResult]:
        """Every result of every check on the default graph of ``data``, the checks run in
        threads (pyoxigraph evaluates without the GIL, so they use every core:
        ``bench/bench.py --gil``)."""
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            batches = pool.map(lambda check: _run(check, data, self.name), self.checks(data))
            return [result for batch in batches for result in batch]


def _counts(targets: str, bounds: list[_Bound]) -> _Check:
    """One check counting the values of every predicate of ``bounds`` on each focus node of
    ``targets``, that returns (focus node, predicate, count) where a bound is broken."""
    paths = " ".join(dict.fromkeys(str(b.path) for b in bounds))
    # A predicate's values on one node in one graph are distinct triples: counting them is
    # counting the distinct values, without the set DISTINCT keeps per group.
    n = "COUNT(?value)"
    query = (
        f"SELECT ?this ?_path ({n} AS ?n) WHERE {{ {targets} VALUES ?_path {{ {paths} }} "
        f"OPTIONAL {{ ?this ?_path ?value }} }} GROUP BY ?this ?_path "
        f"HAVING ({' || '.join(b.condition(n) for b in bounds)})"
    )
    return _Check(query, "", "", None, None, bounds=tuple(bounds))


def _run(check: _Check, data: ox.Store, name: str) -> list[RawResult]:
    try:
        rows = data.query(check.query)
    except SyntaxError as exc:
        raise ProjectError(f"{name}: a constraint does not compile: {exc}") from exc
    assert isinstance(rows, ox.QuerySolutions)
    if check.bounds:
        return [result for row in rows for result in _broken(check.bounds, row)]
    names = [v.value for v in rows.variables]
    return [_read(check, row, names) for row in rows]


def _broken(bounds: tuple[_Bound, ...], row: ox.QuerySolution) -> Iterator[RawResult]:
    """The results of a row of ``_counts``: each bound on its predicate that its count breaks."""
    focus, path, n = row["this"], row["_path"], row["n"]
    assert focus is not None and n is not None
    for bound in bounds:
        component = bound.broken(int(plain(n))) if bound.path == path else None
        if component is not None:
            message = bound.message or f"does not satisfy {component}"
            yield RawResult(bound.severity, focus, bound.path, None, component, message)


def _subclass_closure(data: ox.Store) -> dict[str, list[str]]:
    """Each class with all its subclasses (itself included), from ``rdfs:subClassOf`` edges in
    every graph of ``data``."""
    children: dict[str, set[str]] = {}
    for quad in data.quads_for_pattern(None, ox.NamedNode(RDFS.subClassOf), None, None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
            children.setdefault(quad.object.value, set()).add(quad.subject.value)
    closure: dict[str, list[str]] = {}
    for cls in children:
        seen, todo = {cls}, [cls]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closure[cls] = sorted(seen)
    return closure


def _read(check: _Check, row: ox.QuerySolution, names: list[str]) -> RawResult:
    focus = row["this"]
    assert focus is not None
    if check.sparql:
        bindings = {name: row[name] for name in names}
        value = bindings.get("value") or focus
        message = check.message or "a SPARQL constraint is not met"
        for name, term in bindings.items():
            if term is not None:  # the value as text, never as a regex replacement template
                pattern = re.compile(r"\{[?$]" + re.escape(name) + r"\}")
                message = pattern.sub(functools.partial(_literally, plain(term)), message)
        return RawResult(
            check.severity, focus, bindings.get("path"), value, check.component, message
        )
    value = focus if check.node_value else (row["value"] if "value" in names else None)
    component = check.component
    if check.min_count and int(plain(row["n"])) < check.min_count:
        component = "MinCountConstraintComponent"
    message = check.message or f"does not satisfy {component}"
    return RawResult(check.severity, focus, check.path, value, component, message)


def _literally(text: str, _match: re.Match[str]) -> str:
    return text


def plain(term: Term) -> str:
    """A term as pySHACL prints it into a message: the IRI or the lexical form."""
    return str(term) if isinstance(term, ox.Triple) else str(term.value)
