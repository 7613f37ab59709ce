"""Write the graph as dumps: Turtle, JSON-LD, N-Triples, TriG, N-Quads, the tables
(``tables``), VoID/DCAT, SHA256SUMS.

Rendering is pure (graph in, bytes out), linear and deterministic: the graph has no blank
nodes, the build's N-Triples lines are sorted, pyoxigraph writes Turtle and TriG from them in
that order, and JSON-LD is compacted with the project's context by our own one-pass writer,
its arrays sorted. Writing is atomic: every
file goes to a fresh sibling folder that then replaces the output folder, so a failure leaves
the previous dumps as they were.

TriG and N-Quads hold the dataset: the data in the default graph, the ontology in the named
graph ``https://w3id.org/dialoguekg/def``, so one file loads everything into a triplestore.
VoID: https://www.w3.org/TR/void/ · DCAT 3: https://www.w3.org/TR/vocab-dcat-3/
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pyoxigraph as ox

from . import nt, tables
from .errors import DialogueKGError, ProjectError
from .graph import Built
from .release import RELEASES, Release
from .sources import IRI_SEGMENT
from .vocab import (
    DATA_LICENSE,
    DATASET_IRI,
    DCAT,
    DCTERMS,
    DESCRIPTION,
    DKG,
    DUMPS_BASE,
    ID,
    ONTOLOGY_IRI,
    ORG,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    SPDX,
    TITLE,
    VOID,
    WD,
    XSD,
    curie,
    entity_iri,
)

BASE_NAME = "dialoguekg"
CHECKSUMS = "SHA256SUMS"
JSONLD = f"{BASE_NAME}.jsonld"
NTRIPLES = f"{BASE_NAME}.nt"
NQUADS = f"{BASE_NAME}.nq"
PUBLISHER = "The dialoguekg developers"


#: A file's bytes, whole or in chunks written one after the other (the N-Quads dump is the
#: N-Triples document and the ontology's quads: no copy of the first).
Content = bytes | tuple[bytes | memoryview, ...]


@dataclass(frozen=True)
class DumpFormat:
    suffix: str
    media_type: str
    dataset: bool  # holds the ontology graph too


FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("ttl", "text/turtle", False),
    DumpFormat("jsonld", "application/ld+json", False),
    DumpFormat("nt", "application/n-triples", False),
    DumpFormat("trig", "application/trig", True),
    DumpFormat("nq", "application/n-quads", True),
)


#: The folders the server of dialoguekg 0.2 made in ``dist/`` (its on-disk store, the one being
#: loaded, the one retired): not the build's files, yet not a stranger's; a build replaces them
#: with the rest. The server now loads the store in memory and writes nothing there.
STORE_DIRS = ("store", "store.loading", "store.old")


def load_context(path: Path) -> dict[str, Any]:
    """The JSON-LD context object of ``ontology/context.jsonld``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        context = document["@context"]
    except (OSError, ValueError, KeyError) as exc:
        raise ProjectError(f"{path}: not a JSON-LD context document ({exc})") from exc
    if not isinstance(context, dict):
        raise ProjectError(f"{path}: @context must be an object")
    return context


# ---------------------------------------------------------------------------------------------
# Rendering (pure)
# ---------------------------------------------------------------------------------------------


#: Makes one file's bytes when called (``makers``), so the files can be made in threads.
Maker = Callable[[], Content]


def makers(built: Built, store: ox.Store, context: Mapping[str, Any]) -> dict[str, Maker]:
    """How to make every dump and table of the graph, by file name; byte-identical for the
    same graph.

    Each quad is computed once: the build's sorted N-Triples lines are the ``.nt`` file, the
    same lines plus the ontology's with its graph name the ``.nq`` file (both sorted, so two
    builds diff line by line); Turtle and the tables are written by pyoxigraph from the
    build's store (``Built.dataset``) in its own stable order, TriG from the Turtle and the
    ontology's graph (``_trig``); JSON-LD by ``jsonld``.
    """
    prefixes = turtle_prefixes()
    turtle = _Shared(lambda: _dump(store, ox.RdfFormat.TURTLE, prefixes, ox.DefaultGraph()), 2)
    files: dict[str, Maker] = {
        NTRIPLES: built.whole,
        f"{BASE_NAME}.ttl": turtle,
        f"{BASE_NAME}.trig": lambda: _trig(store, turtle, prefixes),
        NQUADS: lambda: (built.whole(), _ontology_quads(store)),
    }
    for table in tables.TABLES:
        files[table.file] = partial(tables.csv, table, store)
    files[JSONLD] = partial(jsonld_of, built, context)
    return files


