"""Write the graph as dumps: Turtle, JSON-LD, N-Triples, TriG, N-Quads, VoID/DCAT, SHA256SUMS.

Rendering is pure (graph in, bytes out) and deterministic: the graph has no blank nodes, rdflib's
Turtle is sorted, the line formats are sorted, JSON-LD is compacted with the project's context
and its arrays sorted, TriG is written by pyoxigraph from sorted quads. Writing is atomic: every
file goes to a fresh sibling folder that then replaces the output folder, so a failure leaves
the previous dumps as they were.

TriG and N-Quads hold the dataset: the data in the default graph, the ontology in the named
graph ``https://w3id.org/dialoguekg/def``, so one file loads everything into a triplestore.
VoID: https://www.w3.org/TR/void/ · DCAT 3: https://www.w3.org/TR/vocab-dcat-3/
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from . import __version__
from .errors import DialogueKGError, ProjectError
from .vocab import DATASET_IRI, DCAT, ID, ONTOLOGY_IRI, PREFIXES, SPDX, VOID, WD, bind_prefixes

BASE_NAME = "dialoguekg"
DUMPS_BASE = "https://w3id.org/dialoguekg/dumps/"
CHECKSUMS = "SHA256SUMS"
DATA_LICENSE = URIRef("https://creativecommons.org/licenses/by-sa/4.0/")


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


def render(graph: Graph, ontology: Graph, context: Mapping[str, Any]) -> dict[str, bytes]:
    """Every dump of the graph by file name; byte-identical for the same graph."""
    renderers = {
        "ttl": lambda: _turtle(graph),
        "jsonld": lambda: jsonld(graph, context),
        "nt": lambda: _sorted_lines(graph.serialize(format="nt", encoding="utf-8")),
        "trig": lambda: _oxigraph(_quads(graph, ontology), ox.RdfFormat.TRIG),
        "nq": lambda: _oxigraph(_quads(graph, ontology), ox.RdfFormat.N_QUADS),
    }
    return {f"{BASE_NAME}.{fmt.suffix}": renderers[fmt.suffix]() for fmt in FORMATS}


def _turtle(graph: Graph) -> bytes:
    return bind_prefixes(graph).serialize(format="turtle", encoding="utf-8")


def _sorted_lines(text: bytes) -> bytes:
    lines = sorted({line for line in text.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")


def jsonld(graph: Graph, context: Mapping[str, Any]) -> bytes:
    """The graph as JSON-LD compacted with ``context``, arrays sorted so output is stable."""
    text = graph.serialize(format="json-ld", context=dict(context), auto_compact=True)
    document = _canonical(json.loads(text))
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode(
        "utf-8"
    )


def _canonical(node: Any) -> Any:
    """Sort every array (JSON-LD arrays are sets unless ``@list``, which the graph never uses)."""
    if isinstance(node, dict):
        return {k: _canonical(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [_canonical(v) for v in node]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return node


def _to_ox(graph: Graph) -> list[ox.Triple]:
    return list(
        ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    )


def _quads(graph: Graph, ontology: Graph) -> list[ox.Quad]:
    """Data in the default graph, the ontology in its named graph, sorted for stable output."""
    default = ox.DefaultGraph()
    named = ox.NamedNode(str(ONTOLOGY_IRI))
    quads = [ox.Quad(t.subject, t.predicate, t.object, default) for t in _to_ox(graph)]
    quads += [ox.Quad(t.subject, t.predicate, t.object, named) for t in _to_ox(ontology)]
    return sorted(
        quads, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
    )


def _oxigraph(quads: list[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
    output = ox.serialize(quads, format=fmt, prefixes=prefixes)
    assert output is not None
    return bytes(output)


def describe(graph: Graph, dumps: Mapping[str, bytes], modified: str | None) -> bytes:
    """VoID + DCAT description of the dataset and each dump (media type, size, checksum)."""
    void = bind_prefixes(Graph())
    ds = DATASET_IRI
    void.add((ds, RDF.type, VOID.Dataset))
    void.add((ds, RDF.type, DCAT.Dataset))
    void.add(
        (
            ds,
            DCTERMS.title,
            Literal("dialoguekg: the CPC's dialogues with world political parties", lang="en"),
        )
    )
    void.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "A source-tracked knowledge graph of the CPC in Dialogue with World Political "
                "Parties High-level Meeting, its predecessor and related summits: meetings, "
                "sessions, parties, persons, roles and participations, every contestable fact "
                "a claim citing its source.",
                lang="en",
            ),
        )
    )
    void.add((ds, DCTERMS.license, DATA_LICENSE))
    void.add((ds, DCAT.version, Literal(__version__)))
    void.add((ds, DCTERMS.publisher, Literal("The dialoguekg developers")))
    if modified:
        void.add((ds, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    void.add((ds, VOID.vocabulary, URIRef(str(ONTOLOGY_IRI))))
    void.add((ds, VOID.uriSpace, Literal(str(ID))))
    void.add((ds, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
    void.add((ds, VOID.entities, Literal(entity_count(graph), datatype=XSD.integer)))
    for cls in sorted({o for o in graph.objects(None, RDF.type) if isinstance(o, URIRef)}):
        part = URIRef(f"{ds}/class/{_slug(cls)}")
        void.add((ds, VOID.classPartition, part))
        void.add((part, VOID["class"], cls))
        void.add(
            (
                part,
                VOID.entities,
                Literal(len(set(graph.subjects(RDF.type, cls))), datatype=XSD.integer),
            )
        )
    links = [
        (s, o) for s, p, o in graph.triples((None, OWL.sameAs, None)) if str(o).startswith(str(WD))
    ]
    linkset = URIRef(f"{ds}/links/wikidata")
    void.add((ds, VOID.subset, linkset))
    void.add((linkset, RDF.type, VOID.Linkset))
    void.add((linkset, VOID.target, URIRef("http://www.wikidata.org/")))
    void.add((linkset, VOID.linkPredicate, OWL.sameAs))
    void.add((linkset, VOID.triples, Literal(len(links), datatype=XSD.integer)))
    for fmt in FORMATS:
        name = f"{BASE_NAME}.{fmt.suffix}"
        dist = URIRef(DUMPS_BASE + name)
        checksum = URIRef(f"{dist}#sha256")
        void.add((ds, DCAT.distribution, dist))
        void.add((ds, VOID.dataDump, dist))
        void.add((dist, RDF.type, DCAT.Distribution))
        void.add((dist, DCAT.downloadURL, dist))
        void.add(
            (
                dist,
                DCAT.mediaType,
                URIRef(f"https://www.iana.org/assignments/media-types/{fmt.media_type}"),
            )
        )
        void.add((dist, DCTERMS["format"], Literal(fmt.media_type)))
        void.add((dist, DCAT.byteSize, Literal(len(dumps[name]), datatype=XSD.nonNegativeInteger)))
        void.add((dist, SPDX.checksum, checksum))
        void.add((checksum, RDF.type, SPDX.Checksum))
        void.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        void.add(
            (
                checksum,
                SPDX.checksumValue,
                Literal(hashlib.sha256(dumps[name]).hexdigest(), datatype=XSD.hexBinary),
            )
        )
    return _turtle(void)


def entity_count(graph: Graph) -> int:
    """How many typed resources the graph mints under its own namespace (void:entities)."""
    return len({s for s in graph.subjects(RDF.type, None) if str(s).startswith(str(ID))})


def link_counts(graph: Graph) -> list[str]:
    """``Wikidata links: Person 8 of 15, …``: linked and unlinked entities by class."""
    from .vocab import DKG

    parts = []
    for cls in (DKG.Person, DKG.Party, DKG.Country, DKG.City, DKG.StateOffice):
        members = set(graph.subjects(RDF.type, cls))
        linked = {m for m in members if graph.value(m, URIRef(str(DKG) + "wikidataId")) is not None}
        parts.append(f"{str(cls).rsplit('#', 1)[1]} {len(linked)} of {len(members)}")
    return ["Wikidata links: " + ", ".join(parts)]


def _slug(iri: URIRef) -> str:
    for prefix, ns in PREFIXES.items():
        if str(iri).startswith(str(ns)):
            return f"{prefix}-{str(iri)[len(str(ns)) :]}"
    return hashlib.sha256(str(iri).encode()).hexdigest()[:12]


def checksums(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum``-compatible lines, sorted by file name."""
    return "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n"
        for name, content in sorted(files.items())
    ).encode("ascii")


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


