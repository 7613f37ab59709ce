"""The graph says what the fact sheet (tests/reference/facts.md) says, event by event: dates,
counts with their qualifiers, speakers, titles; every claim cites a source with a URL; every
page of the sheet is a source; every person the sheet names is in the graph."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from dialoguekg.project import Compiled
from dialoguekg.query import LocalStore

from .conftest import ROOT
from .terms import DKG, ID, PREFIXES, SCHEMA

SHEET = (ROOT / "tests" / "reference" / "facts.md").read_text(encoding="utf-8")
PREFIX_LINES = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items())


def claims(store: LocalStore, meeting: str, prop: str) -> set[tuple[str, ...]]:
    """(value, qualifier, source, rank, status) of every claim on a meeting's property."""
    result = store.query(f"""{PREFIX_LINES}
        SELECT ?value ?qualifier ?source ?rank ?status WHERE {{
          ?c a dkg:Claim ; rdf:subject <{ID}meeting/{meeting}> ; rdf:predicate {prop} ;
             rdf:object ?value ; prov:wasDerivedFrom ?s ; dkg:rank ?r .
          BIND (STRAFTER(STR(?s), "/source/") AS ?source)
          BIND (STRAFTER(STR(?r), "#") AS ?rank)
          OPTIONAL {{ ?c dkg:countQualifier ?q }}
          BIND (COALESCE(STRAFTER(STR(?q), "#"), "") AS ?qualifier)
          OPTIONAL {{ ?c dkg:countStatus ?st }}
          BIND (COALESCE(?st, "") AS ?status)
        }}""")
    return {
        tuple(row[n]["value"] for n in ("value", "qualifier", "source", "rank", "status"))
        for row in result.rows
    }


def has(found: set[tuple[str, ...]], *expected: str) -> bool:
    """Whether a claim matches ``expected`` on its first fields (value, qualifier, source, …)."""
    return any(c[: len(expected)] == expected for c in found)


# --- 2017 ------------------------------------------------------------------------------------


def test_2017_party_counts_keep_every_source_and_prefer_the_beijing_initiative(
    store: LocalStore,
) -> None:
    found = claims(store, "2017", "dkg:partyCount")
    assert has(found, "300", "Nearly", "chinadaily-2017-12-04", "PreferredRank")
    assert has(found, "200", "MoreThan", "vastavamtv-2017-11-25", "NormalRank", "registered")
    assert has(found, "300", "Some", "globaltimes-2017-12-03", "NormalRank")
    assert has(found, "200", "MoreThan", "china-org-cn-2020-01-19", "NormalRank")


def test_2017_delegate_counts_disagree(store: LocalStore) -> None:
    found = claims(store, "2017", "dkg:delegateCount")
    assert has(found, "600", "MoreThan", "chinadaily-2017-12-04", "PreferredRank")
    assert has(found, "600", "Nearly", "peoplesdemocracy-2017-12-10", "NormalRank")
    assert has(found, "450", "MoreThan", "redglobe", "NormalRank")


def test_2017_duration_and_the_deprecated_end_date(store: LocalStore) -> None:
    assert has(claims(store, "2017", "dkg:durationDays"), "4", "", "07774-cn-2017-12-01")
    assert has(claims(store, "2017", "dkg:durationDays"), "3", "", "globaltimes-2017-12-03")
    ends = claims(store, "2017", "schema:endDate")
    assert has(ends, "2017-12-13", "", "globalsecurity", "DeprecatedRank")
    assert has(ends, "2017-12-03", "", "china-org-cn-2020-01-19", "NormalRank")


def test_2017_themes_in_english_and_chinese(compiled: Compiled) -> None:
    themes = set(compiled.built.graph.objects(ID["meeting/2017"], DKG.theme))
    assert Literal("构建人类命运共同体、共同建设美好世界:政党的责任", lang="zh") in themes
    english = {str(t) for t in themes if t.language == "en"}
    assert any("Shared Future for Mankind and a Better World" in t for t in english)
    assert any("Shared Future for Humanity and a Better World" in t for t in english)


