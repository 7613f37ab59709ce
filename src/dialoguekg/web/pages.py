"""What the HTML pages show: entity views, label search, and the meetings timeline.

Pure functions from triples (or a store) to view models; ``app`` renders them with the
templates. Nothing here writes HTML except the timeline, a small server-rendered SVG.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox

from ..query import select
from ..vocab import ID, PREFIXES
from . import names

RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
WIKIDATA = "http://www.wikidata.org/entity/"


class Terms(Protocol):
    """What a view needs of the site: the ontology's labels for its terms."""

    def label_of_term(self, iri: str) -> str: ...


def page_of(iri: str) -> str:
    """The site path of the HTML document about one of the graph's resources: pages link
    documents, which exist as files on a static host too (the thing IRI needs a server)."""
    return "/id/" + iri[len(str(ID)) :] + ".html"


def text(term: object) -> str:
    """The lexical value of an IRI, blank node or literal."""
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


@dataclass(frozen=True)
class Value:
    text: str
    href: str | None = None
    lang: str | None = None
    external: str | None = None  # "Wikidata" for links to Wikidata


@dataclass(frozen=True)
class ClaimRow:
    """One claim about the resource, as the page shows it."""

    property: str
    value: Value
    source: Value
    quote: Value | None
    qualifier: Value | None
    rank: str
    counted: str = ""
    status: str = ""
    measure: str = ""
    conflicts: bool = False  # the build found a claim it conflicts with (``verdicts``)
    origin: str = ""  # whose text the source is: the publisher it copies, or its own
    verdict: str = ""  # the build's, against the other claims on the fact

    def printed(self) -> str:
        """The value as the source bounds it: "nearly 300", "more than 200, registered"
        (what it counted, in the source's own words, is shown beside each source)."""
        hedge = self.qualifier.text if self.qualifier else ""
        text = self.value.text if hedge in PLAIN else f"{hedge} {self.value.text}"
        return text + (f", {self.status}" if self.status else "")


@dataclass(frozen=True)
class Stated:
    """One value of a fact as one or more sources state it, for the side-by-side table, with
    its verdict against the fact's other values."""

    printed: str
    rank: str
    sources: tuple[ClaimRow, ...]
    verdict: str = ""

    @property
    def origins(self) -> int:
        """How many independent origins state the value: copies and reprints of one
        publisher's text count once."""
        return len({c.origin or c.source.text for c in self.sources})


def side_by_side(rows: list[ClaimRow]) -> list[tuple[str, list[Stated]]]:
    """The facts that have more than one claim, each with its values grouped as printed and
    by measure: the 2017 party count is a handful of rows (more than 200, registered; nearly
    300; some 300…), each with its sources and the verdict the build gave its claims."""
    by_fact: dict[str, dict[tuple[str, ...], list[ClaimRow]]] = {}
    for row in rows:
        key = (row.printed(), row.rank, row.measure, row.status)
        by_fact.setdefault(row.property, {}).setdefault(key, []).append(row)
    return [
        (fact, _verdicts(groups))
        for fact, groups in sorted(by_fact.items())
        if sum(len(claims) for claims in groups.values()) > 1
    ]


def _origins(triples: list[ox.Triple]) -> dict[str, str]:
    """Each source's origin by the page path of the source: the publisher whose text it
    copies, else the publisher of the source it republishes, else its own publisher."""
    dkg = PREFIXES["dkg"]
    said: dict[str, dict[str, str]] = {}
    for t in triples:
        said.setdefault(text(t.subject), {})[t.predicate.value] = text(t.object)
    found = {}
    for source, props in said.items():
        republished = said.get(props.get(dkg + "republishes", ""), {})
        origin = (
            props.get(dkg + "copyOf")
            or republished.get("http://schema.org/publisher")
            or props.get("http://schema.org/publisher")
        )
        if origin and source.startswith(str(ID)):
            found[page_of(source)] = origin
    return found


#: The verdicts the build writes, most telling first: a row of several claims shows the first.
SEVERITY = ("conflicts", "counts something else", "compatible", "a wording", "agrees")


def _verdicts(groups: dict[tuple[str, ...], list[ClaimRow]]) -> list[Stated]:
    """Each value of one fact with the verdict the build gave its claims (``verdicts``)."""
    shown = []
    for (printed, rank, *_), claims in groups.items():
        given = {c.verdict for c in claims}
        verdict = next((v for v in SEVERITY if v in given), min(given))
        shown.append(Stated(printed, rank, tuple(claims), verdict))
    return shown


def value_of(site: Terms, term: Any, labels: dict[str, str]) -> Value:
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if iri.startswith(str(ID)):
            return Value(labels.get(iri, iri[len(str(ID)) :]), page_of(iri))
        if iri.startswith(WIKIDATA):
            return Value(iri[len(WIKIDATA) :], iri, external="Wikidata")
        return Value(site.label_of_term(iri), iri if iri.startswith("http") else None)
    if isinstance(term, ox.Literal):
        return Value(term.value, lang=term.language)
    return Value(str(term))


