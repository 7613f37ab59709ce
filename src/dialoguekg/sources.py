"""Read the human-edited YAML files of ``data/`` into checked records.

Every file is a YAML list of records. This module knows, for each kind of record, its file,
its fields, their types and the RDF predicate each becomes (the ``KINDS`` table); it checks
every value and every reference and raises :class:`SourceDataError` naming the file, the line
and the record at the first problem. Nothing here builds RDF: ``graph`` does, from the records.

Claim-backed fields (dates, years, counts, themes, predecessors) take either a plain value,
cited by the record's ``source``, or a mapping with a value of its own and the claim's
qualifiers (``value``, ``source``, ``quote``, ``qualifier``, ``counted``, ``status``,
``stated_by``, ``rank``, ``reason``), or a list of either. ``claims.yaml`` holds claims whose
source differs from the subject record's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from .errors import SourceDataError
from .vocab import DKG, ORG, SCHEMA

# ---------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One field of a record: its YAML name, value type, RDF predicate, and whether required.

    Types: ``str`` (plain literal), ``text`` (English literal), ``url``, ``date`` (YYYY-MM-DD),
    ``year`` (YYYY), ``int`` (>= 0), ``names`` (list of names, optionally ``{name, lang}``),
    ``enum`` (one of ``values``, each mapped to an IRI or literal), ``ref:KIND`` (key of a
    record of KIND), ``ref`` (``kind/key`` of any record), ``refs:KIND`` (list of keys), and
    ``source`` / ``sources`` (one or more keys of ``sources.yaml``).
    """

    name: str
    type: str
    predicate: URIRef | None = None
    required: bool = False
    claim: bool = False
    values: Mapping[str, URIRef | str] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()  # for a "ref" that may name several kinds: which ones


@dataclass(frozen=True)
class Kind:
    """A kind of record: its file in ``data/``, RDF classes, fields, and how sources are cited."""

    name: str
    file: str
    classes: tuple[URIRef, ...]
    fields: tuple[Field, ...]
    keyed: bool = True
    cite: URIRef = DCTERMS.source

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _common(*extra: Field, source_many: bool = False) -> tuple[Field, ...]:
    return (
        Field("id", "key", required=True),
        Field("name", "text", RDFS.label, required=True),
        Field("alt_names", "names", SKOS.altLabel),
        Field("description", "text", SCHEMA.description),
        *extra,
        Field("source", "sources" if source_many else "source", required=True),
    )


_QUALIFIERS = {
    "more-than": DKG.MoreThan,
    "nearly": DKG.Nearly,
    "about": DKG.About,
    "some": DKG.Some,
    "exactly": DKG.Exactly,
    "as-stated": DKG.AsStated,
}
RANKS = {"preferred": DKG.PreferredRank, "normal": DKG.NormalRank, "deprecated": DKG.DeprecatedRank}

#: Qualifier keys a claim mapping may carry, with their types.
CLAIM_QUALIFIERS: tuple[Field, ...] = (
    Field("source", "source"),
    Field("quote", "str", DKG.quote),
    Field("qualifier", "enum", DKG.countQualifier, values=_QUALIFIERS),
    Field("counted", "text", DKG.counted),
    Field(
        "status",
        "enum",
        DKG.countStatus,
        values={"registered": "registered", "attended": "attended", "invited": "invited"},
    ),
    Field("stated_by", "ref:persons", DKG.statedBy),
    Field("rank", "enum", DKG.rank, values=RANKS),
    Field("reason", "text", DKG.rankReason),
    Field("lang", "lang"),  # the language of a text value (default en): tags the literal
)

#: Kinds a Wikidata link (or a fetched label) may be attached to.
LINKABLE = (
    "persons",
    "parties",
    "countries",
    "places",
    "organisations",
    "roles",
    "events",
    "series",
    "meetings",
    "concepts",
)