def start(
    output: Output, built: Built, context: Mapping[str, Any], load: Callable[[], ox.Store]
) -> ox.Store:
    """Start making every file of ``makers`` into ``output`` as ``build`` does, and return the
    store ``load`` makes (``Built.dataset``, or the end of ``graph.Loading``): JSON-LD
    (Python) first, from the build's lines, while ``load`` runs without the GIL; then the other
    dumps and the tables, which pyoxigraph's writers and queries make largely without the GIL,
    while the caller validates. A document the build already wrote into the output (its
    ``Built.file``) is only hashed, and the N-Quads dump starts as a copy of it made by the
    kernel.
    (Made in forked processes instead, at a million triples they took as long, the two cores
    being busy anyway, and their memory added up to 1.5 GB; the JSON-LD alone in a forked
    child took as long too, with the same peak, in runs interleaved with this code.)"""
    output.add(JSONLD, partial(jsonld_of, built, context))
    store = load()
    files = makers(built, store, context)
    del files[JSONLD]
    if built.file is not None and built.file == output.path(NTRIPLES):
        output.adopt(NTRIPLES)
        output.add_copy(NQUADS, NTRIPLES, partial(_ontology_quads, store))
        del files[NTRIPLES], files[NQUADS]
    for name, make in files.items():
        output.add(name, make)
    return store


class _Shared:
    """A file's bytes made once for ``uses`` makers (TriG holds the Turtle dump), in whichever
    thread asks first; dropped once each has had them."""

    def __init__(self, make: Callable[[], bytes], uses: int) -> None:
        self._make, self._uses = make, uses
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            value = self._make() if self._value is None else self._value
            self._uses -= 1
            self._value = value if self._uses > 0 else None
            return value


def _trig(store: ox.Store, turtle_of: Callable[[], bytes], prefixes: dict[str, str]) -> Content:
    """The dataset as TriG, from the default graph's Turtle (``turtle_of``, asked for once the
    ontology's graph is written, so that this thread waits the least for the one making it):
    pyoxigraph writes a dataset's default graph in TriG as the same prefix lines and statements
    as in Turtle, so only the ontology's named graph is written anew (a test holds the result to
    pyoxigraph's own TriG dump, byte for byte). Where the store holds another named graph, or
    the two do not start alike, the whole dump is written."""
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    if any(graph != ontology for graph in store.named_graphs()):
        return _dump(store, ox.RdfFormat.TRIG, prefixes, None)
    named = ox.serialize(
        store.quads_for_pattern(None, None, None, ontology),
        format=ox.RdfFormat.TRIG,
        prefixes=prefixes,
    )
    turtle = turtle_of()
    head = 0
    while turtle.startswith(b"@prefix ", head):
        head = turtle.index(b"\n", head) + 1
    if not named or not head or not named.startswith(turtle[:head]):
        return _dump(store, ox.RdfFormat.TRIG, prefixes, None)
    return bytes(named), memoryview(turtle)[head:]


def _dump(
    store: ox.Store, fmt: ox.RdfFormat, prefixes: dict[str, str], graph: ox.DefaultGraph | None
) -> bytes:
    if graph is None:
        return bytes(store.dump(format=fmt, prefixes=prefixes) or b"")
    return bytes(store.dump(format=fmt, from_graph=graph, prefixes=prefixes) or b"")


def closing(
    store: ox.Store, triples: int, written: Mapping[str, Written], modified: str | None
) -> dict[str, bytes]:
    """The files that describe the others, made once those are written: the tables' Data
    Package descriptor, ``void.ttl`` (``modified``: ``modified_date()``) and ``SHA256SUMS``,
    each knowing the files before it."""
    written = dict(written)
    extra: dict[str, bytes] = {}
    descriptor = f"{tables.FOLDER}/{tables.DESCRIPTOR}"
    extra[descriptor] = tables.descriptor({name: (w.size, w.sha256) for name, w in written.items()})
    written[descriptor] = digest(extra[descriptor])
    extra["void.ttl"] = describe(store, triples, written, modified)
    written["void.ttl"] = digest(extra["void.ttl"])
    extra[CHECKSUMS] = checksums(written)
    return extra


def turtle_prefixes() -> dict[str, str]:
    """The project's prefixes, and one per kind of instance (``meeting:2017``, ``person:…``)."""
    prefixes = {p: ns for p, ns in PREFIXES.items() if p != "id"}
    for segment in (*IRI_SEGMENT.values(), "claim"):
        prefixes.setdefault(segment, entity_iri(segment, ""))
    return prefixes