def view(site: Terms, iri: str, triples: list[ox.Triple]) -> dict[str, Any]:
    """What the entity page shows, from the description's triples."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    dkg = PREFIXES["dkg"]
    labels = {text(t.subject): text(t.object) for t in triples if t.predicate == RDFS_LABEL}
    own: dict[str, list[Value]] = {}
    backlinks: set[tuple[Value, str]] = set()
    claim_nodes = {
        text(t.subject)
        for t in triples
        if t.predicate.value == rdf + "subject" and text(t.object) == iri
    }
    claims: dict[str, dict[str, Value]] = {node: {} for node in claim_nodes}
    origins = _origins(triples)
    for t in triples:
        subject, predicate = text(t.subject), t.predicate.value
        if subject == iri:
            own.setdefault(predicate, []).append(value_of(site, t.object, labels))
        elif subject in claims:
            claims[subject].setdefault(predicate, value_of(site, t.object, labels))
        elif text(t.object) == iri:
            backlinks.add((value_of(site, t.subject, labels), site.label_of_term(predicate)))
    empty = Value("")
    derived = "http://www.w3.org/ns/prov#wasDerivedFrom"
    rows = sorted(
        (
            ClaimRow(
                property=claim.get(rdf + "predicate", empty).text,
                value=claim.get(rdf + "object", empty),
                source=claim.get("http://www.w3.org/ns/prov#wasDerivedFrom", empty),
                quote=claim.get(dkg + "quote"),
                qualifier=claim.get(dkg + "countQualifier"),
                rank=claim.get(dkg + "rank", empty).text,
                counted=claim.get(dkg + "counted", empty).text,
                status=claim.get(dkg + "countStatus", empty).text,
                measure=claim.get(dkg + "measure", empty).text,
                conflicts=dkg + "conflictsWith" in claim,
                verdict=claim.get(dkg + "verdict", empty).text,
                origin=origins.get(claim.get(derived, empty).href or "", ""),
            )
            for claim in claims.values()
        ),
        key=lambda r: (
            *(r.property, r.value.text, r.source.text, r.source.href or "", r.printed()),
            *(r.rank, r.counted, r.quote.text if r.quote else ""),
        ),
    )
    hidden = {rdf + "type", RDFS_LABEL.value, "http://www.w3.org/2004/02/skos/core#altLabel"}
    hedges = _hedges(claims.values())
    properties = sorted(
        (
            (
                site.label_of_term(p),
                p,
                sorted((_bounded(v, hedges.get((p, v.text))) for v in vs), key=lambda v: v.text),
            )
            for p, vs in own.items()
            if p not in hidden
        ),
        key=lambda item: item[0].lower(),
    )
    return {
        "iri": iri,
        "label": labels.get(iri, iri.rsplit("/", 1)[-1]),
        "types": sorted(own.get(rdf + "type", []), key=lambda v: v.text),
        "alt_names": sorted(
            own.get("http://www.w3.org/2004/02/skos/core#altLabel", []), key=lambda v: v.text
        ),
        "properties": properties,
        "backlinks": sorted(backlinks, key=lambda b: (b[1], b[0].text, b[0].href or "")),
        "claims": rows,
        "side_by_side": side_by_side(rows),
        "disputed": {row.property for row in rows if row.conflicts},
    }


#: Count qualifiers that say nothing a number alone does not.
PLAIN = frozenset({"", "as stated", "exactly"})


def _hedges(claims: Iterable[dict[str, Value]]) -> dict[tuple[str, str], set[str]]:
    """For each (property, value) the claims state, the source's words for its bound ("more
    than", "nearly"…), deprecated claims left out."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    found: dict[tuple[str, str], set[str]] = {}
    for claim in claims:
        if claim.get(PREFIXES["dkg"] + "rank", Value("")).text.lower().startswith("deprecated"):
            continue
        predicate = claim.get(rdf + "predicate")
        value = claim.get(rdf + "object")
        hedge = claim.get(PREFIXES["dkg"] + "countQualifier")
        if predicate is not None and value is not None:
            key = (predicate.href or predicate.text, value.text)
            found.setdefault(key, set()).add(hedge.text if hedge else "")
    return found


def _bounded(value: Value, hedges: set[str] | None) -> Value:
    """The value as the sources bound it: "nearly 300", or "120 / more than 120" where they
    hedge it differently."""
    if not hedges or hedges <= PLAIN:
        return value
    forms = sorted({f"{h} {value.text}" if h not in PLAIN else value.text for h in hedges})
    return Value(" / ".join(forms), value.href, value.lang, value.external)


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    label: str
    matched: str
    href: str
    kind: str


#: The order of kinds among hits of the same rank: things, then records about them, then
#: the sources that state them.
RECORDS = frozenset({"Membership", "Participation", "Claim"})
SOURCES = frozenset({"Source"})


def _group(kind: str) -> int:
    return 2 if kind in SOURCES else 1 if kind in RECORDS else 0


@dataclass(frozen=True)
class Found:
    """One page of hits and how many there are in all."""

    count: int
    hits: list[Hit]