def test_2017_beijing_initiative_and_keynote(compiled: Compiled) -> None:
    g = compiled.built.graph
    (initiative,) = [
        d
        for d in g.subjects(DKG.adoptedAt, ID["meeting/2017"])
        if (d, RDF.type, DKG.OutcomeDocument) in g
    ]
    assert Literal("北京倡议", lang="zh") in set(g.objects(initiative, SKOS.altLabel))
    assert 16 in {int(v) for v in g.objects(initiative, DKG.pointCount)}
    speeches = {
        s
        for s in g.subjects(DKG.speaker, ID["person/xi-jinping"])
        if (s, RDF.type, DKG.Speech) in g
    }
    titles = {str(t) for s in speeches for t in g.objects(s, RDFS.label)}
    assert "Work Together to Build a Better World" in titles


# --- 2021 ------------------------------------------------------------------------------------


def test_2021_summit_counts(store: LocalStore) -> None:
    found = claims(store, "2021-summit", "dkg:delegateCount")
    assert has(found, "10000", "MoreThan", "insaf", "PreferredRank")
    assert has(found, "1000", "MoreThan", "us-palm", "NormalRank")
    assert has(claims(store, "2021-summit", "dkg:partyCount"), "500", "MoreThan", "insaf")
    assert has(
        claims(store, "2021-summit", "dkg:venueCount"), "200", "Nearly", "chinascope-2021-07-07"
    )


def test_2021_summit_date_theme_and_speakers(compiled: Compiled) -> None:
    g = compiled.built.graph
    summit = ID["meeting/2021-summit"]
    assert set(g.objects(summit, SCHEMA.startDate)) == {
        Literal("2021-07-06", datatype=URIRef(PREFIXES["xsd"] + "date"))
    }
    assert Literal("为人民谋幸福:政党的责任", lang="zh") in set(g.objects(summit, DKG.theme))
    speakers = set(participants(g, summit))
    for person in (
        "cyril-ramaphosa",
        "nursultan-nazarbayev",
        "dmitry-medvedev",
        "hun-sen",
        "nguyen-phu-trong",
    ):
        assert ID[f"person/{person}"] in speakers, person


# --- 2023 ------------------------------------------------------------------------------------


def test_2023_speakers_as_xinhua_lists_them(compiled: Compiled) -> None:
    g = compiled.built.graph
    crntt = ID["source/crntt-2023-03-17"]
    listed = {
        g.value(p, DKG.participant)
        for p in g.subjects(RDF.type, DKG.Participation)
        if g.value(p, URIRef(PREFIXES["prov"] + "wasDerivedFrom")) == crntt
        and g.value(p, DKG.inRole) == ID["role/speaker"]
    }
    assert len(listed) == 12
    assert ID["person/yawa-djigbodi-tsegan"] in listed


def test_2023_keynote_title_in_both_languages(compiled: Compiled) -> None:
    g = compiled.built.graph
    titles = {
        t
        for s in g.subjects(RDF.type, DKG.Speech)
        for t in (*g.objects(s, RDFS.label), *g.objects(s, SKOS.altLabel))
    }
    assert Literal("Join Hands on the Path Towards Modernization", lang="en") in titles
    assert Literal("携手同行现代化之路", lang="zh") in titles


# --- the predecessor, 2014-2016 --------------------------------------------------------------


def test_predecessor_editions_dates_disagree(store: LocalStore) -> None:
    assert has(claims(store, "2014", "schema:startDate"), "2014-09-03", "", "12371-cn-2014-09-05")
    starts_2015 = claims(store, "2015", "schema:startDate")
    assert has(starts_2015, "2015-09-07", "", "extremeeelectricracing")
    assert has(starts_2015, "2015-09-08", "", "fx361-2016-11-12")
    starts_2016 = claims(store, "2016", "schema:startDate")
    assert has(starts_2016, "2016-10-13", "", "china-org-cn-2016-10-17")
    assert has(starts_2016, "2016-10-14", "", "handmsg-2016-11-26")


def test_predecessor_counts(store: LocalStore) -> None:
    assert has(claims(store, "2014", "dkg:delegateCount"), "60", "AsStated", "cccws-2014-09-03")
    assert has(
        claims(store, "2016", "dkg:partyCount"),
        "72",
        "AsStated",
        "china-org-cn-2016-10-17",
        "PreferredRank",
    )
    assert has(
        claims(store, "2016", "dkg:partyCount"),
        "80",
        "MoreThan",
        "xinhua-japanese-2016-10-10",
        "NormalRank",
    )


# --- related events --------------------------------------------------------------------------


