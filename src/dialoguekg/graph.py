"""Build the RDF graph from checked records (``sources.load``): entities, claims, links.

Each record becomes one node with the classes and predicates its kind declares in
``sources.KINDS``. Claim-backed facts become ``dkg:Claim`` nodes (``rdf:subject``,
``rdf:predicate``, ``rdf:object``, ``prov:wasDerivedFrom``, qualifiers, rank), and the plain
triple is derived from them as Wikidata derives its truthy triples: the preferred claims win,
otherwise every normal claim shows, a deprecated claim never does. Every IRI is minted from
readable keys, so a rebuild gives the same graph and two dumps diff cleanly.

The graph is written as sorted, unique N-Triples lines (``nt``): one string per triple, no RDF
objects per triple in Python, so the stage is linear and light at a million triples; pyoxigraph
reads the lines into a store for validation, dumps and queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import apart, nt, verdicts
from .sources import (
    CLAIM_QUALIFIERS,
    DEFAULT_LINK_PREDICATE,
    ID_FIELDS,
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
    claim_qualifier,
    first_source,
    participant_key,
)
from .vocab import (
    DCTERMS,
    DKG,
    ID,
    ONTOLOGY_IRI,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    WD,
    XSD,
    entity_iri,
)

if TYPE_CHECKING:
    import pyoxigraph as ox
    import rdflib

#: (subject, predicate, object), each written as N-Triples text.
Triple = tuple[str, str, str]

#: Bytes of the document ``Built.chunks`` gives at a time.
LINES_CHUNK = 1 << 20


@dataclass(frozen=True)
class ClaimRow:
    """What the build keeps of a claim to derive plain triples and find conflicts without a
    query: IRIs as strings, the value as N-Triples text and its language."""

    subject: str
    predicate: str
    value: str
    lang: str
    qualifier: str
    rank: str
    node: str = ""  # the claim's IRI
    measure: str = ""  # an IRI, for counts
    status: str = ""  # registered, attended, invited, for counts


@dataclass
class Built:
    """The graph as one sorted N-Triples document of unique lines (``count`` of them); where
    each minted node came from; the (subject, predicate) facts, sorted, on which
    two claims conflict (``verdicts``: the build writes each conflicting pair as
    ``dkg:conflictsWith``, which ``queries/conflicts.rq``, the warnings and the pages read). One
    bytes object, not a list of line strings, which would hold the text a second time; or,
    where the build wrote it to a file (``file``: the build's N-Triples dump, written by its
    child, ``project.prepare_apart``), none: its readers read the file a megabyte at a time
    instead of holding it (the build's peak of memory is the parent's, while it validates),
    and need it where it is: the build's output folder moves it into place only once they are
    done."""

    document: bytes
    count: int
    origins: dict[str, str]
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    file: Path | None = None  # the file holding the document, if it was written to one

    def kept_in(self, path: Path) -> Built:
        """This graph with its document written to ``path`` and no longer held, as the build's
        child leaves it (for the benchmark's write stage and the tests; the child writes the
        file as it makes it, through ``build``'s sink). Raises OSError."""
        path.write_bytes(self.document)
        return replace(self, document=b"", file=path)

    def whole(self) -> bytes:
        """The whole document, read from its file if it is kept in one."""
        return self.document if self.file is None else self.file.read_bytes()

    def __len__(self) -> int:
        return self.count

    def chunks(self) -> Iterator[bytes]:
        """The document a megabyte or so at a time, each chunk whole lines."""
        if self.file is None:
            document, start = self.document, 0
            while start < len(document):
                end = document.find(b"\n", start + LINES_CHUNK)
                end = len(document) if end < 0 else end + 1
                yield document[start:end]
                start = end
            return
        with self.file.open("rb") as file:
            while chunk := file.read(LINES_CHUNK):
                yield chunk + file.readline()

    def lines(self) -> Iterator[str]:
        """The N-Triples lines one at a time, in order (decoded a chunk at a time: one decode
        per line costs more than the lines' use)."""
        for chunk in self.chunks():
            yield from chunk[:-1].decode().split("\n")

    def dataset(self, ontology_file: Path | None = None) -> ox.Store:
        """A pyoxigraph store: the graph in the default graph, the ontology in its named graph
        (the layout of the N-Quads dump, and what validation reads). ``load``, not
        ``bulk_load``: in memory it is no slower and rises less above the document it reads
        (``bench/bench.py --load-memory``)."""
        import pyoxigraph as ox

        store = ox.Store()
        if self.file is not None:
            store.load(path=str(self.file), format=ox.RdfFormat.N_TRIPLES)
        else:
            store.load(self.document, format=ox.RdfFormat.N_TRIPLES)
        if ontology_file is not None:
            _load_ontology(store, ontology_file)
        return store

    @cached_property
    def graph(self) -> rdflib.Graph:
        """The graph in rdflib, for the tests and benchmarks that read it so (slow, big)."""
        from rdflib import Graph

        return Graph().parse(data=self.whole(), format="nt")


def _load_ontology(store: ox.Store, ontology_file: Path) -> None:
    """The ontology into its named graph of ``store``."""
    import pyoxigraph as ox

    store.load(
        path=str(ontology_file), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_IRI)
    )