def _ontology_quads(store: ox.Store) -> bytes:
    """The ontology's named graph of the build's store, as sorted N-Quads lines."""
    graph = ox.NamedNode(ONTOLOGY_IRI)
    quads = list(store.quads_for_pattern(None, None, None, graph))
    text = bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    return b"".join(sorted(set(text.splitlines(keepends=True))))


def _oxigraph(
    source: bytes, source_format: ox.RdfFormat, fmt: ox.RdfFormat, prefixes: dict[str, str]
) -> bytes:
    """Re-serialise sorted lines with pyoxigraph, keeping their order (so output is stable)."""
    output = ox.serialize(ox.parse(source, format=source_format), format=fmt, prefixes=prefixes)
    return bytes(output or b"")


# ---------------------------------------------------------------------------------------------
# JSON-LD, compacted with the project's context
# ---------------------------------------------------------------------------------------------


def jsonld_of(built: Built, context: Mapping[str, Any]) -> Content:
    """The built graph as compacted JSON-LD (``jsonld_chunks``)."""
    return jsonld_chunks(built.lines(), context)


def jsonld(lines: Iterable[str], context: Mapping[str, Any]) -> bytes:
    """``jsonld_chunks`` as one bytes object (an entity's document)."""
    return b"".join(jsonld_chunks(lines, context))


def jsonld_chunks(lines: Iterable[str], context: Mapping[str, Any]) -> tuple[bytes, ...]:
    """N-Triples lines, sorted by subject (the build's order), as JSON-LD compacted with
    ``context``: one node object per line, keys and arrays sorted, so output is stable; as
    the nodes' own bytes between commas (no copy of the whole text, as str or as bytes).

    pyoxigraph writes only expanded JSON-LD, and compacting a million triples with PyLD or
    rdflib takes minutes (bench/bench.py), so this writer applies the context's prefixes and
    terms itself in one pass: terms with ``"@type": "@id"`` take IRIs as strings, literals go
    under the compact IRI. Each node is encoded by the json module's C encoder."""
    compactor = _Compactor(context)
    nodes: list[tuple[str, bytes]] = []
    subject = ""
    properties: dict[str, list[Any]] = {}
    for line in lines:
        s, p, rest = line.split(" ", 2)
        if s != subject:
            if subject:
                nodes.append(compactor.node(subject, properties))
            subject, properties = s, {}
        key, value = compactor.entry(p, rest[:-2])
        properties.setdefault(key, []).append(value)
    if subject:
        nodes.append(compactor.node(subject, properties))
    nodes.sort()
    head = json.dumps(dict(context), ensure_ascii=False, indent=1, sort_keys=True)
    chunks = [f'{{"@context": {head},\n"@graph": [\n'.encode()]
    for _, text in nodes:
        chunks += (b",\n", text)
    chunks[1:2] = []  # no comma before the first node
    chunks.append(b"\n]}\n")
    return tuple(chunks)


_UNESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    """The string an N-Triples literal's escapes stand for."""
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if len(code) > 1 else _ECHAR.get(code, code)

    return _UNESCAPE.sub(one, text)


