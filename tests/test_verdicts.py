"""When sources disagree: the verdicts on every case the disagreements issue lists, from the one
implementation (``verdicts``) that the build's count, the warnings, ``query conflicts`` and the
pages all read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dialoguekg import export
from dialoguekg.project import Compiled, Project
from dialoguekg.query import LocalStore, find_query
from dialoguekg.verdicts import Stated, can_both_be_true, conflicting_pairs, verdicts
from dialoguekg.vocab import DKG, XSD
from dialoguekg.web import app as web

ID = "https://w3id.org/dialoguekg/id/"
SCHEMA = "http://schema.org/"
OWL = "http://www.w3.org/2002/07/owl#"


def count(value: int, qualifier: str, measure: str = "m", status: str = "") -> Stated:
    literal = f'"{value}"^^<{XSD.integer}>'
    return Stated("c", "s", DKG.partyCount, literal, DKG[qualifier], measure, status, "")


@pytest.mark.parametrize(
    ("a", "b", "both"),
    [
        (count(500, "MoreThan"), count(500, "AsStated"), True),  # one number, two hedges
        (count(120, "AsStated"), count(122, "Exactly"), True),
        (count(120, "MoreThan"), count(122, "Exactly"), True),
        (count(50, "MoreThan"), count(57, "AsStated"), True),  # BRICS 50+ / 54+ / 57
        (count(54, "MoreThan"), count(57, "AsStated"), True),
        (count(100, "MoreThan"), count(160, "About"), True),  # Global South forum
        (count(200, "MoreThan"), count(300, "Nearly"), True),
        (count(300, "Nearly"), count(300, "Some"), True),
        (count(1000, "MoreThan"), count(10000, "MoreThan"), False),  # 2021 delegates
        (count(600, "Nearly"), count(600, "MoreThan"), False),
        (count(3, "AsStated"), count(4, "AsStated"), False),  # small plain numbers are exact
        (count(0, "MoreThan"), count(0, "MoreThan"), True),  # never an empty interval
        (count(0, "Nearly"), count(0, "Nearly"), True),
    ],
)
def test_numbers_are_read_as_the_intervals_their_hedges_allow(
    a: Stated, b: Stated, both: bool
) -> None:
    assert can_both_be_true(a, b) is both
    assert can_both_be_true(b, a) is both


def test_dates_differ_and_texts_are_variants() -> None:
    def stated(value: str) -> Stated:
        return Stated("c", "s", "p", value, DKG.AsStated, "", "", "")

    date = f"^^<{XSD.date}>"
    assert not can_both_be_true(stated(f'"2015-09-07"{date}'), stated(f'"2015-09-08"{date}'))
    assert can_both_be_true(stated(f'"2015-09-07"{date}'), stated(f'"2015-09-07"{date}'))
    assert can_both_be_true(stated('"Building a Better World"@en'), stated('"构建美好世界"@zh'))
    assert not can_both_be_true(stated(f"<{ID}place/beijing>"), stated(f"<{ID}place/shenzhen>"))


def test_several_ids_of_one_dataset_are_compatible_not_wordings() -> None:
    ids = [
        Stated(n, "s", DKG.parlGovId, f'"{n}"', DKG.AsStated, "", "", DKG.NormalRank) for n in "12"
    ]
    assert verdicts(ids, frozenset({DKG.parlGovId})) == {"1": "Compatible", "2": "Compatible"}
    assert not list(conflicting_pairs(ids, frozenset({DKG.parlGovId})))


#: Every fact two claims conflict on, in the real graph: the six real disagreements the issue
#: found, four more the interval reading finds (80+ against 200+ experts in 2015; 72
#: parties in the 2016 Chongqing Initiative, no status given, against 80+ registered; nearly
#: 600 against more than 600 delegates in 2017; 25 against 26 May 2025), and Amanat's
#: Wikidata item (Q111077075 per Party Facts, Q1195092 per EveryPolitician); and the first
#: China-CELAC forum's start (8 December 2015 per its first source, 7 per its Declaration).
CONFLICTS = {
    ("series/cpc-in-dialogue-with-the-world", SCHEMA + "endDate"),  # 2016 against 2017
    ("meeting/2015", SCHEMA + "startDate"),  # 7 against 8 September
    ("meeting/2015", DKG.durationDays),  # 3 against 4 days
    ("meeting/2015", DKG.delegateCount),
    ("meeting/2016", SCHEMA + "startDate"),  # 13 against 14 October
    ("meeting/2016", DKG.partyCount),
    ("meeting/2017", DKG.durationDays),  # 3 against 4 days over the same dates
    ("meeting/2017", DKG.delegateCount),
    ("meeting/2021-summit", DKG.delegateCount),  # 1,000+ against 10,000+
    ("meeting/2018-africa-special-session", DKG.partyCount),  # 36 attended against 40; 38 / 38+
    ("meeting/2018-africa-special-session", DKG.countryCount),  # 36 attended against 40
    ("meeting/cpc-dialogue-with-neighbouring-countries-parties-2025", SCHEMA + "startDate"),
    ("meeting/china-celac-political-parties-forum-2015", SCHEMA + "startDate"),  # 8 against 7 Dec
    ("party/amanat", OWL + "sameAs"),
}


def test_the_build_finds_exactly_the_real_conflicts(compiled: Compiled) -> None:
    found = {(s.removeprefix(ID), p) for s, p in compiled.built.conflicts}
    assert found == CONFLICTS
    # not conflicts: hedges of one number, theme wordings, counts of other things, bounds
    # that can all be true, a deprecated claim, several values of a set-valued property
    for fact in [
        ("meeting/2017", DKG.partyCount),  # 200+ registered, nearly 300, some 300 foreign
        ("meeting/2017", DKG.countryCount),  # 120 / 120+ / 122
        ("meeting/2017", DKG.theme),
        ("meeting/2017", DKG.parallelSessionCount),  # 4 sub-sessions, 5 discussions, 7 topics
        ("meeting/2017", SCHEMA + "endDate"),  # "13 December" is deprecated: a typo
        ("meeting/2021-summit", DKG.countryCount),  # countries with local venues
        ("meeting/2015", DKG.countryCount),  # 18: the panel speakers' countries
        ("meeting/2016", DKG.delegateCount),  # foreign guests against all delegates
        ("meeting/2023", DKG.introducedConcept),
    ]:
        assert fact not in found, fact


def test_query_warnings_and_build_agree_on_the_conflicts(
    store: LocalStore, project: Project, compiled: Compiled
) -> None:
    answer = store.query(find_query("conflicts", project.queries_dir).text)
    from_query = {
        (row["entity"]["value"].removeprefix(ID), row["property"]["value"]) for row in answer.rows
    }
    assert from_query == CONFLICTS
    from_build = {(s.removeprefix(ID), p) for s, p in compiled.built.conflicts}
    assert from_query == from_build


def page_verdicts(client: TestClient, meeting: str) -> dict[str, dict[str, set[str]]]:
    """Each side-by-side table of a meeting's page: the verdicts of each value as printed."""
    page = client.get(f"/id/meeting/{meeting}.html").text
    found: dict[str, dict[str, set[str]]] = {}
    for caption, body in re.findall(r"<caption>(.*?)</caption>(.*?)</table>", page, re.S):
        for value, verdict in re.findall(
            r"<tr>\s*<td>(.*?)(?:<br>.*?)?</td>.*?<td class=\"verdict\">(.*?)</td>", body, re.S
        ):
            found.setdefault(caption, {}).setdefault(value, set()).add(verdict)
    return found


