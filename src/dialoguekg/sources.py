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

No input can break the reader, and it reads in time linear in the size of the data: it reads
only regular files inside the data folder and at most ``MAX_FILE_BYTES`` of each, refuses text
that is not UTF-8 or holds control characters, composes YAML without recursion and without
anchors or aliases (so nothing nests past ``MAX_DEPTH`` and no alias can expand), and looks
every reference up in an index of keys built once. Every refusal is a ``SourceDataError`` with
the file and, where there is one, the line; values in messages are cut to ``SHOWN_CHARS``.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import errno
import os
import re
import reprlib
import stat
import sys
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Final, NamedTuple

import pyoxigraph
import yaml

from .errors import SourceDataError
from .vocab import DCTERMS, DKG, ORG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS

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
    predicate: str | None = None  # an IRI
    required: bool = False
    claim: bool = False
    values: Mapping[str, str] = field(default_factory=dict)  # to an IRI or a literal
    kinds: tuple[str, ...] = ()  # for a "ref" that may name several kinds: which ones


@dataclass(frozen=True)
class Kind:
    """A kind of record: its file in ``data/``, RDF classes, fields, and how sources are cited."""

    name: str
    file: str
    classes: tuple[str, ...]  # IRIs
    fields: tuple[Field, ...]
    keyed: bool = True
    cite: str = DCTERMS.source

    def field(self, name: str) -> Field:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


def _common(*extra: Field) -> tuple[Field, ...]:
    """The fields every named kind has; its ``source`` may be one source or a list."""
    return (
        Field("id", "key", required=True),
        Field("name", "text", RDFS.label, required=True),
        Field("alt_names", "names", SKOS.altLabel),
        Field("description", "text", SCHEMA.description),
        *extra,
        Field("source", "sources", required=True),
    )


_QUALIFIERS = {
    "more-than": DKG.MoreThan,
    "nearly": DKG.Nearly,
    "about": DKG.About,
    "some": DKG.Some,
    "exactly": DKG.Exactly,
    "as-stated": DKG.AsStated,
}
#: How a count's hedge reads before its number ("nearly 600"), by the qualifier's IRI; a count
#: stated exactly or as stated reads as the number alone.
HEDGES: dict[str, str] = {
    iri: key.replace("-", " ") + " "
    for key, iri in _QUALIFIERS.items()
    if iri not in (DKG.Exactly, DKG.AsStated)
}
_MEASURES = {
    "parties": DKG.PartiesMeasure,
    "parties-and-organisations": DKG.PartiesAndOrganisationsMeasure,
    "parties-and-others": DKG.PartiesAndOthersMeasure,
    "foreign-parties": DKG.ForeignPartiesMeasure,
    "countries": DKG.CountriesMeasure,
    "countries-and-regions": DKG.CountriesAndRegionsMeasure,
    "countries-and-organisations": DKG.CountriesAndOrganisationsMeasure,
    "countries-of-a-group": DKG.CountriesOfAGroupMeasure,
    "countries-with-venues": DKG.CountriesWithVenuesMeasure,
    "countries-of-panel-speakers": DKG.CountriesOfPanelSpeakersMeasure,
    "delegates": DKG.DelegatesMeasure,
    "delegates-of-a-group": DKG.DelegatesOfAGroupMeasure,
    "foreign-guests": DKG.ForeignGuestsMeasure,
    "party-leaders": DKG.PartyLeadersMeasure,
    "experts": DKG.ExpertsMeasure,
    "panel-speakers": DKG.PanelSpeakersMeasure,
    "officials": DKG.OfficialsMeasure,
    "parallel-sessions": DKG.ParallelSessionsMeasure,
    "thematic-discussions": DKG.ThematicDiscussionsMeasure,
    "topics": DKG.TopicsMeasure,
    "points": DKG.PointsMeasure,
    "venues": DKG.VenuesMeasure,
}
#: What a source says of a participation: it was announced (before the meeting; the source
#: does not confirm it took place), it took place, or the participant sent a message only.
PARTICIPATION_STATUSES = {
    "announced": DKG.Announced,
    "attended": DKG.Attended,
    "sent-message": DKG.SentMessage,
}
RANKS = {"preferred": DKG.PreferredRank, "normal": DKG.NormalRank, "deprecated": DKG.DeprecatedRank}

