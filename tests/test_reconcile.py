"""The reconciliation service (W3C Entity Reconciliation API v0.2) over our labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dialoguekg import export
from dialoguekg.project import Project
from dialoguekg.web import app as serve
from dialoguekg.web import reconcile


@pytest.fixture(scope="module")
def client(dist: Path, project: Project) -> TestClient:
    context = export.load_context(project.context_file)
    return TestClient(serve.create_app(dist, project.queries_dir, context))


def test_manifest(client: TestClient) -> None:
    manifest = client.get("/reconcile").json()
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == "https://w3id.org/dialoguekg/id/"
    assert manifest["schemaSpace"] == "https://w3id.org/dialoguekg/def#"
    assert {"id": "Party", "name": "Party"} in manifest["defaultTypes"]
    assert manifest["view"]["url"] == "http://127.0.0.1:8000/id/{{id}}"  # the configured address
    spoofed = client.get("/reconcile", headers={"Host": "evil.example"}).json()
    assert spoofed["view"]["url"] == "http://127.0.0.1:8000/id/{{id}}"  # never the Host header
    assert manifest["suggest"]["entity"]["service_path"] == "/reconcile/suggest/entity"


# Party and person names as spreadsheets spell them: the top candidate, and whether it is a
# sure match (exact in some name, language or script) or left for a person to confirm (typos).
BATCH = {
    "typo": ({"query": "Afrcan National Congres"}, "party/african-national-congress", False),
    "spanish": (
        {"query": "Partido Socialista Unido de Venezuela", "type": "Party"},
        "party/united-socialist-party-of-venezuela",
        True,
    ),
    "typo-2": (
        {"query": "Sandinista Nacional Liberation Front"},
        "party/sandinista-national-liberation-front",
        False,
    ),
    "transliteration": ({"query": "Edinaya Rossiya", "type": "Party"}, "party/united-russia", True),
    "cyrillic": ({"query": "Единая Россия"}, "party/united-russia", True),
    "no-accents": (
        {"query": "Aleksandar Vucic", "type": "Person"},
        "person/aleksandar-vucic",
        True,
    ),
    "joined": (
        {"query": "Oyunerdene", "type": "Person"},
        "person/luvsannamsrain-oyun-erdene",
        True,
    ),
    "hyphen": ({"query": "Xi Jin-ping"}, "person/xi-jinping", True),
    "source-spelling": ({"query": "Kosanov"}, "person/yerlan-koshanov", True),
    "chinese": ({"query": "中国共产党"}, "party/communist-party-of-china", True),
    "abbreviation": ({"query": "FSLN"}, "party/sandinista-national-liberation-front", True),
    "spelling-variant": (
        {"query": "Union for the Defence of the Republic of Togo"},
        "party/union-for-the-republic",
        False,
    ),
}


def test_a_batch_of_names_as_spreadsheets_spell_them(client: TestClient) -> None:
    queries = {key: query for key, (query, _, _) in BATCH.items()}
    answer = client.post("/reconcile", data={"queries": json.dumps(queries)}).json()
    assert set(answer) == set(BATCH)
    for key, (_, expected, sure) in BATCH.items():
        top = answer[key]["result"][0]
        assert top["id"] == expected, (key, answer[key]["result"][:3])
        assert top["match"] is sure, (key, top)
        assert all(r["score"] <= top["score"] for r in answer[key]["result"])


def test_type_constraint_keeps_other_types_out(client: TestClient) -> None:
    queries = {
        "q": {"query": "Ortega", "type": "Party"},
        "p": {"query": "Ortega", "type": "Person"},
    }
    answer = client.get("/reconcile", params={"queries": json.dumps(queries)}).json()
    assert all("Party" in [t["id"] for t in r["type"]] for r in answer["q"]["result"])
    assert not any(r["match"] for r in answer["q"]["result"])
    assert answer["p"]["result"][0]["id"] == "person/daniel-ortega"


def test_country_property_confirms_or_weakens(client: TestClient) -> None:
    def top(country: str) -> dict[str, object]:
        query = {
            "query": "National Democratic Congres",
            "type": "Party",
            "properties": [{"pid": "country", "v": country}],
        }
        answer = client.post("/reconcile", data={"queries": json.dumps({"q": query})}).json()
        return answer["q"]["result"][0] if answer["q"]["result"] else {}

    grenada, ghana = top("Grenada"), top("Ghana")
    assert grenada["id"] == "party/national-democratic-congress-grenada"
    assert not ghana or float(ghana["score"]) < float(grenada["score"])  # type: ignore[arg-type]


def test_limit(client: TestClient) -> None:
    answer = client.get(
        "/reconcile", params={"queries": json.dumps({"q": {"query": "Party", "limit": 2}})}
    ).json()
    assert len(answer["q"]["result"]) == 2


def test_suggest_and_preview(client: TestClient) -> None:
    hits = client.get("/reconcile/suggest/entity", params={"prefix": "gryz"}).json()["result"]
    assert hits[0] == {
        "id": "person/boris-gryzlov",
        "name": "Boris Gryzlov",
        "description": "Person",
    }
    preview = client.get("/reconcile/preview", params={"id": "party/united-russia"})
    assert preview.status_code == 200
    assert "<strong>United Russia</strong>" in preview.text and "Russia" in preview.text
    assert client.get("/reconcile/preview", params={"id": "party/nowhere"}).status_code == 404


def test_jsonp_cors_and_bad_batches(client: TestClient) -> None:
    jsonp = client.get("/reconcile", params={"callback": "jQuery123_456"})
    assert jsonp.headers["content-type"].startswith("application/javascript")
    assert jsonp.text.startswith('/**/jQuery123_456({"versions"')
    assert jsonp.headers["x-content-type-options"] == "nosniff"
    for route in ("/reconcile", "/reconcile/suggest/entity"):
        hostile = client.get(route, params={"callback": "alert(document.domain)//", "prefix": "a"})
        assert hostile.status_code == 400 and "alert" not in hostile.text
    cors = client.get("/reconcile", headers={"Origin": "https://openrefine.example"})
    assert cors.headers["access-control-allow-origin"] == "*"
    bad = client.post("/reconcile", data={"queries": "not json"})
    assert bad.status_code == 400 and "queries is not a batch" in bad.text


def test_similarity() -> None:
    assert reconcile.similarity("vučić", "Vucic") == 1.0  # accents and case folded
    assert reconcile.similarity("Vucic", "Aleksandar Vučić") == pytest.approx(0.9)  # one token
    assert reconcile.similarity("Xi Jin-ping", "Xi Jinping") == 1.0  # spaces and hyphens
    assert reconcile.similarity("Edinaya Rossiya", "Единая Россия") < 0.2  # scripts differ ...
    united_russia = reconcile.Entity(
        "party/united-russia", "United Russia", ("Единая Россия",), ("Party",)
    )
    assert reconcile.score(united_russia, "Edinaya Rossiya")[0] == 100.0  # ... score transliterates
