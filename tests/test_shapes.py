"""The shapes bite: each broken graph yields exactly the expected findings, and no others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Graph, URIRef

from dialoguekg import graph as graph_stage
from dialoguekg import sources, validate
from dialoguekg.errors import ProjectError
from dialoguekg.project import Project
from dialoguekg.vocab import ID, sparql_prefixes

from .conftest import CASES

CASE_LIST: list[dict[str, Any]] = yaml.safe_load(
    (CASES / "shapes.yaml").read_text(encoding="utf-8")
)


def mini_graph() -> Graph:
    return graph_stage.build(sources.load(CASES / "mini" / "data")).graph


def keys(graph: Graph, project: Project) -> set[str]:
    """The findings of validating ``graph`` as 'Severity Component focus path' strings."""
    report = validate.validate(graph, project.shapes(), project.ontology())
    out = set()
    for f in report.findings:
        focus = f.focus[len(str(ID)) :] if f.focus.startswith(str(ID)) else f.focus
        path = graph.namespace_manager.curie(URIRef(f.path_iri)) if f.path_iri else "-"
        out.add(f"{f.severity} {f.component} {focus} {path}")
    return out


@pytest.fixture(scope="module")
def base(project: Project) -> set[str]:
    return keys(mini_graph(), project)


def test_mini_graph_conforms_with_only_the_disagreement_warning(base: set[str]) -> None:
    assert base == {"Warning SPARQLConstraintComponent series/old-series schema:endDate"}


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_broken_graph_yields_exactly_the_expected_findings(
    case: dict[str, Any], base: set[str], project: Project
) -> None:
    broken = mini_graph()
    broken.update(f"BASE <{ID}>\n{sparql_prefixes()}{case['update']}")
    found = keys(broken, project)
    assert found - base == set(case.get("adds", []))
    assert base - found == set(case.get("removes", []))


def test_shapes_graph_passes_meta_shacl(project: Project) -> None:
    report = validate.validate(mini_graph(), project.shapes(), project.ontology())
    assert report.conforms


def test_broken_shapes_graph_is_refused(project: Project, tmp_path: Path) -> None:
    shapes = project.shapes()
    shapes.update("""PREFIX sh: <http://www.w3.org/ns/shacl#>
        INSERT DATA { <https://w3id.org/dialoguekg/shapes#Bad> a sh:NodeShape ;
                      sh:minCount "one" }""")
    with pytest.raises(ProjectError, match="SHACL shapes are not valid"):
        validate.validate(mini_graph(), shapes, project.ontology())
