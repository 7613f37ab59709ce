"""The Linked Data server: content negotiation, documents, the SPARQL endpoint, downloads."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS
from starlette.testclient import TestClient

from dialoguekg import export, graph, sources
from dialoguekg.cli import main
from dialoguekg.errors import QueryError
from dialoguekg.project import Compiled, Project
from dialoguekg.query import Loading, LocalStore, find_query, load_dump
from dialoguekg.web import app as serve
from dialoguekg.web import conneg, worker
from dialoguekg.web.settings import ServeSettings
from dialoguekg.web.site import Site

from .conftest import CASES, free_port, records_in, serving, write
from .terms import DKG

XI = "https://w3id.org/dialoguekg/id/person/xi-jinping"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def app_for(dist: Path, project: Project, **settings: Any) -> TestClient:
    context = export.load_context(project.context_file)
    app = serve.create_app(dist, project.queries_dir, context, ServeSettings(**settings))
    return TestClient(app, follow_redirects=False)


@pytest.fixture(scope="module")
def client(dist: Path, project: Project) -> TestClient:
    return app_for(dist, project)


@pytest.mark.parametrize(
    "accept,suffix",
    [
        ("text/turtle", "ttl"),
        ("application/ld+json", "jsonld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdf"),
        ("text/html", "html"),
        (BROWSER, "html"),
        ("*/*", "ttl"),
        (None, "ttl"),
        ("text/turtle;q=0.5, application/n-triples", "nt"),
        ("application/json", "jsonld"),
        ("text/*;q=0.9, application/ld+json;q=0.1", "ttl"),
    ],
)
def test_the_thing_redirects_303_to_the_negotiated_document(
    client: TestClient, accept: str | None, suffix: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/id/person/xi-jinping", headers=headers)
    assert response.status_code == 303
    assert response.headers["location"] == f"/id/person/xi-jinping.{suffix}"
    assert "Accept" in response.headers["vary"]


def test_unsupported_type_is_406(client: TestClient) -> None:
    response = client.get("/id/person/xi-jinping", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text


@pytest.mark.parametrize(
    "value,suffix",
    [
        ("ttl", "ttl"),
        ("jsonld", "jsonld"),
        ("nt", "nt"),
        ("rdf", "rdf"),
        ("html", "html"),
        ("turtle", "ttl"),
    ],
)
def test_format_parameter_overrides_accept(client: TestClient, value: str, suffix: str) -> None:
    response = client.get(f"/id/person/xi-jinping?format={value}", headers={"Accept": "text/html"})
    assert response.headers["location"] == f"/id/person/xi-jinping.{suffix}"


@pytest.mark.parametrize(
    "suffix,fmt,media",
    [
        ("ttl", "turtle", "text/turtle"),
        ("jsonld", "json-ld", "application/ld+json"),
        ("nt", "nt", "application/n-triples"),
        ("rdf", "xml", "application/rdf+xml"),
    ],
)
def test_documents_hold_own_triples_backlinks_and_claims(
    client: TestClient, compiled: Compiled, suffix: str, fmt: str, media: str
) -> None:
    response = client.get(f"/id/person/xi-jinping.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    g = Graph().parse(data=response.content, format=fmt)
    xi = URIRef(XI)
    assert (xi, RDFS.label, Literal("Xi Jinping", lang="en")) in g
    assert (
        xi,
        URIRef("http://www.w3.org/2002/07/owl#sameAs"),
        URIRef("http://www.wikidata.org/entity/Q15031"),
    ) in g
    pointing = {
        s
        for s, _, _ in g.triples((None, URIRef("https://w3id.org/dialoguekg/def#participant"), xi))
    }
    participations = set(compiled.built.graph.subjects(DKG.participant, xi))
    assert len(pointing) == len(participations) > 6  # every meeting and source, not a page
    assert all(g.value(s, RDFS.label) is not None for s in pointing)  # backlinks are labelled
    claims = set(g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject"), xi))
    assert claims and all(
        g.value(c, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) for c in claims
    )
    links = response.headers["link"]
    for other in ("html", "ttl", "jsonld", "nt", "rdf"):
        if other != suffix:
            assert f'</id/person/xi-jinping.{other}>; rel="alternate"' in links
    assert f'<{XI}>; rel="describes"' in links


def test_unknown_resource_is_404(client: TestClient) -> None:
    assert client.get("/id/person/nobody").status_code == 404
    assert client.get("/id/person/nobody.ttl").status_code == 404
    html = client.get("/id/person/nobody", headers={"Accept": "text/html"})
    assert html.status_code == 404 and "text/html" in html.headers["content-type"]


def test_backlinks_are_paged(dist: Path, project: Project) -> None:
    small = app_for(dist, project, page_size=2)
    first = small.get("/id/person/xi-jinping.ttl")
    assert 'rel="next"' in first.headers["link"]

    def subjects(response: object) -> set[object]:
        g = Graph().parse(data=response.content, format="turtle")  # type: ignore[attr-defined]
        rdf_subject = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#subject")
        return {s for s, p, _ in g.triples((None, None, URIRef(XI))) if p != rdf_subject}

    second = small.get("/id/person/xi-jinping.ttl?page=2")
    assert 'rel="prev"' in second.headers["link"]
    assert len(subjects(first)) == 2 and len(subjects(second)) == 2
    assert not subjects(first) & subjects(second)


def test_entity_page_shows_facts_sources_and_disagreement(client: TestClient) -> None:
    page = client.get("/id/series/cpc-in-dialogue-with-the-world.html").text
    assert "<h1>CPC in Dialogue with the World</h1>" in page
    assert "Also known as: CCP Dialogue with the World" in page
    assert 'class="disputed"' in page
    assert page.count("schema:endDate") >= 3  # the fact and its two claims, side by side
    assert "held in 2014-2016" in page and "held from 2014 to 2017" in page
    person = client.get("/id/person/xi-jinping.html").text
    assert 'href="http://www.wikidata.org/entity/Q15031"' in person and "badge wd" in person
    # links are relative, so the site works under any path (and as files: `static`)
    assert 'href="../../id/person/xi-jinping.ttl"' in person


def test_labels_are_escaped_in_pages(tmp_path: Path, project: Project) -> None:
    data = tmp_path / "data"
    shutil.copytree(CASES / "mini" / "data", data)
    persons = data / "persons.yaml"
    persons.write_text(
        persons.read_text(encoding="utf-8").replace(
            "name: Ada Test", 'name: "<script>alert(1)</script>"'
        ),
        encoding="utf-8",
    )
    built = graph.build(sources.load(data))
    context = export.load_context(project.context_file)
    files = export.all_files(built, project.ontology_file, context)
    write(tmp_path / "dist", files)
    page = app_for(tmp_path / "dist", project).get("/id/person/ada-test.html").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_home_page_lists_meetings_in_time_order(client: TestClient) -> None:
    page = client.get("/").text
    first = page.index("CPC in Dialogue with World Political Parties High-level Meeting 2017")
    assert first < page.index(
        "CPC in Dialogue with World Political Parties High-level Meeting 2023"
    )
    assert 'href="sparql"' in page and 'href="dumps/dialoguekg.ttl"' in page


# ---------------------------------------------------------------------------------------------
# SPARQL endpoint
# ---------------------------------------------------------------------------------------------

SELECT = "SELECT ?m WHERE { ?m a <https://w3id.org/dialoguekg/def#Meeting> } ORDER BY ?m"


@pytest.mark.parametrize(
    "accept,media,check",
    [
        (
            None,
            "application/sparql-results+json",
            '"value":"https://w3id.org/dialoguekg/id/meeting/2017"',
        ),
        ("application/sparql-results+json", "application/sparql-results+json", '"vars":["m"]'),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            '<variable name="m"/>',
        ),
        ("text/csv", "text/csv", "\r\nhttps://w3id.org/dialoguekg/id/meeting/2017\r\n"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            "\n<https://w3id.org/dialoguekg/id/meeting/2017>\n",
        ),
    ],
)
def test_select_result_formats(
    client: TestClient, accept: str | None, media: str, check: str
) -> None:
    response = client.get(
        "/sparql", params={"query": SELECT}, headers={"Accept": accept} if accept else {}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert check in response.text
    if media in ("text/csv", "text/tab-separated-values"):
        assert response.text.split("\n", 1)[0].rstrip("\r") in ("m", "?m")  # the header


def test_post_forms_of_the_protocol(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": SELECT})
    direct = client.post(
        "/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query"}
    )
    for response in (form, direct):
        assert response.status_code == 200
        assert len(json.loads(response.text)["results"]["bindings"]) == records_in("meetings")


@pytest.mark.parametrize(
    "accept,fmt",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_formats(client: TestClient, accept: str, fmt: str) -> None:
    query = f"CONSTRUCT WHERE {{ <{XI}> ?p ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert (URIRef(XI), RDFS.label, Literal("Xi Jinping", lang="en")) in Graph().parse(
        data=response.content, format=fmt
    )


def test_ask(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": f"ASK {{ <{XI}> ?p ?o }}"})
    assert json.loads(response.text)["boolean"] is True


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "POST", "data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
        {
            "method": "POST",
            "content": "INSERT DATA { <a:b> <a:c> <a:d> }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"method": "GET", "params": {"update": "CLEAR ALL"}},
        {"method": "GET", "params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
    ],
)
def test_updates_are_refused(client: TestClient, request_kwargs: dict[str, object]) -> None:
    method = request_kwargs.pop("method")
    response = client.request(str(method), "/sparql", **request_kwargs)  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500
    assert (
        client.get("/sparql", params={"query": "ASK { <a:b> <a:c> <a:d> }"}).json()["boolean"]
        is False
    )


def test_service_is_refused(client: TestClient) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 403
    assert "SERVICE is not allowed" in response.text
    harmless = 'SELECT * WHERE { ?s ?p "SERVICE" } # no SERVICE here'
    assert client.get("/sparql", params={"query": harmless}).status_code == 200


def test_malformed_query_is_400_with_the_parsers_message(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert "the query is not valid SPARQL: error at 1:" in response.text


def test_row_cap(dist: Path, project: Project) -> None:
    capped = app_for(dist, project, row_limit=5)
    response = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 400
    assert "more than 5 rows" in response.text
    ok = capped.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert ok.status_code == 200


def test_service_description(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
    assert (None, URIRef(sd + "feature"), URIRef(sd + "BasicFederatedQuery")) not in g


def test_cors(client: TestClient) -> None:
    response = client.get(
        "/sparql", params={"query": SELECT}, headers={"Origin": "https://example.org"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_query_page_runs_a_query(client: TestClient) -> None:
    page = client.get("/sparql", params={"query": SELECT}, headers={"Accept": BROWSER}).text
    assert '<table id="results">' in page and '"id/meeting/2017.html"' in page
    examples = client.get("/sparql", headers={"Accept": BROWSER}).text
    assert "plenary-speakers-2023" in examples


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,media",
    [
        ("dialoguekg.ttl", "text/turtle"),
        ("dialoguekg.nq", "application/n-quads"),
        ("dialoguekg.jsonld", "application/ld+json"),
        ("SHA256SUMS", "text/plain"),
        ("tables/meetings.csv", "text/csv"),
        ("tables/datapackage.json", "application/json"),
    ],
)
def test_dumps_are_served_as_built(client: TestClient, dist: Path, name: str, media: str) -> None:
    response = client.get(f"/dumps/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.content == (dist / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/..%2Fpyproject.toml",
        "/dumps/../../etc/passwd",
        "/dumps/%2e%2e%2fSHA256SUMS",
        "/dumps/.%2e/.%2e/etc/passwd",
        "/dumps/dialoguekg.ttl%00.txt",
        "/dumps/missing.ttl",
        "/dumps/tables/../../pyproject.toml",
        "/dumps/tables/missing.csv",
    ],
)
def test_no_path_outside_the_dumps_can_be_read(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.content and b"[project]" not in response.content


def test_dump_listing_and_void(client: TestClient, dist: Path) -> None:
    listing = client.get("/dumps/", headers={"Accept": "application/json"}).json()["dumps"]
    assert listing["dialoguekg.ttl"] == (dist / "dialoguekg.ttl").stat().st_size
    void = client.get("/.well-known/void")
    assert void.headers["content-type"].startswith("text/turtle")
    assert void.content == (dist / "void.ttl").read_bytes()


# ---------------------------------------------------------------------------------------------
# A real server and an independent client
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(dist: Path, project: Project) -> Iterator[str]:
    app = serve.create_app(dist, project.queries_dir, export.load_context(project.context_file))
    with serving(app) as (host, port):
        yield f"http://{host}:{port}"


@pytest.mark.parametrize("name", ["meetings", "plenary-speakers-2023", "disagreements"])
def test_sparqlwrapper_client_against_the_live_server(
    live_server: str,
    store: LocalStore,
    project: Project,
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["query", name, "--endpoint", f"{live_server}/sparql", "--format", "json"]) == 0
    remote = json.loads(capsys.readouterr().out)
    local = store.query(find_query(name, project.queries_dir).text).to_json()
    assert unordered_concats(remote) == unordered_concats(local)


def unordered_concats(answer: dict[str, Any]) -> dict[str, Any]:
    """SPARQL leaves GROUP_CONCAT's order to the store (the server's on-disk store and the
    in-memory one differ): compare the joined values as sets."""
    rows = [
        {name: {**term, "value": sorted(term["value"].split(" | "))} for name, term in row.items()}
        for row in answer["results"]["bindings"]
    ]
    return {"head": answer["head"], "rows": sorted(rows, key=json.dumps)}


# ---------------------------------------------------------------------------------------------
# The SPARQL lane: /sparql answered before the router, as serve runs it, over real HTTP
# ---------------------------------------------------------------------------------------------

LOOKUP = f"SELECT ?label WHERE {{ <{XI}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
RESULTS_JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def full_server(dist: Path, project: Project) -> Iterator[tuple[str, int]]:
    """The application as ``serve`` assembles it (cache fast path, SPARQL lane, router)."""
    app = serve.create_asgi(dist, project.queries_dir, export.load_context(project.context_file))
    with serving(app) as address:
        yield address


def exchange(
    address: tuple[str, int], method: str, path: str, body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:  # fmt: skip
    connection = http.client.HTTPConnection(*address, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def labels(body: bytes) -> list[str]:
    return [row["label"]["value"] for row in json.loads(body)["results"]["bindings"]]


def test_the_sparql_lane_answers_every_form_of_the_protocol(
    full_server: tuple[str, int],
) -> None:
    accept = {"Accept": RESULTS_JSON}
    numbered = f"{LOOKUP} # lane {time.time_ns()}"  # never asked of this server before
    asked = [
        ("GET", "/sparql?" + urlencode({"query": numbered}), None, accept),
        ("GET", "/sparql?" + urlencode({"query": numbered}), None, accept),  # now kept
        (
            "POST", "/sparql", numbered.encode(),
            {**accept, "Content-Type": "application/sparql-query"},
        ),
        (
            "POST", "/sparql", urlencode({"query": numbered}).encode(),
            {**accept, "Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]  # fmt: skip
    for method, path, body, headers in asked:
        status, answer, got = exchange(full_server, method, path, body, headers)
        assert status == 200, answer
        assert got["content-type"] == RESULTS_JSON
        assert got["access-control-allow-origin"] == "*"
        assert got["vary"] == "Accept"
        assert labels(answer) == ["Xi Jinping"]


def test_the_sparql_lane_refuses_in_plain_text_with_cors(full_server: tuple[str, int]) -> None:
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    for path, status, words in [
        ("/sparql?" + urlencode({"query": service}), 403, "SERVICE is not allowed"),
        ("/sparql?" + urlencode({"update": "CLEAR ALL"}), 403, "read-only"),
        ("/sparql?query=SELECT%20%3Fx%20WHERE%20%7B&query=ASK%7B%7D", 400, "exactly one"),
        ("/sparql?query=%7B%20SELECT", 400, "not valid SPARQL"),
    ]:
        got_status, body, headers = exchange(full_server, "GET", path, headers={"Accept": "*/*"})
        assert got_status == status, body
        assert words in body.decode()
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert headers["access-control-allow-origin"] == "*"
    status, body, headers = exchange(
        full_server, "POST", "/sparql", b"query=ASK{}", {"Content-Type": "text/x-unknown"}
    )
    assert status == 415 and headers["access-control-allow-origin"] == "*"


def test_a_query_string_that_is_not_utf8_is_400(full_server: tuple[str, int]) -> None:
    with socket.create_connection(full_server, timeout=20) as raw:
        raw.sendall(b"GET /sparql?query=ASK%7B%7D&x=\xff HTTP/1.1\r\nHost: x\r\n\r\n")
        head = raw.recv(65536).split(b"\r\n")[0]
    assert head == b"HTTP/1.1 400 Bad Request"


def test_browsers_get_the_query_page_through_the_lane(full_server: tuple[str, int]) -> None:
    status, body, headers = exchange(
        full_server, "GET", "/sparql?" + urlencode({"query": LOOKUP}), headers={"Accept": BROWSER}
    )
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "Xi Jinping" in body.decode() and headers["access-control-allow-origin"] == "*"


def test_other_methods_on_sparql_go_on_to_the_router(full_server: tuple[str, int]) -> None:
    status, body, headers = exchange(full_server, "HEAD", "/sparql")
    assert status == 200 and body == b"" and headers["content-type"].startswith("text/turtle")
    status, _, headers = exchange(full_server, "PUT", "/sparql", b"")
    assert status == 405 and set(headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert headers["access-control-allow-origin"] == "*"


def test_long_accept_headers_are_negotiated_like_short_ones() -> None:
    short = "text/csv;q=0.5, application/sparql-results+xml"
    long = short + ", " + ", ".join(f"x-unknown/type-{n};q=0.1" for n in range(60))
    assert len(long) > conneg.KEPT_HEADER
    for header in (short, long):
        assert conneg.negotiate(header, conneg.RESULT_FORMATS) is conneg.SPARQL_XML


def test_a_worker_answer_must_hold_its_header() -> None:
    header, body = worker.split_reply(worker.reply({"status": "ok"}, b"answer"))
    assert (header, body) == ({"status": "ok"}, b"answer")
    for broken in (b"", b"\x00\x00", b"\x00\x00\x00\x09{}", b"\x00\x00\x00\x02[]"):
        with pytest.raises(ValueError):
            worker.split_reply(broken)


# ---------------------------------------------------------------------------------------------
# Search, timeline, class and ontology pages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q,label",
    [
        ("vucic", "Aleksandar Vučić"),  # accents folded
        ("TSEGAN", "Yawa Djigbodi Tsègan"),  # case folded
        ("Tsagan", "Yawa Djigbodi Tsègan"),  # the source's spelling
        ("中国共产党", "Communist Party of China"),  # another language
        ("Единая", "United Russia"),
        ("psuv", "United Socialist Party of Venezuela"),  # an abbreviation
        ("Edinaya Rossiya", "United Russia"),  # Единая Россия transliterated, as reconciliation
        ("共产党", "Communist Party of China"),  # inside a word of a script without spaces
        ("ANC", "African National Congress"),  # never "France", which holds "anc"
        ("2017", "CPC in Dialogue with World Political Parties High-level Meeting 2017"),  # an id
    ],
)
def test_autocomplete_finds_labels_and_alternative_names(
    client: TestClient, q: str, label: str
) -> None:
    response = client.get("/search.json", params={"q": q})
    assert response.headers["content-type"].startswith("application/json")
    hits = response.json()["hits"]
    assert hits[0]["label"] == label
    assert hits[0]["href"].startswith("/id/")


def test_search_page_and_empty_query(client: TestClient) -> None:
    page = client.get("/search", params={"q": "Kiir"}, headers={"Accept": "text/html"}).text
    assert '<a href="id/person/salva-kiir-mayardit.html">Salva Kiir Mayardit</a>' in page
    assert client.get("/search.json", params={"q": " "}).json()["hits"] == []


def test_search_matches_word_starts_never_inside_words(client: TestClient) -> None:
    found = client.get("/search.json", params={"q": "anc"}).json()
    labels = [hit["label"] for hit in found["hits"]]
    assert labels[0] == "African National Congress"  # by its abbreviation, ANC
    # then a source whose title has the word "ANC"; never "France" or "Balance" (inside words)
    assert labels[1:] == [
        "Closing remarks and vote of thanks by the ANC SG on the occasion of the BRICS "
        "Political Parties Plus Dialogue"
    ]
    assert found["count"] == 2


def test_search_ranks_things_before_records_and_sources_and_pages(client: TestClient) -> None:
    first = client.get("/search.json", params={"q": "2017", "limit": 5}).json()
    assert first["count"] > 10 and len(first["hits"]) == 5
    kinds = [hit["kind"] for hit in first["hits"]]
    assert "Source" not in kinds  # 2017's sources come after the things of 2017
    everything = client.get("/search.json", params={"q": "2017", "limit": 100}).json()["hits"]
    groups = [2 if h["kind"] == "Source" else 0 for h in everything]
    assert groups == sorted(groups)
    second = client.get("/search.json", params={"q": "2017", "limit": 5, "page": 2}).json()
    assert second["hits"] == everything[5:10]
    page = client.get("/search", params={"q": "2017", "limit": 5}, headers={"Accept": "text/html"})
    assert f"{first['count']} results" in page.text and 'rel="next"' in page.text


def test_search_results_are_escaped(client: TestClient) -> None:
    page = client.get(
        "/search", params={"q": "<script>x</script>"}, headers={"Accept": "text/html"}
    ).text
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def attended(compiled: Compiled, party: str) -> set[str]:
    """The meetings a party took part in, read off the built graph with rdflib (not the server's
    SPARQL): a participation on its behalf in the meeting or in one of its sessions."""
    g = compiled.built.graph
    meetings = set()
    for p in g.subjects(DKG.onBehalfOf, URIRef(f"https://w3id.org/dialoguekg/id/party/{party}")):
        event = g.value(p, DKG.event)
        meetings.add(str(g.value(event, SCHEMA_SUPER_EVENT) or event))
    return meetings


SCHEMA_SUPER_EVENT = URIRef("http://schema.org/superEvent")


def test_timelines_link_the_meetings(client: TestClient, compiled: Compiled) -> None:
    home = client.get("/", headers={"Accept": "text/html"}).text
    assert home.count("<circle") == records_in("meetings")
    assert '<a href="id/meeting/2017.html"><title>' in home
    for party in ("communist-party-of-china", "african-national-congress"):
        page = client.get(f"/id/party/{party}.html").text
        meetings = attended(compiled, party)
        assert len(meetings) >= 2, party
        assert "Meetings attended" in page and page.count("<circle") == len(meetings)
        for meeting in meetings:
            assert f'<a href="../../id/{meeting.split("/id/", 1)[1]}.html">' in page


def test_class_page_lists_its_members(client: TestClient) -> None:
    page = client.get("/classes/Person").text
    assert page.count("<li>") == records_in("persons")
    assert '<a href="../id/person/alla-verchenko.html">Alla Verchenko</a>' in page
    assert client.get("/classes/Nothing").status_code == 404
    assert client.get("/classes/..%2Fetc").status_code == 404


def test_ontology_page_is_built_from_the_ontology_file(
    client: TestClient, project: Project
) -> None:
    page = client.get("/def", headers={"Accept": "text/html"}).text
    g = project.ontology()
    for term in ("Meeting", "Participation", "partyCount", "titleAsPrinted"):
        assert f'<tr id="{term}">' in page
        comment = str(g.value(URIRef(f"https://w3id.org/dialoguekg/def#{term}"), RDFS.comment))
        assert comment.replace("'", "&#39;").replace('"', "&#34;") in page
    turtle = client.get("/def", headers={"Accept": "text/turtle"})
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(data=turtle.content, format="turtle"), g)


#: A few seconds of work on the real graph (every claim's values against every typed node),
#: well within the default time limit and far beyond 0.05 s.
SLOW = (  # about 4 s on the real graph's on-disk store (1.3 million pairs), well under 30 s
    "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/dialoguekg/def#Claim> ; ?b ?c . "
    "?d a <https://w3id.org/dialoguekg/def#Source> FILTER(STR(?c) < STR(?d)) }"
)


def test_time_limit_answers_with_a_clear_error(dist: Path, project: Project) -> None:
    limited = app_for(dist, project, time_limit=0.05)
    response = limited.get("/sparql", params={"query": SLOW})
    assert response.status_code == 503
    assert "the query ran longer than 0.05 s, the limit of this endpoint" in response.text
    patient = app_for(dist, project).get("/sparql", params={"query": SLOW})
    assert patient.status_code == 200
    expected = LocalStore(dist / "dialoguekg.nq").query(SLOW).rows[0]["n"]["value"]
    assert patient.json()["results"]["bindings"][0]["n"]["value"] == expected


def test_the_server_answers_while_a_slow_query_runs(live_server: str) -> None:
    import urllib.parse
    import urllib.request

    slow_answer: list[int] = []

    def slow() -> None:
        url = f"{live_server}/sparql?query={urllib.parse.quote(SLOW)}"
        with urllib.request.urlopen(url, timeout=60) as response:
            slow_answer.append(response.status)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.2)
    with urllib.request.urlopen(f"{live_server}/id/person/xi-jinping.ttl", timeout=60) as response:
        assert response.status == 200
        answered_during = worker.is_alive()
    worker.join(timeout=60)
    assert slow_answer == [200]
    assert answered_during, "the quick request waited for the slow query"


def test_base_moves_the_graphs_iris_in_documents_only(dist: Path, project: Project) -> None:
    rebased = app_for(dist, project, base="http://127.0.0.1:8000/")
    response = rebased.get("/id/person/xi-jinping.ttl")
    g = Graph().parse(data=response.content, format="turtle")
    local = URIRef("http://127.0.0.1:8000/id/person/xi-jinping")
    assert (local, RDFS.label, Literal("Xi Jinping", lang="en")) in g
    assert not [
        t for t in g if any(str(x).startswith("https://w3id.org/dialoguekg/id/") for x in t)
    ]
    assert (
        '<http://127.0.0.1:8000/id/person/xi-jinping>; rel="describes"' in response.headers["link"]
    )
    answer = rebased.get("/sparql", params={"query": f"ASK {{ <{XI}> ?p ?o }}"}).json()
    assert answer["boolean"] is True  # queries and results keep the canonical IRIs


def test_bad_base_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--base", "127.0.0.1:8000"]) == 2
    assert (
        "--base '127.0.0.1:8000' is not a web base; expected http(s)://HOST/PATH/ ending in /"
        in (capsys.readouterr().err)
    )


def test_a_public_url_that_is_no_iri_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--public-url", "http://::1:8000/"]) == 2
    assert "--public-url 'http://::1:8000/' is not a usable IRI" in capsys.readouterr().err


def test_an_ipv6_host_is_bracketed_in_the_public_url(dist: Path) -> None:
    port = free_port()
    command = [str(Path(sys.executable).parent / "dialoguekg"), "serve", "--dist", str(dist)]
    server = subprocess.Popen(
        [*command, "--host", "::1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def get(path: str, accept: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("::1", port, timeout=10)
        try:
            connection.request("GET", path, headers={"Accept": accept})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, description = get("/sparql", "text/turtle")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        assert status == 200 and f"<http://[::1]:{port}/sparql>" in description.decode()
        ask = "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"})
        status, answer = get(ask, "application/sparql-results+json")
        assert status == 200 and json.loads(answer)["boolean"] is True
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_own_many_valued_properties_are_paged(dist: Path, project: Project) -> None:
    small = app_for(dist, project, page_size=2)
    cpc = URIRef("https://w3id.org/dialoguekg/id/party/communist-party-of-china")
    alt = URIRef("http://www.w3.org/2004/02/skos/core#altLabel")
    pages = []
    for number in (1, 2):
        response = small.get(f"/id/party/communist-party-of-china.ttl?page={number}")
        g = Graph().parse(data=response.content, format="turtle")
        assert (cpc, RDFS.label, Literal("Communist Party of China", lang="en")) in g  # every page
        pages.append(set(g.objects(cpc, alt)))
    assert len(pages[0]) == 2 and len(pages[1]) == 2 and not pages[0] & pages[1]
    assert {str(v) for v in pages[0] | pages[1]} == {
        "CPC",
        "Chinese Communist Party",
        "CCP",
        "中国共产党",
    }


def test_documents_are_validated_by_the_builds_etag(client: TestClient, dist: Path) -> None:
    first = client.get("/id/person/xi-jinping.ttl")
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, max-age=300"
    again = client.get("/id/person/xi-jinping.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/id/person/xi-jinping.jsonld", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag  # one tag per document
    stale = client.get("/id/person/xi-jinping.ttl", headers={"If-None-Match": '"old-build"'})
    assert stale.status_code == 200 and stale.content == first.content
    page_two = client.get("/id/person/xi-jinping.ttl?page=2")
    assert page_two.headers["etag"] not in (etag, other.headers["etag"])
    home = client.get("/").headers["etag"]
    assert client.get("/", headers={"If-None-Match": home}).status_code == 304


def test_a_new_build_changes_every_etag(tmp_path: Path, dist: Path, project: Project) -> None:
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy, ignore=shutil.ignore_patterns("store*"))
    lines = (copy / "SHA256SUMS").read_text().splitlines()
    old = app_for(dist, project).get("/id/person/xi-jinping.ttl").headers["etag"]
    changed = ["0" * 64 + line[64:] if line.endswith("dialoguekg.nq") else line for line in lines]
    (copy / "SHA256SUMS").write_text("\n".join(changed) + "\n")
    assert app_for(copy, project).get("/id/person/xi-jinping.ttl").headers["etag"] != old


def test_the_home_page_is_made_before_the_server_answers(dist: Path, project: Project) -> None:
    context = export.load_context(project.context_file)
    application = serve.Application(dist, project.queries_dir, context, ServeSettings())
    assert application.cache.get("/") is None
    with TestClient(serve.site_app(application)) as client:  # runs the start-up
        kept = application.cache.get("/")
        assert kept is not None
        answer = client.get("/")
    assert answer.status_code == 200 and answer.content == kept.rendered.body
    assert application.cache.get("/") is kept  # answered from what the start-up made


def test_serving_writes_nothing_beside_the_build(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "dist"
    assert main(["build", "--project", str(project.root), "--out", str(out)]) == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    client = app_for(out, project)
    assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_the_servers_store_loads_in_a_thread_and_leniently_only_the_dump_the_build_wrote(
    dist: Path, tmp_path: Path
) -> None:
    """``serve`` loads the dump in a thread without checking its IRIs again, which is safe only
    for the file the build wrote: a dump whose SHA-256 is not the listed one is refused."""
    strict = load_dump(dist / "dialoguekg.nq")
    assert len(strict) > 10_000
    checksum = export.read_checksums(dist)["dialoguekg.nq"]
    loaded, lines = Loading(dist / "dialoguekg.nq").result(checksum)
    assert set(loaded.store) == set(strict) and lines == len(strict)
    # the home page's count of quads, read off the dump's lines while the store loads
    site = Site(dist, ServeSettings(), Loading(dist / "dialoguekg.nq"))
    assert site.size == len(strict) == len(site.store)
    # an IRI with a space: only a lenient load takes it, so a strict one is what refuses it
    odd = tmp_path / "odd.nq"
    odd.write_text("<http://example.org/a b> <http://example.org/p> <http://example.org/o> .\n")
    assert len(Loading(odd).result(export.file_sha256(odd))[0].store) == 1
    with pytest.raises(QueryError, match=r"odd\.nq is not a readable dump"):
        LocalStore(odd)
    changed = tmp_path / "changed"
    shutil.copytree(dist, changed)
    with (changed / "dialoguekg.nq").open("a") as dump:
        dump.write("<http://example.org/a b> <http://example.org/p> <http://example.org/o> .\n")
    with pytest.raises(QueryError, match=r"dialoguekg\.nq: its SHA-256 is not the one SHA256SUMS"):
        Site(changed, ServeSettings(), Loading(changed / "dialoguekg.nq"))
    with pytest.raises(QueryError, match=r"dialoguekg\.nq: its SHA-256 is not the one SHA256SUMS"):
        Loading(changed / "dialoguekg.nq").result(checksum)
    with pytest.raises(QueryError, match=r"cannot read .*missing\.nq \(No such file"):
        Loading(tmp_path / "missing.nq").result(checksum)


def test_the_home_page_counts_the_quads_served(client: TestClient, store: LocalStore) -> None:
    assert f"<p class=\"muted\">{len(store.store)} triples." in client.get("/").text


def test_every_entity_page_has_a_real_title(client: TestClient) -> None:
    page = client.get("/id/person/xi-jinping.html").text
    assert "<title>Xi Jinping · dialoguekg</title>" in page
    meeting = client.get("/id/meeting/2017.html").text
    assert "<title> · dialoguekg</title>" not in meeting


def test_meeting_pages_list_parties_with_who_took_part_for_them(client: TestClient) -> None:
    page = client.get("/id/meeting/2023.html").text
    table = page[page.index('id="parties"') : page.index("</table>", page.index('id="parties"'))]
    row = table[table.index("African National Congress") :].split("</tr>", 1)[0]
    assert '<a href="../../id/person/cyril-ramaphosa.html">Cyril Ramaphosa</a>' in row
    assert '<a href="../../id/party/united-russia.html">United Russia</a>' in table


def test_party_pages_name_the_meetings_they_attended(client: TestClient) -> None:
    page = client.get("/id/party/african-national-congress.html").text
    listed = page[page.index('id="attended"') : page.index("</ul>", page.index('id="attended"'))]
    # 2016, the 2021 summit, 2023, BRICS Parties Plus 2023 and the 2024 "World Majority" forum
    assert listed.count("<li>") == 5
    assert "CPC and World Political Parties Summit" in listed and "2021-07-06" in listed


def test_the_facts_box_prints_each_number_with_its_bound(client: TestClient) -> None:
    page = client.get("/id/meeting/2017.html").text
    facts = page[page.index("<h2>Facts</h2>") : page.index("</table>", page.index("<h2>Facts"))]
    assert "nearly 300 / some 300" in facts  # not a bare "300"
    assert "120 / more than 120" in facts


def test_a_person_appears_once_per_event_and_role_with_all_sources(client: TestClient) -> None:
    page = client.get("/id/person/xi-jinping.html").text
    start = page.index('id="took-part"')
    table = page[start : page.index("</table>", start)]
    rows = table.split("<tr>")[2:]
    keynote = [r for r in rows if "Opening ceremony, 2017 meeting" in r and "Keynote" in r]
    assert len(keynote) == 1  # one row, however many sources report it
    assert keynote[0].count("/id/source/") >= 4
    events = [r.split("</td>", 2)[:2] for r in rows]
    assert len(events) == len({tuple(e) for e in events})


def test_facts_with_several_claims_are_grouped_by_value_side_by_side(client: TestClient) -> None:
    page = client.get("/id/meeting/2017.html").text
    start = page.index("<caption>party count</caption>")
    rows = page[start : page.index("</table>", start)].split("<tr>")[2:]
    printed = [
        row.split("<td>", 2)[1].split("</td>", 1)[0].split("<br>")[0].strip() for row in rows
    ]
    assert "more than 200, registered" in printed and "nearly 300" in printed
    assert len(rows) <= 10  # one row per value as printed and measure, not per claim (21)
    preferred = [row for row in rows if "preferred" in row]
    assert len(preferred) == 1 and "China Daily, 2017-12-04" in preferred[0]


def test_no_acceptable_format_is_406_before_evaluation_and_errors_are_text(
    client: TestClient,
) -> None:
    refused = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "application/sparql-results+json" in refused.text
    bare = client.get("/search.json", params={"limit": "abc"}, headers={"Accept": ""})
    assert bare.status_code == 400 and bare.headers["content-type"].startswith("text/plain")
