"""Each competency query, run on the built graph, answers what the sources say."""

from __future__ import annotations

import pytest

from dialoguekg.project import Project
from dialoguekg.query import LocalStore, Result, find_query, shipped_queries

from .conftest import ROOT

QUESTIONS = 19
WIKIPEDIA = "CPC in Dialogue with World Political Parties High-level Meeting"
VERCHENKO = (
    "Party Diplomacy in China\u2019s Foreign Policy: \u201cCCP Dialogue with the World-2023\u201d"
)


def run(store: LocalStore, project: Project, name: str) -> Result:
    return store.query(find_query(name, project.queries_dir).text)


def rows(result: Result, *names: str) -> list[tuple[str, ...]]:
    return [tuple(row[n]["value"] if n in row else "" for n in names) for row in result.rows]


def test_one_query_per_competency_question_each_with_its_question(project: Project) -> None:
    queries = shipped_queries(project.queries_dir)
    assert len([q for q in queries if not q.federated]) == QUESTIONS
    for q in queries:
        assert q.question.endswith("?"), q.name
        assert "# Expected:" in q.text, q.name


def test_meetings(store: LocalStore, project: Project) -> None:
    r = run(store, project, "meetings")
    assert rows(r, "ordinal", "start", "end", "venue") == [
        ("1", "2017-11-30", "2017-12-03", "Beijing"),
        ("2", "2023-03-15", "2023-03-15", "online"),
    ]
    themes = r.column("themes")
    assert "Building a Community with a Shared Future for Mankind" in themes[0]
    assert themes[1] == "The Path to Modernization: The Responsibility of Political Parties"


def test_keynotes(store: LocalStore, project: Project) -> None:
    r = run(store, project, "keynotes")
    assert rows(r, "meeting", "speaker") == [
        ("https://w3id.org/dialoguekg/id/meeting/2017", "Xi Jinping"),
        ("https://w3id.org/dialoguekg/id/meeting/2023", "Xi Jinping"),
    ]
    sources_2023 = set(r.column("sources")[1].split(" | "))
    assert len(sources_2023) == 2  # the Wikipedia article and the journal abstract


def test_opening_speakers_2023(store: LocalStore, project: Project) -> None:
    r = run(store, project, "opening-speakers-2023")
    assert set(rows(r, "speaker", "party", "country")) == {
        ("Cyril Ramaphosa", "African National Congress", "South Africa"),
        ("Nicolás Maduro", "United Socialist Party of Venezuela", "Venezuela"),
        ("Aleksandar Vučić", "Serbian Progressive Party", "Serbia"),
        ("Luvsannamsrain Oyun-Erdene", "Mongolian People's Party", "Mongolia"),
    }


def test_plenary_speakers_2023(store: LocalStore, project: Project) -> None:
    r = run(store, project, "plenary-speakers-2023")
    assert set(rows(r, "speaker", "party", "country")) == {
        ("James Marape", "Pangu Party", "Papua New Guinea"),
        ("Salva Kiir Mayardit", "Sudan People's Liberation Movement", "South Sudan"),
        ("Daniel Ortega", "Sandinista National Liberation Front", "Nicaragua"),
        ("Boris Gryzlov", "United Russia", "Russia"),
        ("Dickon Mitchell", "National Democratic Congress", "Grenada"),
        ("Yawa Djigbodi Tsègan", "Union for the Republic", "Togo"),
        ("Yerlan Koshanov", "Amanat", "Kazakhstan"),
        ("Taur Matan Ruak", "People's Liberation Party", "Timor-Leste"),
    }
    printed = dict(rows(r, "speaker", "asPrinted"))
    assert printed["Yawa Djigbodi Tsègan"].endswith("Tsagan")  # the source's spelling is kept


def test_speaker_positions(store: LocalStore, project: Project) -> None:
    r = run(store, project, "speaker-positions")
    positions = {
        (m.rsplit("/", 1)[1], s): (role, party, office)
        for m, s, role, party, office in rows(
            r, "meeting", "speaker", "partyRole", "party", "stateOffice"
        )
    }
    assert positions[("2023", "Daniel Ortega")] == (
        "Secretary-General",
        "Sandinista National Liberation Front",
        "President of Nicaragua",
    )
    assert positions[("2023", "Boris Gryzlov")] == (
        "Chairman of the Supreme Council",
        "United Russia",
        "",
    )
    assert positions[("2023", "Yawa Djigbodi Tsègan")] == (
        "Treasurer General",
        "Union for the Republic",
        "Speaker of the National Assembly of Togo",
    )
    assert positions[("2017", "Xi Jinping")] == (
        "General Secretary",
        "Communist Party of China",
        "",
    )
    assert len(positions) == 14  # 12 speakers and Xi's two keynotes


def test_heads_of_state_or_government(store: LocalStore, project: Project) -> None:
    r = run(store, project, "heads-of-state-or-government")
    assert set(rows(r, "person", "headOf")) == {
        ("Xi Jinping", "state"),
        ("Salva Kiir Mayardit", "state"),
        ("Daniel Ortega", "state"),
        ("Luvsannamsrain Oyun-Erdene", "government"),
        ("James Marape", "government"),
        ("Dickon Mitchell", "government"),
        ("Taur Matan Ruak", "government"),
    }


