"""Build the RDF graph from checked records (``sources.load``): entities, claims, links.

Each record becomes one node with the classes and predicates its kind declares in
``sources.KINDS``. Claim-backed facts become ``dkg:Claim`` nodes (``rdf:subject``,
``rdf:predicate``, ``rdf:object``, ``prov:wasDerivedFrom``, qualifiers, rank), and the plain
triple is derived from them as Wikidata derives its truthy triples: the preferred claims win,
otherwise every normal claim shows, a deprecated claim never does. Every IRI is minted from
readable keys, so a rebuild gives the same graph and two dumps diff cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from .sources import (
    CLAIM_QUALIFIERS,
    DEFAULT_LINK_PREDICATE,
    IRI_SEGMENT,
    KIND_OF_SEGMENT,
    KINDS,
    LINK_PREDICATE,
    RANKS,
    ClaimSpec,
    Field,
    Name,
    Record,
    SourceData,
)
from .vocab import DKG, ID, SCHEMA, WD, bind_prefixes, entity_iri

Triple = tuple[Node, Node, Node]


@dataclass
class Built:
    """The graph, and for each node minted from a record, where that record stands."""

    graph: Graph
    origins: dict[URIRef, str]


def build(data: SourceData) -> Built:
    """Turn the records of ``data`` into a graph (pure: reads nothing, writes nothing)."""
    graph = bind_prefixes(Graph())
    origins: dict[URIRef, str] = {}
    labels = _labels(data)
    for record in data.all():
        if record.kind in ("claims", "links", "labels"):
            continue
        subject = node_of(record)
        origins[subject] = f"{record.origin} ({record.describe()})"
        for triple in _record_triples(record, subject, labels):
            graph.add(triple)
    for record in data.records["labels"]:
        for triple in _labels_from_wikidata(record):
            graph.add(triple)
    claims = list(data.claims)
    for record in data.records["links"]:
        triples, claim = _link(record)
        for triple in triples:
            graph.add(triple)
        claims.append(claim)
    for claim in claims:
        node = claim_iri(claim)
        origins[node] = f"{claim.origin} (claim on {claim.subject} {claim.field})"
        for triple in _claim_triples(claim, node, labels):
            graph.add(triple)
    for triple in derive_plain_triples(graph):
        graph.add(triple)
    return Built(graph, origins)


# ---------------------------------------------------------------------------------------------
# Nodes and values
# ---------------------------------------------------------------------------------------------


def node_of(record: Record) -> URIRef:
    """The IRI of a record: its kind's segment and key, or a readable derived key."""
    segment = IRI_SEGMENT[record.kind]
    if record.kind == "participations":
        v = record.values
        key = ".".join((v["event"].replace("/", "-"), v["person"], v["role"], v["source"]))
        return entity_iri(segment, key)
    return entity_iri(segment, record.key)


def claim_iri(claim: ClaimSpec) -> URIRef:
    """``claim/{subject}-{field}-{hash}``: readable, and stable under reordering of the files."""
    content = repr(
        (
            claim.subject,
            claim.field,
            str(claim.value),
            claim.source,
            sorted((k, str(v)) for k, v in claim.qualifiers.items()),
        )
    )
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:10]
    return ID[f"claim/{claim.subject.replace('/', '-')}-{claim.field.replace('_', '-')}-{digest}"]


