"""The ontology documents every term, and the parts that list the same things agree."""

from __future__ import annotations

import json
import re

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from dialoguekg.project import Project
from dialoguekg.sources import ID_FIELDS, KINDS

from .conftest import ROOT
from .terms import DKG, PREFIXES


def test_ontology_header(project: Project) -> None:
    g = project.ontology()
    onto = URIRef("https://w3id.org/dialoguekg/def")
    assert (onto, RDF.type, OWL.Ontology) in g
    for p in ("versionIRI",):
        assert g.value(onto, OWL[p]) is not None
    for p in ("title", "description", "license"):
        assert g.value(onto, URIRef(f"http://purl.org/dc/terms/{p}")) is not None


def test_every_term_has_label_and_comment(project: Project) -> None:
    g = project.ontology()
    terms = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(str(DKG))}
    assert len(terms) > 40
    missing = [
        t for t in terms if g.value(t, RDFS.label) is None or g.value(t, RDFS.comment) is None
    ]
    assert not missing


def test_every_dkg_term_the_data_uses_is_defined(project: Project, compiled: object) -> None:
    from dialoguekg.project import Compiled

    assert isinstance(compiled, Compiled)
    defined = set(project.ontology().subjects())
    used = {
        t
        for triple in compiled.built.graph
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(DKG))
    }
    assert used <= defined, sorted(used - defined)


def test_ontology_readme_documents_every_class_and_property(project: Project) -> None:
    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    g = project.ontology()
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in g.subjects(RDF.type, kind):
            assert f"dkg:{str(term)[len(str(DKG)) :]}" in readme, term


def test_context_declares_the_project_prefixes(project: Project) -> None:
    context = json.loads(project.context_file.read_text(encoding="utf-8"))["@context"]
    for prefix in ("dkg", "schema", "org", "prov", "skos", "dcterms", "owl", "rdfs", "xsd", "wd"):
        assert context[prefix] == str(PREFIXES[prefix])


def test_claim_backed_fields_and_shapes_list_the_same_predicates(project: Project) -> None:
    fields = {str(f.predicate) for k in KINDS.values() for f in k.fields if f.claim}
    fields.add(str(OWL.sameAs))  # Wikidata links are claim-backed too (links.yaml)
    fields |= {str(p) for p in ID_FIELDS.values()}  # and a party's dataset ids (ids.yaml)
    shapes = project.shapes()
    shape = URIRef("https://w3id.org/dialoguekg/shapes#ClaimBackedShape")
    targets = {
        str(o) for o in shapes.objects(shape, URIRef("http://www.w3.org/ns/shacl#targetSubjectsOf"))
    }
    assert fields == targets
    query = str(
        shapes.value(
            next(shapes.objects(shape, URIRef("http://www.w3.org/ns/shacl#sparql"))),
            URIRef("http://www.w3.org/ns/shacl#select"),
        )
    )
    # one pattern per property, each binding ?path to its own property
    patterns = re.findall(r"\{ \$this (\w+):(\w+) \?value BIND \((\w+):(\w+) AS \?path\) \}", query)
    assert all((p, n) == (bp, bn) for p, n, bp, bn in patterns)
    assert {str(PREFIXES[p]) + n for p, n, _, _ in patterns} == fields
    assert len(patterns) == len(fields)


def test_shapes_and_ontology_parse_as_turtle() -> None:
    for path in (ROOT / "ontology").rglob("*.ttl"):
        assert len(Graph().parse(path)) > 0


def test_data_readme_lists_every_field_of_every_file() -> None:
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL))
    for kind in KINDS.values():
        section = sections[kind.file]
        for field in kind.fields:
            mark = " ★" if field.claim else ""
            assert f"`{field.name}`{mark}" in section, (kind.file, field.name)
