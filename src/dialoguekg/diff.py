"""``dialoguekg diff OLD NEW``: what changed between two builds, in words and as RDF.

Each build is read from the N-Quads dump it wrote (``dialoguekg.nq``: the data in the default
graph, the ontology in a named graph), once the dump is found to have the SHA-256 its
``SHA256SUMS`` lists, into an in-memory pyoxigraph store. The data (the default graph) is
compared; the ontology of each build only names classes and properties in the words.

- **Triples** added are those of NEW that OLD does not hold, removed the converse: each quad
  of one store is looked up in the other's index, so the work grows with the dumps' size.
- **Entities**: the typed resources minted under ``…/id/``, claims apart, by their most
  specific class in the ontology, with their labels.
- **Claims**: ``dkg:Claim`` nodes. A claim's IRI is a hash of what it states, so a claim whose
  value or source changed is one claim removed and one added.
- **Facts**: the plain triples derived from the claims (the value shown, as Wikidata's truthy
  triples): for each subject and property some claim is about, in a subject both builds hold,
  the shown values when they differ.
- **Conflicts**: the unordered ``dkg:conflictsWith`` pairs the build's verdicts wrote.

Blank nodes: the build mints none (claims, participations and memberships are IRIs), so
triples compare as RDF terms. A dump that holds one is refused: blank node labels of two
files name nothing in common, and a comparison would need graph isomorphism.

The change as RDF is TriG (https://www.w3.org/TR/trig/) with two named graphs, ``ADDED`` and
``REMOVED``, holding exactly the triples of NEW not in OLD and of OLD not in NEW, sorted; a
graph with nothing is written as an empty block. TriG rather than RDF Patch
(https://afs.github.io/rdf-patch/): every RDF tool and store reads TriG, and a set difference
has no order of operations for Patch to record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import DialogueKGError, DiffError
from .export import BASE_NAME, CHECKSUMS, file_sha256, read_checksums, release_of, write_file
from .query import load_dump
from .release import Release
from .vocab import DKG, ID, ONTOLOGY_IRI, PROV, RDF, RDFS, curie

DUMP = f"{BASE_NAME}.nq"
ADDED = "https://w3id.org/dialoguekg/diff/added"
REMOVED = "https://w3id.org/dialoguekg/diff/removed"

DEFAULT = ox.DefaultGraph()
ONTOLOGY = ox.NamedNode(ONTOLOGY_IRI)
TYPE = ox.NamedNode(RDF.type)
LABEL = ox.NamedNode(RDFS.label)
SUBCLASS = ox.NamedNode(RDFS.subClassOf)
CLAIM = ox.NamedNode(DKG.Claim)
SUBJECT, PREDICATE, OBJECT = (ox.NamedNode(RDF[n]) for n in ("subject", "predicate", "object"))
SOURCE = ox.NamedNode(PROV.wasDerivedFrom)
QUALIFIER = ox.NamedNode(DKG.countQualifier)
CONFLICTS = ox.NamedNode(DKG.conflictsWith)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Build:
    """One build as the diff reads it: its folder, its release and its dataset."""

    dist: Path
    release: Release
    store: ox.Store

    def label(self, term: Term) -> str:
        """A term in words: a label (English first), a literal's text, or a compact IRI."""
        if isinstance(term, ox.Literal):
            return term.value
        if not isinstance(term, ox.NamedNode):
            return str(term)
        labels = [
            q.object
            for q in self.store.quads_for_pattern(term, LABEL, None, None)
            if isinstance(q.object, ox.Literal)
        ]
        if labels:
            return min(labels, key=lambda lit: (lit.language != "en", lit.value)).value
        if term.value.startswith(str(ID)):
            return term.value[len(str(ID)) :]
        return curie(term.value) or term.value

    def objects(self, subject: ox.NamedNode, predicate: ox.NamedNode) -> list[Term]:
        """The values of ``predicate`` on ``subject`` in the data, sorted."""
        found = self.store.quads_for_pattern(subject, predicate, None, DEFAULT)
        return sorted((q.object for q in found), key=str)

    def data(self) -> Iterator[ox.Quad]:
        return iter(self.store.quads_for_pattern(None, None, None, DEFAULT))