class _Compactor:
    """The context's prefixes and terms, applied to IRIs, properties and values."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        # A simple term is a prefix if its IRI ends with a gen-delim character (JSON-LD 1.1,
        # "prefix flag"): "http://ex.org/item-" is not one ("item:5" would read as an absolute
        # IRI), nor is a keyword ("@vocab") or a term that is itself a compact IRI or an IRI.
        self.prefixes = sorted(
            (
                (name, iri)
                for name, iri in context.items()
                if isinstance(iri, str)
                and iri[-1:] in _GEN_DELIMS
                and not name.startswith("@")
                and ":" not in name
                and "/" not in name
            ),
            key=lambda item: -len(item[1]),
        )
        self.terms: dict[str, tuple[str, bool]] = {}
        for name, definition in sorted(context.items()):
            if isinstance(definition, dict) and "@id" in definition:
                iri = self.expand(str(definition["@id"]))
                self.terms[iri] = (name, definition.get("@type") == "@id")
        self._compact: dict[str, str] = {}
        self._heads: dict[str, list[tuple[str, str]]] = {}
        self._keys: dict[str, tuple[str, bool, str]] = {}
        self.encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
        self._order = json.JSONEncoder(sort_keys=True).encode  # json.dumps(v, sort_keys=True)

    def expand(self, value: str) -> str:
        prefix, colon, local = value.partition(":")
        for name, iri in self.prefixes:
            if colon and name == prefix:
                return iri + local
        return value

    def iri(self, value: str) -> str:
        """A compact IRI (``dkg:Meeting``, ``id:person/xi-jinping``) where a prefix fits."""
        found = self._compact.get(value)
        if found is None:
            found = value
            for name, namespace in self._candidates(value):
                local = value[len(namespace) :]
                # "p://…" would read as an absolute IRI (JSON-LD 1.1, IRI expansion 6.2)
                if value.startswith(namespace) and local and not local.startswith("//"):
                    found = f"{name}:{local}"
                    break
            if len(self._compact) < 100_000:  # predicates, classes, frequent objects
                self._compact[value] = found
        return found

    def _candidates(self, value: str) -> list[tuple[str, str]]:
        """The prefixes that may start ``value``, longest first: those that start the IRI's
        head (up to its last ``/`` or ``#``) or start with it, looked up once per head."""
        head = value[: max(value.rfind("/"), value.rfind("#")) + 1]
        found = self._heads.get(head)
        if found is None:
            found = [(n, i) for n, i in self.prefixes if head.startswith(i) or i.startswith(head)]
            if len(self._heads) < 100_000:
                self._heads[head] = found
        return found

    def term(self, text: str) -> str:
        """An IRI or blank node written in N-Triples, compacted."""
        return text if text.startswith("_:") else self.iri(text[1:-1])

    def keys(self, predicate: str) -> tuple[str, bool, str]:
        """How a predicate (in N-Triples form) is written: its key for IRIs and blank nodes,
        whether those are plain strings under it (a term with ``"@type": "@id"``), and its key
        for literals."""
        found = self._keys.get(predicate)
        if found is None:
            p = predicate[1:-1]
            name, takes_iris = self.terms.get(p, ("", False))
            compact = self.iri(p)
            found = (
                name if name and takes_iris else compact,
                bool(name and takes_iris),
                name if name and not takes_iris else compact,
            )
            self._keys[predicate] = found
        return found

    def entry(self, predicate: str, obj: str) -> tuple[str, Any]:
        """The key and compacted value of one property value (terms in N-Triples form)."""
        first = obj[0]
        if first == "<":
            if predicate == _TYPE:
                return "@type", self.iri(obj[1:-1])
            node_key, plain, _ = self.keys(predicate)
            value = self.iri(obj[1:-1])
            return node_key, value if plain else {"@id": value}
        if first == "_":
            node_key, plain, _ = self.keys(predicate)
            return node_key, obj if plain else {"@id": obj}
        key = self.keys(predicate)[2]
        end = obj.rindex('"')
        lexical, suffix = _unescape(obj[1:end]), obj[end + 1 :]
        if not suffix or suffix == _XSD_STRING:
            return key, lexical
        if suffix[0] == "@":
            return key, {"@language": suffix[1:], "@value": lexical}
        return key, {"@type": self.iri(suffix[3:-1]), "@value": lexical}

    def node(self, subject: str, properties: dict[str, list[Any]]) -> tuple[str, bytes]:
        """The node's compact id and its JSON text, in UTF-8."""
        node: dict[str, Any] = {"@id": self.term(subject)}
        for key, values in properties.items():
            node[key] = values[0] if len(values) == 1 else sorted(values, key=self._order)
        return node["@id"], self.encode(node).encode()


_TYPE = f"<{RDF.type}>"
_GEN_DELIMS = frozenset(":/?#[]@")  # RFC 3986
_XSD_STRING = f"^^<{XSD.string}>"


# ---------------------------------------------------------------------------------------------
# VoID and DCAT
# ---------------------------------------------------------------------------------------------


def describe(
    store: ox.Store,
    triples: int,
    written: Mapping[str, Written],
    modified: str | None,
    releases: tuple[Release, ...] = RELEASES,
) -> bytes:
    """VoID + DCAT description of the dataset and each file ``written`` (media type, size,
    checksum); the RDF dumps are also its ``void:dataDump``s.

    Counts come from queries on the built store (classes, entities, Wikidata links); nothing
    from the data is pasted into them. ``releases`` is the release list, newest first: the
    first is this build's release. As DCAT 3 describes versions
    (https://www.w3.org/TR/vocab-dcat-3/#dataset-versions), the dataset ``…/id/dataset``
    (every dump at its latest path, ``dumps/dialoguekg.nt``) has the release
    ``…/id/dataset/{version}`` as its current version, with its date (``dcterms:issued``),
    the release before it (``prov:wasRevisionOf`` and DCAT's ``dcat:previousVersion``; the
    first release has none) and the same dumps at their versioned paths
    (``dumps/{version}/dialoguekg.nt``)."""
    ds = nt.iri(DATASET_IRI)
    current = releases[0]
    lines: list[tuple[str, str, str]] = []

    def add(s: str, p: str, o: str) -> None:
        lines.append((s, nt.iri(p), o))

    def integer(n: int, datatype: str = XSD.integer) -> str:
        return nt.literal(str(n), datatype=datatype)

    add(ds, RDF.type, nt.iri(VOID.Dataset))
    add(ds, RDF.type, nt.iri(DCAT.Dataset))
    add(ds, DCTERMS.title, nt.literal(TITLE, lang="en"))
    add(ds, DCTERMS.description, nt.literal(DESCRIPTION, lang="en"))
    add(ds, DCTERMS.license, nt.iri(DATA_LICENSE))
    add(ds, DCAT.version, nt.literal(current.version))
    add(ds, DCTERMS.issued, nt.literal(current.date, datatype=XSD.date))
    add(ds, DCTERMS.publisher, nt.literal(PUBLISHER))
    if modified:
        add(ds, DCTERMS.modified, nt.literal(modified, datatype=XSD.date))
    add(ds, VOID.vocabulary, nt.iri(ONTOLOGY_IRI))
    add(ds, VOID.uriSpace, nt.literal(str(ID)))
    add(ds, VOID.triples, integer(triples))
    add(ds, VOID.entities, integer(entity_count(store)))
    for cls, count in _class_counts(store):
        part = nt.iri(f"{DATASET_IRI}/class/{_slug(cls)}")
        add(ds, VOID.classPartition, part)
        add(part, VOID["class"], nt.iri(cls))
        add(part, VOID.entities, integer(count))
    linkset = nt.iri(f"{DATASET_IRI}/links/wikidata")
    add(ds, VOID.subset, linkset)
    add(linkset, RDF.type, nt.iri(VOID.Linkset))
    add(linkset, VOID.target, nt.iri("http://www.wikidata.org/"))
    add(linkset, VOID.linkPredicate, nt.iri(OWL.sameAs))
    add(linkset, VOID.triples, integer(_count(store, _WIKIDATA_LINKS)))
    version = nt.iri(current.dataset_iri)
    add(ds, DCAT.hasVersion, version)
    add(ds, DCAT.hasCurrentVersion, version)
    add(version, RDF.type, nt.iri(DCAT.Dataset))
    add(version, DCTERMS.title, nt.literal(f"{TITLE}, release {current.version}", lang="en"))
    add(version, DCTERMS.license, nt.iri(DATA_LICENSE))
    add(version, DCAT.isVersionOf, ds)
    add(version, DCAT.version, nt.literal(current.version))
    add(version, DCTERMS.issued, nt.literal(current.date, datatype=XSD.date))
    if len(releases) > 1:
        before = nt.iri(releases[1].dataset_iri)
        add(version, PROV.wasRevisionOf, before)
        add(version, DCAT.previousVersion, before)
    for name, file in sorted(written.items()):
        media_type = media_type_of(name)
        checksum = nt.iri(f"{DUMPS_BASE}{name}#sha256")
        add(checksum, RDF.type, nt.iri(SPDX.Checksum))
        add(checksum, SPDX.algorithm, nt.iri(SPDX.checksumAlgorithm_sha256))
        add(checksum, SPDX.checksumValue, nt.literal(file.sha256, datatype=XSD.hexBinary))
        for owner, url in ((ds, DUMPS_BASE + name), (version, versioned_url(current, name))):
            dist = nt.iri(url)
            add(owner, DCAT.distribution, dist)
            if owner == ds and name.startswith(f"{BASE_NAME}."):  # VoID's dumps, each once
                add(owner, VOID.dataDump, dist)
            add(dist, RDF.type, nt.iri(DCAT.Distribution))
            add(dist, DCAT.downloadURL, dist)
            add(
                dist,
                DCAT.mediaType,
                nt.iri(f"https://www.iana.org/assignments/media-types/{media_type}"),
            )
            add(dist, DCTERMS["format"], nt.literal(media_type))
            if name.endswith(tables.DESCRIPTOR):
                add(dist, DCTERMS.conformsTo, nt.iri(tables.PROFILE))
            add(dist, DCAT.byteSize, integer(file.size, XSD.nonNegativeInteger))
            add(dist, SPDX.checksum, checksum)
    text = "".join(sorted({nt.line(*t) + "\n" for t in lines})).encode()
    return _oxigraph(text, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, turtle_prefixes())


def versioned_url(release: Release, name: str) -> str:
    """Where a release's dump ``name`` stays: ``…/dumps/{version}/{name}``, beside the latest
    at ``…/dumps/{name}``, as the DBpedia Databus files a version's files in a folder of its
    own (``…/{artifact}/{version}/{file}``) and Wikidata's dumps sit in a folder per date
    beside ``latest-all.json.gz``."""
    return f"{DUMPS_BASE}{release.version}/{name}"


def release_of(dist: Path) -> Release:
    """The release a build in ``dist`` belongs to, as its ``void.ttl`` states it (the dataset's
    ``dcat:version`` and ``dcterms:issued``): a build made by other code than this one says
    its own version."""
    path = dist / "void.ttl"
    try:
        triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    except (OSError, SyntaxError) as exc:
        raise DialogueKGError(
            f"{path}: no readable dataset description ({exc}); rebuild with 'dialoguekg build'"
        ) from exc
    found = {
        t.predicate.value: t.object.value
        for t in triples
        if t.subject == ox.NamedNode(DATASET_IRI) and isinstance(t.object, ox.Literal)
    }
    if DCAT.version not in found:
        raise DialogueKGError(f"{path}: <{DATASET_IRI}> has no dcat:version; rebuild it")
    # builds older than the release list stated no date
    return Release(found[DCAT.version], found.get(DCTERMS.issued, ""))


_ENTITIES = f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
    ?s a ?class FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}"""
_WIKIDATA_LINKS = f"""SELECT (COUNT(*) AS ?n) WHERE {{
    ?s <{OWL.sameAs}> ?o FILTER (STRSTARTS(STR(?o), "{WD}")) }}"""
_CLASSES = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
    ?s a ?class FILTER isIRI(?class) } GROUP BY ?class"""


