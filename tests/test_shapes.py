"""The shapes bite: each broken graph yields exactly the expected findings, and no others; the
fast validator and pySHACL, the reference, find the same things on every case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml

from dialoguekg import graph as graph_stage
from dialoguekg import sources, validate
from dialoguekg.errors import ProjectError
from dialoguekg.project import Compiled, Project
from dialoguekg.vocab import ID, PREFIXES, sparql_prefixes

from .conftest import CASES

CASE_LIST: list[dict[str, Any]] = yaml.safe_load(
    (CASES / "shapes.yaml").read_text(encoding="utf-8")
)
ENGINES = validate.ENGINES


def mini_store(project: Project, update: str | None = None) -> ox.Store:
    store = graph_stage.build(sources.load(CASES / "mini" / "data")).dataset(project.ontology_file)
    if update:
        store.update(f"BASE <{ID}>\n{sparql_prefixes()}{update}")
    return store


def curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def keys(report: validate.Report) -> set[str]:
    """The findings as 'Severity Component focus path' strings."""
    out = set()
    for f in report.findings:
        focus = f.focus[len(str(ID)) :] if f.focus.startswith(str(ID)) else f.focus
        path = curie(f.path_iri) if f.path_iri else "-"
        out.add(f"{f.severity} {f.component} {focus} {path}")
    return out


def run(store: ox.Store, project: Project, engine: str) -> validate.Report:
    return validate.validate(store, project.shapes_file, engine=engine)


@pytest.fixture(scope="module")
def base(project: Project) -> set[str]:
    return keys(run(mini_store(project), project, "fast"))


def test_mini_graph_conforms_with_only_the_disagreement_warning(base: set[str]) -> None:
    assert base == {"Warning SourcesDisagree series/old-series schema:endDate"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_broken_graph_yields_exactly_the_expected_findings(
    case: dict[str, Any], engine: str, base: set[str], project: Project
) -> None:
    found = keys(run(mini_store(project, case["update"]), project, engine))
    assert found - base == set(case.get("adds", []))
    assert base - found == set(case.get("removes", []))


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_fast_path_and_pyshacl_agree_to_the_word(case: dict[str, Any], project: Project) -> None:
    """Same focus node, path, component, severity, value and message, finding for finding."""
    store = mini_store(project, case["update"])
    fast, reference = (run(store, project, engine).findings for engine in ENGINES)
    assert fast == reference


def test_fast_path_and_pyshacl_agree_on_the_real_graph(
    compiled: Compiled, project: Project
) -> None:
    reference = validate.validate(
        compiled.store, project.shapes_file, compiled.built.origins, engine="pyshacl"
    )
    assert compiled.report.findings == reference.findings
    assert len(reference.warnings) > 100  # the check compares something


def test_shapes_graph_passes_meta_shacl(project: Project) -> None:
    assert run(mini_store(project), project, "pyshacl").conforms


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_shapes_graph_is_refused(project: Project, tmp_path: Path, engine: str) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        project.shapes_file.read_text(encoding="utf-8")
        + '\n<https://w3id.org/dialoguekg/shapes#Bad> a sh:NodeShape ; sh:minCount "one" .\n',
        encoding="utf-8",
    )
    with pytest.raises(ProjectError, match="SHACL shapes are not valid"):
        validate.validate(mini_store(project), shapes, engine=engine)


@pytest.mark.parametrize(
    "shape,refusal",
    [
        ('sh:property [ sh:path rdfs:label ; sh:minLength 2 ; sh:message "m" ]', "minLength"),
        ('sh:property [ sh:path rdfs:label ; sh:hasValue "A"@en ; sh:message "m" ]', "hasValue"),
        ("sh:or ( [ sh:path rdfs:label ] [ sh:path skos:altLabel ] )", "inside sh:or"),
        (
            'sh:sparql [ sh:select "SELECT ?value WHERE { $this rdfs:label ?value }" ]',
            "must select \\$this",
        ),
    ],
    ids=["unknown-component", "has-value-on-a-path", "or-without-min-count", "this-not-selected"],
)
def test_fast_path_refuses_what_it_cannot_check(
    project: Project, tmp_path: Path, shape: str, refusal: str
) -> None:
    """A constraint the fast engine does not implement as pySHACL does is an error naming
    the shape, never a rule silently skipped or checked differently."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        project.shapes_file.read_text(encoding="utf-8")
        + f"\ndkgsh:Odd a sh:NodeShape ; sh:targetClass dkg:Person ; {shape} .\n",
        encoding="utf-8",
    )
    with pytest.raises(ProjectError, match=rf"{refusal}.*--engine pyshacl"):
        validate.validate(mini_store(project), shapes, engine="fast")