SOURCE_KINDS = (
    "encyclopedia",
    "academic",
    "state-media",
    "official",
    "party",
    "independent-media",
    "think-tank",
    "reference-dataset",
    "standard",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "sources",
            "sources.yaml",
            (DKG.Source,),
            (
                Field("id", "key", required=True),
                Field("title", "str", DCTERMS.title),
                Field(
                    "kind",
                    "enum",
                    DKG.sourceKind,
                    required=True,
                    values={k: k for k in SOURCE_KINDS},
                ),
                Field("url", "url", SCHEMA.url, required=True),
                Field("also_urls", "urls", SCHEMA.sameAs),
                Field("author", "str", SCHEMA.author),
                Field("author_person", "ref:persons", SCHEMA.author),
                Field("publisher", "str", SCHEMA.publisher),
                Field("published_in", "str", SCHEMA.isPartOf),
                Field("issue", "str", SCHEMA.issueNumber),
                Field("date", "date", SCHEMA.datePublished),
                Field("language", "str", SCHEMA.inLanguage),
                Field("file", "str", DCTERMS.identifier),
                Field("note", "text", RDFS.comment),
            ),
        ),
        Kind(
            "countries",
            "countries.yaml",
            (DKG.Country,),
            _common(
                Field("iso3", "iso3", DKG.iso3166Alpha3, required=True),
                Field("continent", "text", DKG.continent, required=True),
                source_many=True,
            ),
        ),
        Kind(
            "places",
            "places.yaml",
            (SCHEMA.Place,),
            _common(
                Field(
                    "kind",
                    "enum",
                    RDF.type,
                    required=True,
                    values={"city": DKG.City, "venue": DKG.Venue},
                ),
                Field("country", "ref:countries", DKG.country, required=True),
                Field("within", "ref:places", SCHEMA.containedInPlace),
            ),
        ),
        Kind(
            "organisations",
            "organisations.yaml",
            (ORG.Organization,),
            _common(
                Field("part_of", "ref", ORG.subOrganizationOf, kinds=("parties", "organisations")),
                Field("country", "ref:countries", DKG.country),
                Field("address", "str", SCHEMA.address),
            ),
        ),
        Kind(
            "parties",
            "parties.yaml",
            (DKG.Party,),
            _common(
                Field("abbreviation", "str", SKOS.altLabel),
                Field("country", "ref:countries", DKG.country, required=True),
                source_many=True,
            ),
        ),
        Kind("persons", "persons.yaml", (DKG.Person,), _common(source_many=True)),
        Kind(
            "roles",
            "roles.yaml",
            (DKG.Role,),
            _common(
                Field(
                    "kind",
                    "enum",
                    RDF.type,
                    required=True,
                    values={
                        "party-role": DKG.PartyRole,
                        "state-office": DKG.StateOffice,
                        "meeting-role": DKG.MeetingRole,
                    },
                ),
                Field(
                    "head_of",
                    "enum",
                    RDF.type,
                    values={
                        "state": DKG.HeadOfStateOffice,
                        "government": DKG.HeadOfGovernmentOffice,
                    },
                ),
                Field("country", "ref:countries", DKG.country),
            ),
        ),
        Kind(
            "concepts",
            "concepts.yaml",
            (SKOS.Concept,),
            _common(
                Field("definition", "text", SKOS.definition),
            ),
        ),
        Kind(
            "events",
            "events.yaml",
            (SCHEMA.Event,),
            _common(
                Field(
                    "organiser",
                    "ref",
                    SCHEMA.organizer,
                    claim=True,
                    kinds=("organisations", "parties"),
                )
            ),
        ),
        Kind(
            "series",
            "series.yaml",
            (DKG.MeetingSeries,),
            _common(
                Field("country", "ref:countries", DKG.country),
                Field(
                    "organiser",
                    "ref",
                    SCHEMA.organizer,
                    claim=True,
                    kinds=("organisations", "parties"),
                ),
                Field("start_year", "year", SCHEMA.startDate, claim=True),
                Field("end_year", "year", SCHEMA.endDate, claim=True),
                Field("predecessor", "ref:series", DKG.predecessor, claim=True),
                Field("see_also", "ref", RDFS.seeAlso, kinds=("events", "series", "meetings")),
            ),
        ),
        Kind(
            "meetings",
            "meetings.yaml",
            (DKG.Meeting,),
            _common(
                Field(
                    "type",
                    "enum",
                    RDF.type,
                    required=True,
                    values={
                        "party-dialogue": DKG.PartyDialogue,
                        "think-tank-forum": DKG.ThinkTankForum,
                        "briefing": DKG.Briefing,
                        "hosted-by-another-party": DKG.ForeignHostedPartyEvent,
                    },
                ),
                Field("series", "ref:series", DKG.series),
                Field("ordinal", "int", DKG.ordinal),
                Field("side_event_of", "ref:meetings", DKG.sideEventOf),
                Field("start_date", "date", SCHEMA.startDate, required=True, claim=True),
                Field("end_date", "date", SCHEMA.endDate, claim=True),
                Field(
                    "attendance",
                    "enum",
                    SCHEMA.eventAttendanceMode,
                    values={
                        "offline": SCHEMA.OfflineEventAttendanceMode,
                        "online": SCHEMA.OnlineEventAttendanceMode,
                        "mixed": SCHEMA.MixedEventAttendanceMode,
                    },
                ),
                Field("location", "ref:places", SCHEMA.location, claim=True),
                Field(
                    "organisers",
                    "ref",
                    SCHEMA.organizer,
                    claim=True,
                    kinds=("organisations", "parties"),
                ),
                Field("theme", "text", DKG.theme, claim=True),
                Field("duration_days", "int", DKG.durationDays, claim=True),
                Field("party_count", "int", DKG.partyCount, claim=True),
                Field("country_count", "int", DKG.countryCount, claim=True),
                Field("delegate_count", "int", DKG.delegateCount, claim=True),
                Field("venue_count", "int", DKG.venueCount, claim=True),
                Field("parallel_session_count", "int", DKG.parallelSessionCount, claim=True),
                Field(
                    "first_multilateral_event_after",
                    "ref:events",
                    DKG.firstMultilateralEventAfter,
                    claim=True,
                ),
                Field("context_event", "ref:events", DKG.contextEvent, claim=True),
                Field("introduced_concepts", "ref:concepts", DKG.introducedConcept, claim=True),
                source_many=True,
            ),
        ),
        Kind(
            "sessions",
            "sessions.yaml",
            (DKG.Session,),
            _common(
                Field("meeting", "ref:meetings", SCHEMA.superEvent, required=True),
                Field("date", "date", SCHEMA.startDate, claim=True),
                Field("location", "ref:places", SCHEMA.location, claim=True),
            ),
        ),
        Kind(
            "documents",
            "documents.yaml",
            (DKG.OutcomeDocument,),
            _common(
                Field("adopted_at", "ref:meetings", DKG.adoptedAt, required=True),
                Field("date", "date", SCHEMA.dateCreated, claim=True),
                Field("point_count", "int", DKG.pointCount, claim=True),
                source_many=True,
            ),
        ),
        Kind(
            "speeches",
            "speeches.yaml",
            (DKG.Speech,),
            _common(
                Field("speaker", "ref:persons", DKG.speaker, required=True),
                Field(
                    "delivered_at",
                    "ref",
                    DKG.deliveredAt,
                    required=True,
                    kinds=("meetings", "sessions"),
                ),
                Field("date", "date", SCHEMA.dateCreated, claim=True),
                Field("location", "ref:places", SCHEMA.locationCreated, claim=True),
                Field("duration_minutes", "int", DKG.durationMinutes, claim=True),
                source_many=True,
            ),
        ),
        Kind(
            "memberships",
            "memberships.yaml",
            (DKG.Membership,),
            (
                Field("id", "key", required=True),
                Field("person", "ref:persons", ORG.member, required=True),
                Field("organisation", "ref", ORG.organization, kinds=("parties", "organisations")),
                Field("role", "ref:roles", ORG.role),
                Field("as_of", "date", DKG.asOf),
                Field("title_as_printed", "str", DKG.titleAsPrinted),
                Field("quote", "str", DKG.quote),
                Field("note", "text", RDFS.comment),
                Field("source", "source", required=True),
            ),
            cite=PROV.wasDerivedFrom,
        ),
        Kind(
            "participations",
            "participations.yaml",
            (DKG.Participation,),
            (
                Field("person", "ref:persons", DKG.participant, required=True),
                Field("event", "ref", DKG.event, required=True, kinds=("meetings", "sessions")),
                Field("role", "ref:roles", DKG.inRole, required=True),
                Field("on_behalf_of", "ref", DKG.onBehalfOf, kinds=("parties", "organisations")),
                Field("positions", "refs:memberships", DKG.position),
                Field("title_as_printed", "str", DKG.titleAsPrinted),
                Field("quote", "str", DKG.quote),
                Field("source", "source", required=True),
            ),
            keyed=False,
            cite=PROV.wasDerivedFrom,
        ),
        Kind(
            "claims",
            "claims.yaml",
            (DKG.Claim,),
            (
                Field("subject", "ref", required=True),
                Field("property", "str", required=True),
                Field("value", "any", required=True),
                *(
                    Field(q.name, q.type, q.predicate, q.name == "source", values=q.values)
                    for q in CLAIM_QUALIFIERS
                ),
            ),
            keyed=False,
            cite=PROV.wasDerivedFrom,
        ),
        Kind(
            "labels",
            "wikidata-labels.yaml",
            (),
            (
                Field("entity", "ref", required=True, kinds=LINKABLE),
                Field("qid", "qid", required=True),
                Field("names", "names", SKOS.altLabel, required=True),
                Field("source", "source", required=True),
            ),
            keyed=False,
        ),
        Kind(
            "links",
            "links.yaml",
            (),
            (
                Field("entity", "ref", required=True, kinds=LINKABLE),
                Field("qid", "qid", DKG.wikidataId, required=True),
                Field("quote", "str", DKG.quote),
                Field("source", "source", required=True),
            ),
            keyed=False,
            cite=PROV.wasDerivedFrom,
        ),
    )
}