#: Media types of the files ``build`` writes, by suffix.
MEDIA_TYPES = {f.suffix: f.media_type for f in FORMATS} | {
    "csv": "text/csv",
    "json": "application/json",
}


def media_type_of(name: str) -> str:
    """The media type of a file ``build`` writes (``tables/meetings.csv``: text/csv)."""
    return MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "text/plain")


def _count(store: ox.Store, query: str) -> int:
    rows = store.query(query)
    assert isinstance(rows, ox.QuerySolutions)
    return sum(int(row["n"].value) for row in rows)


def _class_counts(store: ox.Store) -> list[tuple[str, int]]:
    rows = store.query(_CLASSES)
    assert isinstance(rows, ox.QuerySolutions)
    return sorted((row["class"].value, int(row["n"].value)) for row in rows)


def entity_count(store: ox.Store) -> int:
    """How many typed resources the graph mints under its own namespace (void:entities)."""
    return _count(store, _ENTITIES)


def link_counts(store: ox.Store) -> list[str]:
    """``Wikidata links: Person 8 of 15, …``: linked and unlinked entities by class."""
    parts = []
    for cls in (DKG.Person, DKG.Party, DKG.Country, DKG.City, DKG.StateOffice, ORG.Organization):
        members = _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}")
        linked = _count(
            store,
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> ; <{DKG.wikidataId}> [] }}",
        )
        parts.append(f"{cls.rsplit('#', 1)[1]} {linked} of {members}")
    return ["Wikidata links: " + ", ".join(parts)]