def test_pages_show_the_verdict_the_build_gave(dist: Path, project: Project) -> None:
    app = web.create_app(dist, project.queries_dir, export.load_context(project.context_file))
    with TestClient(app) as client:
        page = client.get("/id/meeting/2017.html").text
        v2017 = page_verdicts(client, "2017")
        v2021 = page_verdicts(client, "2021-summit")
        brics = page_verdicts(client, "brics-political-parties-plus-dialogue-2023")
        south = page_verdicts(client, "global-south-modernization-forum-2025")
    # compatible bounds: registered "more than 200" and "nearly 300"; 120 / 120+ / 122
    assert v2017["party count"]["more than 200, registered"] == {"compatible"}
    assert v2017["party count"]["nearly 300"] == {"compatible"}
    assert v2017["party count"]["some 300"] == {"compatible", "counts something else"}
    assert v2017["country count"]["122"] == {"compatible"}
    assert v2017["duration in days"] == {"3": {"conflicts"}, "4": {"conflicts"}}
    assert v2017["schema:endDate"] == {"2017-12-03": {"agrees"}, "2017-12-13": {"deprecated"}}
    assert v2017["parallel session count"]["4"] == {"counts something else"}  # sub-sessions
    assert set().union(*v2017["theme"].values()) == {"a wording"}  # and translations
    # one number, two hedges; bounds that can all be true
    assert v2021["party count"]["500"] == {"compatible"}
    assert v2021["country count"]["more than 100"] == {"agrees"}  # venues: only with itself
    assert set().union(*brics["party count"].values()) == {"compatible"}  # 50+ / 54+ / 57
    assert set().union(*south["delegate count"].values()) == {"compatible"}  # 100+ / ~160
    assert re.search(r'class="side-by-side disputed">\s*<caption>duration in days', page)
    assert re.search(r'class="side-by-side">\s*<caption>party count', page)  # not highlighted
    # a reprint is not independent: Deshabhimani reprints Yechury's People's Democracy article
    assert re.search(r"nearly 600<br><span class=\"muted origins\">2 sources, 1 independent", page)