#: Kinds that ``ref`` fields may point at, by the IRI path segment they publish under.
IRI_SEGMENT = {
    "sources": "source",
    "countries": "country",
    "places": "place",
    "organisations": "organisation",
    "parties": "party",
    "persons": "person",
    "roles": "role",
    "concepts": "concept",
    "events": "event",
    "series": "series",
    "meetings": "meeting",
    "sessions": "session",
    "documents": "document",
    "speeches": "speech",
    "memberships": "membership",
    "participations": "participation",
}
KIND_OF_SEGMENT = {segment: kind for kind, segment in IRI_SEGMENT.items()}

#: Wikidata links say owl:sameAs, except for roles, which are offices, not the same thing.
LINK_PREDICATE = {"roles": SKOS.closeMatch}
DEFAULT_LINK_PREDICATE = OWL.sameAs

_KEY = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a record (or one of its fields) stands: file and 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Name:
    text: str
    lang: str = "en"


@dataclass(frozen=True)
class ClaimSpec:
    """One source's statement of a claim-backed field's value, with its qualifiers."""

    subject: str  # "kind/key"
    field: str
    value: Any
    source: str
    qualifiers: Mapping[str, Any]
    origin: Origin


@dataclass
class Record:
    """A checked record: its kind, key, typed values, and where each stands in its file."""

    kind: str
    key: str
    values: dict[str, Any]
    origin: Origin
    lines: dict[str, int]

    @property
    def ref(self) -> str:
        return f"{IRI_SEGMENT.get(self.kind, self.kind)}/{self.key}"

    def describe(self) -> str:
        """``person 'xi-jinping' (Xi Jinping)``, or ``participation record 3`` for unkeyed kinds."""
        noun = (
            IRI_SEGMENT.get(self.kind)
            or {"claims": "claim", "links": "link", "labels": "label"}[self.kind]
        )
        if not KINDS[self.kind].keyed:
            return f"{noun} record {self.key}"
        label = self.values.get("name") or self.values.get("title")
        return f"{noun} '{self.key}'" + (f" ({label})" if label and label != self.key else "")


