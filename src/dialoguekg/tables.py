"""Write the graph as tidy CSV tables and their Frictionless Data Package: ``dist/tables/``.

Political scientists work in R, Stata and pandas; these tables give them the graph one row per
thing (a meeting, a party, a claim), keyed by the key in the thing's IRI (``meeting/2017`` →
``meeting`` = ``2017``), with foreign keys between the tables, the Wikidata id, and the ids of
the political-science datasets where the graph has them (Party Facts, ParlGov, the Manifesto
Project, V-Party). A fact that has several values goes in a table of its own, one row per
value (long form), except where sources disagree on a fact that has one value: the column then
holds the lowest of the values the graph shows, and ``claims.csv`` holds every claim. The
sources a participation or membership cites share its one cell, their keys joined by a space.

Each table is one constant SPARQL query on the build's store, made from the table's columns
(no value from the data in its text), whose answer pyoxigraph writes as CSV itself: linear in
the graph, no query per entity, no Python object per value. Rows are sorted by key; the files
are UTF-8, RFC 4180, with a header row and CRLF line ends (the SPARQL CSV results format's, and
the CSV Dialect's default).

Data Package: https://specs.frictionlessdata.io/data-package/ · Table Schema:
https://specs.frictionlessdata.io/table-schema/ · SPARQL CSV results:
https://www.w3.org/TR/sparql11-results-csv-tsv/ · CSV: https://www.rfc-editor.org/rfc/rfc4180
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from . import __version__
from .errors import DialogueKGError
from .sources import ID_FIELDS, KINDS, claim_qualifier
from .vocab import (
    DATA_LICENSE,
    DATASET_IRI,
    DESCRIPTION,
    DKG,
    DUMPS_BASE,
    ID,
    ORG,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    TITLE,
)

FOLDER = "tables"
DESCRIPTOR = "datapackage.json"
PROFILE = "https://specs.frictionlessdata.io/tabular-data-package/"
#: How the CSV files are written, as a CSV Dialect (the descriptor's ``dialect``).
DIALECT: dict[str, str | bool] = {
    "delimiter": ",",
    "lineTerminator": "\r\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
}

#: What each column of a political-science dataset's party ids says; ``sources.ID_FIELDS``
#: gives the columns (its fields) and their literal properties.
PARTY_ID_DESCRIPTIONS = {
    "partyfacts_id": "Party Facts id (partyfacts.herokuapp.com)",
    "parlgov_id": "ParlGov party id (parlgov.org)",
    "manifesto_id": "Manifesto Project party code (manifesto-project.wzb.eu)",
    "vparty_id": "V-Party party id (v-dem.net/vparty)",
}


@dataclass(frozen=True)
class Column:
    """One column: its name, Table Schema type and description, the table whose keys it holds
    (a foreign key), if any, and how its value is read.

    In a table of things, ``pattern`` is the optional graph pattern that binds ``$v`` from the
    row's subject ``?s`` (``$o``, ``$m`` are its own variables); where it binds several values,
    the column shows the lowest. In a long table, ``expression`` computes the value from the
    row's value ``?o``."""

    name: str
    type: str
    description: str
    pattern: str = ""
    expression: str = ""
    refers: str = ""