@dataclass(frozen=True, order=True)
class Entity:
    """An entity one build holds and the other does not."""

    cls: str
    label: str
    iri: str


@dataclass(frozen=True, order=True)
class Fact:
    """A subject's property whose shown values differ between the builds."""

    subject: str
    predicate: str
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class Diff:
    """What changed from ``old`` to ``new``: triples, and what they mean in words."""

    old: Build
    new: Build
    added: list[ox.Triple]
    removed: list[ox.Triple]
    entities_added: list[Entity]
    entities_removed: list[Entity]
    claims_added: list[str]
    claims_removed: list[str]
    facts: list[Fact]
    conflicts_added: list[str]
    conflicts_removed: list[str]

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed


# ---------------------------------------------------------------------------------------------
# Reading and comparing
# ---------------------------------------------------------------------------------------------


def load(dist: Path) -> Build:
    """The build in ``dist``, its dump checked against its ``SHA256SUMS`` (raises DiffError)."""
    if not dist.is_dir():
        raise DiffError(f"{dist}: no such folder; expected a folder 'dialoguekg build' wrote")
    sums = dist / CHECKSUMS
    dump = dist / DUMP
    try:
        expected = read_checksums(dist)
    except (OSError, ValueError) as exc:
        raise DiffError(
            f"{sums}: not readable ({exc}); {dist} is not a folder 'dialoguekg build' wrote"
        ) from exc
    if DUMP not in expected:
        raise DiffError(f"{sums}: lists no {DUMP}; {dist} is not a folder 'dialoguekg build' wrote")
    try:
        found = file_sha256(dump)
    except OSError as exc:
        raise DiffError(f"{dump}: not readable ({exc.strerror or exc})") from exc
    if found != expected[DUMP]:
        raise DiffError(
            f"{dump}: its SHA-256 is not the one {CHECKSUMS} lists; the dump changed after the "
            "build (rebuild it)"
        )
    try:
        store = load_dump(dump)
    except SyntaxError as exc:
        raise DiffError(f"{dump}: not N-Quads: {exc.msg}") from exc
    try:
        release = release_of(dist)
    except DialogueKGError as exc:
        raise DiffError(str(exc)) from exc
    return Build(dist, release, store)


def compare(old_dist: Path, new_dist: Path) -> Diff:
    """What changed from the build in ``old_dist`` to the one in ``new_dist``."""
    old, new = load(old_dist), load(new_dist)
    added = _only_in(new, old)
    removed = _only_in(old, new)
    old_claims, new_claims = _typed(old, CLAIM), _typed(new, CLAIM)
    old_conflicts, new_conflicts = _conflicts(old), _conflicts(new)
    old_entities, new_entities = _entities(old), _entities(new)
    return Diff(
        old,
        new,
        added,
        removed,
        sorted(_entity(new, e) for e in new_entities - old_entities),
        sorted(_entity(old, e) for e in old_entities - new_entities),
        sorted(_claim(new, c) for c in new_claims - old_claims),
        sorted(_claim(old, c) for c in old_claims - new_claims),
        _facts(old, new, old_entities & new_entities),
        sorted(_conflict(new, pair) for pair in new_conflicts - old_conflicts),
        sorted(_conflict(old, pair) for pair in old_conflicts - new_conflicts),
    )


def _only_in(one: Build, other: Build) -> list[ox.Triple]:
    """The data triples of ``one`` that ``other`` does not hold, sorted; refuses blank nodes."""
    found = []
    for quad in one.data():
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            raise DiffError(
                f"{one.dist / DUMP}: holds blank nodes ({quad.triple}); the blank nodes of two "
                "dumps cannot be compared (dialoguekg builds mint none)"
            )
        if quad not in other.store:
            found.append(quad.triple)
    return sorted(found, key=str)