class SearchIndex:
    """Every label and alternative label of the graph's own resources, in every language and
    script, under the keys ``names`` gives them (the reconciliation service's own)."""

    def __init__(self, store: ox.Store) -> None:
        rows = select(
            store,
            f"""
            SELECT ?s ?name ?label ?type WHERE {{
              ?s <{RDFS_LABEL.value}>|<http://www.w3.org/2004/02/skos/core#altLabel> ?name ;
                 <{RDFS_LABEL.value}> ?label ; a ?type .
              FILTER (STRSTARTS(STR(?s), "{ID}"))
              FILTER NOT EXISTS {{ ?s a <{PREFIXES["dkg"]}Claim> }}
            }}""",
        )
        entries: dict[tuple[str, str], tuple[tuple[str, ...], Hit]] = {}
        self.ids: dict[str, Hit] = {}
        for row in rows:
            iri, label, name = row["s"], row["label"], row["name"]
            kind = row["type"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            href = page_of(iri)
            entries.setdefault((name, href), (names.keys(name), Hit(label, name, href, kind)))
            key = iri.rsplit("/", 1)[-1]  # found by its id too, whole: meeting/2017 is "2017"
            self.ids.setdefault(names.normal(key), Hit(label, key, href, kind))
        self.entries = list(entries.values())

    def export(self) -> dict[str, Any]:
        """The index as ``assets/search.js`` reads it, to search in the browser as this class
        does: the names' keys made here, and the transliteration the query's keys need."""
        return {
            "cyrillic": names.CYRILLIC,
            "groups": {kind: _group(kind) for kind in sorted(RECORDS | SOURCES)},
            "entries": [
                [list(keys), hit.label, hit.matched, hit.href, hit.kind]
                for keys, hit in self.entries
            ],
            "ids": {key: [h.label, h.matched, h.href, h.kind] for key, h in self.ids.items()},
        }

    def search(self, query: str, limit: int = 10, page: int = 1) -> Found:
        """Whole-name matches first, then name starts, then word starts; things before the
        records about them, and those before sources; then by label."""
        wanted = names.keys(query)
        first_words = {q.split()[0] for q in wanted}
        best: dict[str, tuple[int, int, str, Hit]] = {}
        for keys, hit in self.entries:
            if not any(w in k for w in first_words for k in keys):
                continue  # a match holds the query's first word: most names are left here
            ranks = [r for q in wanted for k in keys if (r := names.rank(q, k)) is not None]
            if not ranks:
                continue
            order = (min(ranks), _group(hit.kind), hit.label.casefold(), hit)
            if hit.href not in best or order[:3] < best[hit.href][:3]:
                best[hit.href] = order
        for found in filter(None, (self.ids.get(q) for q in wanted)):
            best[found.href] = (0, _group(found.kind), found.label.casefold(), found)
        ranked = [entry[3] for entry in sorted(best.values(), key=lambda e: e[:3])]
        return Found(len(ranked), ranked[(page - 1) * limit : page * limit])


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    href: str
    label: str
    start: str  # YYYY-MM-DD


def timeline_svg(events: list[Event], width: int = 640) -> str:
    """The events on a year axis, as an accessible SVG with links (no script)."""
    from html import escape

    if not events:
        return ""
    years = [int(e.start[:4]) for e in events]
    first, last = min(years) - 1, max(years) + 1
    left, right, axis_y = 30, width - 30, 70

    def x(date: str) -> float:
        year, month, day = (int(p) for p in date.split("-"))
        fraction = year + (month - 1) / 12 + (day - 1) / 365
        return left + (fraction - first) / (last - first) * (right - left)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 120" role="img" '
        f'aria-label="Timeline of the meetings" class="timeline">',
        f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="#5b6673"/>',
    ]
    for year in range(first, last + 1):
        px = x(f"{year}-01-01")
        parts.append(
            f'<line x1="{px:.1f}" y1="{axis_y - 4}" x2="{px:.1f}" y2="{axis_y + 4}" '
            'stroke="#5b6673"/>'
        )
        parts.append(
            f'<text x="{px:.1f}" y="{axis_y + 20}" font-size="11" text-anchor="middle" '
            f'fill="#5b6673">{year}</text>'
        )
    labelled: set[str] = set()
    for i, event in enumerate(sorted(events, key=lambda e: e.start)):
        px, label_y, stamp = x(event.start), 24 + (i % 2) * 18, event.start[:4]
        # one year label per year: several meetings of a year would print it on top of itself
        text = (
            f'<text x="{px:.1f}" y="{label_y}" font-size="12" text-anchor="middle" '
            f'fill="#1d2733">{escape(stamp)}</text>'
            if stamp not in labelled
            else ""
        )
        labelled.add(stamp)
        parts.append(
            f'<a href="{escape(event.href)}"><title>{escape(event.label)} ({event.start})</title>'
            f'<circle cx="{px:.1f}" cy="{axis_y}" r="7" fill="#a4161a" fill-opacity="0.8"/>'
            f"{text}</a>"
        )
    parts.append("</svg>")
    return "".join(parts)