def _term(f: Field, value: Any) -> Node:
    """The RDF term for one checked value of field ``f``."""
    kind, _, target = f.type.partition(":")
    if kind in ("ref", "refs"):
        if target:
            return entity_iri(IRI_SEGMENT[target], str(value))
        return ID[str(value)]
    if kind in ("source", "sources"):
        return entity_iri("source", str(value))
    if kind in ("url", "urls"):
        return URIRef(str(value))
    if kind == "date":
        return Literal(dt.date.fromisoformat(str(value)), datatype=XSD.date)
    if kind == "year":
        return Literal(str(value), datatype=XSD.gYear)
    if kind == "int":
        return Literal(int(value), datatype=XSD.integer)
    if kind == "text":
        return Literal(str(value), lang="en")
    if kind == "names":
        assert isinstance(value, Name)
        return Literal(value.text, lang=value.lang)
    if kind == "enum":
        mapped = f.values[str(value)]
        return mapped if isinstance(mapped, URIRef) else Literal(mapped)
    return Literal(str(value))


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def _labels(data: SourceData) -> dict[str, str]:
    """English label of each record by ``kind/key``, to name derived nodes readably."""
    out = {}
    for record in data.all():
        values = record.values
        label = source_label(values) if record.kind == "sources" else values.get("name")
        if label:
            out[record.ref] = str(label)
    return out


def source_label(values: dict[str, Any]) -> str:
    """A source's label: its title, else its publisher and date (a page's headline is not
    always known, and a made-up title would be a fact the source never stated)."""
    if "title" in values:
        return str(values["title"])
    return f"{values.get('publisher', values['url'])}, {values.get('date', 'undated')}"


def _record_triples(record: Record, subject: URIRef, labels: dict[str, str]) -> Iterator[Triple]:
    kind = KINDS[record.kind]
    for cls in kind.classes:
        yield subject, RDF.type, cls
    for f in kind.fields:
        if f.claim or f.name not in record.values:
            continue
        predicate = kind.cite if f.name == "source" else f.predicate
        if predicate is None:
            continue
        for value in _values(record.values[f.name]):
            yield subject, predicate, _term(f, value)
    label = _derived_label(record, labels)
    if label:
        # A source's label is its title, in the page's own language: no tag.
        yield subject, RDFS.label, Literal(label, lang=None if record.kind == "sources" else "en")


def _derived_label(record: Record, labels: dict[str, str]) -> str | None:
    """Labels for n-ary nodes (memberships, participations), which have no name of their own."""
    v = record.values
    if record.kind == "sources":
        return source_label(v)
    if record.kind not in ("memberships", "participations"):
        return None
    person = labels["person/" + v["person"]]
    if record.kind == "memberships":
        parts = [labels.get("role/" + v["role"])] if "role" in v else []
        if "organisation" in v:
            parts.append(labels.get(v["organisation"]))
        when = f" ({v['as_of']})" if "as_of" in v else ""
        return f"{person}: {', '.join(p for p in parts if p)}{when}"
    role = labels["role/" + v["role"]].lower()
    return f"{person}: {role}, {labels[v['event']]}"
    return None


def _labels_from_wikidata(record: Record) -> Iterator[Triple]:
    """Names Wikidata gives a linked entity, as language-tagged alternative labels citing it."""
    entity = ID[record.values["entity"]]
    for name in record.values["names"]:
        yield entity, SKOS.altLabel, Literal(name.text, lang=name.lang)
    yield entity, DCTERMS.source, entity_iri("source", str(record.values["source"]))


def _link(record: Record) -> tuple[list[Triple], ClaimSpec]:
    """A Wikidata link: the plain link and id triples, and the claim citing its evidence."""
    v = record.values
    entity = ID[v["entity"]]
    predicate = LINK_PREDICATE.get(
        KIND_OF_SEGMENT[v["entity"].split("/")[0]], DEFAULT_LINK_PREDICATE
    )
    item = WD[v["qid"]]
    triples: list[Triple] = [(entity, predicate, item), (entity, DKG.wikidataId, Literal(v["qid"]))]
    qualifiers = {"quote": v["quote"]} if "quote" in v else {}
    claim = ClaimSpec(v["entity"], "wikidata", v["qid"], v["source"], qualifiers, record.origin)
    return triples, claim


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------