@dataclass(frozen=True)
class Table:
    """The instances of ``cls`` whose IRIs lie under ``segment``, keyed by the key in them
    (the first column, named for ``segment``). With ``each``, a long table: one row per
    instance and value of that property. ``single`` says every column holds at most one value
    per instance by construction (the data files give one), so that no grouping is needed to
    keep one row per instance: a third less time for the claims at a million triples."""

    name: str
    description: str
    cls: str
    segment: str
    columns: tuple[Column, ...]
    each: str = ""
    primary: tuple[str, ...] = ()
    single: bool = False

    @property
    def file(self) -> str:
        return f"{FOLDER}/{self.name}.csv"

    @property
    def key(self) -> str:
        return self.columns[0].name

    def query(self) -> str:
        """The SPARQL query whose answer is the table, rows sorted (constant text)."""
        prefix = f"{ID}{self.segment}/"
        head = (
            f"?s a <{self.cls}> FILTER (STRSTARTS(STR(?s), {_string(prefix)}))\n"
            f"  BIND (STRAFTER(STR(?s), {_string(prefix)}) AS ?{self.key})\n"
        )
        names = [f"?{c.name}" for c in self.columns]
        if self.each:
            binds = "".join(f"  BIND ({c.expression} AS ?{c.name})\n" for c in self.columns[1:])
            some = " || ".join(f'?{c.name} != ""' for c in self.columns[1:])
            return (
                f"SELECT DISTINCT {' '.join(names)} WHERE {{\n  {head}  ?s <{self.each}> ?o\n"
                f"{binds}  FILTER ({some})\n}} ORDER BY {' '.join(names)}"
            )
        optional = "".join(
            f"  OPTIONAL {{ {_numbered(c.pattern, i)} }}\n" for i, c in enumerate(self.columns) if i
        )
        if self.single:
            found = [f"(?v{i} AS ?{c.name})" for i, c in enumerate(self.columns) if i]
            grouped = ""
        else:
            found = [f"(MIN(?v{i}) AS ?{c.name})" for i, c in enumerate(self.columns) if i]
            grouped = f"GROUP BY ?{self.key} "
        return (
            f"SELECT ?{self.key} {' '.join(found)} WHERE {{\n  {head}{optional}}}\n"
            f"{grouped}ORDER BY ?{self.key}"
        )


def _numbered(pattern: str, i: int) -> str:
    """A column's pattern with its variables made its own: ``$v`` → ``?v3``, ``$o`` → ``?o3``."""
    return re.sub(r"\$(\w+)", lambda m: f"?{m.group(1)}{i}", pattern)


def _string(text: str) -> str:
    """A SPARQL string literal of one of our own constants (namespaces, words)."""
    return json.dumps(text)


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


def literal(predicate: str) -> str:
    """A pattern: the literal values of ``predicate``."""
    return f"?s <{predicate}> $v FILTER (isLiteral($v))"


def ref(predicate: str, segment: str) -> str:
    """A pattern: the keys of the objects of ``predicate`` that are our ``segment`` IRIs."""
    prefix = _string(f"{ID}{segment}/")
    return (
        f"?s <{predicate}> $o FILTER (STRSTARTS(STR($o), {prefix})) "
        f"BIND (STRAFTER(STR($o), {prefix}) AS $v)"
    )


def iri(predicate: str) -> str:
    """A pattern: the IRIs that are objects of ``predicate`` (web addresses)."""
    return f"?s <{predicate}> $o FILTER (isIRI($o)) BIND (STR($o) AS $v)"


def named(predicate: str, names: Mapping[str, str]) -> str:
    """A pattern: the word ``names`` gives the object of ``predicate`` (an enumeration)."""
    word = '""'
    for iri, name in sorted(names.items(), reverse=True):
        word = f"IF($o = <{iri}>, {_string(name)}, {word})"
    return f'?s <{predicate}> $o BIND ({word} AS $v) FILTER ($v != "")'


def local_name(predicate: str) -> str:
    """A pattern: the local name of the object of ``predicate`` (``dkg:Agrees`` → Agrees)."""
    return f'?s <{predicate}> $o BIND (STRAFTER(STR($o), "#") AS $v)'


def key_text(segment: str) -> str:
    """An expression: the key of the row's value, if it is one of our ``segment`` IRIs."""
    return f"STRAFTER(STR(?o), {_string(f'{ID}{segment}/')})"


def _names(kind: str, field_name: str) -> dict[str, str]:
    """IRI → the data files' word for it, for an enumerated field (``party-dialogue``)."""
    return {str(iri): word for word, iri in KINDS[kind].field(field_name).values.items()}


def _qualifier_names(name: str) -> dict[str, str]:
    return {str(iri): word for word, iri in claim_qualifier(name).values.items()}


def _compact(expression: str, *prefixes: str) -> str:
    """An expression: the IRI string ``expression`` as kind/key if it is ours (``id``), else
    compacted with the first of ``prefixes`` that fits (``wd:Q15031``), else whole. Only the
    prefixes a column's values can have are tried: each costs a test per row."""
    out = expression
    for prefix in reversed(prefixes):
        namespace = _string(PREFIXES[prefix])
        label = _string("" if prefix == "id" else f"{prefix}:")
        out = (
            f"IF(STRSTARTS({expression}, {namespace}), "
            f"CONCAT({label}, STRAFTER({expression}, {namespace})), {out})"
        )
    return out


