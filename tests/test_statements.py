"""`dialoguekg link --statements`: QuickStatements v1 from the built graph, row by row checked
against the graph (phrased here through owl:sameAs and skos:closeMatch, not the dkg:wikidataId
the writer reads), and the bad-input cases."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dialoguekg import cli, statements
from dialoguekg.errors import ProjectError
from dialoguekg.query import LocalStore, select
from dialoguekg.vocab import DKG, WD, sparql_prefixes

ROOT = Path(__file__).resolve().parents[1]
RETRIEVED = dt.date(2026, 1, 15)
TIME = r"\+\d{4}-\d\d-\d\dT00:00:00Z/11"
STRING = r'"[^\t\n]*"'
VALUE = {  # the QuickStatements v1 value each property takes
    "P102": r"Q\d+",
    "P39": r"Q\d+",
    "P31": r"Q\d+",
    "P276": r"Q\d+",
    "P664": r"Q\d+",
    "P710": r"Q\d+",
    "P1268": r"Q\d+",
    "P580": TIME,
    "P582": TIME,
    "P1132": r"\d+",
    "Len": STRING,
    "Den": STRING,
}
Row = tuple[str, str, str, tuple[tuple[str, str], ...], str]  # subject, property, value, quals, URL


def run(dist: Path, out: Path, *extra: str) -> int:
    argv = ["link", "--statements", str(out), "--dist", str(dist), "--date", RETRIEVED.isoformat()]
    return cli.main([*argv, *extra])


@pytest.fixture(scope="module")
def written(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("statements") / "statements.tsv"
    assert run(dist, out, "--create-missing") == 0
    return out.read_text(encoding="utf-8")


def ask(store: LocalStore, query: str) -> list[dict[str, str]]:
    return select(store.store, sparql_prefixes() + query)


def parse(text: str) -> tuple[list[Row], dict[str, list[Row]], list[list[str]]]:
    """Rows on existing items; rows of each CREATE block by its label; every line's cells.
    Checks the QuickStatements v1 grammar of every line on the way."""
    assert text.endswith("\n") and "\r" not in text
    existing: list[Row] = []
    created: dict[str, list[Row]] = {}
    label = None
    lines = [line.split("\t") for line in text[:-1].split("\n")]
    for cells in lines:
        if cells == ["CREATE"]:
            label = ""
            continue
        subject, prop, value, *rest = cells
        assert re.fullmatch(r"Q\d+" if label is None else "LAST", subject), cells
        assert re.fullmatch(VALUE[prop], value), cells
        if prop == "Len":
            label = value[1:-1]
            created[label] = []
            continue
        if prop in ("Den", "P31"):
            assert prop == "Den" or value == statements.CONFERENCE
            continue
        assert len(rest) % 2 == 0, cells
        pairs = list(zip(rest[::2], rest[1::2], strict=True))
        qualifiers = tuple(p for p in pairs if p[0].startswith("P"))
        reference = [p for p in pairs if p[0].startswith("S")]
        assert pairs == [*qualifiers, *reference], "qualifiers come before the reference"
        for q, v in qualifiers:
            assert re.fullmatch(VALUE[q], v), cells
        keys = [k for k, _ in reference]
        assert keys[0] == "S854" and keys[-1] == "S813", cells
        assert keys in (
            ["S854", "S813"],
            ["S854", "S577", "S813"],
            ["S854", "S1476", "S813"],
            ["S854", "S1476", "S577", "S813"],
        ), cells
        ref = dict(reference)
        assert re.fullmatch(r'"https?://[^\s"]+"', ref["S854"]), cells
        assert ref["S813"] == f"+{RETRIEVED.isoformat()}T00:00:00Z/11"
        assert re.fullmatch(TIME, ref.get("S577", "+2000-01-01T00:00:00Z/11"))
        assert re.fullmatch(r'[a-z-]+:"[^\t\n]+"', ref.get("S1476", 'en:"-"')), cells
        row = (subject, prop, value, qualifiers, ref["S854"][1:-1])
        if label is None:
            existing.append(row)
        else:
            assert label, "a CREATE block starts with its label"
            created[label].append(row)
    return existing, created, lines


def qid(iri: str) -> str:
    assert iri.startswith(str(WD)), iri
    return iri.removeprefix(str(WD))


def test_every_line_is_quickstatements_v1_with_evidenced_properties(written: str) -> None:
    _, _, lines = parse(written)
    evidence = yaml.safe_load((ROOT / statements.TERMS_FILE).read_text(encoding="utf-8"))
    known = {e["id"] for e in evidence if e["source"] and e["quote"]}
    used = {c for cells in lines for c in cells if re.fullmatch(r"[PS]\d+", c)}
    used = {"P" + c[1:] for c in used} | {statements.CONFERENCE}
    assert used <= known, used - known
    assert used >= {"P102", "P39", "P580", "P582", "P276", "P664", "P710", "P1268", "P854"}


def test_statements_on_existing_items_are_exactly_the_linked_memberships(
    written: str, store: LocalStore
) -> None:
    existing, _, _ = parse(written)
    expected = {
        (qid(r["person"]), r["property"], qid(r["value"]), (), r["url"])
        for r in ask(
            store,
            """SELECT ?person ?property ?value ?url WHERE {
              ?m a dkg:Membership ; org:member/owl:sameAs ?person ; prov:wasDerivedFrom ?s .
              ?s schema:url ?url .
              OPTIONAL { ?s dkg:sourceKind ?kind }
              FILTER (!BOUND(?kind) || ?kind != "encyclopedia")
              { ?m org:organization ?party . ?party a dkg:Party ; owl:sameAs ?value .
                BIND ("P102" AS ?property) }
              UNION
              { ?m org:role ?office . ?office a dkg:StateOffice ; skos:closeMatch ?value .
                BIND ("P39" AS ?property) }
            }""",
        )
    }
    assert len(existing) == len(set(existing)), "no row twice"
    assert set(existing) == expected
    by_property = Counter(r[1] for r in existing)
    assert set(by_property) == {"P102", "P39"}
    assert by_property["P102"] >= 15 and by_property["P39"] >= 9  # as linked on 2026-12-03


def test_created_meetings_hold_exactly_their_eligible_claims_and_participants(
    written: str, store: LocalStore
) -> None:
    _, created, _ = parse(written)
    meetings = ask(
        store,
        """SELECT ?m ?label WHERE { ?m a dkg:Meeting ; rdfs:label ?label .
           FILTER (LANG(?label) = "en") FILTER NOT EXISTS { ?m owl:sameAs ?x } }""",
    )
    label = {r["m"]: r["label"] for r in meetings}
    # every meeting of the graph: none of them has a Wikidata item yet
    assert set(created) == set(label.values()) and len(created) == 28
    expected: dict[str, set[Row]] = {name: set() for name in created}
    claims = ask(
        store,
        """SELECT ?m ?p ?value ?same ?hedge ?measure ?url WHERE {
          ?c rdf:subject ?m ; rdf:predicate ?p ; rdf:object ?value ; dkg:rank ?rank ;
             prov:wasDerivedFrom ?s .
          ?s schema:url ?url .
          ?m a dkg:Meeting .
          OPTIONAL { ?s dkg:sourceKind ?kind }
          FILTER (!BOUND(?kind) || ?kind != "encyclopedia")
          FILTER (?rank IN (dkg:NormalRank, dkg:PreferredRank))
          OPTIONAL { ?value owl:sameAs ?same }
          OPTIONAL { ?c dkg:countQualifier ?hedge }
          OPTIONAL { ?c dkg:measure ?measure }
        }""",
    )
    dates = {"http://schema.org/startDate": "P580", "http://schema.org/endDate": "P582"}
    things = {"http://schema.org/location": "P276", "http://schema.org/organizer": "P664"}
    for r in claims:
        if r["m"] not in label:
            continue
        value = None
        if r["p"] in dates:
            value = (dates[r["p"]], f"+{r['value']}T00:00:00Z/11")
        elif r["p"] in things and "same" in r:
            value = (things[r["p"]], qid(r["same"]))
        elif (
            r["p"] == DKG.delegateCount
            and r.get("measure", DKG.DelegatesMeasure) == DKG.DelegatesMeasure
            and r.get("hedge", DKG.AsStated) in (DKG.Exactly, DKG.AsStated)
        ):
            value = ("P1132", r["value"])
        if value:
            expected[label[r["m"]]].add(("LAST", *value, (), r["url"]))
    for r in ask(
        store,
        """SELECT ?m ?person ?party ?url WHERE {
          ?pt a dkg:Participation ; dkg:participant/owl:sameAs ?person ;
              dkg:event/schema:superEvent? ?m ; prov:wasDerivedFrom ?s .
          ?m a dkg:Meeting . ?s schema:url ?url .
          OPTIONAL { ?s dkg:sourceKind ?kind }
          FILTER (!BOUND(?kind) || ?kind != "encyclopedia")
          OPTIONAL { ?pt dkg:onBehalfOf/owl:sameAs ?party }
          # took part: not only announced, not a message without taking part, not a commentator
          FILTER NOT EXISTS {
            ?pt dkg:participationStatus ?status FILTER (?status IN (dkg:Announced, dkg:SentMessage))
          }
          FILTER NOT EXISTS { ?pt dkg:inRole/rdfs:label ?role
                              FILTER (STR(?role) IN ("Commentator", "Sender of a message")) }
        }""",
    ):
        if r["m"] in label:
            quals = (("P1268", qid(r["party"])),) if "party" in r else ()
            expected[label[r["m"]]].add(("LAST", "P710", qid(r["person"]), quals, r["url"]))
    for name, rows in created.items():
        assert len(rows) == len(set(rows)), name
        assert set(rows) == expected[name], name
    found = Counter(row[1] for rows in created.values() for row in rows)
    assert found["P580"] > 26 and found["P710"] > 0 and found["P276"] > 0  # disagreements kept


def test_titles_and_publication_dates_are_the_sources_own(written: str, store: LocalStore) -> None:
    _, _, lines = parse(written)
    sources = {
        r["url"]: r
        for r in ask(
            store,
            """SELECT ?url ?title ?lang ?date WHERE { ?s a dkg:Source ; schema:url ?url .
               OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s schema:inLanguage ?lang }
               OPTIONAL { ?s schema:datePublished ?date } }""",
        )
    }
    for cells in lines:
        if "S854" not in cells:
            continue
        ref = dict(zip(cells[3::2], cells[4::2], strict=False))
        source = sources[ref["S854"][1:-1]]
        title = f'{source.get("lang", "").lower()}:"{source.get("title")}"'
        assert ref.get("S1476") == (title if "title" in source and "lang" in source else None)
        date = source.get("date")
        assert ref.get("S577") == (f"+{date}T00:00:00Z/11" if date else None)


def test_without_create_missing_only_existing_items_and_the_same_bytes(
    dist: Path, tmp_path: Path, written: str
) -> None:
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    assert run(dist, first) == 0 and run(dist, second) == 0
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text(encoding="utf-8")
    assert "CREATE" not in text and "LAST" not in text
    assert written.startswith(text)


@pytest.mark.parametrize("case", ["missing folder", "a folder", "no build"])
def test_bad_input_is_located_exit_2_and_nothing_written(
    case: str, dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = {
        "missing folder": tmp_path / "missing" / "statements.tsv",
        "a folder": tmp_path / "taken",
        "no build": tmp_path / "statements.tsv",
    }[case]
    if case == "a folder":
        out.mkdir()
    empty = tmp_path / "empty-dist"
    empty.mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert run(empty if case == "no build" else dist, out) == 2
    message = capsys.readouterr().err
    where = str(empty / "dialoguekg.nq") if case == "no build" else str(out)
    assert message.startswith("dialoguekg: error: ") and where in message, message
    assert sorted(tmp_path.rglob("*")) == before  # no file, no temporary file left


def test_a_failed_run_leaves_an_earlier_file_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "statements.tsv"
    out.write_text("Q1\tP31\tQ5\n", encoding="utf-8")
    assert run(tmp_path / "nothing", out) == 2
    assert out.read_text(encoding="utf-8") == "Q1\tP31\tQ5\n"


def test_a_property_without_evidence_is_refused(store: LocalStore) -> None:
    batch = statements.collect(store.store)
    terms = statements.load_terms(ROOT / statements.TERMS_FILE)
    del terms["P102"]
    with pytest.raises(ProjectError, match=r"wikidata-properties\.yaml: P102 has no evidence"):
        statements.quickstatements(batch, RETRIEVED, terms)


def test_an_evidence_entry_without_its_quote_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "terms.yaml"
    bad.write_text("- {id: P102, name: member of political party, source: x}\n", "utf-8")
    with pytest.raises(ProjectError, match=r"terms\.yaml: entry 1"):
        statements.load_terms(bad)