def test_participation_counts_per_source(store: LocalStore, project: Project) -> None:
    r = run(store, project, "participation-counts")
    got = {
        (m.rsplit("/", 1)[1], what, q, n, counted, status, by)
        for m, what, q, n, counted, status, by in rows(
            r, "meeting", "what", "qualifier", "number", "counted", "status", "statedBy"
        )
    }
    assert got == {
        ("2017", "parties", "MoreThan", "200", "political parties", "registered", "Guo Yezhou"),
        ("2017", "countries", "MoreThan", "120", "countries", "registered", "Guo Yezhou"),
        ("2023", "parties", "AsStated", "500", "political parties", "attended", ""),
        ("2023", "countries", "AsStated", "150", "countries and regions", "attended", ""),
    }
    assert set(r.column("source")) == {
        "CPC in Dialogue with World Political Parties High-level Meeting",
        VERCHENKO,
    }


def test_disagreements_show_the_predecessor_years(store: LocalStore, project: Project) -> None:
    r = run(store, project, "disagreements")
    assert rows(r, "subject", "property", "value", "otherValue") == [
        ("CPC in Dialogue with the World", "http://schema.org/endDate", "2016", "2017")
    ]
    assert r.column("source") == [VERCHENKO]
    assert r.column("otherSource") == [
        "CPC in Dialogue with World Political Parties High-level Meeting"
    ]


def test_organisers(store: LocalStore, project: Project) -> None:
    r = run(store, project, "organisers")
    assert rows(r, "organiser", "official", "role") == [
        ("International Department of the CPC Central Committee", "Guo Yezhou", "Deputy Minister")
    ]
    assert "party count 200" in r.column("statements")[0]


def test_related_series(store: LocalStore, project: Project) -> None:
    r = run(store, project, "related-series")
    assert set(rows(r, "relation", "related")) == {
        ("predecessor", "CPC in Dialogue with the World"),
        ("see also", "CPC and World Political Parties Summit"),
    }
    predecessor_sources = next(
        s for rel, s in rows(r, "relation", "sources") if rel == "predecessor"
    )
    assert len(predecessor_sources.split(" | ")) == 2


def test_speaker_countries_and_continents(store: LocalStore, project: Project) -> None:
    r = run(store, project, "speaker-countries")
    by_meeting: dict[str, set[tuple[str, str]]] = {}
    for m, continent, country in rows(r, "meeting", "continent", "country"):
        by_meeting.setdefault(m.rsplit("/", 1)[1], set()).add((country, continent))
    assert by_meeting["2017"] == {("China", "Asia")}
    assert len(by_meeting["2023"]) == 13
    assert {c for _, c in by_meeting["2023"]} == {"Africa", "Americas", "Asia", "Europe", "Oceania"}
    assert ("Papua New Guinea", "Oceania") in by_meeting["2023"]


def test_wikidata_links(store: LocalStore, project: Project) -> None:
    r = run(store, project, "wikidata-links")
    links = {(cls, label): qid for cls, label, qid in rows(r, "class", "label", "wikidataId")}
    assert len([k for k in links if k[0] == "Person"]) == 15
    assert len([k for k in links if k[0] == "Party"]) == 13
    assert len([k for k in links if k[0] == "Country"]) == 13
    assert links[("Person", "Xi Jinping")] == "Q15031"
    assert links[("Person", "Nicolás Maduro")] == "Q58132"  # not the rejected Q432778
    assert links[("Person", "Daniel Ortega")] == "Q57402"  # not the rejected Q352282
    assert links[("Party", "Amanat")] == ""  # conflicting ids in public records: no link
    assert links[("Country", "Timor-Leste")] == "Q574"
    evidence = {label: e for _, label, e in rows(r, "class", "label", "evidence")}
    assert evidence["Communist Party of China"] == "Party Facts data: import/wikipedia/wikidata.csv"


def test_meeting_sources_and_authors(store: LocalStore, project: Project) -> None:
    r = run(store, project, "meeting-sources")
    got = {(m.rsplit("/", 1)[1], author) for m, author in rows(r, "meeting", "author")}
    assert got == {
        ("2017", "Wikipedia contributors"),
        ("2023", "Wikipedia contributors"),
        ("2023", "Alla Verchenko"),
    }


def test_recurring_participants(store: LocalStore, project: Project) -> None:
    r = run(store, project, "recurring-participants")
    assert {(k, n, m) for k, n, m in rows(r, "kind", "name", "meetings")} == {
        ("person", "Xi Jinping", "2"),
        ("party", "Communist Party of China", "2"),
    }


OFFLINE = [q.name for q in shipped_queries(ROOT / "queries") if not q.federated]


@pytest.mark.parametrize("name", OFFLINE)
def test_every_shipped_query_answers(store: LocalStore, project: Project, name: str) -> None:
    assert run(store, project, name).rows