@dataclass
class SourceData:
    """Everything read from ``data/``: records by kind, and every claim (inline and claims.yaml)."""

    directory: Path
    records: dict[str, list[Record]]
    claims: list[ClaimSpec]

    def get(self, ref: str) -> Record:
        kind_segment, _, key = ref.partition("/")
        kind = KIND_OF_SEGMENT[kind_segment]
        return next(r for r in self.records[kind] if r.key == key)

    def all(self) -> Iterator[Record]:
        for records in self.records.values():
            yield from records


# ---------------------------------------------------------------------------------------------
# YAML with line numbers (dates are kept as text, so an impossible date is our error, not PyYAML's)
# ---------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class _Raw:
    values: dict[str, Any]
    line: int
    lines: dict[str, int]


def _read_yaml(path: Path) -> list[_Raw]:
    """Parse one data file into raw records with the line of each record and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceDataError(
            path, f"not UTF-8 text ({exc.reason})", expected="a UTF-8 YAML file"
        ) from exc
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        if not isinstance(root, yaml.SequenceNode):
            raise SourceDataError(
                path,
                "the file is not a list of records",
                line=root.start_mark.line + 1,
                expected="a YAML list, each record starting with '- '",
            )
        raws: list[_Raw] = []
        for item in root.value:
            line = item.start_mark.line + 1
            if not isinstance(item, yaml.MappingNode):
                raise SourceDataError(
                    path,
                    "a record is not a mapping of fields",
                    line=line,
                    expected="'- field: value' lines",
                )
            lines: dict[str, int] = {}
            for key_node, value_node in item.value:
                key = str(key_node.value)
                if key in lines:
                    ids = [str(v.value) for k, v in item.value if k.value == "id"]
                    record = f"record {len(raws) + 1}" + (f" (id {ids[0]})" if ids else "")
                    raise SourceDataError(
                        path,
                        f"field {key!r} is given twice, first at line {lines[key]}",
                        line=key_node.start_mark.line + 1,
                        record=record,
                        expected="each field once",
                    )
                lines[key] = value_node.start_mark.line + 1
            raws.append(_Raw(loader.construct_object(item, deep=True), line, lines))
        return raws
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        if exc.context and exc.context_mark and exc.problem_mark:
            problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise SourceDataError(
            path,
            f"not valid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            expected="a YAML list of records (check indentation, quotes and colons)",
        ) from exc
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------------
# Checking values
# ---------------------------------------------------------------------------------------------


class _Where:
    """The place a value stands, to raise errors from."""

    def __init__(self, path: Path, line: int, record: str) -> None:
        self.path, self.line, self.record = path, line, record

    def fail(self, problem: str, expected: str | None = None) -> SourceDataError:
        return SourceDataError(
            self.path, problem, line=self.line, record=self.record, expected=expected
        )


def _check_date(text: str, where: _Where, name: str) -> dt.date:
    if not _DATE.match(text):
        raise where.fail(f"{name} {text!r} is not a date", "YYYY-MM-DD, e.g. 2017-11-30")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise where.fail(
            f"{name} {text!r} is not a real date ({exc})", "a day that exists"
        ) from exc


def _check_scalar(f: Field, value: Any, where: _Where) -> Any:
    """Check one value of field ``f`` and return it typed (refs stay strings, checked later)."""
    kind = f.type.split(":", 1)[0]
    if kind == "any":
        return value
    if kind in ("int",):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise where.fail(
                f"{f.name} {value!r} is not a whole number", "a whole number >= 0, e.g. 200"
            )
        return value
    if kind == "year":
        text = str(value)
        if isinstance(value, bool) or not _YEAR.match(text):
            raise where.fail(f"{f.name} {value!r} is not a year", "four digits, e.g. 2014")
        return text
    if kind == "names":
        items = value if isinstance(value, list) else [value]
        return [_check_name(f, item, where) for item in items]
    if kind in ("refs", "sources", "urls"):
        items = value if isinstance(value, list) else [value]
        one = Field(
            f.name,
            {"refs": "ref", "sources": "source", "urls": "url"}[kind]
            + (":" + f.type.split(":", 1)[1] if ":" in f.type else ""),
        )
        return [_check_scalar(one, item, where) for item in items]
    if isinstance(value, float):
        raise where.fail(
            f"{f.name} {value!r} is a number", f'text: put it in quotes, e.g. {f.name}: "{value}"'
        )
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise where.fail(f"{f.name} is {value!r}", f"a non-empty {_describe_type(f)}")
    text = str(value).strip()
    if kind == "key" and not _KEY.match(text):
        raise where.fail(
            f"id {text!r} is not a usable key",
            "lower-case letters, digits and single '-' or '.', e.g. xi-jinping",
        )
    if kind == "date":
        _check_date(text, where, f.name)
    if kind == "url" and not re.match(r"^https?://[^\s]+$", text):
        raise where.fail(f"{f.name} {text!r} is not a web address", "an http:// or https:// URL")
    if kind == "qid" and not _QID.match(text):
        raise where.fail(
            f"qid {text!r} is not a Wikidata item id", "Q followed by digits, e.g. Q15031"
        )
    if kind == "lang" and not _LANG.match(text):
        raise where.fail(f"lang {text!r} is not a language tag", "e.g. en, zh, ru, es")
    if kind == "iso3" and not _ISO3.match(text):
        raise where.fail(
            f"iso3 {text!r} is not an ISO 3166-1 alpha-3 code", "three capitals, e.g. ZAF"
        )
    if kind == "enum" and text not in f.values:
        raise where.fail(
            f"{f.name} {text!r} is not one of the allowed values", "one of: " + ", ".join(f.values)
        )
    return text


def _check_name(f: Field, item: Any, where: _Where) -> Name:
    if isinstance(item, str) and item.strip():
        return Name(item.strip())
    if (
        isinstance(item, dict)
        and set(item) <= {"name", "lang"}
        and isinstance(item.get("name"), str)
    ):
        lang = str(item.get("lang", "en"))
        if not _LANG.match(lang):
            raise where.fail(
                f"{f.name}: language {lang!r} is not a language tag", "e.g. en, zh, ru, es"
            )
        return Name(item["name"].strip(), lang)
    raise where.fail(
        f"{f.name} entry {item!r} is not a name", "a string, or {name: ..., lang: ...}"
    )


def _describe_type(f: Field) -> str:
    kind, _, target = f.type.partition(":")
    return {
        "ref": f"key of a record in {target}.yaml"
        if target
        else "reference 'kind/key', e.g. party/united-russia",
        "source": "source id from sources.yaml",
        "text": "text",
        "str": "text",
        "key": "key",
        "date": "date YYYY-MM-DD",
        "url": "URL",
        "qid": "Wikidata id",
        "iso3": "ISO code",
        "enum": "value",
    }.get(kind, kind)


def _check_record(kind: Kind, raw: _Raw, path: Path, index: int) -> tuple[Record, list[_Raw]]:
    """Check the fields of one raw record; return it, and its claim-backed values still raw."""
    key = str(raw.values.get("id", "")) if kind.keyed else f"{index + 1}"
    record_label = f"record {index + 1}" + (f" (id {key})" if kind.keyed and key else "")
    where = _Where(path, raw.line, record_label)
    known = {f.name for f in kind.fields}
    for name in raw.values:
        if name not in known:
            raise _Where(path, raw.lines.get(str(name), raw.line), record_label).fail(
                f"unknown field {name!r}", "one of: " + ", ".join(sorted(known))
            )
    values: dict[str, Any] = {}
    claim_raws: list[_Raw] = []
    for f in kind.fields:
        if f.name not in raw.values or raw.values[f.name] is None:
            if f.required:
                raise where.fail(
                    f"missing required field {f.name!r}", f"{f.name}: <{_describe_type(f)}>"
                )
            continue
        value = raw.values[f.name]
        field_where = _Where(path, raw.lines.get(f.name, raw.line), record_label)
        if f.claim:
            claim_raws.append(_Raw({"field": f.name, "value": value}, field_where.line, {}))
            continue
        values[f.name] = _check_scalar(f, value, field_where)
    if kind.keyed:
        key = values["id"]
    return Record(kind.name, key, values, Origin(path, raw.line), raw.lines), claim_raws


def _claims_of_field(
    record: Record, f: Field, value: Any, line: int, where: _Where
) -> list[ClaimSpec]:
    """Turn a claim-backed field's value (plain, mapping, or list) into claim specs."""
    items = value if isinstance(value, list) else [value]
    specs = []
    for item in items:
        qualifiers: dict[str, Any] = {}
        if isinstance(item, dict):
            allowed = {"value"} | {q.name for q in CLAIM_QUALIFIERS}
            unknown = set(item) - allowed
            if unknown:
                raise where.fail(
                    f"{f.name}: unknown claim key {sorted(unknown)[0]!r}",
                    "one of: " + ", ".join(sorted(allowed)),
                )
            if "value" not in item:
                raise where.fail(f"{f.name}: a claim mapping has no 'value'", "value: <the fact>")
            for q in CLAIM_QUALIFIERS:
                if item.get(q.name) is not None:
                    qualifiers[q.name] = _check_scalar(q, item[q.name], where)
            item = item["value"]
        if "lang" in qualifiers and f.type != "text":
            raise where.fail(
                f"{f.name}: 'lang' is only for text values", "lang on a theme or other text"
            )
        checked = _check_scalar(f, item, where)
        if f.type == "date":
            checked = str(checked)
        source = qualifiers.pop("source", None) or _first_source(record)
        specs.append(
            ClaimSpec(record.ref, f.name, checked, source, qualifiers, Origin(where.path, line))
        )
    return specs