def all_files(graph: Graph, ontology: Graph, context: Mapping[str, Any]) -> dict[str, bytes]:
    """Every file of an output folder: the dumps, ``void.ttl`` and ``SHA256SUMS``."""
    files = render(graph, ontology, context)
    files["void.ttl"] = describe(graph, files, modified_date())
    files[CHECKSUMS] = checksums(files)
    return files


# ---------------------------------------------------------------------------------------------
# Writing (atomic)
# ---------------------------------------------------------------------------------------------


def write(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Replace ``out_dir`` with exactly ``files``, atomically; refuse a folder we did not write."""
    out_dir = Path(out_dir)
    foreign = _foreign_files(out_dir)
    if foreign:
        raise DialogueKGError(
            f"refusing to replace {out_dir}: it holds files dialoguekg did not write "
            f"({', '.join(foreign[:3])}{', …' if len(foreign) > 3 else ''}, "
            f"not in its {CHECKSUMS}); choose an empty or new folder with --out"
        )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    except OSError as exc:
        raise DialogueKGError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    staging.chmod(0o755)  # mkdtemp makes it private; the dumps are for everyone
    try:
        _swap_in(staging, out_dir, files)
    except OSError as exc:
        raise DialogueKGError(
            f"cannot write {out_dir}: {exc}; the previous output is kept"
        ) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _foreign_files(out_dir: Path) -> list[str]:
    """Files in ``out_dir`` that its SHA256SUMS does not list (all of them if it has none)."""
    if not out_dir.exists():
        return []
    if not out_dir.is_dir():
        return [out_dir.name]
    present = sorted(p.name for p in out_dir.iterdir())
    listing = out_dir / CHECKSUMS
    if not listing.is_file():
        return present
    listed = {
        line.split("  ", 1)[1]
        for line in listing.read_text(errors="replace").splitlines()
        if "  " in line
    }
    return [name for name in present if name not in listed | {CHECKSUMS}]


def _swap_in(staging: Path, out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` into ``staging``, then put it where ``out_dir`` was."""
    for name, content in files.items():
        (staging / name).write_bytes(content)
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, retired / out_dir.name)
        os.replace(staging, out_dir)
        shutil.rmtree(retired)
    else:
        os.replace(staging, out_dir)