#: The participation's meeting: its event if a meeting, else its session's meeting.
_MEETING_OF_EVENT = (
    f"?s <{DKG.event}> $o OPTIONAL {{ $o <{SCHEMA.superEvent}> $m }} "
    f"BIND (COALESCE($m, $o) AS $e) FILTER (STRSTARTS(STR($e), {_string(ID['meeting/'])})) "
    f"BIND (STRAFTER(STR($e), {_string(ID['meeting/'])}) AS $v)"
)
#: What a claim's parts can be: facts about our things, with our properties and schema.org's,
#: of our things, Wikidata's items or typed literals.
_PROPERTIES = ("dkg", "schema", "owl", "skos", "rdfs", "org")
_CLAIM_SUBJECT = f"?s <{RDF.subject}> $o BIND ({_compact('STR($o)', 'id')} AS $v)"
_CLAIM_PREDICATE = f"?s <{RDF.predicate}> $o BIND ({_compact('STR($o)', *_PROPERTIES)} AS $v)"
_CLAIM_VALUE = (
    f"?s <{RDF.object}> $o BIND (IF(isIRI($o), {_compact('STR($o)', 'id', 'wd')}, STR($o)) AS $v)"
)
_CLAIM_TYPE = (
    f"?s <{RDF.object}> $o "
    f'BIND (IF(isIRI($o), "iri", {_compact("STR(DATATYPE($o))", "xsd", "rdf")}) AS $v)'
)
_CLAIM_LANG = f"?s <{RDF.object}> $o BIND (LANG($o) AS $v)"


# ---------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------


def _key(segment: str, what: str) -> Column:
    """The key column: named for the table's kind (``meeting``), the key in its IRIs."""
    return Column(segment, "string", f"key of the {what}: its IRI is {ID}{segment}/KEY")


def _ref(name: str, predicate: str, segment: str, table: str, description: str) -> Column:
    return Column(
        name, "string", f"{description} ({table}.csv)", ref(predicate, segment), refers=table
    )


def _text(name: str, predicate: str, description: str, type_: str = "string") -> Column:
    return Column(name, type_, description, literal(predicate))


def _name() -> Column:
    return _text("name", RDFS.label, "usual name, in English")


def _wikidata() -> Column:
    return _text("wikidata_id", DKG.wikidataId, "Wikidata item id (Q…), where checked")


def _country() -> Column:
    return _ref("country", DKG.country, "country", "countries", "the country")


def _source() -> Column:
    return _ref("source", PROV.wasDerivedFrom, "source", "sources", "the source")


#: What joins the keys of a cell that lists several (a key holds no space).
SEPARATOR = " "


def _sources(cls: str) -> Column:
    """The keys of the sources an instance of ``cls`` cites, sorted and joined by SEPARATOR:
    one cell, so that a record keeps one row however many sources it cites. A cell of joined
    keys is no foreign key a Data Package can declare; the tests check each key instead."""
    prefix = _string(f"{ID}source/")
    keys = (
        f"SELECT ?s $k WHERE {{ ?s a <{cls}> ; <{PROV.wasDerivedFrom}> $o "
        f"FILTER (STRSTARTS(STR($o), {prefix})) BIND (STRAFTER(STR($o), {prefix}) AS $k) }} "
        "ORDER BY $k"
    )
    return Column(
        "source",
        "string",
        "the source (sources.csv); where the record cites several, their keys in alphabetical "
        f"order, separated by a space (in pandas: .str.split({SEPARATOR!r}))",
        f"{{ SELECT ?s (GROUP_CONCAT($k; SEPARATOR={_string(SEPARATOR)}) AS $v) "
        f"WHERE {{ {{ {keys} }} }} GROUP BY ?s }}",
    )


def _count(name: str, predicate: str, what: str) -> Column:
    return _text(
        name,
        predicate,
        f"{what}: the graph's value (the preferred claim's; the lowest where sources disagree "
        "and none is preferred; claims.csv has every claim)",
        "integer",
    )


