"""Namespaces and IRI minting shared by every stage (one place for the IRIs the graph publishes)."""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DKG = Namespace("https://w3id.org/dialoguekg/def#")
ID = Namespace("https://w3id.org/dialoguekg/id/")
SCHEMA = Namespace("http://schema.org/")  # http, not rdflib's default https (DESIGN.md)
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
WD = Namespace("http://www.wikidata.org/entity/")

ONTOLOGY_IRI = URIRef("https://w3id.org/dialoguekg/def")
SHAPES_IRI = URIRef("https://w3id.org/dialoguekg/shapes")
DATASET_IRI = URIRef("https://w3id.org/dialoguekg/id/dataset")

PREFIXES: dict[str, str] = {
    prefix: str(namespace)
    for prefix, namespace in (
        ("dkg", DKG),
        ("id", ID),
        ("schema", SCHEMA),
        ("org", ORG),
        ("foaf", FOAF),
        ("prov", PROV),
        ("skos", SKOS),
        ("dcterms", DCTERMS),
        ("owl", OWL),
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("xsd", XSD),
        ("wd", WD),
        ("void", VOID),
        ("dcat", DCAT),
        ("spdx", SPDX),
    )
}


def entity_iri(kind: str, key: str) -> URIRef:
    """The published IRI of an entity: ``id/{kind}/{key}`` (slash IRIs, readable keys)."""
    return ID[f"{kind}/{key}"]


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes, replacing rdflib's defaults (notably https schema.org)."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def sparql_prefixes() -> str:
    """The PREFIX header the shipped queries may rely on, in the order of ``PREFIXES``."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