def test_bounds_counted_in_one_query_are_reported_as_pyshacl_reports_them(
    project: Project, tmp_path: Path
) -> None:
    """The fast engine counts the values of every predicate with a ``sh:maxCount`` on the
    same focus nodes in one query (``shacl._counts``): two shapes bounding one predicate
    differently, and a second predicate, give pySHACL's findings, bound by bound."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        project.shapes_file.read_text(encoding="utf-8")
        + """
dkgsh:Counted a sh:NodeShape ; sh:targetClass dkg:Person ;
    sh:property [ sh:path <http://www.w3.org/2004/02/skos/core#altLabel> ;
                  sh:minCount 2 ; sh:maxCount 2 ; sh:message "two" ] ;
    sh:property [ sh:path <http://www.w3.org/2004/02/skos/core#altLabel> ;
                  sh:maxCount 1 ; sh:severity sh:Warning ; sh:message "at most one" ] ;
    sh:property [ sh:path rdfs:comment ; sh:maxCount 0 ; sh:message "none" ] .
""",
        encoding="utf-8",
    )
    person = "<person/ada-test>"  # one alternative name
    for update, found in [
        (None, {"MinCount two"}),
        (f"DELETE WHERE {{ {person} skos:altLabel ?n }}", {"MinCount two"}),
        (f'INSERT DATA {{ {person} skos:altLabel "B" }}', {"MaxCount at most one"}),
        (
            f'INSERT DATA {{ {person} skos:altLabel "B", "C" }}',
            {"MaxCount two", "MaxCount at most one"},
        ),
        (f'INSERT DATA {{ {person} rdfs:comment "c" }}', {"MinCount two", "MaxCount none"}),
    ]:
        store = mini_store(project, update)
        fast, reference = (
            validate.validate(store, shapes, engine=engine).findings for engine in ENGINES
        )
        assert fast == reference
        ours = {f"{f.component.removesuffix('ConstraintComponent')} {f.message}" for f in fast}
        assert (
            ours & {"MinCount two", "MaxCount two", "MaxCount at most one", "MaxCount none"}
            == found
        )


def test_a_value_with_a_backslash_is_printed_as_it_is(project: Project) -> None:
    store = mini_store(project, 'INSERT DATA { <meeting/2021> dkg:countryCount "C:\\\\d" }')
    report = run(store, project, "fast")
    assert any("C:\\d has no claim citing a source" in f.message for f in report.violations)


def test_every_shape_states_its_rule(project: Project) -> None:
    """Both engines print the shape's own sh:message; without one they word it differently."""
    shapes = ox.Store()
    shapes.load(path=str(project.shapes_file), format=ox.RdfFormat.TURTLE)
    rows = shapes.query(
        """PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?shape WHERE {
          { [] sh:property ?shape } UNION { ?shape sh:sparql [] } UNION { ?shape sh:or [] }
          FILTER NOT EXISTS { ?shape sh:message [] }
          FILTER NOT EXISTS { ?shape sh:sparql [ sh:message [] ] } }"""
    )
    assert isinstance(rows, ox.QuerySolutions)
    assert [str(row["shape"]) for row in rows] == []