class Loading:
    """The store of a document being written to ``path`` (by the build's child), loaded as it
    grows: ``up_to`` each size the file has reached, and a thread loads, in file order, all
    the whole lines written since its last load, while the child writes the next. The store is
    the one ``Built.dataset`` makes from the whole file, down to the order its dumps follow,
    which is the order the triples came in (a test holds them byte for byte). The load, which
    took a sixth of the build after the child's end, now begins beside the child's writing
    (``bench/bench.py --scale-table``: the "build" stage ends with it). Few loads, each of all
    that is there: each takes the GIL twice, which a Python thread of the build may hold for
    its switch interval. A context manager: leaving it stops the loading."""

    def __init__(self, path: Path) -> None:
        import pyoxigraph as ox

        self.path = path
        self._store = ox.Store()
        self._size = 0  # how far the file is written
        self._ended = False  # no more will be written, or the loading is given up
        self._change = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loading")
        self._loaded = self._pool.submit(self._load)

    def __enter__(self) -> Loading:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end()
        self._pool.shutdown(wait=True)

    def up_to(self, size: int) -> None:
        """The file is written up to ``size`` bytes (the end of a line)."""
        with self._change:
            self._size = max(self._size, size)
            self._change.notify()

    def _end(self) -> None:
        with self._change:
            self._ended = True
            self._change.notify()

    def _load(self) -> None:
        import pyoxigraph as ox

        done = 0
        while size := self._next(done):
            with self.path.open("rb") as file:
                file.seek(done)
                self._store.load(file.read(size - done), format=ox.RdfFormat.N_TRIPLES)
            done = size

    def _next(self, done: int) -> int:
        """How far the file is written once it is past ``done``; 0 once it is not and will
        not be."""
        with self._change:
            self._change.wait_for(lambda: self._size > done or self._ended)
            return self._size if self._size > done else 0

    def store(self, ontology_file: Path | None = None) -> ox.Store:
        """The store once the whole file is loaded, with the ontology in its named graph (the
        layout of ``Built.dataset``). Raises OSError if the file cannot be read."""
        self._end()
        self._loaded.result()
        if ontology_file is not None:
            _load_ontology(self._store, ontology_file)
        return self._store


#: From this many records on, ``build`` makes the claims' triples in a forked process while
#: this one makes the records' nodes (the two halves of the work, on two cores); below, the
#: fork and the lines sent back cost more than they save (``bench/bench.py --scale-table``).
APART_FROM = 20_000

#: Kinds whose records are not nodes of their own: claims, links, labels and ids.
_NOT_NODES = frozenset({"claims", "links", "labels", "ids"})


