"""`dist/tables/`: tidy CSV tables and their Data Package, checked against the built store.

The counts and values the tables must hold are asked of the build's store with SPARQL written
here, not taken from ``tables``; the descriptor is checked by the Frictionless validator."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from dialoguekg import graph, sources, tables
from dialoguekg.project import Compiled
from dialoguekg.query import select

from .conftest import CASES, mini_with_two_sources, records_in

DKG = "https://w3id.org/dialoguekg/def#"
ID = "https://w3id.org/dialoguekg/id/"
PREFIXES = f"""PREFIX dkg: <{DKG}>
PREFIX id: <{ID}>
PREFIX schema: <http://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
#: The class each table of things has one row for.
CLASSES = {
    "meetings": "dkg:Meeting",
    "sessions": "dkg:Session",
    "series": "dkg:MeetingSeries",
    "participations": "dkg:Participation",
    "memberships": "dkg:Membership",
    "parties": "dkg:Party",
    "organisations": "org:Organization",
    "persons": "dkg:Person",
    "roles": "dkg:Role",
    "countries": "dkg:Country",
    "places": "schema:Place",
    "sources": "dkg:Source",
    "claims": "dkg:Claim",
}


def read(dist: Path, name: str) -> list[dict[str, str]]:
    """A table's rows as dicts, read with the csv module as a user would."""
    text = (dist / "tables" / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def ask(compiled: Compiled, query: str) -> list[dict[str, str]]:
    return select(compiled.store, PREFIXES + query)


def descriptor(dist: Path) -> dict[str, object]:
    loaded = json.loads((dist / "tables" / "datapackage.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_frictionless_validator_accepts_the_package(dist: Path) -> None:
    from frictionless import validate

    report = validate(dist / "tables" / "datapackage.json")
    assert report.valid, report.flatten(["type", "title", "note"])
    assert report.stats["tasks"] == len(tables.TABLES)


def test_the_package_describes_the_dataset(dist: Path) -> None:
    package = descriptor(dist)
    assert package["name"] == "dialoguekg"
    assert package["licenses"] == [
        {
            "name": "CC-BY-SA-4.0",
            "path": "https://creativecommons.org/licenses/by-sa/4.0/",
            "title": "Creative Commons Attribution-ShareAlike 4.0",
        }
    ]
    resources = package["resources"]
    assert isinstance(resources, list)
    assert sorted(r["path"] for r in resources) == sorted(
        p.name for p in (dist / "tables").glob("*.csv")
    )
    claims = next(r for r in resources if r["name"] == "claims")
    assert claims["schema"]["primaryKey"] == ["claim"]
    assert {"fields": "source", "reference": {"resource": "sources", "fields": "source"}} in (
        claims["schema"]["foreignKeys"]
    )


def test_every_foreign_key_resolves(dist: Path) -> None:
    package = descriptor(dist)
    resources = package["resources"]
    assert isinstance(resources, list)
    checked = 0
    for resource in resources:
        rows = read(dist, resource["name"])
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]
            known = {row[target["fields"]] for row in read(dist, target["resource"])}
            values = {row[key["fields"]] for row in rows} - {""}
            assert values <= known, (resource["name"], key["fields"], sorted(values - known)[:5])
            checked += len(values)
    assert checked > 1000


@pytest.mark.parametrize("name", ["participations", "memberships"])
def test_each_key_of_a_source_cell_resolves(dist: Path, compiled: Compiled, name: str) -> None:
    """The source cell of a participation or membership joins its keys: no foreign key is
    declared on it, so each key is checked here, and every citation is in a cell."""
    resources = descriptor(dist)["resources"]
    assert isinstance(resources, list)
    (resource,) = [r for r in resources if r["name"] == name]
    assert "source" not in [key["fields"] for key in resource["schema"].get("foreignKeys", [])]
    known = {row["source"] for row in read(dist, "sources")}
    cited = [
        (row[name[:-1]], key)
        for row in read(dist, name)
        for key in row["source"].split(tables.SEPARATOR)
    ]
    assert {key for _, key in cited} <= known
    (counted,) = ask(
        compiled,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a {CLASSES[name]} ; prov:wasDerivedFrom ?o }}",
    )
    assert len(cited) == len(set(cited)) == int(counted["n"]) > 0