def claim_predicate(claim: ClaimSpec) -> URIRef:
    """The predicate a claim is about: the field's predicate, or the link predicate."""
    kind = KIND_OF_SEGMENT[claim.subject.split("/")[0]]
    if claim.field == "wikidata":
        return LINK_PREDICATE.get(kind, DEFAULT_LINK_PREDICATE)
    predicate = KINDS[kind].field(claim.field).predicate
    assert predicate is not None
    return predicate


def _claim_object(claim: ClaimSpec) -> Node:
    if claim.field == "wikidata":
        return WD[str(claim.value)]
    kind = KIND_OF_SEGMENT[claim.subject.split("/")[0]]
    term = _term(KINDS[kind].field(claim.field), claim.value)
    if "lang" in claim.qualifiers:
        return Literal(str(term), lang=str(claim.qualifiers["lang"]))
    return term


def _claim_triples(claim: ClaimSpec, node: URIRef, labels: dict[str, str]) -> Iterator[Triple]:
    yield node, RDF.type, DKG.Claim
    yield node, RDF.subject, ID[claim.subject]
    yield node, RDF.predicate, claim_predicate(claim)
    yield node, RDF.object, _claim_object(claim)
    yield node, PROV.wasDerivedFrom, entity_iri("source", claim.source)
    yield node, DKG.rank, RANKS[str(claim.qualifiers.get("rank", "normal"))]
    for q in CLAIM_QUALIFIERS:
        if q.name in claim.qualifiers and q.predicate is not None and q.name != "rank":
            yield node, q.predicate, _term(q, claim.qualifiers[q.name])
    subject_label = labels.get(claim.subject, claim.subject)
    field_label = claim.field.replace("_", " ")
    source_label = labels.get(f"source/{claim.source}", claim.source)
    yield (
        node,
        RDFS.label,
        Literal(f"{subject_label}: {field_label} {claim.value} (per {source_label})", lang="en"),
    )


#: Properties that may hold several values at once: different values are not a disagreement.
SET_VALUED = (
    SCHEMA.organizer,
    SCHEMA.location,
    SCHEMA.locationCreated,
    DKG.contextEvent,
    DKG.firstMultilateralEventAfter,
    DKG.introducedConcept,
)


def conflicts(graph: Graph) -> list[tuple[Node, Node]]:
    """The (subject, predicate) pairs on which claims disagree: two values, or one value with two
    count qualifiers ("over 600" against "nearly 600"), in the same language, whatever the rank.
    ``queries/conflicts.rq`` lists the same pairs with each value and its sources."""
    stated: dict[tuple[Node, Node], dict[str, set[tuple[Node, Node]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for claim in graph.subjects(RDF.type, DKG.Claim):
        subject = graph.value(claim, RDF.subject)
        predicate = graph.value(claim, RDF.predicate)
        obj = graph.value(claim, RDF.object)
        if subject is None or predicate is None or obj is None or predicate in SET_VALUED:
            continue
        qualifier = graph.value(claim, DKG.countQualifier) or DKG.AsStated
        lang = obj.language if isinstance(obj, Literal) else None
        stated[(subject, predicate)][lang or ""].add((obj, qualifier))
    return sorted(
        pair for pair, by_lang in stated.items() if any(len(v) > 1 for v in by_lang.values())
    )


def derive_plain_triples(graph: Graph) -> Iterable[Triple]:
    """The plain triples the claims of ``graph`` imply (preferred wins, else all normal)."""
    groups: dict[tuple[Node, Node], dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for claim in graph.subjects(RDF.type, DKG.Claim):
        subject = graph.value(claim, RDF.subject)
        predicate = graph.value(claim, RDF.predicate)
        obj = graph.value(claim, RDF.object)
        rank = graph.value(claim, DKG.rank) or DKG.NormalRank
        if subject is None or predicate is None or obj is None:
            continue
        groups[(subject, predicate)][rank].add(obj)
    for (subject, predicate), by_rank in groups.items():
        shown = by_rank.get(DKG.PreferredRank) or by_rank.get(DKG.NormalRank) or set()
        for obj in shown:
            yield subject, predicate, obj