def build(data: SourceData, sink: Callable[[bytes], object] | None = None) -> Built:
    """Turn the records of ``data`` into a graph (reads nothing). With a ``sink``, the document
    goes there a chunk of whole lines at a time, as it is made, and the Built holds none of it
    (``project.prepare_apart`` writes it to the output folder, where the parent loads each chunk
    as it comes); without one, the Built holds it."""
    labels = _labels(data)
    records = [record for record in data.all() if record.kind not in _NOT_NODES]
    claims = None
    if len(records) >= APART_FROM:
        claims = apart.start(lambda _: _sent(*_claims(data, labels)))
    try:
        node_lines, origins = _nodes(records, labels)
    except BaseException:
        if claims is not None:
            claims.stop()
        raise
    if claims is None:
        claim_lines, claim_origins, conflicts = _claims(data, labels)
    else:
        sent = cast(_Sent, claims.outcome("building the claims"))
        text, claim_origins, conflicts = sent
        # sent as one text (a list of lines pickles slowly); no claims: no lines, not one empty
        claim_lines = text.split(b"\n") if text else []
        del text, sent
    origins.update(claim_origins)
    if sink is not None:
        return Built(b"", _document(node_lines, claim_lines, sink), origins, conflicts)
    document = io.BytesIO()
    count = _document(node_lines, claim_lines, document.write)
    return Built(document.getvalue(), count, origins, conflicts)


def _nodes(records: list[Record], labels: dict[str, str]) -> tuple[list[bytes], dict[str, str]]:
    """The lines of the records' own nodes (every kind but claims, links, labels and ids),
    sorted in reverse and unique, and where each node came from."""
    lines: list[bytes] = []
    origins: dict[str, str] = {}
    for record in records:
        subject = node_of(record)
        origins[subject] = f"{record.origin} ({record.describe()})"
        s = nt.iri(subject)
        lines.extend(nt.line(s, p, o).encode() for p, o in _record_triples(record, labels))
    return _sorted_unique(lines), origins


#: The lines of the claims, sorted in reverse and unique; each claim's origin; the conflicts.
_Claims = tuple[list[bytes], dict[str, str], list[tuple[str, str]]]
#: ``_Claims`` with the lines as one text, to be sent from a child.
_Sent = tuple[bytes, dict[str, str], list[tuple[str, str]]]


def _claims(data: SourceData, labels: dict[str, str]) -> _Claims:
    """The claims' nodes, the plain triples they imply, the Wikidata links and labels, and the
    (subject, predicate) facts on which two claims conflict, sorted."""
    lines: list[bytes] = []
    origins: dict[str, str] = {}
    for record in data.records["labels"]:
        lines.extend(_encoded(_labels_from_wikidata(record)))
    claims = list(data.claims)
    for record in data.records["links"]:
        triples, claim = _link(record)
        lines.extend(_encoded(triples))
        claims.append(claim)
    claims.extend(_dataset_id(record) for record in data.records["ids"])
    rows = []
    for claim in claims:
        node = claim_iri(claim)
        origins[node] = f"{claim.origin} (claim on {claim.subject} {claim.field})"
        row, triples = _claim(claim, nt.iri(node), labels)
        rows.append(row)
        lines.extend(_encoded(triples))
    stated = _stated(rows)
    pairs = list(verdicts.conflicting_pairs(stated, frozenset(SET_VALUED)))
    lines.extend(_encoded(derive_plain_triples(rows)))
    lines.extend(_encoded(conflict_triples(stated, pairs)))
    return _sorted_unique(lines), origins, sorted({(a.subject, a.predicate) for a, _ in pairs})


def _sorted_unique(lines: list[bytes]) -> list[bytes]:
    """``lines`` sorted in reverse, each once (sorted in place, then emptied). A list, not a
    set: made in the records' order, the lines come in long sorted runs, which sorting merges
    far faster than the order a set leaves them in (``bench/bench.py --scale-table``: the build
    stage)."""
    lines.sort(reverse=True)
    last = None  # of equal lines, keep the first
    unique = [line for line in lines if line != last and (last := line) is not None]
    lines.clear()
    return unique


def _sent(lines: list[bytes], origins: dict[str, str], conflicts: list[tuple[str, str]]) -> _Sent:
    return b"\n".join(lines), origins, conflicts


def _encoded(triples: Iterable[Triple]) -> Iterator[bytes]:
    return (nt.line(*t).encode() for t in triples)