def meeting_with_claim(store: LocalStore, prop: str, value: str, source: str) -> str:
    result = store.query(f"""{PREFIX_LINES}
        SELECT DISTINCT ?m WHERE {{
          ?c rdf:subject ?m ; rdf:predicate {prop} ; prov:wasDerivedFrom <{ID}source/{source}> ;
             rdf:object ?v FILTER (STR(?v) = "{value}") }}""")
    (row,) = result.rows
    return row["m"]["value"]


def test_related_events_dates_and_counts(store: LocalStore, compiled: Compiled) -> None:
    g = compiled.built.graph
    neighbours = meeting_with_claim(
        store, "schema:startDate", "2025-05-26", "bastillepost-2025-05-26"
    )
    assert has(
        claims(store, neighbours.rsplit("/", 1)[1], "schema:startDate"),
        "2025-05-25",
        "",
        "people-2025-05-27",
    )
    brics = meeting_with_claim(store, "dkg:partyCount", "57", "businessday-2023-07-05")
    assert has(
        claims(store, brics.rsplit("/", 1)[1], "dkg:partyCount"),
        "57",
        "Exactly",
        "businessday-2023-07-05",
        "NormalRank",
        "invited",
    )
    assert (URIRef(brics), RDF.type, DKG.ForeignHostedPartyEvent) in g
    types = {t for m in g.subjects(RDF.type, DKG.Meeting) for t in g.objects(m, RDF.type)}
    assert {
        DKG.PartyDialogue,
        DKG.ThinkTankForum,
        DKG.Briefing,
        DKG.ForeignHostedPartyEvent,
    } <= types


# --- sources and persons ---------------------------------------------------------------------


def participants(g, event: URIRef) -> Iterator[URIRef]:  # type: ignore[no-untyped-def]
    for p in g.subjects(RDF.type, DKG.Participation):
        e = g.value(p, DKG.event)
        if e == event or g.value(e, SCHEMA.superEvent) == event:
            yield g.value(p, DKG.participant)


def test_every_claim_cites_a_source_with_a_url(store: LocalStore) -> None:
    result = store.query(f"""{PREFIX_LINES}
        SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a dkg:Claim
          FILTER NOT EXISTS {{ ?c prov:wasDerivedFrom ?s . ?s a dkg:Source ; schema:url ?u }} }}""")
    assert result.rows[0]["n"]["value"] == "0"


def test_every_page_of_the_sheet_is_a_source_with_kind_publisher_and_language(
    compiled: Compiled,
) -> None:
    g = compiled.built.graph
    urls = {u.rstrip(";,") for u in re.findall(r"https?://[^\s)]+", SHEET)}
    by_url = {str(u): s for s, u in g.subject_objects(SCHEMA.url) if (s, RDF.type, DKG.Source) in g}
    missing = sorted(u for u in urls if u not in by_url)
    assert not missing
    for url in urls:
        source = by_url[url]
        assert g.value(source, DKG.sourceKind) is not None, url
        assert g.value(source, SCHEMA.publisher) is not None, url
        assert g.value(source, SCHEMA.inLanguage) is not None, url


PERSONS_SECTION = SHEET.split("## Persons", 1)[1].split("## Main disagreements", 1)[0]
#: The names of the Persons section, as the sheet spells them: "- Name — …" lines and the
#: "Name (office); Name (office)" lists; minus the phrases in brackets that are not names.
SHEET_NAMES = (
    set(re.findall(r"^- ([^—(;]+?) — ", PERSONS_SECTION, re.M))
    | set(re.findall(r"(?:^- (?:\d{4}: )?|; )([A-Z][^();—:]+?) \(", PERSONS_SECTION, re.M))
    | {"Martin Jacques", "Pokin Polakul", "Erik Solheim"}
) - {
    "Unnamed",
    "CPC delegation to BRICS parties dialogue",
    "PM of Vanuatu",
    "Vladivostok inter-party forum",
}


@pytest.mark.parametrize("name", sorted(SHEET_NAMES))
def test_every_person_of_the_sheet_is_in_the_graph(compiled: Compiled, name: str) -> None:
    g = compiled.built.graph
    names = {
        str(n)
        for p in g.subjects(RDF.type, DKG.Person)
        for n in (*g.objects(p, RDFS.label), *g.objects(p, SKOS.altLabel))
    }
    assert name.strip() in names