#: Qualifier keys a claim mapping may carry, with their types.
CLAIM_QUALIFIERS: tuple[Field, ...] = (
    Field("source", "source"),
    Field("quote", "str", DKG.quote),
    Field("qualifier", "enum", DKG.countQualifier, values=_QUALIFIERS),
    Field("counted", "text", DKG.counted),
    Field("measure", "enum", DKG.measure, values=_MEASURES),
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


def claim_qualifier(name: str) -> Field:
    """The qualifier key ``name`` of ``CLAIM_QUALIFIERS`` (``measure``); KeyError if none."""
    return {q.name: q for q in CLAIM_QUALIFIERS}[name]


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

#: Datasets of political science whose party ids ``ids.yaml`` records, and the property each
#: id becomes on the party (a literal: the id as the dataset writes it, in digits).
ID_SCHEMES: dict[str, str] = {
    "partyfacts": DKG.partyFactsId,
    "parlgov": DKG.parlGovId,
    "manifesto": DKG.manifestoId,
    "vparty": DKG.vPartyId,
}
#: The claim field of each scheme's ids (``partyfacts_id``), and its property.
ID_FIELDS: dict[str, str] = {f"{scheme}_id": iri for scheme, iri in ID_SCHEMES.items()}

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
                Field("language", "lang", SCHEMA.inLanguage),
                Field("file", "str", DCTERMS.identifier),
                Field("note", "text", RDFS.comment),
                Field("republishes", "source", DKG.republishes),
                Field("copy_of", "str", DKG.copyOf),
            ),
        ),
        Kind(
            "countries",
            "countries.yaml",
            (DKG.Country,),
            _common(
                Field("iso3", "iso3", DKG.iso3166Alpha3, required=True),
                Field("continent", "text", DKG.continent, required=True),
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
            ),
        ),
        Kind("persons", "persons.yaml", (DKG.Person,), _common()),
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
                Field("side_event_of", "ref:meetings", DKG.sideEventOf, claim=True),
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
                Field("hosts", "ref", DKG.host, claim=True, kinds=("organisations", "parties")),
                Field(
                    "co_hosts", "ref", DKG.coHost, claim=True, kinds=("organisations", "parties")
                ),
                Field("theme", "text", DKG.theme, claim=True),
                Field("discussion_topics", "text", DKG.discussionTopic, claim=True),
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
                Field(
                    "held",
                    "enum",
                    DKG.held,
                    values={"former": str(DKG.FormerPost), "current": str(DKG.CurrentPost)},
                ),
                Field("title_as_printed", "str", DKG.titleAsPrinted),
                Field("quote", "str", DKG.quote),
                Field("note", "text", RDFS.comment),
                Field("source", "sources", required=True),  # the quote is the first's
            ),
            cite=PROV.wasDerivedFrom,
        ),
        Kind(
            "participations",
            "participations.yaml",
            (DKG.Participation,),
            (
                Field("person", "ref:persons", DKG.participant),
                Field("event", "ref", DKG.event, required=True, kinds=("meetings", "sessions")),
                Field("role", "ref:roles", DKG.inRole, required=True),
                Field("on_behalf_of", "ref", DKG.onBehalfOf, kinds=("parties", "organisations")),
                Field("status", "enum", DKG.participationStatus, values=PARTICIPATION_STATUSES),
                Field("positions", "refs:memberships", DKG.position),
                Field("title_as_printed", "str", DKG.titleAsPrinted),
                Field("quote", "str", DKG.quote),
                Field("source", "sources", required=True),  # the first is in the IRI
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
        Kind(
            "ids",
            "ids.yaml",
            (),
            (
                Field("entity", "ref", required=True, kinds=("parties",)),
                Field("scheme", "enum", required=True, values={s: s for s in ID_SCHEMES}),
                Field("id", "digits", required=True),
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

# ---------------------------------------------------------------------------------------------
# Limits (data/README.md states them)
# ---------------------------------------------------------------------------------------------

#: The largest data file read, in bytes (10 MiB); a bigger one is refused before it is read.
MAX_FILE_BYTES: Final = 10 * 1024 * 1024
#: The deepest nesting of lists and mappings in a file (the data needs 5: records, fields,
#: lists of claims, claim mappings, lists of names).
MAX_DEPTH: Final = 32
#: The largest whole number a count, ordinal or duration may be.
MAX_COUNT: Final = 10**9
#: The most characters a number may have as written (int() of long digit strings is slow).
MAX_NUMBER_CHARS: Final = 1000
#: The most characters of a value a message shows.
SHOWN_CHARS: Final = 80

_KEY = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
#: A BCP 47 language tag's shape (RFC 5646 section 2.1, https://www.rfc-editor.org/rfc/rfc5646,
#: without the grandfathered tags): language, script, region, variants, extensions, private use.
_LANG = re.compile(
    r"(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"
    r"(?:-[a-z]{4})?"
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"
    r"|x(?:-[a-z0-9]{1,8})+)",
    re.IGNORECASE,
)
_LANG_CHARS = 64
_QID = re.compile(r"^Q[1-9][0-9]*$")
_DIGITS = re.compile(r"^[1-9][0-9]{0,17}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

#: Characters a file may hold: YAML's printable set less NEL and the C1 controls.
_FILE_CHARACTERS = "\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"
_NOT_IN_FILE = re.compile(f"[^{_FILE_CHARACTERS}]")
#: Characters a value may hold (escapes such as "\0" or "\ud800" can make any): no CR either.
_NOT_IN_VALUE = re.compile(f"[^{_FILE_CHARACTERS.replace(chr(13), '')}]")

#: An http(s) IRI (RFC 3987, https://www.rfc-editor.org/rfc/rfc3987): its parts, then the
#: characters each part may hold; the scheme is case-insensitive.
_IRI = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?",
    re.DOTALL,
)
_IUNRESERVED = "A-Za-z0-9\\-._~\xa0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U000efffd"
_SUB_DELIMS = "!$&'()*+,;="
_IRI_PART = {
    part: re.compile(f"%(?![0-9A-Fa-f]{{2}})|[^{_IUNRESERVED}{_SUB_DELIMS}%{extra}]")
    for part, extra in (
        ("authority", ":@\\[\\]"),
        ("path", ":@/"),
        ("query", ":@/?"),
        ("fragment", ":@/?"),
    )
}

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = SHOWN_CHARS
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 3, 6, 6


def _shown(value: Any) -> str:
    """``repr(value)``, bounded: a message never holds more than SHOWN_CHARS of a value."""
    text = _REPR.repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _clip(text: str) -> str:
    """Text from the data (an id, a name, a symlink's target), cut for a message."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _character(char: str) -> str:
    """``the control character U+0007``, ``the lone surrogate U+D800``: for a message."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"the lone surrogate {_codepoint(char)}"
    if code in (0xFFFE, 0xFFFF):
        return f"the non-character {_codepoint(char)}"
    return f"the control character {_codepoint(char)}"


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
            or {"claims": "claim", "links": "link", "labels": "label", "ids": "id"}[self.kind]
        )
        if not KINDS[self.kind].keyed:
            return f"{noun} record {self.key}"
        label = self.values.get("name") or self.values.get("title")
        shown = f" ({_clip(str(label))})" if label and label != self.key else ""
        return f"{noun} {_shown(self.key)}{shown}"


@dataclass
class SourceData:
    """Everything read from ``data/``: records by kind, and every claim (inline and claims.yaml)."""

    directory: Path
    records: dict[str, list[Record]]
    claims: list[ClaimSpec]
    _index: dict[str, dict[str, Record]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def by_key(self, kind: str) -> Mapping[str, Record]:
        """A kind's records by key, indexed once (and again if records were added since), so
        that looking a reference up costs the same however many records there are."""
        index = self._index.get(kind)
        if index is None or len(index) != len(self.records[kind]):
            index = self._index[kind] = {r.key: r for r in self.records[kind]}
        return index

    def get(self, ref: str) -> Record:
        """The record a ``kind/key`` reference names (KeyError if there is none)."""
        kind_segment, _, key = ref.partition("/")
        return self.by_key(KIND_OF_SEGMENT[kind_segment])[key]

    def all(self) -> Iterator[Record]:
        for records in self.records.values():
            yield from records


# ---------------------------------------------------------------------------------------------
# Reading a file: only a regular file inside the data folder, at most MAX_FILE_BYTES, UTF-8
# ---------------------------------------------------------------------------------------------

_SPECIAL_FILES = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
#: Opening never blocks (a FIFO swapped in after the check) nor follows a last-moment symlink.
_OPEN_FLAGS: int = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


_FILE, _FOLDER = "a regular file", "a folder"


def _what_is(path: Path) -> str:
    """What ``path`` is, symlinks followed: _FILE, _FOLDER, or a phrase saying what else."""
    link = _link_target(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop" + (f" (it points to {link})" if link else "")
        if exc.errno == errno.ENOENT and link:
            return f"a dangling symlink (it points to {link}, which does not exist)"
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return _FILE
    if stat.S_ISDIR(mode):
        return _FOLDER
    special = _SPECIAL_FILES.get(stat.S_IFMT(mode), "a special file")
    return special + (f" (through a symlink to {link})" if link else "")


def _link_target(path: Path) -> str:
    """Where a symlink points, cut for a message; "" if ``path`` is not one."""
    try:
        return _clip(os.readlink(path)) if os.path.islink(path) else ""
    except OSError:
        return "?"


def _read_bytes(path: Path, root: Path) -> bytes:
    """The bytes of one data file. Only a regular file inside ``root`` (the data folder,
    resolved) is read, and at most MAX_FILE_BYTES of it: a FIFO would block, a device or a
    symlink loop never end, a file elsewhere is not data."""
    what = _what_is(path)
    if what != _FILE:
        raise SourceDataError(
            path,
            f"is {what}, not a regular file",
            expected="a YAML file (only regular files inside the data folder are read)",
        )
    real = _check_inside(path, root)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise SourceDataError(
            path,
            f"cannot be read ({exc.strerror})",
            expected="a file the user running dialoguekg may read (check its permissions)",
        ) from exc
    with open(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SourceDataError(path, "is no longer a regular file", expected="a YAML file")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(path, info.st_size)
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(path, len(data))
    return data


def _check_inside(path: Path, root: Path) -> Path:
    """``path`` with its symlinks resolved, if that lies inside ``root``: what is linked in
    from elsewhere is not part of the data."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise SourceDataError(
            path,
            f"resolves to {_clip(str(real))}, outside the data folder {root}",
            expected="data inside the data folder (copy it in rather than linking to it)",
        )
    return real


def _too_big(path: Path, size: int) -> SourceDataError:
    return SourceDataError(
        path,
        f"is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes (10 MiB) per data file",
        expected="smaller files: a kind's records may be split over files in its folder, "
        "e.g. persons/*.yaml",
    )


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 text, or an error at the first byte that is not (a BOM names UTF-16 and UTF-32)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise SourceDataError(
                path,
                f"is {encoding} text (it starts with a {encoding} byte-order mark), not UTF-8",
                line=1,
                expected="a UTF-8 YAML file: save it as UTF-8",
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise SourceDataError(
            path,
            f"not UTF-8 text: byte 0x{data[exc.start]:02X} (byte offset {exc.start}, "
            f"byte {column} of the line): {exc.reason}" + _utf16_hint(data.count(0), len(data)),
            line=data.count(b"\n", 0, exc.start) + 1,
            expected="a UTF-8 YAML file: save it as UTF-8 (it may be Latin-1, Windows-1252 "
            "or UTF-16)",
        ) from exc


def _utf16_hint(nuls: int, size: int) -> str:
    """UTF-16 of mostly Latin text is a NUL every other byte: say so, as no BOM did."""
    return " (the file looks like UTF-16 without a byte-order mark)" if nuls * 4 > size else ""


def _check_characters(path: Path, text: str) -> None:
    """Refuse control characters (other than tab and line breaks) where they stand."""
    bad = _NOT_IN_FILE.search(text)
    if bad is None:
        return
    offset = bad.start()
    before = text[:offset].encode("utf-8")
    column = offset - text.rfind("\n", 0, offset)
    raise SourceDataError(
        path,
        f"holds {_character(bad.group())} at column {column} (byte offset {len(before)})"
        + _utf16_hint(text.count("\0"), len(text)),
        line=before.count(b"\n") + 1,
        expected="text without control characters (tab and line break are allowed)",
    )


# ---------------------------------------------------------------------------------------------
# YAML into raw records, with line numbers. Composed from the parser's events without recursion
# (no nesting can exhaust the stack) and without anchors or aliases (no alias can expand);
# dates are kept as text, so an impossible date is our error, not PyYAML's.
# ---------------------------------------------------------------------------------------------

_Loader = yaml.CSafeLoader | yaml.SafeLoader
_YAML = "tag:yaml.org,2002:"
_STR = _YAML + "str"
#: The scalar types a value may have; any other implicit type (timestamp, merge, value) is text.
_TYPED = frozenset(_YAML + t for t in ("int", "float", "bool", "null"))
_NUMBERS = frozenset(_YAML + t for t in ("int", "float"))
_COLLECTION_TAGS = frozenset({None, "!", _YAML + "seq", _YAML + "map"})
_NO_KEY: Final = object()


def _loader(text: str) -> _Loader:
    """PyYAML's libyaml parser where it is built in (some 25 times faster), else the pure one."""
    return yaml.CSafeLoader(text) if yaml.__with_libyaml__ else yaml.SafeLoader(text)


class _Raw(NamedTuple):
    """A record as read: its values, its line, and the line of each field. A tuple, as the
    parser processes send a million of them (a dataclass is slower to unpickle)."""

    values: dict[str, Any]
    line: int
    lines: dict[str, int]


@dataclass
class _Open:
    """A list or mapping being composed: its value, first line and, in a mapping, the key
    awaiting its value, each key's value line, and the first key given twice."""

    value: list[Any] | dict[Any, Any]
    line: int
    key: Any = _NO_KEY
    lines: dict[str, int] = field(default_factory=dict)
    twice: tuple[str, int, int] | None = None  # key, line of its first value, line given again


class _Composer:
    """Builds one file's records from parser events: a list (depth 1) of mappings (depth 2)."""

    def __init__(self, path: Path, loader: _Loader) -> None:
        self.path = path
        self.loader = loader
        self.stack: list[_Open] = []
        self.raws: list[_Raw] = []
        #: YAML 1.1's implicit typing of a plain scalar (the stubs leave it untyped).
        self.resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = loader.resolve
        #: The first characters of plain scalars that may be typed (a number, a boolean, a
        #: null…): any other plain scalar is text, without asking the resolver's expressions.
        resolvers: dict[str | None, Any] = loader.yaml_implicit_resolvers
        self.typed_first = None if None in resolvers else frozenset(resolvers)

    def records(self) -> list[_Raw]:
        """The file's records, or an error at the first event that cannot be one."""
        documents = 0
        get_event, stack, typed_first = self.loader.get_event, self.stack, self.typed_first
        while True:
            event = get_event()
            if type(event) is yaml.ScalarEvent and event.anchor is None and len(stack) > 1:
                # Most events: a field's key or value. Plain text that cannot be typed and
                # single-quoted text are taken as they are; a value fills its mapping's key.
                line = event.start_mark.line + 1 if event.start_mark else 0
                style = event.style
                plain = not style  # None from the pure parser, "" from libyaml's
                if event.tag is None and (
                    style == "'"
                    or (plain and typed_first is not None and event.value[:1] not in typed_first)
                ):
                    value = event.value
                else:
                    value = self.scalar(event, line)
                top = stack[-1]
                if top.key is _NO_KEY or type(top.value) is not dict:
                    self.add(value, line)
                else:  # a field's value, as ``add`` puts it
                    top.value[top.key] = value
                    top.lines[str(top.key)] = line
                    top.key = _NO_KEY
                continue
            line = event.start_mark.line + 1 if event and event.start_mark else 0
            if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                if event.anchor is not None:
                    raise self.fail(line, f"anchor &{_clip(event.anchor)}: " + _NO_ALIASES, _WRITE)
                if isinstance(event, yaml.ScalarEvent):
                    self.add(self.scalar(event, line), line)
                else:
                    self.open(event, line)
            elif isinstance(event, yaml.CollectionEndEvent):
                self.close()
            elif isinstance(event, yaml.AliasEvent):
                raise self.fail(line, f"alias *{_clip(str(event.anchor))}: " + _NO_ALIASES, _WRITE)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail(
                        line, "not valid YAML: a second document starts here", "one list per file"
                    )
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                return self.raws

    def fail(self, line: int, problem: str, expected: str) -> SourceDataError:
        record = self.label(self.stack[1]) if len(self.stack) > 1 else None
        return SourceDataError(self.path, problem, line=line, record=record, expected=expected)

    def label(self, frame: _Open) -> str:
        """``record 2 (id guo-yezhou)``: the record's number in its file, and its id if read."""
        assert isinstance(frame.value, dict)
        ident = frame.value.get("id")
        return f"record {len(self.raws) + 1}" + (f" (id {_clip(str(ident))})" if ident else "")

    def open(self, event: yaml.CollectionStartEvent, line: int) -> None:
        depth = len(self.stack) + 1
        mapping = isinstance(event, yaml.MappingStartEvent)
        if depth == 1 and mapping:
            raise _not_a_list(self.path, line)
        if depth == 2 and not mapping:
            raise _not_a_record(self.path, line)
        if depth > MAX_DEPTH:
            raise self.fail(
                line,
                f"lists and mappings nested more than {MAX_DEPTH} deep",
                "records of fields (a claim is at most a list of mappings)",
            )
        if event.tag not in _COLLECTION_TAGS:
            raise self.fail(line, f"tag {_clip(str(event.tag))} is not used in data files", _PLAIN)
        self.stack.append(_Open({} if mapping else [], line))

    def close(self) -> None:
        frame = self.stack.pop()
        if not self.stack:
            return  # the file's list: its records are in self.raws
        if frame.twice:
            raise self.twice(frame, *frame.twice)
        if len(self.stack) == 1:
            assert isinstance(frame.value, dict)
            self.raws.append(_Raw(frame.value, frame.line, frame.lines))
            return
        self.add(frame.value, frame.line)

    def twice(self, frame: _Open, key: str, first: int, again: int) -> SourceDataError:
        """A key given twice: PyYAML would silently keep the last value."""
        if len(self.stack) > 1:
            return self.fail(
                again,
                f"key {_shown(key)} is given twice in one mapping, first at line {first}",
                "each key of a mapping once",
            )
        return SourceDataError(
            self.path,
            f"field {_shown(key)} is given twice, first at line {first}",
            line=again,
            record=self.label(frame),
            expected="each field once",
        )

    def add(self, value: Any, line: int) -> None:
        """Put a composed value into the list or mapping it stands in (as key or as value)."""
        if not self.stack:
            raise _not_a_list(self.path, line)
        top = self.stack[-1]
        if isinstance(top.value, list):
            if len(self.stack) == 1:
                raise _not_a_record(self.path, line)
            top.value.append(value)
        elif top.key is _NO_KEY:
            if isinstance(value, list | dict):
                raise self.fail(line, "a key is a list or mapping", "plain keys, e.g. 'name:'")
            name = str(value)
            if name in top.lines and top.twice is None:
                top.twice = (name, top.lines[name], line)
            # one string per field name, not one per record: less to send and to keep
            top.key = sys.intern(value) if type(value) is str else value
        else:
            top.value[top.key] = value
            top.lines[str(top.key)] = line
            top.key = _NO_KEY

    def scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        """The typed value of a scalar: text, or a number, boolean or null as YAML 1.1 says."""
        text = event.value
        # The file's characters are checked already, and the parser turns a raw CR into a
        # line break: only a double-quoted escape ("\0", "\r") can put another into a value.
        bad = _NOT_IN_VALUE.search(text) if event.style == '"' else None
        if bad:
            raise self.fail(
                line,
                f"{self.where()} {_shown(text)} holds {_character(bad.group())}",
                "text without control characters (tab and line break are allowed)",
            )
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return text  # quoted: text whatever it looks like
            if self.typed_first is not None and text[:1] not in self.typed_first:
                return text
            tag = self.resolve(yaml.ScalarNode, text, event.implicit)
            if tag not in _TYPED:
                return text  # dates and the like stay text
        elif tag == _STR:
            return text
        elif tag not in _TYPED:
            raise self.fail(line, f"tag {_clip(tag)} is not used in data files", _PLAIN)
        if tag in _NUMBERS and len(text) > MAX_NUMBER_CHARS:
            raise self.fail(
                line,
                f"{self.where()}: a number of {len(text):,} characters",
                f"at most {MAX_NUMBER_CHARS} characters (put text in quotes)",
            )
        node = yaml.ScalarNode(tag, text, None, None, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, KeyError, IndexError) as exc:
            raise self.fail(
                line, f"{self.where()} {_shown(text)} is not a {tag.removeprefix(_YAML)}", _PLAIN
            ) from exc

    def where(self) -> str:
        """What a scalar being read is, for a message: ``party_count: counted``, or a key."""
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.value, dict) and top.key is _NO_KEY:
            return "a field name" if len(self.stack) == 2 else "a key"
        keys = [
            _clip(str(frame.key))
            for frame in self.stack[1:]
            if isinstance(frame.value, dict) and frame.key is not _NO_KEY
        ]
        return ": ".join(keys) or "a value"


_NO_ALIASES = "anchors (&) and aliases (*) are not used in data files"
_WRITE = "each value written out in full"
_PLAIN = "plain YAML values: text, numbers, lists and mappings"


def _not_a_list(path: Path, line: int) -> SourceDataError:
    return SourceDataError(
        path,
        "the file is not a list of records",
        line=line,
        expected="a YAML list, each record starting with '- '",
    )


def _not_a_record(path: Path, line: int) -> SourceDataError:
    return SourceDataError(
        path,
        "a record is not a mapping of fields",
        line=line,
        expected="'- field: value' lines",
    )


#: From this many bytes of YAML on, files are parsed in two processes (data/ is about 0.26 MB,
#: its 100-fold copy 26 MB); a small folder is read in this process, without starting workers.
PARALLEL_FROM: Final = 2_000_000


def _read_all(paths: list[Path], root: Path) -> Generator[list[_Raw], None, None]:
    """Each file's raw records, in order; a large data folder is parsed in two processes (the
    YAML parser holds the GIL), and the first error in file order is raised, as in one."""
    size = 0
    for path in paths:
        try:
            size += path.lstat().st_size
        except OSError:
            continue
    if size < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or "fork" not in _start_methods():
        for path in paths:
            yield _read_yaml(path, root)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=2, mp_context=context)
    try:
        yield from pool.map(_read_yaml, paths, [root] * len(paths))
    finally:  # an error met, here or by the reader: the files not yet parsed are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _read_yaml(path: Path, root: Path) -> list[_Raw]:
    """Parse one data file into raw records with the line of each record and field."""
    text = _decode(path, _read_bytes(path, root))
    _check_characters(path, text)
    loader = _loader(text)
    try:
        return _Composer(path, loader).records()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _clip(exc.problem or exc.context or "unreadable")
        if exc.context and exc.context_mark and exc.problem_mark:
            problem += f" ({_clip(exc.context)} started at line {exc.context_mark.line + 1})"
        raise SourceDataError(
            path,
            f"not valid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            expected="a YAML list of records (check indentation, quotes and colons)",
        ) from exc
    except yaml.YAMLError as exc:  # a reader error: _check_characters has refused its causes
        raise SourceDataError(
            path, f"not valid YAML: {_clip(str(exc).splitlines()[0])}", expected="a YAML file"
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
        raise where.fail(f"{name} {_shown(text)} is not a date", "YYYY-MM-DD, e.g. 2017-11-30")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise where.fail(
            f"{name} {_shown(text)} is not a real date ({exc})", "a day that exists"
        ) from exc


def _check_count(f: Field, value: Any, where: _Where) -> int:
    """A whole number from 0 to MAX_COUNT: no count, ordinal or duration is larger."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise where.fail(
            f"{f.name} {_shown(value)} is not a whole number",
            f"a whole number >= 0 and <= {MAX_COUNT:,}, e.g. 200",
        )
    if value > MAX_COUNT:
        raise where.fail(
            f"{f.name} {_shown(value)} is larger than {MAX_COUNT:,} (10**9), the largest "
            "number accepted",
            f"a whole number >= 0 and <= {MAX_COUNT:,}",
        )
    return value


def _check_url(f: Field, text: str, where: _Where) -> None:
    """An http(s) IRI (RFC 3987): it becomes an IRI in the graph, so it must be a valid one."""
    expected = (
        'an http:// or https:// IRI, with spaces and any of <>"{}|\\^` percent-encoded '
        "(%20 for a space)"
    )
    match = _IRI.fullmatch(text)
    if not match or match["scheme"].lower() not in ("http", "https"):
        raise where.fail(f"{f.name} {_shown(text)} is not a web address", expected)
    host = match["authority"].rpartition("@")[2]
    if not host or host.startswith(":"):
        raise where.fail(f"{f.name} {_shown(text)} has no host name", expected)
    for part, pattern in _IRI_PART.items():
        bad = pattern.search(match[part] or "")
        if bad:
            char = bad.group()
            position = match.start(part) + bad.start() + 1
            raise where.fail(
                f"{f.name} {_shown(text)} is not a valid IRI: {char!r} ({_codepoint(char)}) "
                f"at character {position} is not allowed in its {part}",
                expected,
            )
    try:  # the authority's finer rules (a port of digits, one '@', brackets), as the store has them
        pyoxigraph.NamedNode(text)
    except ValueError as exc:
        problem = f"{f.name} {_shown(text)} is not a valid IRI: {_clip(str(exc))}"
        raise where.fail(problem, expected) from exc


#: The field types whose text is checked for nothing but not being blank (references are
#: looked up once every record is read).
_FREE_TEXT = frozenset({"text", "str", "ref", "source"})


def _check_scalar(f: Field, value: Any, where: _Where) -> Any:
    """Check one value of field ``f`` and return it typed (refs stay strings, checked later)."""
    kind = f.type.split(":", 1)[0]
    if kind in _FREE_TEXT and type(value) is str:  # most values: only not blank
        text = value.strip()
        if text:
            return text
    if kind == "any":
        return value
    if kind == "int":
        return _check_count(f, value, where)
    if kind == "year":
        text = str(value)
        if isinstance(value, bool) or not _YEAR.match(text):
            raise where.fail(f"{f.name} {_shown(value)} is not a year", "four digits, e.g. 2014")
        return text
    if kind == "names":
        items = value if isinstance(value, list) else [value]
        return [_check_name(f, item, where) for item in items]
    if kind in ("refs", "sources", "urls"):
        items = value if isinstance(value, list) else [value]
        one = _item_field(f.name, f.type)
        if not items and f.required:
            raise where.fail(f"{f.name} is an empty list", f"at least one {_describe_type(one)}")
        checked = [_check_scalar(one, item, where) for item in items]
        if kind == "sources":
            _check_once(f, checked, where)
        return checked
    if isinstance(value, float):
        raise where.fail(
            f"{f.name} {_shown(value)} is a number",
            f'text: put it in quotes, e.g. {f.name}: "{_clip(str(value))}"',
        )
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise where.fail(f"{f.name} is {_shown(value)}", f"a non-empty {_describe_type(f)}")
    text = str(value).strip()
    if kind == "key" and not _KEY.match(text):
        raise where.fail(
            f"id {_shown(text)} is not a usable key",
            "lower-case letters, digits and single '-' or '.', e.g. xi-jinping",
        )
    if kind == "date":
        _check_date(text, where, f.name)
    if kind == "url":
        _check_url(f, text, where)
    if kind == "qid" and not _QID.match(text):
        raise where.fail(
            f"qid {_shown(text)} is not a Wikidata item id", "Q followed by digits, e.g. Q15031"
        )
    if kind == "digits" and not _DIGITS.match(text):
        raise where.fail(
            f"{f.name} {_shown(text)} is not a dataset's party id",
            "a whole number > 0 in digits, as the dataset writes it, e.g. 5124",
        )
    if kind == "lang" and not _is_language_tag(text):
        raise where.fail(f"{f.name} {_shown(text)} is not a language tag", _LANG_EXPECTED)
    if kind == "iso3" and not _ISO3.match(text):
        raise where.fail(
            f"iso3 {_shown(text)} is not an ISO 3166-1 alpha-3 code", "three capitals, e.g. ZAF"
        )
    if kind == "enum" and text not in f.values:
        raise where.fail(
            f"{f.name} {_shown(text)} is not one of the allowed values",
            "one of: " + ", ".join(f.values),
        )
    return text


def _check_once(f: Field, keys: list[Any], where: _Where) -> None:
    """A list of sources cites each once: a second mention would cite nothing more."""
    seen: set[str] = set()
    for key in keys:
        if str(key) in seen:
            raise where.fail(
                f"{f.name} {_shown(str(key))} is listed twice", "each source of the list once"
            )
        seen.add(str(key))


@cache
def _item_field(name: str, type_: str) -> Field:
    """The field of one item of a list field (``refs:parties`` → ``ref:parties``)."""
    kind, colon, target = type_.partition(":")
    return Field(name, {"refs": "ref", "sources": "source", "urls": "url"}[kind] + colon + target)


_LANG_EXPECTED = "a BCP 47 language tag, e.g. en, zh, ru, es, zh-Hans"


def _is_language_tag(text: str) -> bool:
    return len(text) <= _LANG_CHARS and _LANG.fullmatch(text) is not None


def _check_name(f: Field, item: Any, where: _Where) -> Name:
    if isinstance(item, str) and item.strip():
        return Name(item.strip())
    if (
        isinstance(item, dict)
        and set(item) <= {"name", "lang"}
        and isinstance(item.get("name"), str)
        and item["name"].strip()
    ):
        lang = str(item.get("lang", "en"))
        if not _is_language_tag(lang):
            raise where.fail(
                f"{f.name}: language {_shown(lang)} is not a language tag", _LANG_EXPECTED
            )
        return Name(item["name"].strip(), lang)
    raise where.fail(
        f"{f.name} entry {_shown(item)} is not a name", "a string, or {name: ..., lang: ...}"
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
        "digits": "party id in digits",
        "iso3": "ISO code",
        "enum": "value",
        "lang": "language tag",
    }.get(kind, kind)


def _check_record(kind: Kind, raw: _Raw, path: Path, index: int) -> tuple[Record, list[_Raw]]:
    """Check the fields of one raw record; return it, and its claim-backed values still raw."""
    key = str(raw.values.get("id", "")) if kind.keyed else f"{index + 1}"
    record_label = f"record {index + 1}" + (f" (id {_clip(key)})" if kind.keyed and key else "")
    where = _Where(path, raw.line, record_label)
    known = kind._by_name
    for name in raw.values:
        if name not in known:
            raise _Where(path, raw.lines.get(str(name), raw.line), record_label).fail(
                f"unknown field {_shown(name)}", "one of: " + ", ".join(sorted(known))
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
    subject: str, default_source: str, f: Field, value: Any, line: int, where: _Where
) -> list[ClaimSpec]:
    """Turn a claim-backed field's value (plain, mapping, or list) into claim specs."""
    items = value if isinstance(value, list) else [value]
    specs = []
    for item in items:
        qualifiers: dict[str, Any] = {}
        if isinstance(item, dict):
            allowed = {"value"} | {q.name for q in CLAIM_QUALIFIERS}
            unknown = [k for k in item if k not in allowed]
            if unknown:
                raise where.fail(
                    f"{f.name}: unknown claim key {_shown(unknown[0])}",
                    "one of: " + ", ".join(sorted(allowed)),
                )
            if "value" not in item:
                raise where.fail(f"{f.name}: a claim mapping has no 'value'", "value: <the fact>")
            for q in CLAIM_QUALIFIERS:
                if item.get(q.name) is not None:
                    qualifiers[q.name] = _check_scalar(q, item[q.name], where)
            item = item["value"]
        if ("counted" in qualifiers or f.name.endswith("_count")) and "measure" not in qualifiers:
            raise where.fail(
                f"{f.name}: a count needs the measure it counts, to be compared with others",
                "measure: one of " + ", ".join(_MEASURES),
            )
        misplaced = [k for k in ("measure", "status") if k in qualifiers]
        if misplaced and not f.name.endswith("_count"):
            raise where.fail(
                f"{f.name}: {misplaced[0]} is for counts only", "it on a *_count field"
            )
        if "lang" in qualifiers and f.type != "text":
            raise where.fail(
                f"{f.name}: 'lang' is only for text values", "lang on a theme or other text"
            )
        checked = _check_scalar(f, item, where)
        if f.type == "date":
            checked = str(checked)
        source = qualifiers.pop("source", None) or default_source
        specs.append(
            ClaimSpec(subject, f.name, checked, source, qualifiers, Origin(where.path, line))
        )
    return specs


def first_source(record: Record) -> str:
    """The record's first source: the one its plain claim-backed values cite, the one a
    participation's IRI names, the one its ``quote`` is from (``source`` may be a list)."""
    source = record.values["source"]
    return str(source[0] if isinstance(source, list) else source)


# ---------------------------------------------------------------------------------------------
# Reading a data directory
# ---------------------------------------------------------------------------------------------


def kind_files(directory: Path, kind: Kind) -> list[Path]:
    """The files holding a kind's records: ``persons.yaml``, then ``persons/*.yaml`` by name.

    A folder per kind lets an edition or a batch of sources live in a file of its own. Entries
    that are not regular files are listed too (a dangling symlink, a FIFO): reading refuses
    them with a message, rather than their records being silently missing.
    """
    main = directory / kind.file
    folder = directory / Path(kind.file).stem
    return ([main] if os.path.lexists(main) else []) + sorted(folder.glob("*.yaml"))


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        raise SourceDataError(
            folder,
            f"cannot be listed ({exc.strerror})",
            expected="a folder the user running dialoguekg may read",
        ) from exc


def _ignored(path: Path) -> bool:
    """Dotfiles and Markdown notes may stand beside the data; nothing else unknown may."""
    return path.name.startswith(".") or path.suffix == ".md"


def _check_layout(directory: Path) -> None:
    """Every entry of ``directory`` and its kind folders is one dialoguekg knows (a typo, or a
    ``persons.json``, loses no data silently)."""
    known = {kind.file for kind in KINDS.values()}
    folders = {Path(f).stem for f in known}
    root = Path(os.path.realpath(directory))
    allowed = (
        "one of: " + ", ".join(sorted(known)) + "; a folder named after one of them; "
        "*.md notes or dotfiles"
    )
    for path in _listing(directory):
        if _ignored(path) or path.name in known:
            continue  # a data file is checked as it is read
        if path.name not in folders:
            if path.is_dir():
                raise SourceDataError(
                    path,
                    "not a data folder dialoguekg knows",
                    expected="a folder named after a data file: " + ", ".join(sorted(folders)),
                )
            raise SourceDataError(path, "not a data file dialoguekg knows", expected=allowed)
        what = _what_is(path)
        if what != _FOLDER:
            raise SourceDataError(
                path,
                f"is {what}, not a folder",
                expected=f"a folder of {path.name} files, or no {path.name} entry",
            )
        _check_inside(path, root)
        for inner in _listing(path):
            if not _ignored(inner) and inner.suffix != ".yaml":
                raise SourceDataError(
                    inner,
                    "not a YAML data file",
                    expected=f"files named *.yaml in {path.name}/ (and *.md notes or dotfiles)",
                )


def load(directory: Path) -> SourceData:
    """Read and check every data file of ``directory``; raise SourceDataError at the first problem.

    Files that are absent are read as empty, except ``sources.yaml``, which every fact needs.
    A kind's records may also be split over files in a folder of its name (``kind_files``).
    Time and memory are linear in the size of the data.
    """
    directory = Path(directory)
    if not os.path.lexists(directory / "sources.yaml"):
        raise SourceDataError(
            directory / "sources.yaml",
            "file not found",
            expected="a data directory with sources.yaml and the other files",
        )
    _check_layout(directory)
    root = Path(os.path.realpath(directory))
    records: dict[str, list[Record]] = {}
    pending: list[tuple[Record, Kind, _Raw]] = []
    empty: dict[str, list[Path]] = {}  # files holding no records, by kind
    files = [(kind, path) for kind in KINDS.values() for path in kind_files(directory, kind)]
    # closed when an error stops the reading, so that its worker processes end with it
    parsed = contextlib.closing(_read_all([path for _, path in files], root))
    for kind in KINDS.values():
        records[kind.name] = []
    seen_by_kind: dict[str, dict[str, Origin]] = {kind: {} for kind in KINDS}
    with parsed as parsing:
        for kind, path in files:
            seen = seen_by_kind[kind.name]
            raws = next(parsing)
            if not raws:
                empty.setdefault(kind.name, []).append(path)
            for index, raw in enumerate(raws):
                number = len(records[kind.name]) if not kind.keyed else index
                record, claim_raws = _check_record(kind, raw, path, number)
                if kind.keyed:
                    _check_unique(kind, record, seen, index)
                records[kind.name].append(record)
                pending.extend((record, kind, c) for c in claim_raws)
    data = SourceData(directory, records, [])
    for record, kind, claim_raw in pending:
        f = kind.field(claim_raw.values["field"])
        where = _Where(record.origin.path, claim_raw.line, record.describe())
        data.claims.extend(
            _claims_of_field(
                record.ref,
                first_source(record),
                f,
                claim_raw.values["value"],
                claim_raw.line,
                where,
            )
        )
    data.claims.extend(_claims_from_file(data))
    _check_references(data, empty)
    _check_consistency(data)
    _check_dates_in_order(data)
    _check_sessions_within_meetings(data)
    return data


def _check_unique(kind: Kind, record: Record, seen: dict[str, Origin], index: int) -> None:
    """A keyed record's id is not one an earlier record of its kind took; ``seen`` keeps it."""
    if record.key in seen:
        first, here = seen[record.key], record.origin
        at = f"line {first.line}" if first.path == here.path else str(first)
        raise SourceDataError(
            here.path,
            f"duplicate id {_shown(record.key)}, first defined at {at}",
            line=here.line,
            record=f"record {index + 1}",
            expected=f"ids unique among the {kind.name} files",
        )
    seen[record.key] = record.origin


def _check_sessions_within_meetings(data: SourceData) -> None:
    """A session's date lies within its meeting's dates (any source's, as they may disagree)."""
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for claim in data.claims:
        if claim.subject.startswith("meeting/") and claim.field == "start_date":
            first[claim.subject] = min(first.get(claim.subject, "9999"), str(claim.value))
        if claim.subject.startswith("meeting/") and claim.field == "end_date":
            last[claim.subject] = max(last.get(claim.subject, "0000"), str(claim.value))
    meeting_of = {
        f"session/{r.key}": f"meeting/{r.values['meeting']}" for r in data.records["sessions"]
    }
    for claim in data.claims:
        if claim.field != "date" or claim.subject not in meeting_of:
            continue
        meeting = meeting_of[claim.subject]
        start, end = first.get(meeting, "0000"), last.get(meeting, "9999")
        if not start <= str(claim.value) <= end:
            raise SourceDataError(
                claim.origin.path,
                f"date {claim.value} is outside its meeting, {meeting} ({start} to {end})",
                line=claim.origin.line,
                record=claim.subject,
                expected="a date within the meeting's dates",
            )


def participant_key(values: dict[str, Any]) -> str:
    """Who a participation is of, for its IRI: the person's id, else the party's or
    organisation's ``kind-id`` (a party that took part with no person named)."""
    if "person" in values:
        return str(values["person"])
    return str(values["on_behalf_of"]).replace("/", "-")


def _check_consistency(data: SourceData) -> None:
    """What references alone cannot say: a participant's positions are their own, one record
    per participation, and the rules of Wikidata links (``_check_links``)."""
    person_of = {r.key: str(r.values["person"]) for r in data.records["memberships"]}
    seen: dict[tuple[str, ...], Record] = {}
    for record in data.records["participations"]:
        v = record.values
        where = _Where(record.origin.path, record.origin.line, record.describe())
        if "person" not in v and "on_behalf_of" not in v:
            raise where.fail(
                "a participation names no one: neither person nor on_behalf_of",
                "person (a person id), on_behalf_of (kind/id), or both",
            )
        for position in v.get("positions", []):
            if person_of[position] != v.get("person"):
                raise where.fail(
                    f"position {_shown(position)} is a membership of {person_of[position]}, "
                    f"not of {v.get('person', 'the participant: the record names no person')}",
                    "memberships of the participant",
                )
        cited = v["source"] if isinstance(v["source"], list) else [v["source"]]
        for source in map(str, cited):  # any source both cite, not only the first
            key = (str(v["event"]), participant_key(v), str(v["role"]), source)
            if key in seen:
                first = seen[key]
                raise where.fail(
                    f"the same participant, event, role and source ({_shown(source)}) as "
                    f"record {first.key} (line {first.origin.line})",
                    "one record each",
                )
            seen[key] = record
    _check_links(data.records["links"])


def _check_links(links: list[Record]) -> None:
    """One entity per Wikidata item, and one id per entity from each source: two sources may
    give an entity different ids (both are kept, as claims that disagree), one source may not."""
    by_qid: dict[str, Record] = {}
    by_entity_source: dict[tuple[str, str], Record] = {}
    for record in links:
        v = record.values
        entity, qid, source = str(v["entity"]), str(v["qid"]), str(v["source"])
        where = _Where(record.origin.path, record.origin.line, record.describe())
        other = by_qid.get(qid)
        if other is not None and other.values["entity"] != entity:
            raise where.fail(
                f"{qid} is already the link of {other.values['entity']} (line {other.origin.line})",
                "one entity per Wikidata item",
            )
        other = by_entity_source.get((entity, source))
        if other is not None:
            raise where.fail(
                f"{entity} already links to {other.values['qid']} per {source} "
                f"(line {other.origin.line})",
                "one link per entity and source (a source that disagrees gets a record of its own)",
            )
        by_qid.setdefault(qid, record)
        by_entity_source[(entity, source)] = record


def _claims_from_file(data: SourceData) -> list[ClaimSpec]:
    """Claims of claims.yaml: the subject's kind decides which properties and value types apply.
    That the subject exists is checked with every other reference (``_check_references``)."""
    specs = []
    for record in data.records["claims"]:
        where = _Where(record.origin.path, record.origin.line, record.describe())
        subject = str(record.values["subject"])
        subject_kind, _ = _target(subject, "ref", (), where, "subject")
        prop = str(record.values["property"])
        kind = KINDS[subject_kind]
        claimable = [f.name for f in kind.fields if f.claim]
        if prop not in claimable:
            raise where.fail(
                f"property {_shown(prop)} is not claim-backed for {subject_kind}",
                "one of: " + ", ".join(claimable)
                if claimable
                else "a subject with claim-backed fields",
            )
        item = {"value": record.values["value"]} | {
            q.name: record.values[q.name] for q in CLAIM_QUALIFIERS if q.name in record.values
        }
        specs.extend(
            _claims_of_field(
                subject,
                first_source(record),
                kind.field(prop),
                item,
                record.origin.line,
                where,
            )
        )
    return specs


# ---------------------------------------------------------------------------------------------
# References: every one is looked up in the index of its kind's keys (SourceData.by_key)
# ---------------------------------------------------------------------------------------------


class _Ref(NamedTuple):
    """One reference in the data: its text, field type (``ref:KIND``, ``ref`` or ``source``),
    the kinds a ``ref`` may name, the field's name, and the record or claim holding it. Where
    it stands is worked out only for a message: a million references are read and found."""

    ref: str
    ftype: str
    kinds: tuple[str, ...]
    name: str
    holder: Record | ClaimSpec

    @property
    def where(self) -> _Where:
        holder = self.holder
        if isinstance(holder, ClaimSpec):
            return _Where(holder.origin.path, holder.origin.line, holder.subject)
        line = holder.lines.get(self.name, holder.origin.line)
        return _Where(holder.origin.path, line, holder.describe())


def _references(data: SourceData) -> Iterator[_Ref]:
    """Every reference: the records' reference fields, then the claims' sources, stated_by and
    reference values, in the order their errors are reported."""
    for kind_name, records in data.records.items():
        fields = [
            (f.name, f.type.replace("refs", "ref").replace("sources", "source"), f.kinds)
            for f in KINDS[kind_name].fields
            if f.type.startswith(("ref", "source"))
        ]
        for record in records:
            values = record.values
            for name, single_type, kinds in fields:
                value = values.get(name)
                if value is None:
                    continue
                for ref in value if isinstance(value, list) else [value]:
                    yield _Ref(str(ref), single_type, kinds, name, record)
    for claim in data.claims:
        yield _Ref(claim.source, "source", (), "source", claim)
        if "stated_by" in claim.qualifiers:
            yield _Ref(str(claim.qualifiers["stated_by"]), "ref:persons", (), "stated_by", claim)
        f = KINDS[KIND_OF_SEGMENT[claim.subject.split("/")[0]]].field(claim.field)
        if f.type.startswith("ref"):
            yield _Ref(str(claim.value), f.type, f.kinds, claim.field, claim)


def _kind_and_key(ref: str, ftype: str, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """The kind and key a reference names, from its form alone; None if the form is wrong."""
    _, _, target = ftype.partition(":")
    if ftype in ("source", "sources"):
        target = "sources"
    if target:
        return target, ref
    segment, _, key = ref.partition("/")
    kind = KIND_OF_SEGMENT.get(segment)
    if kind is None or not key or kind not in (kinds or KIND_OF_SEGMENT.values()):
        return None
    return kind, key


def _target(
    ref: str, ftype: str, kinds: tuple[str, ...], where: _Where, name: str
) -> tuple[str, str]:
    """The kind and key a reference names, or an error saying the form it must have."""
    found = _kind_and_key(ref, ftype, kinds)
    if found is None:
        segments = sorted(IRI_SEGMENT[k] for k in kinds or KIND_OF_SEGMENT.values())
        raise where.fail(
            f"{name} {_shown(ref)} must name a record of one of: {', '.join(segments)}",
            f"kind/key, e.g. {segments[0]}/some-id",
        )
    return found


def _resolve(data: SourceData, r: _Ref) -> str:
    """Check that a reference names an existing record; return the kind it points at."""
    kind, key = _kind_and_key(r.ref, r.ftype, r.kinds) or _target(
        r.ref, r.ftype, r.kinds, r.where, r.name
    )
    if key not in data.by_key(kind):
        file = KINDS[kind].file
        missing = "" if kind_files(data.directory, KINDS[kind]) else " (no such file)"
        what = f"{r.name} {_shown(r.ref)}"
        if ":" not in r.ftype and r.ftype != "source":
            what += f": {IRI_SEGMENT[kind]} {_shown(key)}"
        raise r.where.fail(
            f"{what} is not defined in {file}{missing}",
            f"the id of a record in {data.directory / file}",
        )
    return kind


def _check_references(data: SourceData, empty: Mapping[str, list[Path]]) -> None:
    """Every reference names an existing record (``empty``: files with no records, by kind).
    One pass finds whether any does not; only then are they read again, in order, for the
    error to report (an emptied file's first)."""
    index = {kind: data.by_key(kind) for kind in KINDS}
    for r in _references(data):
        found = _kind_and_key(r.ref, r.ftype, r.kinds)
        if found is None or found[1] not in index[found[0]]:
            break
    else:
        return
    references = list(_references(data))
    _check_emptied(data, references, empty)
    for r in references:
        _resolve(data, r)


def _check_emptied(
    data: SourceData, references: list[_Ref], empty: Mapping[str, list[Path]]
) -> None:
    """References left dangling in a kind one of whose files holds no records are reported at
    that file (an emptied persons.yaml), not at the first of the many it leaves dangling."""
    if not empty:
        return
    count: Counter[str] = Counter()
    first: dict[str, _Ref] = {}
    for r in references:
        found = _kind_and_key(r.ref, r.ftype, r.kinds)
        if found and found[0] in empty and found[1] not in data.by_key(found[0]):
            count[found[0]] += 1
            first.setdefault(found[0], r)
    for kind, r in first.items():
        files, n = empty[kind], count[kind]
        others = f" (nor do {len(files) - 1} other {kind} files)" if len(files) > 1 else ""
        raise SourceDataError(
            files[0],
            f"holds no records{others}, and {n} reference{'s' if n > 1 else ''} to {kind} "
            f"{'are' if n > 1 else 'is'} not defined, the first at "
            f"{r.where.path}:{r.where.line} ({r.where.record})",
            expected=f"the {kind} records (was the file emptied by mistake?)",
        )


def _check_dates_in_order(data: SourceData) -> None:
    """A meeting's end date may not precede its start date (per source: they may disagree).
    The latest start is compared with the earliest end, once per subject and source."""
    latest: dict[tuple[str, str], ClaimSpec] = {}
    earliest: dict[tuple[str, str], ClaimSpec] = {}
    for claim in data.claims:
        slot = (claim.subject, claim.source)
        if claim.field in ("start_date", "start_year"):
            if slot not in latest or str(claim.value) > str(latest[slot].value):
                latest[slot] = claim
        elif claim.field in ("end_date", "end_year") and (
            slot not in earliest or str(claim.value) < str(earliest[slot].value)
        ):
            earliest[slot] = claim
    for slot, end in earliest.items():
        start = latest.get(slot)
        if start is not None and str(end.value) < str(start.value):
            raise SourceDataError(
                end.origin.path,
                f"end {end.value} is before start {start.value} (source {slot[1]})",
                line=end.origin.line,
                record=slot[0],
                expected="an end date on or after the start date",
            )