def _document(first: list[bytes], second: list[bytes], write: Callable[[bytes], object]) -> int:
    """Two lists of unique lines, each sorted in reverse, written as one sorted document of
    unique lines to ``write``, a chunk of whole lines at a time; returns its number of lines
    (emptying both lists). Lines are sorted as UTF-8 bytes, whose order is the code points'
    and which compare faster than str. Each chunk of lines is dropped as it is written: at a
    million triples, the text held twice was the build's peak of memory."""
    merged = first + second
    first.clear()
    second.clear()
    ordered = _sorted_unique(merged)  # two sorted runs: one merge; a line of both halves once
    count = len(ordered)
    while ordered:
        chunk = ordered[-_CHUNK_LINES:]
        del ordered[-_CHUNK_LINES:]
        chunk.reverse()
        chunk.append(b"")
        write(b"\n".join(chunk))
    return count


#: Lines joined at a time by ``_document``.
_CHUNK_LINES = 1 << 14


# ---------------------------------------------------------------------------------------------
# Nodes and values
# ---------------------------------------------------------------------------------------------


def node_of(record: Record) -> str:
    """The IRI of a record: its kind's segment and key, or a readable derived key. A
    participation's key names its first source only, so that citing a second one later leaves
    its IRI as it was."""
    segment = IRI_SEGMENT[record.kind]
    if record.kind == "participations":
        v = record.values
        event, role, source = v["event"].replace("/", "-"), v["role"], first_source(record)
        return entity_iri(segment, ".".join((event, participant_key(v), role, source)))
    return entity_iri(segment, record.key)


def claim_iri(claim: ClaimSpec) -> str:
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


def _term(f: Field, value: Any) -> str:
    """The N-Triples term for one checked value of field ``f``."""
    return _writer(f.type)(f, value)


@cache
def _writer(type_: str) -> Callable[[Field, Any], str]:
    """How a value of a field of type ``type_`` is written: worked out once per type, not
    once per value (a million values at a million triples)."""
    kind, _, target = type_.partition(":")
    if kind in ("ref", "refs"):
        if target:
            segment = IRI_SEGMENT[target]
            return lambda f, v: nt.iri(entity_iri(segment, str(v)))
        return lambda f, v: nt.iri(ID[str(v)])
    if kind in ("source", "sources"):
        return lambda f, v: nt.iri(entity_iri("source", str(v)))
    if kind in ("url", "urls"):
        return lambda f, v: nt.iri(str(v))
    if kind == "date":
        return lambda f, v: nt.literal(dt.date.fromisoformat(str(v)).isoformat(), datatype=XSD.date)
    if kind == "year":
        return lambda f, v: nt.literal(str(v), datatype=XSD.gYear)
    if kind == "int":
        return lambda f, v: nt.literal(str(int(v)), datatype=XSD.integer)
    if kind == "text":
        return lambda f, v: nt.literal(str(v), lang="en")
    if kind == "names":
        return _name
    if kind == "enum":
        return _enum
    return lambda f, v: nt.literal(str(v))


def _name(f: Field, value: Any) -> str:
    assert isinstance(value, Name)
    return nt.literal(value.text, lang=value.lang)


def _enum(f: Field, value: Any) -> str:
    mapped = f.values[str(value)]
    return nt.iri(mapped) if mapped.startswith(("http://", "https://")) else nt.literal(mapped)


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


def _record_triples(record: Record, labels: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The (predicate, object) pairs of a record's node, as N-Triples terms."""
    classes, fields = _plan(record.kind)
    yield from classes
    values = record.values
    for f, p in fields:
        if f.name in values:
            for value in _values(values[f.name]):
                yield p, _term(f, value)
    label = _derived_label(record, labels)
    if label:
        # A source's label is its title, in the page's own language: no tag.
        lang = None if record.kind == "sources" else "en"
        yield _LABEL, nt.literal(label, lang=lang)


_LABEL = nt.iri(RDFS.label)


@cache
def _plan(kind_name: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[Field, str], ...]]:
    """A kind's ``rdf:type`` pairs, and the fields written as plain triples with their
    predicates, as N-Triples terms: made once per kind, not once per record."""
    kind = KINDS[kind_name]
    classes = tuple((nt.iri(RDF.type), nt.iri(cls)) for cls in kind.classes)
    fields = []
    for f in kind.fields:
        predicate = kind.cite if f.name == "source" else f.predicate
        if not f.claim and predicate is not None:
            fields.append((f, nt.iri(predicate)))
    return classes, tuple(fields)