def _long(name: str, description: str, owner: Table, each: str, *values: Column) -> Table:
    """A long table of ``owner``'s values of ``each``: one row per owner and value. Its
    primary key is every column, unless a value column may be empty."""
    key = Column(owner.key, "string", f"the {owner.key} ({owner.name}.csv)", refers=owner.name)
    columns = (key, *values)
    whole = not any("may be empty" in c.description for c in values)
    primary = tuple(c.name for c in columns) if whole else ()
    return Table(name, description, owner.cls, owner.segment, columns, each, primary)


def _value(name: str, segment: str, table: str, description: str) -> Column:
    return Column(
        name, "string", f"{description} ({table}.csv)", expression=key_text(segment), refers=table
    )


def _texts(name: str, description: str, each: str, column: str, about: str) -> Table:
    """A long table of the meetings' language-tagged texts of ``each``: the text and its
    language, one row per text."""
    return _long(
        f"meeting_{name}",
        description,
        MEETINGS,
        each,
        Column(column, "string", about, expression="STR(?o)"),
        Column("lang", "string", "its language (BCP 47)", expression="LANG(?o)"),
    )


COUNTRIES = Table(
    "countries",
    "One row per country.",
    DKG.Country,
    "country",
    (
        _key("country", "country"),
        _name(),
        Column("iso3", "string", "ISO 3166-1 alpha-3 code", literal(DKG.iso3166Alpha3)),
        Column("continent", "string", "UN M49 region, in English", literal(DKG.continent)),
        _wikidata(),
    ),
)
PARTIES = Table(
    "parties",
    "One row per political party, with the ids of the political-science datasets.",
    DKG.Party,
    "party",
    (
        _key("party", "party"),
        _name(),
        _country(),
        _wikidata(),
        *(_text(n, p, PARTY_ID_DESCRIPTIONS[n], "integer") for n, p in ID_FIELDS.items()),
    ),
)
ORGANISATIONS = Table(
    "organisations",
    "One row per organisation that is not a party (a party's department, an institute).",
    ORG.Organization,
    "organisation",
    (
        _key("organisation", "organisation"),
        _name(),
        _country(),
        _ref("part_of_party", ORG.subOrganizationOf, "party", "parties", "the party it is part of"),
        _ref(
            "part_of_organisation",
            ORG.subOrganizationOf,
            "organisation",
            "organisations",
            "the organisation it is part of",
        ),
        _wikidata(),
    ),
)
PERSONS = Table(
    "persons",
    "One row per person a source names.",
    DKG.Person,
    "person",
    (_key("person", "person"), _name(), _wikidata()),
)
PLACES = Table(
    "places",
    "One row per city or venue.",
    SCHEMA.Place,
    "place",
    (
        _key("place", "place"),
        _name(),
        Column("kind", "string", "city or venue", named(RDF.type, _names("places", "kind"))),
        _country(),
        _ref("within", SCHEMA.containedInPlace, "place", "places", "the city a venue is in"),
        _wikidata(),
    ),
)
ROLES = Table(
    "roles",
    "One row per role: a post in a party, a state office, a part played at a meeting.",
    DKG.Role,
    "role",
    (
        _key("role", "role"),
        _name(),
        Column(
            "kind",
            "string",
            "party-role, state-office or meeting-role",
            named(RDF.type, _names("roles", "kind")),
        ),
        Column(
            "head_of",
            "string",
            "state or government, for an office its holder holds as head of it",
            named(RDF.type, _names("roles", "head_of")),
        ),
        _country(),
        _wikidata(),
    ),
)
SERIES = Table(
    "series",
    "One row per meeting series.",
    DKG.MeetingSeries,
    "series",
    (
        _key("series", "series"),
        _name(),
        Column(
            "start_year",
            "year",
            "first year (the lowest, where sources disagree)",
            literal(SCHEMA.startDate),
        ),
        Column(
            "end_year",
            "year",
            "last year (the lowest, where sources disagree)",
            literal(SCHEMA.endDate),
        ),
        _ref("predecessor", DKG.predecessor, "series", "series", "the series it replaced"),
        _country(),
        _wikidata(),
    ),
)
MEETINGS = Table(
    "meetings",
    "One row per meeting: an edition of a series, or a meeting held once.",
    DKG.Meeting,
    "meeting",
    (
        _key("meeting", "meeting"),
        _name(),
        Column(
            "type",
            "string",
            "party-dialogue, think-tank-forum, briefing or hosted-by-another-party",
            named(RDF.type, _names("meetings", "type")),
        ),
        _ref("series", DKG.series, "series", "series", "the series it is an edition of"),
        Column("ordinal", "integer", "its number in the series", literal(DKG.ordinal)),
        _ref(
            "side_event_of",
            DKG.sideEventOf,
            "meeting",
            "meetings",
            "the meeting it was held alongside",
        ),
        Column(
            "start_date",
            "date",
            "first day (the earliest, where sources disagree)",
            literal(SCHEMA.startDate),
        ),
        Column(
            "end_date",
            "date",
            "last day (the earliest, where sources disagree)",
            literal(SCHEMA.endDate),
        ),
        Column(
            "attendance",
            "string",
            "offline, online or mixed",
            named(SCHEMA.eventAttendanceMode, _names("meetings", "attendance")),
        ),
        _count("duration_days", DKG.durationDays, "length in days"),
        _count("party_count", DKG.partyCount, "parties"),
        _count("country_count", DKG.countryCount, "countries"),
        _count("delegate_count", DKG.delegateCount, "delegates"),
        _count("venue_count", DKG.venueCount, "venues"),
        _count("parallel_session_count", DKG.parallelSessionCount, "parallel sessions"),
        _wikidata(),
    ),
)
SESSIONS = Table(
    "sessions",
    "One row per session of a meeting (opening ceremony, plenary, closing ceremony).",
    DKG.Session,
    "session",
    (
        _key("session", "session"),
        _ref("meeting", SCHEMA.superEvent, "meeting", "meetings", "the meeting"),
        _name(),
        Column(
            "date",
            "date",
            "its day (the earliest, where sources disagree)",
            literal(SCHEMA.startDate),
        ),
        _ref("place", SCHEMA.location, "place", "places", "where it was held"),
    ),
)
MEMBERSHIPS = Table(
    "memberships",
    "One row per post a source says a person held: person, party or organisation, role, "
    "as of a date.",
    DKG.Membership,
    "membership",
    (
        _key("membership", "membership"),
        _ref("person", ORG.member, "person", "persons", "the person"),
        _ref("party", ORG.organization, "party", "parties", "the party, for a party post"),
        _ref(
            "organisation",
            ORG.organization,
            "organisation",
            "organisations",
            "the organisation, if not a party",
        ),
        _ref("role", ORG.role, "role", "roles", "the post"),
        Column("as_of", "date", "the date the source gives it for", literal(DKG.asOf)),
        Column(
            "held",
            "string",
            "former, where the source says so",
            named(DKG.held, _names("memberships", "held")),
        ),
        Column(
            "title_as_printed",
            "string",
            "the title as the source prints it",
            literal(DKG.titleAsPrinted),
        ),
        _sources(DKG.Membership),
    ),
    single=True,  # one value of each: a record gives one, its sources are joined in one
)
PARTICIPATIONS = Table(
    "participations",
    "One row per person, or party or organisation with no person named, taking part in a "
    "meeting or one of its sessions, per source.",
    DKG.Participation,
    "participation",
    (
        _key("participation", "participation"),
        _ref("person", DKG.participant, "person", "persons", "the person"),
        Column(
            "meeting",
            "string",
            "the meeting, or the meeting of the session",
            _MEETING_OF_EVENT,
            refers="meetings",
        ),
        _ref(
            "session", DKG.event, "session", "sessions", "the session, where the source names one"
        ),
        _ref("role", DKG.inRole, "role", "roles", "the part played"),
        Column(
            "status",
            "string",
            "announced (before the meeting, not confirmed), attended, or sent-message (a message "
            "only); empty where the source reports the part played and no more",
            named(DKG.participationStatus, _names("participations", "status")),
        ),
        _ref("party", DKG.onBehalfOf, "party", "parties", "the party the person spoke for"),
        _ref(
            "organisation",
            DKG.onBehalfOf,
            "organisation",
            "organisations",
            "the organisation the person spoke for, if not a party",
        ),
        Column(
            "title_as_printed",
            "string",
            "the person's title as the source prints it",
            literal(DKG.titleAsPrinted),
        ),
        Column("quote", "string", "the (first) source's words for it", literal(DKG.quote)),
        _sources(DKG.Participation),
    ),
    single=True,  # one value of each: a record gives one, its sources are joined in one
)
SOURCES = Table(
    "sources",
    "One row per source document.",
    DKG.Source,
    "source",
    (
        _key("source", "source"),
        Column("label", "string", "its title, else its publisher and date", literal(RDFS.label)),
        Column(
            "kind",
            "string",
            "encyclopedia, academic, state-media, official, party, …",
            literal(DKG.sourceKind),
        ),
        Column("url", "string", "where it is published", iri(SCHEMA.url)),
        Column("publisher", "string", "its publisher", literal(SCHEMA.publisher)),
        Column("author", "string", "its author, as printed", literal(SCHEMA.author)),
        Column("date", "date", "its publication date", literal(SCHEMA.datePublished)),
        Column("language", "string", "its language (BCP 47)", literal(SCHEMA.inLanguage)),
        _ref("republishes", DKG.republishes, "source", "sources", "the source it reprints"),
        Column("copy_of", "string", "whose text it copies, per its notes", literal(DKG.copyOf)),
    ),
)
CLAIMS = Table(
    "claims",
    "One row per claim: one source's statement of one fact, with its qualifiers and rank.",
    DKG.Claim,
    "claim",
    (
        _key("claim", "claim"),
        Column(
            "subject",
            "string",
            "what the claim is about, as kind/key (meeting/2017)",
            _CLAIM_SUBJECT,
        ),
        Column("predicate", "string", "the property, compacted (dkg:partyCount)", _CLAIM_PREDICATE),
        Column(
            "value",
            "string",
            "the value: a literal's text, kind/key for ours, wd:Q… for Wikidata",
            _CLAIM_VALUE,
        ),
        Column(
            "value_type",
            "string",
            "iri, or the literal's datatype (xsd:integer, rdf:langString)",
            _CLAIM_TYPE,
        ),
        Column("value_lang", "string", "the language of a text value", _CLAIM_LANG),
        _source(),
        Column(
            "rank",
            "string",
            "preferred, normal or deprecated",
            named(DKG.rank, _qualifier_names("rank")),
        ),
        Column("rank_reason", "string", "why the rank is not normal", literal(DKG.rankReason)),
        Column(
            "verdict",
            "string",
            "how it stands against the other claims on its fact (Agrees, Conflicts, …)",
            local_name(DKG.verdict),
        ),
        Column(
            "qualifier",
            "string",
            "a count's hedge: more-than, nearly, about, some, exactly, as-stated",
            named(DKG.countQualifier, _qualifier_names("qualifier")),
        ),
        Column(
            "measure",
            "string",
            "what a count counts (parties, countries, delegates, …)",
            named(DKG.measure, _qualifier_names("measure")),
        ),
        Column(
            "counted", "string", "what was counted, in the source's words", literal(DKG.counted)
        ),
        Column(
            "status",
            "string",
            "registered, invited or attended, for counts",
            literal(DKG.countStatus),
        ),
        _ref("stated_by", DKG.statedBy, "person", "persons", "the person the source quotes"),
        Column("quote", "string", "the source's words", literal(DKG.quote)),
    ),
    single=True,  # a claim mapping gives one value of each (sources.CLAIM_QUALIFIERS)
)

