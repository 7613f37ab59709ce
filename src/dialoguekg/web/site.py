"""The published graph as the server holds it: an in-memory store loaded from the build's
N-Quads, the build's checksum, the ontology's term labels, the search and reconciliation
indexes, the dumps.

Nothing is written beside the build: the server parses ``dialoguekg.nq`` at every start, at
pyoxigraph's speed, and its query workers, forked from a process that holds the loaded store,
share its memory (``zygote``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from ..errors import QueryError
from ..export import read_checksums, release_of
from ..query import Loading, LocalStore, lines_of
from ..release import Release
from ..vocab import ONTOLOGY_IRI, PREFIXES, curie
from . import reconcile
from .pages import RDFS_LABEL, Event, SearchIndex, page_of
from .settings import ServeSettings

DUMP = "dialoguekg.nq"

SCHEMA_START = ox.NamedNode("http://schema.org/startDate")
SUPER_EVENT = ox.NamedNode("http://schema.org/superEvent")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
MEETING = ox.NamedNode(PREFIXES["dkg"] + "Meeting")
ON_BEHALF_OF = ox.NamedNode(PREFIXES["dkg"] + "onBehalfOf")
EVENT = ox.NamedNode(PREFIXES["dkg"] + "event")
PARTICIPANT = ox.NamedNode(PREFIXES["dkg"] + "participant")
IN_ROLE = ox.NamedNode(PREFIXES["dkg"] + "inRole")
DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
PARTY = ox.NamedNode(PREFIXES["dkg"] + "Party")
PERSON = ox.NamedNode(PREFIXES["dkg"] + "Person")
DEFAULT = ox.DefaultGraph()


def dump_checksums(dist: Path) -> dict[str, str]:
    """The SHA-256 of every file ``build`` wrote, from ``SHA256SUMS``."""
    try:
        return read_checksums(dist)
    except OSError as exc:
        raise QueryError(f"no built graph in {dist} ({exc}): run 'dialoguekg build'") from exc


@dataclass(frozen=True)
class Link:
    label: str
    href: str


class Site:
    """The store and what the pages need from it besides one entity's description."""

    def __init__(
        self, dist: Path, settings: ServeSettings, loading: Loading | None = None
    ) -> None:
        """``loading``: the dump of ``dist`` already loading (``serve`` starts it first)."""
        self.dist = dist
        self.settings = settings
        #: The SHA-256 of every file ``build`` wrote, read once (the home page's downloads).
        self.checksums = dump_checksums(dist)
        if DUMP not in self.checksums:
            raise QueryError(f"{dist}/SHA256SUMS names no {DUMP}: rebuild with 'dialoguekg build'")
        self.checksum = self.checksums[DUMP]
        #: The quads served: the dump's lines (``build`` writes one quad a line, each once);
        #: pyoxigraph counts a store by reading every quad.
        if loading is None:
            self.size = lines_of(dist / DUMP)
            self.store = LocalStore(dist / DUMP).store
        else:
            loaded, self.size = loading.result(self.checksum)
            self.store = loaded.store
        self.dump_names = sorted(self.checksums)
        self.term_labels = {
            quad.subject.value: quad.object.value
            for quad in self.store.quads_for_pattern(
                None, RDFS_LABEL, None, ox.NamedNode(ONTOLOGY_IRI)
            )
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal)
        }
        self._lock = threading.Lock()

    @cached_property
    def release(self) -> Release:
        """The release of the build served, as its ``void.ttl`` states it."""
        return release_of(self.dist)

    @cached_property
    def search_index(self) -> SearchIndex:
        with self._lock:
            return SearchIndex(self.store)

    @cached_property
    def reconcilable(self) -> list[reconcile.Entity]:
        with self._lock:
            return reconcile.entities(self.store)

    def exists(self, iri: str) -> bool:
        """Whether ``iri`` is the subject of a triple; False for what is not an IRI at all."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        return next(iter(self.store.quads_for_pattern(node, None, None, DEFAULT)), None) is not None

    def curie(self, iri: str) -> str:
        return curie(iri) or iri

    def label_of_term(self, iri: str) -> str:
        return self.term_labels.get(iri) or self.curie(iri)

    def label(self, node: ox.NamedNode | ox.BlankNode) -> str | None:
        for quad in self.store.quads_for_pattern(node, RDFS_LABEL, None, DEFAULT):
            if isinstance(quad.object, ox.Literal):
                return quad.object.value
        return None

    def meetings(self, party: str | None = None) -> list[Event]:
        """The meetings in time order; with ``party``, those it took part in."""
        if party is None:
            found: set[ox.NamedNode | ox.BlankNode] = {
                q.subject
                for q in self.store.quads_for_pattern(None, RDF_TYPE, MEETING, DEFAULT)
                if isinstance(q.subject, ox.NamedNode | ox.BlankNode)
            }
        else:
            found = set()
            for part in self.store.quads_for_pattern(None, ON_BEHALF_OF, ox.NamedNode(party)):
                if isinstance(part.subject, ox.NamedNode | ox.BlankNode):
                    for event in self.store.quads_for_pattern(part.subject, EVENT, None, DEFAULT):
                        found.update(self._meeting_of(event.object))
        events = []
        for meeting in found:
            label = self.label(meeting)
            dates = [
                q.object.value
                for q in self.store.quads_for_pattern(meeting, SCHEMA_START, None)
                if isinstance(q.object, ox.Literal)
            ]
            if label is not None and dates and isinstance(meeting, ox.NamedNode):
                events.append(Event(page_of(meeting.value), label, min(dates)))
        return sorted(events, key=lambda e: (e.start, e.label))

    def parties_at(self, meeting: str) -> list[tuple[Link, list[Link]]]:
        """The parties on whose behalf someone took part in ``meeting`` or one of its
        sessions, each with those persons, by name."""
        node = ox.NamedNode(meeting)
        events = {node} | {
            q.subject
            for q in self.store.quads_for_pattern(None, SUPER_EVENT, node, DEFAULT)
            if isinstance(q.subject, ox.NamedNode)
        }
        persons: dict[ox.NamedNode, set[ox.NamedNode]] = {}
        for event in events:
            for part in self.store.quads_for_pattern(None, EVENT, event, DEFAULT):
                if not isinstance(part.subject, ox.NamedNode | ox.BlankNode):
                    continue
                who = self.store.quads_for_pattern(part.subject, PARTICIPANT, None)
                people = {q.object for q in who if isinstance(q.object, ox.NamedNode)}
                for party in self.store.quads_for_pattern(part.subject, ON_BEHALF_OF, None):
                    if isinstance(party.object, ox.NamedNode) and self._is(party.object, PARTY):
                        persons.setdefault(party.object, set()).update(people)
        listed = [
            (self.link(party), sorted((self.link(p) for p in people), key=lambda k: k.label))
            for party, people in persons.items()
        ]
        return sorted(listed, key=lambda entry: entry[0].label)

    def took_part(self, person: str) -> list[tuple[Link, Link, list[Link]]]:
        """Each event and role in which ``person`` took part, once, with every source that
        says so (one participation record per source in the data)."""
        sources: dict[tuple[ox.NamedNode, ox.NamedNode], set[ox.NamedNode]] = {}
        for part in self.store.quads_for_pattern(None, PARTICIPANT, ox.NamedNode(person)):
            node = part.subject
            if not isinstance(node, ox.NamedNode):
                continue
            events = [q.object for q in self.store.quads_for_pattern(node, EVENT, None)]
            roles = [q.object for q in self.store.quads_for_pattern(node, IN_ROLE, None)]
            cited = [q.object for q in self.store.quads_for_pattern(node, DERIVED_FROM, None)]
            for event in events:
                for role in roles:
                    if isinstance(event, ox.NamedNode) and isinstance(role, ox.NamedNode):
                        found = sources.setdefault((event, role), set())
                        found.update(c for c in cited if isinstance(c, ox.NamedNode))
        listed = [
            (
                self.link(event),
                self.link(role),
                sorted((self.link(c) for c in cited), key=lambda k: k.label),
            )
            for (event, role), cited in sources.items()
        ]
        return sorted(listed, key=lambda entry: (entry[0].label, entry[1].label))

    def link(self, node: ox.NamedNode) -> Link:
        """A resource of the graph as a page links it: its label and its path."""
        return Link(self.label(node) or node.value, page_of(node.value))

    def _is(self, node: ox.NamedNode, cls: ox.NamedNode) -> bool:
        found = self.store.quads_for_pattern(node, RDF_TYPE, cls, DEFAULT)
        return next(iter(found), None) is not None

    def _meeting_of(self, event: object) -> set[ox.NamedNode | ox.BlankNode]:
        """``event`` and the event it is part of (a session's meeting), where each is one."""
        if not isinstance(event, ox.NamedNode | ox.BlankNode):
            return set()
        candidates = {event} | {
            q.object
            for q in self.store.quads_for_pattern(event, SUPER_EVENT, None, DEFAULT)
            if isinstance(q.object, ox.NamedNode | ox.BlankNode)
        }
        return {
            c
            for c in candidates
            if next(iter(self.store.quads_for_pattern(c, RDF_TYPE, MEETING, DEFAULT)), None)
        }