def _derived_label(record: Record, labels: dict[str, str]) -> str | None:
    """Labels for n-ary nodes (memberships, participations), which have no name of their own."""
    v = record.values
    if record.kind == "sources":
        return source_label(v)
    if record.kind not in ("memberships", "participations"):
        return None
    if record.kind == "memberships":
        person = labels["person/" + v["person"]]
        parts = [labels.get("role/" + v["role"])] if "role" in v else []
        if "organisation" in v:
            parts.append(labels.get(v["organisation"]))
        when = f" ({v['as_of']})" if "as_of" in v else ""
        return f"{person}: {', '.join(p for p in parts if p)}{when}"
    who = labels["person/" + v["person"]] if "person" in v else labels[v["on_behalf_of"]]
    role = labels["role/" + v["role"]].lower()
    return f"{who}: {role}, {labels[v['event']]}"


def _labels_from_wikidata(record: Record) -> Iterator[Triple]:
    """Names Wikidata gives a linked entity, as language-tagged alternative labels citing it."""
    entity = nt.iri(ID[record.values["entity"]])
    for name in record.values["names"]:
        yield entity, nt.iri(SKOS.altLabel), nt.literal(name.text, lang=name.lang)
    source = nt.iri(entity_iri("source", str(record.values["source"])))
    yield entity, nt.iri(DCTERMS.source), source


def _link(record: Record) -> tuple[list[Triple], ClaimSpec]:
    """A Wikidata link: the plain link and id triples, and the claim citing its evidence."""
    v = record.values
    entity = nt.iri(ID[v["entity"]])
    predicate = LINK_PREDICATE.get(
        KIND_OF_SEGMENT[v["entity"].split("/")[0]], DEFAULT_LINK_PREDICATE
    )
    triples: list[Triple] = [
        (entity, nt.iri(predicate), nt.iri(WD[v["qid"]])),
        (entity, nt.iri(DKG.wikidataId), nt.literal(v["qid"])),
    ]
    qualifiers = {"quote": v["quote"]} if "quote" in v else {}
    claim = ClaimSpec(v["entity"], "wikidata", v["qid"], v["source"], qualifiers, record.origin)
    return triples, claim


def _dataset_id(record: Record) -> ClaimSpec:
    """A party's id in a dataset of political science (ids.yaml), as a claim citing the table
    that pairs it with the party; its plain triple is derived like any claim's."""
    v = record.values
    qualifiers = {"quote": v["quote"]} if "quote" in v else {}
    return ClaimSpec(
        v["entity"], f"{v['scheme']}_id", v["id"], v["source"], qualifiers, record.origin
    )


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------


def claim_predicate(claim: ClaimSpec) -> str:
    """The predicate a claim is about: the field's predicate, the link predicate, or the
    property of a dataset's ids."""
    kind = KIND_OF_SEGMENT[claim.subject.split("/")[0]]
    if claim.field == "wikidata":
        return LINK_PREDICATE.get(kind, DEFAULT_LINK_PREDICATE)
    if claim.field in ID_FIELDS:
        return ID_FIELDS[claim.field]
    predicate = KINDS[kind].field(claim.field).predicate
    assert predicate is not None
    return predicate


def _claim_object(claim: ClaimSpec) -> tuple[str, str]:
    """The claimed value as an N-Triples term, and its language ("" for IRIs and typed ones)."""
    if claim.field == "wikidata":
        return nt.iri(WD[str(claim.value)]), ""
    if claim.field in ID_FIELDS:
        return nt.literal(str(claim.value)), ""
    kind = KIND_OF_SEGMENT[claim.subject.split("/")[0]]
    f = KINDS[kind].field(claim.field)
    if f.type == "text":
        lang = str(claim.qualifiers.get("lang", "en")).lower()
        return nt.literal(str(claim.value), lang=lang), lang
    return _term(f, claim.value), ""