#: Every table, in the order the descriptor lists them.
TABLES: tuple[Table, ...] = (
    MEETINGS,
    _long(
        "meeting_places",
        "One row per place a meeting was held (several for a meeting with local venues).",
        MEETINGS,
        SCHEMA.location,
        _value("place", "place", "places", "the place"),
    ),
    *(
        _long(
            f"meeting_{name}",
            f"One row per party or organisation a source names as {what} of a meeting.",
            MEETINGS,
            predicate,
            _value("party", "party", "parties", "the party (empty for an organisation)"),
            _value(
                "organisation",
                "organisation",
                "organisations",
                "the organisation (empty for a party)",
            ),
        )
        for name, what, predicate in (
            ("hosts", "the host (主办)", DKG.host),
            ("co_hosts", "a co-host (联合主办)", DKG.coHost),
            ("organisers", "an organiser (承办, or where it does not say which)", SCHEMA.organizer),
        )
    ),
    _texts(
        "themes",
        "One row per wording of a meeting's theme, in each language a source gives it.",
        DKG.theme,
        "theme",
        "the theme as a source words it",
    ),
    _texts(
        "topics",
        "One row per discussion topic of a meeting, as a source names it, in its language.",
        DKG.discussionTopic,
        "topic",
        "the topic as a source names it",
    ),
    SESSIONS,
    SERIES,
    PARTICIPATIONS,
    _long(
        "participation_positions",
        "One row per post a participation names its person in.",
        PARTICIPATIONS,
        DKG.position,
        _value("membership", "membership", "memberships", "the post (memberships.csv)"),
    ),
    MEMBERSHIPS,
    PARTIES,
    ORGANISATIONS,
    PERSONS,
    ROLES,
    COUNTRIES,
    PLACES,
    SOURCES,
    CLAIMS,
    _long(
        "claim_conflicts",
        "One row per two claims that conflict, both ways round.",
        CLAIMS,
        DKG.conflictsWith,
        _value("conflicts_with", "claim", "claims", "the claim it conflicts with"),
    ),
)
_BY_NAME = {table.name: table for table in TABLES}