def _slug(iri: str) -> str:
    compact = curie(iri)
    if compact:
        return compact.replace(":", "-", 1)
    return hashlib.sha256(iri.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Written:
    """A file of the output: how many bytes it holds, and their SHA-256."""

    size: int
    sha256: str


def digest(content: Content) -> Written:
    """The size and SHA-256 of a file's bytes, read chunk by chunk."""
    hashed = hashlib.sha256()
    for chunk in _chunks(content):
        hashed.update(chunk)
    return Written(size(content), hashed.hexdigest())


def size(content: Content) -> int:
    """How many bytes a file will hold."""
    return sum(len(c) for c in _chunks(content))


def _chunks(content: Content) -> tuple[bytes | memoryview, ...]:
    return content if isinstance(content, tuple) else (content,)


def _copy_file(source: BinaryIO, target: BinaryIO) -> None:
    """Copy the whole of ``source`` into the empty ``target``, in the kernel where it can
    (``os.copy_file_range``: no bytes through this process); what it did not copy (not offered
    here, not between these files, or a copy that stopped short) is read and written."""
    size = os.fstat(source.fileno()).st_size
    with contextlib.suppress(AttributeError, OSError):
        while os.copy_file_range(source.fileno(), target.fileno(), 1 << 30):
            pass
    copied = target.seek(0, os.SEEK_END)
    if copied < size:
        source.seek(copied)
        shutil.copyfileobj(source, target)


def checksums(written: Mapping[str, Written]) -> bytes:
    """``sha256sum``-compatible lines, sorted by file name."""
    return "".join(f"{file.sha256}  {name}\n" for name, file in sorted(written.items())).encode(
        "ascii"
    )


def listed_checksums(text: str) -> dict[str, str]:
    """The SHA-256 of each file a ``SHA256SUMS`` text lists (``checksums``), by file name."""
    rows = (line.partition("  ") for line in text.splitlines())
    return {name: sha256 for sha256, _, name in rows if name}


def read_checksums(dist: Path) -> dict[str, str]:
    """The SHA-256 of every file the build in ``dist`` wrote, as its ``SHA256SUMS`` lists them;
    raises OSError, or ValueError for a listing that is not ASCII."""
    return listed_checksums((dist / CHECKSUMS).read_text(encoding="ascii"))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read chunk by chunk (raises OSError)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def modified_date() -> str | None:
    """The build date from SOURCE_DATE_EPOCH (reproducible builds), or None to leave it out."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    except ValueError as exc:
        raise DialogueKGError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from exc


def all_files(
    built: Built,
    ontology_file: Path,
    context: Mapping[str, Any],
    store: ox.Store | None = None,
) -> dict[str, Content]:
    """Every file of an output folder, in memory: the dumps, the tables (``tables/…``),
    ``void.ttl`` and ``SHA256SUMS``; ``store`` is the build's own (``Built.dataset``), made
    here if not given. (``build`` writes the same files with ``Output`` as they are made.)"""
    store = store if store is not None else built.dataset(ontology_file)
    files = {name: make() for name, make in makers(built, store, context).items()}
    written = {name: digest(content) for name, content in files.items()}
    return files | closing(store, len(built), written, modified_date())


# ---------------------------------------------------------------------------------------------
# Writing (atomic)
# ---------------------------------------------------------------------------------------------


def write_file(path: Path, content: bytes, error: type[DialogueKGError]) -> None:
    """Write one file atomically: through a temporary file beside ``path`` that then takes
    its place, so ``path`` keeps its old bytes or holds all the new ones, and no temporary file
    is left behind. Raises ``error`` naming ``path`` if it cannot be written."""
    temp: str | None = None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temp, path)
    except OSError as exc:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise error(f"{path}: cannot write the file ({exc.strerror or exc})") from exc


_Made = TypeVar("_Made", bound=Content)


def _ready(content: Content) -> Maker:
    """A maker of bytes already made."""
    return lambda: content


class Output:
    """An output folder being replaced, atomically: its files are made and written into a fresh
    hidden folder beside it, two at a time in threads (pyoxigraph's writers, hashing and file
    writes run without the GIL, so they overlap the validation), each hashed once as it is
    written (or, ``adopt``ed, once as it is found there) and then dropped; ``commit`` adds the
    last files and puts the folder in place of ``out_dir``. Leaving the ``with`` block without a
    commit (an error, a graph that does not conform) removes the new folder and the folders
    made to hold it: the previous output stays as it was.

    Refuses (DialogueKGError) a folder holding files dialoguekg did not write."""

    def __init__(self, out_dir: Path, threads: int = 2) -> None:
        self.out_dir = Path(out_dir)
        foreign = _foreign_files(self.out_dir)
        if foreign:
            raise DialogueKGError(
                f"refusing to replace {self.out_dir}: it holds files dialoguekg did not write "
                f"({', '.join(foreign[:3])}{', …' if len(foreign) > 3 else ''}, "
                f"not in its {CHECKSUMS}); choose an empty or new folder with --out"
            )
        parent = self.out_dir.parent
        self._made_dirs = [p for p in (parent, *parent.parents) if not p.exists()]
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(
                tempfile.mkdtemp(prefix=f".{self.out_dir.name}.new-", dir=self.out_dir.parent)
            )
        except OSError as exc:
            raise DialogueKGError(f"cannot write {self.out_dir}: {exc.strerror or exc}") from exc
        self.staging.chmod(0o755)  # mkdtemp makes it private; the dumps are for everyone
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="output")
        self.files: dict[str, Future[Written]] = {}
        self._adopted: dict[str, hashlib._Hash] = {}  # the SHA-256 objects of adopted files
        self._committed = False

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.pool.shutdown(wait=True, cancel_futures=True)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            for folder in () if self._committed else self._made_dirs:
                with contextlib.suppress(OSError):  # not empty: something else put files there
                    folder.rmdir()

    def path(self, name: str) -> Path:
        """Where the file ``name`` is written, in the new folder."""
        return self.staging / name

    def add(self, name: str, make: Maker) -> None:
        """Make the file ``name`` (a path under the folder) and write it, in a thread."""
        self.files[name] = self.pool.submit(self._write, name, make)

    def adopt(self, name: str) -> None:
        """Count the file ``name`` as made: it is in the new folder already (written by the
        build's child: ``Built.file``); it is only hashed, in a thread."""
        self.files[name] = self.pool.submit(self._hash_adopted, name)

    def _hash_adopted(self, name: str) -> Written:
        with self.path(name).open("rb") as file:
            hashed = hashlib.file_digest(file, "sha256")
        self._adopted[name] = hashed
        return Written(self.path(name).stat().st_size, hashed.hexdigest())

    def add_copy(self, name: str, first: str, rest: Callable[[], bytes]) -> None:
        """Make the file ``name`` as the ``adopt``ed file ``first`` and then ``rest()``, in a
        thread: the kernel copies ``first`` (``os.copy_file_range``), whose hash goes on.
        (The pool takes its tasks in order: ``first``'s hash is made, or being made in another
        thread, when this task waits for it.)"""
        adopted = self.files[first]
        self.files[name] = self.pool.submit(self._write_copy, name, first, adopted, rest)

    def _write_copy(
        self, name: str, first: str, adopted: Future[Written], rest: Callable[[], bytes]
    ) -> Written:
        tail = self._made(name, rest)
        with self.path(first).open("rb") as source, self.path(name).open("wb") as target:
            _copy_file(source, target)
            target.write(tail)
        head = adopted.result()
        hashed = self._adopted[first].copy()
        hashed.update(tail)
        return Written(head.size + len(tail), hashed.hexdigest())

    def _write(self, name: str, make: Maker) -> Written:
        content = self._made(name, make)
        path = self.path(name)
        if "/" in name:
            path.parent.mkdir(exist_ok=True)  # never re-creates a staging folder taken away
        with path.open("wb") as file:
            for chunk in _chunks(content):
                file.write(chunk)
        return digest(content)

    def _made(self, name: str, make: Callable[[], _Made]) -> _Made:
        try:
            return make()
        except Exception as exc:  # a dump or table of ours that cannot be made: say which
            raise DialogueKGError(
                f"{self.out_dir}: {name} could not be made ({type(exc).__name__}: {exc}); "
                "the previous output is kept"
            ) from exc

    def written(self) -> dict[str, Written]:
        """Every file added, once written: its size and SHA-256 (raises what making or
        writing one raised)."""
        try:
            return {name: future.result() for name, future in self.files.items()}
        except OSError as exc:
            raise DialogueKGError(
                f"cannot write {self.out_dir}: {exc}; the previous output is kept"
            ) from exc

    def commit(self, last: Mapping[str, bytes]) -> None:
        """Write ``last`` (the files describing the others), then put the folder in place."""
        for name, content in last.items():
            self.add(name, _ready(content))
        self.written()
        try:
            _swap_in(self.staging, self.out_dir)
        except OSError as exc:
            raise DialogueKGError(
                f"cannot write {self.out_dir}: {exc}; the previous output is kept"
            ) from exc
        self._committed = True


def _foreign_files(out_dir: Path) -> list[str]:
    """Files in ``out_dir`` and its subfolders (``tables/``; an older server's store folders
    aside) that its SHA256SUMS does not list (all of them if it has none)."""
    if not out_dir.exists():
        return []
    if not out_dir.is_dir():
        return [out_dir.name]
    present = sorted(_files_in(out_dir))
    listing = out_dir / CHECKSUMS
    if not listing.is_file():
        return present
    listed = set(listed_checksums(listing.read_text(errors="replace")))
    return [name for name in present if name not in listed | {CHECKSUMS, *STORE_DIRS}]


def _files_in(out_dir: Path) -> list[str]:
    """The paths of the files under ``out_dir``, ``/``-separated, the store folders aside."""
    found = []
    for folder, subfolders, names in os.walk(out_dir):
        here = Path(folder).relative_to(out_dir)
        if here == Path():
            subfolders[:] = [name for name in subfolders if name not in STORE_DIRS]
        found += [(here / name).as_posix() for name in names]
    return found


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Put the folder ``staging`` where ``out_dir`` was."""
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, retired / out_dir.name)
        os.replace(staging, out_dir)
        shutil.rmtree(retired)
    else:
        os.replace(staging, out_dir)