def _claim(claim: ClaimSpec, node: str, labels: dict[str, str]) -> tuple[ClaimRow, list[Triple]]:
    subject = ID[claim.subject]
    predicate = claim_predicate(claim)
    value, lang = _claim_object(claim)
    source = entity_iri("source", claim.source)
    rank = RANKS[str(claim.qualifiers.get("rank", "normal"))]
    triples: list[Triple] = [
        (node, _TYPE, _CLAIM),
        (node, _SUBJECT, nt.iri(subject)),
        (node, _PREDICATE, nt.iri(predicate)),
        (node, _OBJECT, value),
        (node, _DERIVED_FROM, nt.iri(source)),
        (node, _RANK, nt.iri(rank)),
    ]
    for q, q_predicate in _QUALIFIERS:
        if q.name in claim.qualifiers:
            triples.append((node, q_predicate, _term(q, claim.qualifiers[q.name])))
    subject_label = labels.get(claim.subject, claim.subject)
    field_label = claim.field.replace("_", " ")
    source_label = labels.get(f"source/{claim.source}", claim.source)
    label = f"{subject_label}: {field_label} {claim.value} (per {source_label})"
    triples.append((node, _LABEL, nt.literal(label, lang="en")))
    qualifier = claim.qualifiers.get("qualifier")
    qualifier_iri = str(_COUNT_QUALIFIERS[qualifier]) if qualifier else DKG.AsStated
    measure = claim.qualifiers.get("measure")
    row = ClaimRow(
        subject,
        predicate,
        value,
        lang,
        qualifier_iri,
        rank,
        node[1:-1],
        str(_MEASURES[measure]) if measure else "",
        str(claim.qualifiers.get("status", "")),
    )
    return row, triples


#: The claim's own predicates as N-Triples terms, written once, not once per claim.
_TYPE, _CLAIM = nt.iri(RDF.type), nt.iri(DKG.Claim)
_SUBJECT, _PREDICATE, _OBJECT = nt.iri(RDF.subject), nt.iri(RDF.predicate), nt.iri(RDF.object)
_DERIVED_FROM, _RANK = nt.iri(PROV.wasDerivedFrom), nt.iri(DKG.rank)
#: The qualifiers written as triples of their own (the rank is one of the claim's above).
_QUALIFIERS = tuple(
    (q, nt.iri(q.predicate))
    for q in CLAIM_QUALIFIERS
    if q.predicate is not None and q.name != "rank"
)
_COUNT_QUALIFIERS = claim_qualifier("qualifier").values
_MEASURES = claim_qualifier("measure").values

#: Properties that may hold several values at once: different values are not a disagreement.
SET_VALUED = (
    DKG.discussionTopic,
    SCHEMA.organizer,
    DKG.host,
    DKG.coHost,
    SCHEMA.location,
    SCHEMA.locationCreated,
    DKG.contextEvent,
    DKG.firstMultilateralEventAfter,
    DKG.introducedConcept,
    *ID_FIELDS.values(),  # a party may have several entries in one dataset
)


def _stated(rows: list[ClaimRow]) -> list[verdicts.Stated]:
    return [
        verdicts.Stated(
            r.node, r.subject, r.predicate, r.value, r.qualifier, r.measure, r.status, r.rank
        )
        for r in rows
    ]


def conflict_triples(
    stated: list[verdicts.Stated], pairs: list[tuple[verdicts.Stated, verdicts.Stated]]
) -> Iterator[Triple]:
    """``dkg:conflictsWith`` both ways between the two claims of each conflicting pair, and
    each claim's ``dkg:verdict`` against the others on its fact."""
    for a, b in pairs:
        yield nt.iri(a.node), nt.iri(DKG.conflictsWith), nt.iri(b.node)
        yield nt.iri(b.node), nt.iri(DKG.conflictsWith), nt.iri(a.node)
    for node, verdict in verdicts.verdicts(stated, frozenset(SET_VALUED)).items():
        yield nt.iri(node), nt.iri(DKG.verdict), nt.iri(DKG[verdict])


def derive_plain_triples(rows: list[ClaimRow]) -> Iterator[Triple]:
    """The plain triples the claims imply (preferred wins, else all normal)."""
    groups: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        groups[(row.subject, row.predicate)][row.rank].add(row.value)
    for (subject, predicate), by_rank in groups.items():
        shown = by_rank.get(DKG.PreferredRank) or by_rank.get(DKG.NormalRank) or set()
        for value in shown:
            yield nt.iri(subject), nt.iri(predicate), value