def _first_source(record: Record) -> str:
    source = record.values["source"]
    return str(source[0] if isinstance(source, list) else source)


# ---------------------------------------------------------------------------------------------
# Reading a data directory
# ---------------------------------------------------------------------------------------------


def kind_files(directory: Path, kind: Kind) -> list[Path]:
    """The files holding a kind's records: ``persons.yaml``, then ``persons/*.yaml`` by name.

    A folder per kind lets an edition or a batch of sources live in a file of its own.
    """
    main = directory / kind.file
    folder = directory / Path(kind.file).stem
    return ([main] if main.is_file() else []) + sorted(folder.glob("*.yaml"))


def _check_layout(directory: Path) -> None:
    """Every file and folder of ``directory`` is one dialoguekg knows (a typo loses no data)."""
    known = {kind.file for kind in KINDS.values()}
    folders = {Path(f).stem for f in known}
    for path in sorted(directory.iterdir()):
        if path.is_dir() and path.name not in folders and not path.name.startswith("."):
            raise SourceDataError(
                path,
                "not a data folder dialoguekg knows",
                expected="a folder named after a data file: " + ", ".join(sorted(folders)),
            )
        if path.is_file() and path.suffix in (".yaml", ".yml") and path.name not in known:
            raise SourceDataError(
                path,
                "not a data file dialoguekg knows",
                expected="one of: " + ", ".join(sorted(known)),
            )
        if path.is_dir() and path.name in folders:
            for inner in sorted(path.iterdir()):
                if inner.suffix != ".yaml" and not inner.name.startswith("."):
                    raise SourceDataError(
                        inner,
                        "not a YAML data file",
                        expected=f"files named *.yaml in {path.name}/",
                    )