def _typed(build: Build, cls: ox.NamedNode) -> set[ox.NamedNode]:
    found = build.store.quads_for_pattern(None, TYPE, cls, DEFAULT)
    return {q.subject for q in found if isinstance(q.subject, ox.NamedNode)}


def _entities(build: Build) -> set[ox.NamedNode]:
    """The typed resources minted under ``…/id/``, claims apart."""
    found = set()
    for quad in build.store.quads_for_pattern(None, TYPE, None, DEFAULT):
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(str(ID)):
            found.add(subject)
    return found - _typed(build, CLAIM)


def _entity(build: Build, iri: ox.NamedNode) -> Entity:
    types = [t for t in build.objects(iri, TYPE) if isinstance(t, ox.NamedNode)]
    own = [t for t in types if t.value.startswith(str(DKG))] or types
    specific = [t for t in own if not any(_below(build, s, t) for s in own if s != t)]
    return Entity(build.label(specific[0]) if specific else "", build.label(iri), iri.value)


def _below(build: Build, cls: ox.NamedNode, ancestor: ox.NamedNode) -> bool:
    """Whether ``cls`` is a subclass of ``ancestor`` in the build's ontology."""
    seen: set[ox.NamedNode] = set()
    todo = [cls]
    while todo:
        current = todo.pop()
        for quad in build.store.quads_for_pattern(current, SUBCLASS, None, ONTOLOGY):
            parent = quad.object
            if parent == ancestor:
                return True
            if isinstance(parent, ox.NamedNode) and parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return False


def _claim(build: Build, claim: ox.NamedNode) -> str:
    """A claim in words: ``2017 · party count: nearly 300 per Beijing Initiative``."""

    def first(predicate: ox.NamedNode) -> str:
        return ", ".join(build.label(t) for t in build.objects(claim, predicate))

    value = first(OBJECT)
    qualifier = first(QUALIFIER)
    if qualifier and qualifier != "as stated":
        value = f"{qualifier} {value}"
    return f"{first(SUBJECT)} · {first(PREDICATE)}: {value} per {first(SOURCE)}"


def _conflicts(build: Build) -> set[tuple[ox.NamedNode, ox.NamedNode]]:
    found = set()
    for quad in build.store.quads_for_pattern(None, CONFLICTS, None, DEFAULT):
        a, b = quad.subject, quad.object
        if isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode):
            found.add((a, b) if a.value < b.value else (b, a))
    return found


def _conflict(build: Build, pair: tuple[ox.NamedNode, ox.NamedNode]) -> str:
    return f"{_claim(build, pair[0])} against {_claim(build, pair[1])}"


def _facts(old: Build, new: Build, both: set[ox.NamedNode]) -> list[Fact]:
    """The claim-backed facts of subjects both builds hold whose shown values differ."""
    keys: set[tuple[ox.NamedNode, ox.NamedNode]] = set()
    for build in (old, new):
        for quad in build.store.quads_for_pattern(None, SUBJECT, None, DEFAULT):
            claim, subject = quad.subject, quad.object
            if (
                isinstance(claim, ox.NamedNode)
                and isinstance(subject, ox.NamedNode)
                and (subject in both)
            ):
                for predicate in build.objects(claim, PREDICATE):
                    if isinstance(predicate, ox.NamedNode):
                        keys.add((subject, predicate))
    changed = []
    for subject, predicate in keys:
        before, after = old.objects(subject, predicate), new.objects(subject, predicate)
        if before != after:
            changed.append(
                Fact(
                    new.label(subject),
                    new.label(predicate),
                    tuple(old.label(v) for v in before),
                    tuple(new.label(v) for v in after),
                )
            )
    return sorted(changed)


