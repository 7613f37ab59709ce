"""Wikidata statements from the built graph's sourced facts, as QuickStatements v1 commands.

Only facts whose both ends have a checked Wikidata id (``dkg:wikidataId``, from
``data/links.yaml``) are written, each with the reference of the one source it comes from:
reference URL (S854), title (S1476, in the source's language, when the source has a title),
publication date (S577, when known) and retrieved (S813, the date the editor says they read the
sources). On existing items that gives a person's party (P102, from a membership of a party)
and the state offices they held (P39, from a membership with an office). Facts cited only to an
encyclopedia (Wikipedia) are left out: Wikidata does not take Wikipedia as a reference.

No meeting has a Wikidata id, so statements about meetings can only go on new items: with
``create_missing`` every meeting without an id becomes a ``CREATE`` block (label, description,
P31 conference, and its start time P580, end time P582, location P276, organiser P664,
participants P710 with the party they represented P1268, and the number of delegates P1132),
which the editor runs only after checking that Wikidata has no item for it yet. Counts with a
hedge ("more than 600", "nearly 300") are left out: QuickStatements v1 writes a quantity as a
value or ``value~tolerance`` (symmetric), so a one-sided bound cannot be written.

Every property and fixed item the commands use must be listed, with the public line that pairs
it with its name, in ``ontology/wikidata-properties.yaml``; any other is refused.

QuickStatements v1 syntax: https://www.wikidata.org/wiki/Help:QuickStatements (values are
``Q…``, ``"string"``, ``en:"text"``, ``+YYYY-MM-DDT00:00:00Z/11`` for a day, numbers; ``/* … */``
at a line's end is an edit summary, not a comment, so the file carries no header).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .coverage import TOOK_PART
from .errors import ProjectError
from .query import select
from .vocab import DKG, sparql_prefixes

if TYPE_CHECKING:
    import pyoxigraph as ox

#: The file of evidence for every property and fixed item, relative to the project.
TERMS_FILE = Path("ontology") / "wikidata-properties.yaml"
CONFERENCE = "Q625994"  # what a created meeting item is an instance of (P31)
LAST = "LAST"

#: Memberships of a linked person with a linked party (P102) or a linked state office (P39).
MEMBERSHIPS = """
SELECT ?subject ?property ?value ?source WHERE {
  ?fact a dkg:Membership ; org:member ?person ; prov:wasDerivedFrom ?source .
  ?person dkg:wikidataId ?subject .
  { ?fact org:organization ?party . ?party a dkg:Party ; dkg:wikidataId ?value .
    BIND ("P102" AS ?property) }
  UNION
  { ?fact org:role ?office . ?office a dkg:StateOffice ; dkg:wikidataId ?value .
    BIND ("P39" AS ?property) }
  FILTER NOT EXISTS { ?source dkg:sourceKind "encyclopedia" }
}"""

#: Meetings without a Wikidata id, with their English label and most specific class's label.
MEETINGS = """
SELECT ?meeting ?label ?start ?kind WHERE {
  ?meeting a dkg:Meeting ; rdfs:label ?label ; schema:startDate ?start .
  FILTER (LANG(?label) = "en")
  FILTER NOT EXISTS { ?meeting dkg:wikidataId ?id }
  OPTIONAL {
    ?meeting a ?class .
    GRAPH ?ontology { ?class rdfs:subClassOf dkg:Meeting ; rdfs:label ?kind }
  }
}"""

#: The claims about meetings without an id that map onto Wikidata properties.
MEETING_CLAIMS = """
SELECT ?meeting ?predicate ?value ?id ?qualifier ?measure ?source WHERE {
  VALUES ?predicate {
    schema:startDate schema:endDate schema:location schema:organizer dkg:delegateCount
  }
  ?fact a dkg:Claim ; rdf:subject ?meeting ; rdf:predicate ?predicate ; rdf:object ?value ;
    prov:wasDerivedFrom ?source ; dkg:rank ?rank .
  ?meeting a dkg:Meeting .
  FILTER NOT EXISTS { ?meeting dkg:wikidataId ?any }
  FILTER (?rank != dkg:DeprecatedRank)
  FILTER NOT EXISTS { ?source dkg:sourceKind "encyclopedia" }
  OPTIONAL { ?value dkg:wikidataId ?id }
  OPTIONAL { ?fact dkg:countQualifier ?qualifier }
  OPTIONAL { ?fact dkg:measure ?measure }
}"""

#: Linked persons taking part in a meeting without an id, or in one of its sessions.
PARTICIPANTS = (
    """