def load(directory: Path) -> SourceData:
    """Read and check every data file of ``directory``; raise SourceDataError at the first problem.

    Files that are absent are read as empty, except ``sources.yaml``, which every fact needs.
    A kind's records may also be split over files in a folder of its name (``kind_files``).
    """
    directory = Path(directory)
    if not (directory / "sources.yaml").is_file():
        raise SourceDataError(
            directory / "sources.yaml",
            "file not found",
            expected="a data directory with sources.yaml and the other files",
        )
    _check_layout(directory)
    records: dict[str, list[Record]] = {}
    claims: list[ClaimSpec] = []
    pending: list[tuple[Record, Kind, _Raw]] = []
    for kind in KINDS.values():
        records[kind.name] = []
        seen: dict[str, Origin] = {}
        for path in kind_files(directory, kind):
            for index, raw in enumerate(_read_yaml(path)):
                number = len(records[kind.name]) if not kind.keyed else index
                record, claim_raws = _check_record(kind, raw, path, number)
                if kind.keyed:
                    if record.key in seen:
                        first = seen[record.key]
                        at = f"line {first.line}" if first.path == path else str(first)
                        raise SourceDataError(
                            path,
                            f"duplicate id {record.key!r}, first defined at {at}",
                            line=raw.line,
                            record=f"record {index + 1}",
                            expected=f"ids unique among the {kind.name} files",
                        )
                    seen[record.key] = record.origin
                records[kind.name].append(record)
                pending.extend((record, kind, c) for c in claim_raws)
    data = SourceData(directory, records, claims)
    for record, kind, claim_raw in pending:
        f = kind.field(claim_raw.values["field"])
        where = _Where(record.origin.path, claim_raw.line, record.describe())
        claims.extend(_claims_of_field(record, f, claim_raw.values["value"], claim_raw.line, where))
    claims.extend(_claims_from_file(data))
    _check_references(data)
    _check_consistency(data)
    _check_dates_in_order(data)
    _check_sessions_within_meetings(data)
    return data


