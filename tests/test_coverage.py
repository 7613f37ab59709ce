"""Coverage: the parties, countries and persons named for each meeting, against the counts its
sources report; the same numbers in the build summary, the shipped query and the pages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from dialoguekg import coverage, graph, sources
from dialoguekg.project import Compiled, Project
from dialoguekg.query import LocalStore, find_query

from .conftest import CASES, ROOT
from .test_serve import app_for

MEETING_2017 = "https://w3id.org/dialoguekg/id/meeting/2017"


def test_shipped_query_counts_what_the_module_counts(
    compiled: Compiled, store: LocalStore, project: Project
) -> None:
    by_module = {
        c.meeting: (c.parties, c.countries, c.persons) for c in coverage.coverage(compiled.store)
    }
    answer = store.query(find_query("coverage", project.queries_dir).text)
    by_query = {
        row["meeting"]["value"]: tuple(
            int(row[n]["value"]) for n in ("parties", "countries", "persons")
        )
        for row in answer.rows
    }
    assert by_query == by_module
    assert len(by_module) == compiled.counts["meetings"]


def test_2017_is_named_against_the_hosts_nearly_300(compiled: Compiled) -> None:
    (found,) = coverage.coverage(compiled.store, MEETING_2017)
    assert found.parties >= 7 and found.countries >= 7 and found.persons >= 13
    assert "nearly 300 parties and organisations" in found.reported_parties
    assert "more than 120 countries" in found.reported_countries
    assert found.line().startswith(f"2017: {found.parties} parties named (reported: ")


def _mini() -> ox.Store:
    built = graph.build(sources.load(CASES / "mini" / "data"))
    return built.dataset()


def test_a_session_counts_for_its_meeting_and_an_announced_part_does_not() -> None:
    store = _mini()
    meeting = "https://w3id.org/dialoguekg/id/meeting/2021"
    # Ada Test spoke for the Test Party at the meeting's opening session; the Test Department
    # (an organisation, not a party) is only announced
    (found,) = coverage.coverage(store, meeting)
    assert (found.parties, found.countries, found.persons) == (1, 1, 1)
    assert found.reported_parties == ["nearly 45 parties"]  # the preferred claim only
    store.update(
        "PREFIX dkg: <https://w3id.org/dialoguekg/def#> "
        "INSERT { ?p dkg:participationStatus dkg:Announced } WHERE { ?p dkg:participant ?who }"
    )
    (found,) = coverage.coverage(store, meeting)
    assert (found.parties, found.countries, found.persons) == (0, 0, 0)


def test_build_prints_each_meetings_coverage(tmp_path: Path, compiled: Compiled) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "dialoguekg.cli", "build", "--out", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (found,) = coverage.coverage(compiled.store, MEETING_2017)
    assert "  " + found.line() + "\n" in run.stderr
    lines = re.findall(r"^  \S+: \d+ part(?:y|ies) named", run.stderr, re.M)
    assert len(lines) == compiled.counts["meetings"]


@pytest.mark.parametrize("path", ["/id/meeting/2017.html"])
def test_meeting_page_states_its_coverage(
    dist: Path, project: Project, compiled: Compiled, path: str
) -> None:
    page = app_for(dist, project).get(path).text
    (found,) = coverage.coverage(compiled.store, MEETING_2017)
    shown = re.search(r'<p id="coverage">(.*?)</p>', page, re.S)
    assert shown, page[:500]
    assert f"Named here as taking part: {found.parties} parties" in shown.group(1)
    assert "nearly 300 parties and organisations" in shown.group(1)
    assert f"and {found.persons} persons." in shown.group(1)
