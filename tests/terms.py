"""The project's namespaces as rdflib terms, for tests that read the graph with rdflib.

The package itself keeps IRIs as plain strings (``dialoguekg.vocab``), so that building,
validating and querying never import rdflib; these mirror its table."""

from __future__ import annotations

from rdflib import Namespace, URIRef

from dialoguekg import vocab

DKG = Namespace(str(vocab.DKG))
ID = Namespace(str(vocab.ID))
SCHEMA = Namespace(str(vocab.SCHEMA))
ORG = Namespace(str(vocab.ORG))
VOID = Namespace(str(vocab.VOID))
DCAT = Namespace(str(vocab.DCAT))
SPDX = Namespace(str(vocab.SPDX))
WD = Namespace(str(vocab.WD))
ONTOLOGY_IRI = URIRef(vocab.ONTOLOGY_IRI)
PREFIXES = vocab.PREFIXES