def _check_sessions_within_meetings(data: SourceData) -> None:
    """A session's date lies within its meeting's dates (any source's, as they may disagree)."""
    starts: dict[str, list[str]] = {}
    ends: dict[str, list[str]] = {}
    for claim in data.claims:
        if claim.subject.startswith("meeting/") and claim.field in ("start_date", "end_date"):
            (starts if claim.field == "start_date" else ends).setdefault(claim.subject, []).append(
                str(claim.value)
            )
    meeting_of = {
        f"session/{r.key}": f"meeting/{r.values['meeting']}" for r in data.records["sessions"]
    }
    for claim in data.claims:
        if claim.field != "date" or claim.subject not in meeting_of:
            continue
        meeting = meeting_of[claim.subject]
        first, last = min(starts.get(meeting, ["0000"])), max(ends.get(meeting, ["9999"]))
        if not first <= str(claim.value) <= last:
            raise SourceDataError(
                claim.origin.path,
                f"date {claim.value} is outside its meeting, {meeting} ({first} to {last})",
                line=claim.origin.line,
                record=claim.subject,
                expected="a date within the meeting's dates",
            )


def _check_consistency(data: SourceData) -> None:
    """What references alone cannot say: a participant's positions are their own, one record
    per participation, one link per entity and one entity per Wikidata item."""
    person_of = {r.key: str(r.values["person"]) for r in data.records["memberships"]}
    seen: dict[tuple[str, ...], Record] = {}
    for record in data.records["participations"]:
        v = record.values
        where = _Where(record.origin.path, record.origin.line, record.describe())
        for position in v.get("positions", []):
            if person_of[position] != v["person"]:
                raise where.fail(
                    f"position {position!r} is a membership of {person_of[position]}, "
                    f"not of {v['person']}",
                    "memberships of the participant",
                )
        key = (str(v["event"]), str(v["person"]), str(v["role"]), str(v["source"]))
        if key in seen:
            first = seen[key]
            raise where.fail(
                f"the same person, event, role and source as record {first.key} "
                f"(line {first.origin.line})",
                "one record each",
            )
        seen[key] = record
    by_entity: dict[str, Record] = {}
    by_qid: dict[str, Record] = {}
    for record in data.records["links"]:
        entity, qid = str(record.values["entity"]), str(record.values["qid"])
        where = _Where(record.origin.path, record.origin.line, record.describe())
        if qid in by_qid:
            other = by_qid[qid]
            raise where.fail(
                f"{qid} is already the link of {other.values['entity']} (line {other.origin.line})",
                "one entity per Wikidata item",
            )
        if entity in by_entity:
            other = by_entity[entity]
            raise where.fail(
                f"{entity} already links to {other.values['qid']} (line {other.origin.line})",
                "one link per entity",
            )
        by_qid[qid], by_entity[entity] = record, record


