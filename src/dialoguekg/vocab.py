"""Namespaces and IRI minting shared by every stage (one place for the IRIs the graph publishes).

IRIs are plain strings here, not rdflib terms: the build, the validator's fast path, the
dumps and ``query`` work on N-Triples text and pyoxigraph, and importing rdflib costs ~130 ms
(STYLE.md). Only the code that really needs rdflib (the pySHACL reference path, tests) imports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Namespace:
    """An IRI prefix: ``DKG.Meeting`` and ``ID["meeting/2017"]`` are the full IRIs, as str."""

    base: str

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.base + name

    def __getitem__(self, name: str) -> str:
        return self.base + name

    def __str__(self) -> str:
        return self.base


DKG = Namespace("https://w3id.org/dialoguekg/def#")
ID = Namespace("https://w3id.org/dialoguekg/id/")
SCHEMA = Namespace("http://schema.org/")  # http, not rdflib's default https (DESIGN.md)
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SH = Namespace("http://www.w3.org/ns/shacl#")
WD = Namespace("http://www.wikidata.org/entity/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

ONTOLOGY_IRI = "https://w3id.org/dialoguekg/def"
SHAPES_IRI = "https://w3id.org/dialoguekg/shapes"
DATASET_IRI = "https://w3id.org/dialoguekg/id/dataset"
#: Where the dumps are published, and the dataset's licence, title and description: the same
#: words in VoID/DCAT (``export``) and in the tables' Data Package (``tables``).
DUMPS_BASE = "https://w3id.org/dialoguekg/dumps/"
DATA_LICENSE = "https://creativecommons.org/licenses/by-sa/4.0/"
TITLE = "dialoguekg: the CPC's dialogues with world political parties"
DESCRIPTION = (
    "A source-tracked knowledge graph of the CPC in Dialogue with World Political "
    "Parties High-level Meeting, its predecessor and related summits: meetings, "
    "sessions, parties, persons, roles and participations, every contestable fact "
    "a claim citing its source."
)

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


def curie(iri: str) -> str | None:
    """``dkg:Meeting`` for a term of one of the project's vocabularies (instances under ``id/``
    excepted: their keys hold slashes), or None."""
    for prefix, namespace in PREFIXES.items():
        local = iri[len(namespace) :]
        if prefix != "id" and iri.startswith(namespace) and local and not set(local) & {"/", "#"}:
            return f"{prefix}:{local}"
    return None


def entity_iri(kind: str, key: str) -> str:
    """The published IRI of an entity: ``id/{kind}/{key}`` (slash IRIs, readable keys)."""
    return ID[f"{kind}/{key}"]


def sparql_prefixes() -> str:
    """The PREFIX header the shipped queries may rely on, in the order of ``PREFIXES``."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
