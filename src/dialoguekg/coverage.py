"""How much of each meeting the graph names: its parties, their countries and the persons who
took part, against the counts the sources report for the meeting.

A meeting's participations are those of the meeting and of its sessions. "Took part" leaves
out what the sources do not report as taking part (``TOOK_PART``): a participation only
announced (``dkg:Announced``), a message sent without taking part (``dkg:SentMessage``, the
role ``message-sender``) and a commentator's (``role/commentator``: the source does not say
they attended). The host's own party and people count like any other. The reported counts are the
meeting's shown ``dkg:partyCount`` and ``dkg:countryCount`` values (deprecated claims never
show), each with the hedge and measure of the claims behind it ("nearly 300 parties and
organisations"). Both queries are constant texts; a single meeting is bound as a term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .query import Bindings, select
from .sources import HEDGES, claim_qualifier
from .vocab import sparql_prefixes

#: What a participation ``{part}`` must not be to count as taking part: only announced, a
#: message sent without taking part, or a commentator's (the source does not say they attended).
TOOK_PART = """FILTER NOT EXISTS {{
  {part} dkg:participationStatus ?status FILTER (?status IN (dkg:Announced, dkg:SentMessage))
}}
FILTER NOT EXISTS {{
  {part} dkg:inRole ?role
  FILTER (?role IN (<https://w3id.org/dialoguekg/id/role/commentator>,
                    <https://w3id.org/dialoguekg/id/role/message-sender>))
}}"""

#: Per meeting: the parties, countries (of those parties) and persons named as taking part.
NAMED = (
    sparql_prefixes()
    + """SELECT ?meeting (SAMPLE(?name) AS ?label) (COUNT(DISTINCT ?party) AS ?parties)
       (COUNT(DISTINCT ?country) AS ?countries) (COUNT(DISTINCT ?person) AS ?persons)
       (MIN(?date) AS ?start)
WHERE {
  ?meeting a dkg:Meeting ; rdfs:label ?name ; schema:startDate ?date .
  OPTIONAL {
    # the type inside each branch: joined after the union, it made the query quadratic
    { ?part dkg:event ?meeting ; a dkg:Participation }
    UNION { ?session schema:superEvent ?meeting . ?part dkg:event ?session ; a dkg:Participation }
"""
    + "\n".join("    " + line for line in TOOK_PART.format(part="?part").splitlines())
    + """
    OPTIONAL { ?part dkg:participant ?person }
    OPTIONAL {
      ?part dkg:onBehalfOf ?party . ?party a dkg:Party .
      OPTIONAL { ?party dkg:country ?country }
    }
  }
}
GROUP BY ?meeting"""
)

#: Per meeting: each shown party or country count, with the hedges and measures of its claims.
REPORTED = (
    sparql_prefixes()
    + """SELECT DISTINCT ?meeting ?property ?value ?qualifier ?measure WHERE {
  ?meeting a dkg:Meeting .
  ?claim rdf:subject ?meeting ; rdf:predicate ?property ; rdf:object ?value .
  FILTER (?property IN (dkg:partyCount, dkg:countryCount))
  ?meeting ?property ?value .  # shown: a claim outranked by a preferred one is not
  FILTER NOT EXISTS { ?claim dkg:rank dkg:DeprecatedRank }
  OPTIONAL { ?claim dkg:countQualifier ?qualifier }
  OPTIONAL { ?claim dkg:measure ?measure }
}"""
)

#: What a measure counts, in words (``dkg:PartiesAndOrganisationsMeasure``: "parties and
#: organisations").
_MEASURE_WORDS = {
    str(iri): key.replace("-", " ") for key, iri in claim_qualifier("measure").values.items()
}


@dataclass
class Coverage:
    """One meeting: what the graph names, and the counts its sources report."""

    meeting: str
    label: str
    start: str
    parties: int
    countries: int
    persons: int
    reported_parties: list[str] = field(default_factory=list)
    reported_countries: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``2017: 16 parties named (reported: nearly 300 parties and organisations), …``."""
        key = self.meeting.rsplit("/", 1)[-1]
        parties = _of(self.parties, "party", "parties", self.reported_parties)
        countries = _of(self.countries, "country", "countries", self.reported_countries)
        persons = _of(self.persons, "person", "persons", [])
        return f"{key}: {parties}, {countries}, {persons}"


def _of(named: int, one: str, many: str, reported: list[str]) -> str:
    noun = one if named == 1 else many
    return f"{named} {noun} named" + (f" (reported: {'; '.join(reported)})" if reported else "")


def coverage(store: ox.Store, meeting: str | None = None) -> list[Coverage]:
    """Every meeting's coverage, earliest first (one meeting's with ``meeting``, an IRI)."""
    bound: Bindings | None = {ox.Variable("meeting"): ox.NamedNode(meeting)} if meeting else None
    found: dict[str, Coverage] = {}
    for row in select(store, NAMED, bound):
        found[row["meeting"]] = Coverage(
            row["meeting"],
            row["label"],
            row["start"],
            int(row["parties"]),
            int(row["countries"]),
            int(row["persons"]),
        )
    figures = {
        (
            row["meeting"],
            row["property"],
            int(row["value"]),
            HEDGES.get(row.get("qualifier", ""), ""),
            _MEASURE_WORDS.get(row.get("measure", ""), ""),
        )
        for row in select(store, REPORTED, bound)
    }
    # a figure once for each hedge and measure its claims give it, however many claims
    for iri, prop, value, hedge, words in sorted(figures, key=lambda f: (f[0], f[1], -f[2], f[3:])):
        if iri in found:
            text = f"{hedge}{value}" + (f" {words}" if words else "")
            if prop.endswith("partyCount"):
                found[iri].reported_parties.append(text)
            else:
                found[iri].reported_countries.append(text)
    return sorted(found.values(), key=lambda c: (c.start, c.label, c.meeting))