def test_a_record_citing_two_sources_keeps_one_row_with_both_keys(tmp_path: Path) -> None:
    """A participation or membership citing two sources is one row; its source cell holds both
    keys in alphabetical order (whatever the order in the data), joined by a space."""
    data = mini_with_two_sources(tmp_path)
    memberships = data / "memberships.yaml"
    text = memberships.read_text(encoding="utf-8")
    memberships.write_text(text.replace("[src-a, src-b]}", "[src-b, src-a]}"), encoding="utf-8")
    store = graph.build(sources.load(data)).dataset()
    cells = {}
    for table in (tables.PARTICIPATIONS, tables.MEMBERSHIPS):
        text = tables.csv(table, store).decode()
        for row in csv.DictReader(io.StringIO(text, newline="")):
            cells[row[table.key]] = row["source"]
    assert cells == {
        "meeting-2021.organisation-test-department.attendee.src-b": "src-b",
        "session-2021-opening.ada-test.keynote-speaker.src-a": "src-a src-b",
        "ada-chair": "src-a",
        "ada-president": "src-a src-b",
    }


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_table_of_things_has_one_row_per_instance(
    dist: Path, compiled: Compiled, name: str
) -> None:
    (counted,) = ask(
        compiled, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {CLASSES[name]} }}"
    )
    rows = read(dist, name)
    assert len(rows) == int(counted["n"]) > 0
    keys = [row[next(iter(row))] for row in rows]  # the first column
    assert keys == sorted(set(keys))  # unique, sorted by key


def test_the_2017_meeting_row_holds_the_graphs_values(dist: Path, compiled: Compiled) -> None:
    (meeting,) = [row for row in read(dist, "meetings") if row["meeting"] == "2017"]
    (start,) = ask(compiled, "SELECT ?d WHERE { id:meeting\\/2017 schema:startDate ?d }")
    (parties,) = ask(compiled, "SELECT ?n WHERE { id:meeting\\/2017 dkg:partyCount ?n }")
    assert meeting["start_date"] == start["d"] == "2017-11-30"
    assert meeting["party_count"] == parties["n"]
    assert meeting["type"] == "party-dialogue"
    assert meeting["series"] == "cpc-in-dialogue-with-world-political-parties-high-level-meeting"


def test_a_contested_fact_shows_its_lowest_value_and_every_claim(
    dist: Path, compiled: Compiled
) -> None:
    shown = ask(compiled, "SELECT ?n WHERE { id:meeting\\/2017 dkg:durationDays ?n }")
    (meeting,) = [row for row in read(dist, "meetings") if row["meeting"] == "2017"]
    assert len(shown) > 1
    assert meeting["duration_days"] == str(min(int(row["n"]) for row in shown))
    stated = ask(
        compiled,
        "SELECT ?c WHERE { ?c rdf:subject id:meeting\\/2017 ; rdf:predicate dkg:durationDays }",
    )
    claims = [
        row
        for row in read(dist, "claims")
        if row["subject"] == "meeting/2017" and row["predicate"] == "dkg:durationDays"
    ]
    assert len(claims) == len(stated)
    assert {row["value_type"] for row in claims} == {"xsd:integer"}
    assert {row["rank"] for row in claims} <= {"preferred", "normal", "deprecated"}


def test_parties_carry_wikidata_and_the_political_science_ids(
    dist: Path, compiled: Compiled
) -> None:
    rows = read(dist, "parties")
    (counted,) = ask(compiled, "SELECT (COUNT(?p) AS ?n) WHERE { ?p a dkg:Party }")
    assert len(rows) == int(counted["n"]) == records_in("parties")
    assert list(rows[0]) == [
        "party",
        "name",
        "country",
        "wikidata_id",
        "partyfacts_id",
        "parlgov_id",
        "manifesto_id",
        "vparty_id",
    ]
    anc = next(row for row in rows if row["party"] == "african-national-congress")
    (linked,) = ask(
        compiled, "SELECT ?q WHERE { id:party\\/african-national-congress dkg:wikidataId ?q }"
    )
    assert anc["wikidata_id"] == linked["q"]
    assert anc["country"] == "south-africa"