# ---------------------------------------------------------------------------------------------
# Writing: words, a CHANGELOG section, TriG
# ---------------------------------------------------------------------------------------------


def _heading(diff: Diff) -> str:
    old, new = diff.old, diff.new
    return (
        f"{old.dist} (release {old.release.version}) → {new.dist} (release {new.release.version})"
    )


def _sections(diff: Diff) -> list[tuple[str, str, list[str]]]:
    """Each part of the change: its title, its mark, its lines."""
    return [
        ("Entities added", "+", [f"{e.cls}: {e.label} ({e.iri})" for e in diff.entities_added]),
        (
            "Entities removed",
            "-",
            [f"{e.cls}: {e.label} ({e.iri})" for e in diff.entities_removed],
        ),
        ("Claims added", "+", diff.claims_added),
        ("Claims removed", "-", diff.claims_removed),
        ("Facts whose shown value changed", "~", [_fact(f) for f in diff.facts]),
        ("New conflicts", "!", diff.conflicts_added),
        ("Conflicts no longer found", "=", diff.conflicts_removed),
    ]


def _fact(fact: Fact) -> str:
    def values(found: tuple[str, ...]) -> str:
        return " / ".join(found) or "(none)"

    return f"{fact.subject} · {fact.predicate}: {values(fact.old)} → {values(fact.new)}"


def words(diff: Diff) -> list[str]:
    """The change in plain words, one line each; "no changes" for two equal builds."""
    if diff.empty:
        return [f"{_heading(diff)}: no changes"]
    lines = [f"{_heading(diff)}: {len(diff.added)} triples added, {len(diff.removed)} removed"]
    for title, mark, items in _sections(diff):
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {mark} {item}" for item in items)
    return lines


def changelog(diff: Diff) -> str:
    """A ``CHANGELOG.md`` section for NEW's release (Keep a Changelog 1.1.0,
    https://keepachangelog.com/en/1.1.0/): Added, Removed, Changed."""
    new, old = diff.new.release, diff.old.release
    lines = [f"## [{new.version}] - {new.date or 'unreleased'}", ""]
    if diff.empty:
        return "\n".join([*lines, f"No changes to the data since {old.version}.", ""])
    lines += [
        f"Compared with {old.version}: {len(diff.added)} triples added, "
        f"{len(diff.removed)} removed.",
        "",
    ]
    parts = {title: items for title, _, items in _sections(diff)}
    groups = {
        "Added": [("", parts["Entities added"]), ("Claim: ", parts["Claims added"])],
        "Removed": [("", parts["Entities removed"]), ("Claim: ", parts["Claims removed"])],
        "Changed": [
            ("", parts["Facts whose shown value changed"]),
            ("New conflict: ", parts["New conflicts"]),
            ("No longer in conflict: ", parts["Conflicts no longer found"]),
        ],
    }
    for title, entries in groups.items():
        items = [f"- {prefix}{_markdown(item)}" for prefix, found in entries for item in found]
        if items:
            lines += [f"### {title}", "", *items, ""]
    return "\n".join(lines)


def _markdown(text: str) -> str:
    """``text`` with the characters Markdown would read as markup escaped."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>#|" else c for c in text)


def trig(diff: Diff) -> bytes:
    """The change as TriG: the graph ``ADDED`` holds NEW's triples that OLD lacks, ``REMOVED``
    OLD's that NEW lacks, each sorted, so the same two builds give the same bytes."""

    def graph(name: str, triples: Iterable[ox.Triple]) -> str:
        body = "".join(f"{t} .\n" for t in triples)
        return f"<{name}> {{\n{body}}}\n"

    head = "# dialoguekg diff: " + _heading(diff).replace("\n", " ") + "\n"
    return (head + graph(ADDED, diff.added) + graph(REMOVED, diff.removed)).encode()


def write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically (``export.write_file``); raises DiffError."""
    write_file(path, content, DiffError)
