"""Entity documents: what describes a resource, in each RDF format, rendered once per build.

A description is read with the store's pattern API (no query text is ever made from a
request): the resource's own triples (one page of each property), the claims behind its facts
with their sources, and one page of what points at it, all labelled. A rendered document
depends only on the build, so it is kept in a bounded cache and served with a strong ``ETag``
made from the build's checksum (``304 Not Modified`` for ``If-None-Match``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .pages import RDFS_LABEL
from .site import DEFAULT, RDF_TYPE, Site

RDF_SUBJECT = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject")
DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
DCT_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
SCHEMA_URL = ox.NamedNode("http://schema.org/url")
SCHEMA_PUBLISHER = ox.NamedNode("http://schema.org/publisher")
REPUBLISHES = ox.NamedNode("https://w3id.org/dialoguekg/def#republishes")
ORIGIN = (SCHEMA_PUBLISHER, ox.NamedNode("https://w3id.org/dialoguekg/def#copyOf"), REPUBLISHES)
DATASET_BASE = "https://w3id.org/dialoguekg/"

Node = ox.NamedNode | ox.BlankNode


def _triples(store: ox.Store, s: Node | None, p: ox.NamedNode | None, o: Any) -> list[ox.Triple]:
    return [q.triple for q in store.quads_for_pattern(s, p, o, DEFAULT)]


def _labelled(store: ox.Store, node: Any) -> list[ox.Triple]:
    """``node``'s labels, when it is a node that can have any."""
    if isinstance(node, ox.NamedNode | ox.BlankNode):
        return _triples(store, node, RDFS_LABEL, None)
    return []


def _source_triples(store: ox.Store, source: Any) -> list[ox.Triple]:
    """A source's labels and URLs, only when it has both (as the pages cite them), with what
    tells its origin: its publisher, the publisher it copies, the source it republishes and
    that one's publisher (agreement counts independent origins)."""
    labels, urls = _labelled(store, source), []
    if labels and isinstance(source, ox.NamedNode | ox.BlankNode):
        urls = _triples(store, source, SCHEMA_URL, None)
    if not urls:
        return []
    origin = [t for p in ORIGIN for t in _triples(store, source, p, None)]
    for t in _triples(store, source, REPUBLISHES, None):
        if isinstance(t.object, ox.NamedNode):
            origin += _triples(store, t.object, SCHEMA_PUBLISHER, None)
    return labels + urls + origin


def describe(
    site: Site, iri: ox.NamedNode, page: int, size: int | None = None
) -> tuple[list[ox.Triple], bool]:
    """The triples that describe ``iri``: one page (of ``size`` values, by default the
    site's) of each of its own properties and of what points at it (labelled), the claims
    behind its facts and their sources; and whether a further page exists."""
    store, size = site.store, size or site.settings.page_size
    own = _triples(store, iri, None, None)
    kept, more = _page_own(own, page, size)
    triples = list(kept)
    for t in kept:
        triples += _labelled(store, t.object)
        if t.predicate in (DCT_SOURCE, DERIVED_FROM):
            triples += _source_triples(store, t.object)
    for claim in {t.subject for t in _triples(store, None, RDF_SUBJECT, iri)}:
        if not isinstance(claim, ox.NamedNode | ox.BlankNode):
            continue
        statements = _triples(store, claim, None, None)
        triples += statements
        for t in statements:
            if t.predicate == DERIVED_FROM:
                triples += _source_triples(store, t.object)
    pointing = sorted(
        {
            t.subject
            for t in _triples(store, None, None, iri)
            if t.predicate != RDF_SUBJECT and isinstance(t.subject, ox.NamedNode | ox.BlankNode)
        },
        key=lambda s: (isinstance(s, ox.NamedNode), s.value),
    )
    more = more or len(pointing) > page * size
    for subject in pointing[(page - 1) * size : page * size]:
        triples += _triples(store, subject, None, iri) + _labelled(store, subject)
    unique = {(str(t.subject), str(t.predicate), str(t.object)): t for t in triples}
    return [unique[k] for k in sorted(unique)], more


def _page_own(triples: list[ox.Triple], page: int, size: int) -> tuple[list[ox.Triple], bool]:
    """One page (``size`` values) of each own property; types and labels stay on every page.
    Returns the kept triples and whether any property has more values."""
    by_property: dict[str, list[ox.Triple]] = {}
    kept: list[ox.Triple] = []
    for triple in triples:
        if triple.predicate in (RDFS_LABEL, RDF_TYPE):
            kept.append(triple)
        else:
            by_property.setdefault(triple.predicate.value, []).append(triple)
    more = False
    for values in by_property.values():
        values.sort(key=str)
        more = more or len(values) > page * size
        kept += values[(page - 1) * size : page * size]
    return kept, more


def rebase_iri(iri: str, base: str | None) -> str:
    """``iri`` under the web base ``base`` when it is one of the graph's own IRIs."""
    if base and iri.startswith(DATASET_BASE):
        return base + iri[len(DATASET_BASE) :]
    return iri


def rebase(triples: list[ox.Triple], base: str | None) -> list[ox.Triple]:
    """The triples with the graph's IRIs moved to ``base`` (Pubby's dataset base → web base),
    so that links followed from a served document stay on this server."""
    if not base:
        return triples

    def term(t: Any) -> Any:
        return ox.NamedNode(rebase_iri(t.value, base)) if isinstance(t, ox.NamedNode) else t

    return [ox.Triple(term(t.subject), term(t.predicate), term(t.object)) for t in triples]


@dataclass(frozen=True)
class Rendered:
    """A response body that depends only on the build, with its media type and extra headers."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Entry:
    """A cached response: what was rendered, its strong ETag, and its headers as sent."""

    rendered: Rendered
    etag: str
    raw_headers: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]  # what a 304 repeats: the validator and caching


class Cache:
    """Rendered responses of one build, at most ``max_bytes`` (bodies, keys and headers),
    least recently used dropped first, each with a strong ETag made from the version (the
    build's checksum, the code's version, the settings that shape bodies) and its key."""

    def __init__(self, version: str, max_bytes: int) -> None:
        self.version = version  # the build's checksum and all else a body depends on
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, Entry] = OrderedDict()
        self._sizes: dict[str, int] = {}  # bytes an entry holds: body, key, headers
        self._lock = threading.Lock()

    def etag(self, key: str) -> str:
        """A strong validator: the same key of the same build has the same bytes."""
        digest = hashlib.sha256(f"{self.version}\n{key}".encode()).hexdigest()[:32]
        return f'"{digest}"'

    def get(self, key: str) -> Entry | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, rendered: Rendered, *headers: tuple[str, str]) -> Entry:
        """Keep ``rendered`` (unless it alone is over the bound) and return its entry."""
        etag = self.etag(key)
        raw = [
            (b"content-type", rendered.media_type.encode("latin-1")),
            (b"content-length", str(len(rendered.body)).encode()),
            (b"etag", etag.encode()),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers),
        ]
        entry = Entry(rendered, etag, raw, [(b"etag", etag.encode()), *raw[3:]])
        size = len(rendered.body) + len(key) + sum(len(k) + len(v) for k, v in raw) + 200
        if size > self.max_bytes // 16:
            return entry
        with self._lock:
            old = self._sizes.pop(key, 0)
            self._items.pop(key, None)
            self.bytes += size - old
            self._items[key], self._sizes[key] = entry, size
            while self.bytes > self.max_bytes:
                dropped, _ = self._items.popitem(last=False)
                self.bytes -= self._sizes.pop(dropped)
        return entry