def test_party_ids_in_the_graph_fill_their_columns() -> None:
    """The ids another stage adds to parties as literals come out in their columns."""
    built = graph.build(sources.load(CASES / "mini" / "data"))
    store = built.dataset()
    party = ox.NamedNode(ID + "party/test-party")
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    for predicate, value in (("partyFactsId", "1234"), ("vPartyId", "567")):
        store.add(
            ox.Quad(party, ox.NamedNode(DKG + predicate), ox.Literal(value, datatype=integer))
        )
    parties = next(t for t in tables.TABLES if t.name == "parties")
    text = tables.csv(parties, store).decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    (row,) = [r for r in rows if r["party"] == "test-party"]
    assert (row["partyfacts_id"], row["parlgov_id"], row["manifesto_id"], row["vparty_id"]) == (
        "1234",
        "",
        "",
        "567",
    )


def test_tables_are_csv_with_a_header_crlf_and_utf8(dist: Path) -> None:
    for table in tables.TABLES:
        content = (dist / table.file).read_bytes()
        header = content.split(b"\r\n", 1)[0].decode("ascii")
        assert header.split(",") == [c.name for c in table.columns], table.name
        assert content.endswith(b"\r\n")
        content.decode("utf-8")
    themes = (dist / "tables" / "meeting_themes.csv").read_text(encoding="utf-8")
    assert any(row["lang"] == "zh" for row in csv.DictReader(io.StringIO(themes, newline="")))


def _topics_2017(compiled: Compiled, lang: str) -> list[dict[str, str]]:
    """The 2017 meeting's discussion-topic claims in ``lang``: each topic and its source."""
    query = """SELECT ?topic ?source ?lang WHERE {
        ?c rdf:subject <https://w3id.org/dialoguekg/id/meeting/2017> ;
           rdf:predicate dkg:discussionTopic ; rdf:object ?topic ;
           <http://www.w3.org/ns/prov#wasDerivedFrom> ?source .
        FILTER (LANG(?topic) = ?lang) }"""
    return select(compiled.store, PREFIXES + query, {ox.Variable("lang"): ox.Literal(lang)})


def test_the_2017_discussion_topics_are_the_beijing_initiatives_seven(
    compiled: Compiled, dist: Path
) -> None:
    # each topic is a claim citing the Chinese text of the Initiative, and a row of the table
    claims = _topics_2017(compiled, "zh")
    assert len(claims) == 7
    assert {row["source"] for row in claims} == {f"{ID}source/hanxinmy-2017-12-03"}
    # the names in simplified characters; the quotes keep the stored copy's traditional
    # characters and pinyin readings, as printed
    assert "创新世界、中国贡献" in {row["topic"] for row in claims}
    # and the Initiative's English text (China Daily) gives the seven English names in full
    english = _topics_2017(compiled, "en")
    assert len(english) == 7
    assert {row["source"] for row in english} == {f"{ID}source/chinadaily-2017-12-04"}
    assert "Promoting Innovation across the World: Role of China" in {r["topic"] for r in english}
    # seven topics, not wordings of one: the claims are compatible, none a wording of another
    verdicts = ask(
        compiled,
        """SELECT DISTINCT ?verdict WHERE {
            ?c rdf:subject <https://w3id.org/dialoguekg/id/meeting/2017> ;
               rdf:predicate dkg:discussionTopic ; dkg:verdict ?verdict }""",
    )
    assert [row["verdict"] for row in verdicts] == [f"{DKG}Compatible"]
    text = (dist / "tables" / "meeting_topics.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert sorted((r["meeting"], r["topic"], r["lang"]) for r in rows) == sorted(
        [("2017", row["topic"], "zh") for row in claims]
        + [("2017", row["topic"], "en") for row in english]
    )


def test_rendering_is_byte_identical(dist: Path) -> None:
    # a store loaded afresh from the dump, in its own order, gives the files the build wrote
    store = ox.Store()
    store.bulk_load(path=str(dist / "dialoguekg.nq"), format=ox.RdfFormat.N_QUADS)
    rendered = {table.file: tables.csv(table, store) for table in tables.TABLES}
    sums = {name: (len(c), hashlib.sha256(c).hexdigest()) for name, c in rendered.items()}
    rendered[f"{tables.FOLDER}/{tables.DESCRIPTOR}"] = tables.descriptor(sums)
    assert len(rendered) == len(tables.TABLES) + 1
    for name, content in rendered.items():
        assert content == (dist / name).read_bytes(), name