SELECT ?meeting ?person ?party ?source WHERE {
  ?fact a dkg:Participation ; dkg:participant ?who ; dkg:event ?event ;
    prov:wasDerivedFrom ?source .
  ?who dkg:wikidataId ?person .
  { ?event a dkg:Meeting . BIND (?event AS ?meeting) }
  UNION
  { ?event a dkg:Session ; schema:superEvent ?meeting . ?meeting a dkg:Meeting }
  FILTER NOT EXISTS { ?meeting dkg:wikidataId ?any }
  FILTER NOT EXISTS { ?source dkg:sourceKind "encyclopedia" }
  OPTIONAL { ?fact dkg:onBehalfOf ?organisation . ?organisation dkg:wikidataId ?party }
"""
    + TOOK_PART.format(part="?fact")
    + "\n}"
)

#: What a reference says of each source.
SOURCES = """
SELECT ?source ?url ?title ?language ?published WHERE {
  ?source a dkg:Source ; schema:url ?url .
  OPTIONAL { ?source dcterms:title ?title }
  OPTIONAL { ?source schema:inLanguage ?language }
  OPTIONAL { ?source schema:datePublished ?published }
}"""

_PROPERTY_OF_CLAIM = {
    "http://schema.org/startDate": "P580",
    "http://schema.org/endDate": "P582",
    "http://schema.org/location": "P276",
    "http://schema.org/organizer": "P664",
    DKG.delegateCount: "P1132",
}
#: Count hedges a plain quantity states truly: a tally, or a bare number as printed.
_PLAIN_COUNTS = frozenset((DKG.Exactly, DKG.AsStated))
_ID = re.compile(r"[PQ][1-9][0-9]*")


@dataclass(frozen=True)
class Reference:
    """What one source contributes to a statement's reference."""

    url: str
    title: str | None = None
    language: str | None = None
    published: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True, order=True)
class Statement:
    """One QuickStatements row: subject (Q-id, or LAST in a CREATE block), property, value in
    QuickStatements syntax, qualifiers, and the source (its IRI) the reference cites; two
    facts that make the same row make it once."""

    subject: str
    property: str
    value: str
    qualifiers: tuple[tuple[str, str], ...]
    source: str


@dataclass
class NewItem:
    """A meeting with no Wikidata id, to be created: label, description and statements."""

    label: str
    description: str
    statements: list[Statement] = field(default_factory=list)


@dataclass
class Batch:
    """Everything the file will hold, and the facts left out with the reason why."""

    statements: list[Statement]
    items: list[NewItem]
    references: dict[str, Reference]
    left_out: Counter[str] = field(default_factory=Counter)

    def counts(self) -> Counter[str]:
        """Rows by property, new items' rows included."""
        rows = [*self.statements, *(s for item in self.items for s in item.statements)]
        return Counter(s.property for s in rows)


def collect(store: ox.Store, *, create_missing: bool = False) -> Batch:
    """The statements the built graph in ``store`` supports (and, with ``create_missing``,
    the new meeting items), in a deterministic order. Only constant queries are run."""
    rows = _select(store, MEMBERSHIPS)
    statements = sorted(
        {Statement(r["subject"], r["property"], r["value"], (), r["source"]) for r in rows}
    )
    batch = Batch(statements, [], {})
    if create_missing:
        batch.items = _new_items(store, batch.left_out)
    used = {s.source for s in statements} | {
        s.source for item in batch.items for s in item.statements
    }
    batch.references = {
        row["source"]: Reference(
            row["url"], row.get("title"), row.get("language"), row.get("published")
        )
        for row in _select(store, SOURCES)
        if row["source"] in used
    }
    return batch


def _new_items(store: ox.Store, left_out: Counter[str]) -> list[NewItem]:
    items: dict[str, NewItem] = {}
    start: dict[str, str] = {}
    kind: dict[str, str] = {}
    for row in _select(store, MEETINGS):
        items.setdefault(row["meeting"], NewItem(row["label"], ""))
        start[row["meeting"]] = min(row["start"], start.get(row["meeting"], row["start"]))
        if "kind" in row:  # the most specific class's label, over dkg:Meeting's own
            kind[row["meeting"]] = row["kind"]
    for key, item in items.items():
        name = kind.get(key, "multilateral meeting")
        item.description = f"{name[:1].lower()}{name[1:]}, {start[key][:4]}"
    for row in _select(store, MEETING_CLAIMS):
        value = _claim_value(row, left_out)
        if value is not None:
            items[row["meeting"]].statements.append(
                Statement(
                    LAST,
                    _PROPERTY_OF_CLAIM[row["predicate"]],
                    value,
                    (),
                    row["source"],
                )
            )
    for row in _select(store, PARTICIPANTS):
        qualifiers = (("P1268", row["party"]),) if "party" in row else ()
        items[row["meeting"]].statements.append(
            Statement(LAST, "P710", row["person"], qualifiers, row["source"])
        )
    for item in items.values():
        item.statements = sorted(set(item.statements))
    return [items[key] for key in sorted(items)]


def _claim_value(row: dict[str, str], left_out: Counter[str]) -> str | None:
    """The QuickStatements value of a meeting claim, or None (counted in ``left_out``)."""
    predicate = row["predicate"]
    if predicate in ("http://schema.org/startDate", "http://schema.org/endDate"):
        return day(row["value"])
    if predicate == DKG.delegateCount:
        if row.get("measure", DKG.DelegatesMeasure) != DKG.DelegatesMeasure:
            left_out["a count of part of the delegates (guests, experts, speakers)"] += 1
            return None
        if row.get("qualifier", DKG.AsStated) not in _PLAIN_COUNTS:
            left_out["a hedged count (more than, nearly, about, some)"] += 1
            return None
        return row["value"]
    if "id" not in row:
        left_out["a place or organiser without a checked Wikidata id"] += 1
        return None
    return row["id"]