def _claims_from_file(data: SourceData) -> list[ClaimSpec]:
    """Claims of claims.yaml: the subject's kind decides which properties and value types apply."""
    specs = []
    for record in data.records["claims"]:
        where = _Where(record.origin.path, record.origin.line, record.describe())
        subject = str(record.values["subject"])
        subject_kind = _resolve(data, subject, "ref", where, "subject")
        prop = str(record.values["property"])
        kind = KINDS[subject_kind]
        claimable = [f.name for f in kind.fields if f.claim]
        if prop not in claimable:
            raise where.fail(
                f"property {prop!r} is not claim-backed for {subject_kind}",
                "one of: " + ", ".join(claimable)
                if claimable
                else "a subject with claim-backed fields",
            )
        item = {"value": record.values["value"]} | {
            q.name: record.values[q.name] for q in CLAIM_QUALIFIERS if q.name in record.values
        }
        subject_record = data.get(subject)
        specs.extend(
            _claims_of_field(subject_record, kind.field(prop), item, record.origin.line, where)
        )
    return specs


def _resolve(
    data: SourceData, ref: str, ftype: str, where: _Where, name: str, kinds: tuple[str, ...] = ()
) -> str:
    """Check that a reference names an existing record; return the kind it points at."""
    _, _, target = ftype.partition(":")
    if ftype in ("source", "sources"):
        target = "sources"
    if target:
        keys = {r.key for r in data.records[target]}
        if ref not in keys:
            missing = "" if kind_files(data.directory, KINDS[target]) else " (no such file)"
            raise where.fail(
                f"{name} {ref!r} is not defined in {KINDS[target].file}{missing}",
                f"the id of a record in {data.directory / KINDS[target].file}",
            )
        return target
    segment, _, key = ref.partition("/")
    kind = KIND_OF_SEGMENT.get(segment)
    allowed = kinds or tuple(KIND_OF_SEGMENT.values())
    if kind is None or not key or kind not in allowed:
        segments = sorted(IRI_SEGMENT[k] for k in allowed)
        raise where.fail(
            f"{name} {ref!r} must name a record of one of: {', '.join(segments)}",
            f"kind/key, e.g. {segments[0]}/some-id",
        )
    if key not in {r.key for r in data.records[kind]}:
        missing = "" if kind_files(data.directory, KINDS[kind]) else " (no such file)"
        raise where.fail(
            f"{name} {ref!r}: {segment} {key!r} is not defined in {KINDS[kind].file}{missing}",
            f"the id of a record in {data.directory / KINDS[kind].file}",
        )
    return kind


def _check_references(data: SourceData) -> None:
    for record in data.all():
        kind = KINDS[record.kind]
        for f in kind.fields:
            if f.name not in record.values or not f.type.startswith(("ref", "source")):
                continue
            where = _Where(
                record.origin.path, record.lines.get(f.name, record.origin.line), record.describe()
            )
            value = record.values[f.name]
            single_type = f.type.replace("refs", "ref").replace("sources", "source")
            for ref in value if isinstance(value, list) else [value]:
                _resolve(data, str(ref), single_type, where, f.name, f.kinds)
    for claim in data.claims:
        where = _Where(claim.origin.path, claim.origin.line, claim.subject)
        _resolve(data, claim.source, "source", where, "source")
        if "stated_by" in claim.qualifiers:
            _resolve(data, claim.qualifiers["stated_by"], "ref:persons", where, "stated_by")
        f = KINDS[KIND_OF_SEGMENT[claim.subject.split("/")[0]]].field(claim.field)
        if f.type.startswith("ref"):
            _resolve(data, str(claim.value), f.type, where, claim.field, f.kinds)


def _check_dates_in_order(data: SourceData) -> None:
    """A meeting's end date may not precede its start date (per source: they may disagree)."""
    by_key: dict[tuple[str, str], dict[str, list[ClaimSpec]]] = {}
    for claim in data.claims:
        if claim.field in ("start_date", "end_date", "start_year", "end_year"):
            slot = by_key.setdefault((claim.subject, claim.source), {})
            slot.setdefault(claim.field.split("_")[0], []).append(claim)
    for (subject, source), fields in by_key.items():
        for start in fields.get("start", []):
            for end in fields.get("end", []):
                if str(end.value) < str(start.value):
                    raise SourceDataError(
                        end.origin.path,
                        f"end {end.value} is before start {start.value} (source {source})",
                        line=end.origin.line,
                        record=subject,
                        expected="an end date on or after the start date",
                    )