# ---------------------------------------------------------------------------------------------
# Rendering (pure)
# ---------------------------------------------------------------------------------------------


def csv(table: Table, store: ox.Store) -> bytes:
    """The table as CSV, written by pyoxigraph from its query's answer (the default graph)."""
    try:
        answer = store.query(table.query())
        assert isinstance(answer, ox.QuerySolutions)
        return bytes(answer.serialize(format=ox.QueryResultsFormat.CSV) or b"")
    except (SyntaxError, OSError) as exc:  # a query of ours that the store refuses: a bug
        raise DialogueKGError(f"the query of {table.file} failed: {exc}") from exc


def descriptor(files: Mapping[str, tuple[int, str]]) -> bytes:
    """The Data Package descriptor of the tables, given each table file's size and SHA-256
    (``files``, by path; other files are not read): each resource with its size, hash, dialect
    and Table Schema (types, descriptions, primary and foreign keys)."""
    package = {
        "profile": "tabular-data-package",
        "name": "dialoguekg",
        "id": DATASET_IRI,
        "title": TITLE,
        "description": DESCRIPTION + " The graph as tidy tables, one row per thing.",
        "version": __version__,
        "licenses": [
            {
                "name": "CC-BY-SA-4.0",
                "path": DATA_LICENSE,
                "title": "Creative Commons Attribution-ShareAlike 4.0",
            }
        ],
        "sources": [
            {
                "title": "The dialoguekg graph (N-Quads dump), which cites a source for every fact",
                "path": f"{DUMPS_BASE}dialoguekg.nq",
            }
        ],
        "resources": [_resource(table, files[table.file]) for table in TABLES],
    }
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _resource(table: Table, file: tuple[int, str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [
            {"name": c.name, "type": c.type, "description": c.description} for c in table.columns
        ],
        "missingValues": [""],
    }
    primary = table.primary or (() if table.each else (table.key,))
    if primary:
        schema["primaryKey"] = list(primary)
    foreign = [
        {"fields": c.name, "reference": {"resource": c.refers, "fields": _BY_NAME[c.refers].key}}
        for c in table.columns
        if c.refers
    ]
    if foreign:
        schema["foreignKeys"] = foreign
    return {
        "name": table.name,
        "path": table.file.removeprefix(f"{FOLDER}/"),
        "profile": "tabular-data-resource",
        "title": table.name.replace("_", " ").capitalize(),
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": file[0],
        "hash": f"sha256:{file[1]}",
        "dialect": DIALECT,
        "schema": schema,
    }