def _select(store: ox.Store, query: str) -> list[dict[str, str]]:
    """The rows of one of this module's constant SELECTs, with the project's prefixes."""
    return select(store, sparql_prefixes() + query)


# ---------------------------------------------------------------------------------------------
# Writing QuickStatements
# ---------------------------------------------------------------------------------------------


def day(date: str) -> str:
    """A date (YYYY-MM-DD) as a QuickStatements time with day precision (11)."""
    return f"+{dt.date.fromisoformat(date).isoformat()}T00:00:00Z/11"


def string(text: str) -> str:
    """A string value: whitespace (tabs and line breaks would split the command) made single
    spaces. QuickStatements v1 has no escapes; it takes what lies between the outer quotes."""
    return '"' + " ".join(text.split()) + '"'


def reference(source: Reference, retrieved: dt.date) -> list[tuple[str, str]]:
    """The S-pairs of a source's reference, in a fixed order that never ends on a string (a
    line ending in ``*/`` would be read as an edit summary)."""
    pairs = [("S854", string(source.url))]
    if source.title and source.language:
        pairs.append(("S1476", f"{source.language.lower()}:{string(source.title)}"))
    if source.published:
        pairs.append(("S577", day(source.published)))
    pairs.append(("S813", day(retrieved.isoformat())))
    return pairs


def load_terms(path: Path) -> dict[str, str]:
    """Property and item ids with their names, from the evidence file; each entry must give
    the id, its name, a source and the quoted line."""
    import yaml

    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProjectError(f"{path}: cannot read the Wikidata properties ({exc})") from exc
    terms = {}
    for number, entry in enumerate(entries if isinstance(entries, list) else [None], start=1):
        if (
            not isinstance(entry, dict)
            or set(entry) != {"id", "name", "source", "quote"}
            or not _ID.fullmatch(str(entry["id"]))
        ):
            raise ProjectError(
                f"{path}: entry {number} is not {{id: P… or Q…, name, source, quote}}"
            )
        terms[str(entry["id"])] = str(entry["name"])
    return terms


def quickstatements(batch: Batch, retrieved: dt.date, terms: dict[str, str]) -> str:
    """The batch as QuickStatements v1 text, one command per line (UTF-8, tab-separated).
    Raises ProjectError if a property or fixed item has no evidence in ``terms``."""
    lines = [_row(s, batch.references[s.source], retrieved, terms) for s in batch.statements]
    for item in batch.items:
        _known(CONFERENCE, terms)
        lines += [
            "CREATE",
            f"{LAST}\tLen\t{string(item.label)}",
            f"{LAST}\tDen\t{string(item.description)}",
            f"{LAST}\t{_known('P31', terms)}\t{CONFERENCE}",
        ]
        lines += [_row(s, batch.references[s.source], retrieved, terms) for s in item.statements]
    return "".join(f"{line}\n" for line in lines)


def _row(statement: Statement, source: Reference, retrieved: dt.date, terms: dict[str, str]) -> str:
    cells = [statement.subject, _known(statement.property, terms), statement.value]
    for prop, value in statement.qualifiers:
        cells += [_known(prop, terms), value]
    for prop, value in reference(source, retrieved):
        _known("P" + prop[1:], terms)  # a reference's S-number is its property's P-number
        cells += [prop, value]
    return "\t".join(cells)


def _known(term: str, terms: dict[str, str]) -> str:
    if term not in terms:
        raise ProjectError(
            f"{TERMS_FILE}: {term} has no evidence; add the public line that pairs it with its "
            "name, or do not use it"
        )
    return term


def write(
    dist: Path,
    out: Path,
    project_root: Path,
    retrieved: dt.date,
    *,
    create_missing: bool = False,
) -> Batch:
    """Write the QuickStatements of the graph built in ``dist`` to ``out``, atomically: the
    whole file or nothing. Raises QueryError if there is no build, ProjectError if a property
    lacks evidence, LinkError if ``out`` cannot be written."""
    from .link import write_atomically
    from .query import LocalStore

    terms = load_terms(project_root / TERMS_FILE)
    batch = collect(LocalStore(dist / "dialoguekg.nq").store, create_missing=create_missing)
    write_atomically(out, quickstatements(batch, retrieved, terms))
    return batch


def summary(batch: Batch, out: Path) -> list[str]:
    """Lines for the person who runs the command: what was written, what was left out and
    why, and what to check before running new items."""
    counts = ", ".join(f"{p} {n}" for p, n in sorted(batch.counts().items()))
    lines = [
        f"wrote {out}: {len(batch.statements)} statements on existing items, "
        f"{len(batch.items)} new items ({counts or 'nothing'})"
    ]
    lines += [f"left out {n}: {reason}" for reason, n in sorted(batch.left_out.items())]
    if batch.items:
        lines.append(
            f"Warning: {len(batch.items)} CREATE blocks make new items; search Wikidata for each "
            "meeting first and delete the block of any that already has an item"
        )
    return lines
