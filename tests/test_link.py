"""`dialoguekg link` against a real Oxigraph server holding a Wikidata-shaped fixture."""

from __future__ import annotations

import csv
import http.server
import io
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL

from dialoguekg import link, sources
from dialoguekg.cli import main
from dialoguekg.errors import EndpointError, SourceDataError
from dialoguekg.graph import build

from .conftest import CASES, ROOT, free_port, oxigraph
from .terms import ID


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph([CASES / "wikidata" / "fixture.ttl"], tmp_path_factory.mktemp("wd")) as endpoint:
        yield endpoint


#: Entities the real data links that the fixture's items stand for: unlinked in the copy.
UNLINKED = (
    "entity: party/amanat,",
    "entity: person/boris-gryzlov,",
    "entity: person/dickon-mitchell,",
    "entity: person/taur-matan-ruak,",
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of data/ in which Amanat, whose two disputed ids the real data keeps, Dickon
    Mitchell, linked since the twelfth identifier pass, and Boris Gryzlov and Taur Matan Ruak,
    linked since the thirteenth, are unlinked: the fixture's items (the party found by its
    alias, two humans of one name, a human whose party matches, two humans nothing tells apart)
    stand for them."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    for links in (copy / "links.yaml", *(copy / "links").glob("*.yaml")):
        kept = [
            line
            for line in links.read_text(encoding="utf-8").splitlines(keepends=True)
            if not any(entity in line for entity in UNLINKED)
        ]
        links.write_text("".join(kept), encoding="utf-8")
    return copy


def review_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def run_link(data: Path, endpoint: str, review: Path) -> list[dict[str, str]]:
    assert (
        main(
            [
                "link",
                "--data",
                str(data),
                "--endpoint",
                endpoint,
                "--review",
                str(review),
                "--backoff",
                "0",
            ]
        )
        == 0
    )
    return review_rows(review)


def test_candidates_are_scored_with_reasons(data: Path, wikidata: str, tmp_path: Path) -> None:
    rows = run_link(data, wikidata, tmp_path / "review.csv")
    by = {(r["entity"], r["qid"]): r for r in rows}
    gryzlov = by[("person/boris-gryzlov", "Q900001")]
    assert (gryzlov["accept"], gryzlov["score"]) == ("yes", "100")
    assert gryzlov["reasons"] == "exact label; type: human; party matches"
    # two humans with one name: party and country pick the right one
    assert by[("person/dickon-mitchell", "Q900002")]["accept"] == "yes"
    assert by[("person/dickon-mitchell", "Q900002")]["score"] == "115"
    assert by[("person/dickon-mitchell", "Q900003")]["accept"] == ""
    # nothing tells them apart: neither is marked
    for qid in ("Q900004", "Q900005"):
        row = by[("person/taur-matan-ruak", qid)]
        assert row["accept"] == "" and "ambiguous" in row["reasons"]
    # the film called Amanat never wins; the party found by its alias does
    assert by[("party/amanat", "Q900006")]["score"] == "0"
    assert "not a political party" in by[("party/amanat", "Q900006")]["reasons"]
    amanat = by[("party/amanat", "Q900007")]
    assert (amanat["accept"], amanat["reasons"]) == (
        "yes",
        "alias; type: political party; country matches",
    )
    # an alias alone is listed for a person to judge, not marked
    assert by[("person/yerlan-koshanov", "Q900008")]["accept"] == ""
    assert [int(r["score"]) for r in rows] == sorted((int(r["score"]) for r in rows), reverse=True)
    assert not any(r["entity"] == "person/xi-jinping" for r in rows)  # already linked


def test_accepted_rows_become_cited_links(data: Path, wikidata: str, tmp_path: Path) -> None:
    review = tmp_path / "review.csv"
    run_link(data, wikidata, review)
    assert main(["link", "--accept", str(review), "--data", str(data), "--date", "2026-11-22"]) == 0
    loaded = sources.load(data)
    source = next(r for r in loaded.records["sources"] if r.key == "wikidata-2026-11-22")
    assert source.values["title"] == "Wikidata, retrieved 2026-11-22"
    new = {
        str(r.values["entity"]): str(r.values["qid"])
        for r in loaded.records["links"]
        if r.values["source"] == "wikidata-2026-11-22"
    }
    assert new == {
        "person/boris-gryzlov": "Q900001",
        "person/dickon-mitchell": "Q900002",
        "party/amanat": "Q900007",
    }
    graph = build(loaded).graph
    gryzlov = URIRef(ID["person/boris-gryzlov"])
    assert (gryzlov, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q900001")) in graph
    assert main(["validate", "--data", str(data)]) == 0


def test_accept_refuses_an_item_already_linked_and_changes_nothing(
    data: Path, tmp_path: Path
) -> None:
    review = tmp_path / "review.csv"
    review.write_text(
        ",".join(link.REVIEW_COLUMNS) + "\n"
        "yes,person/boris-gryzlov,Boris Gryzlov,Q15031,Xi Jinping,,100,exact label\n"
    )
    before = (data / "links.yaml").read_bytes(), (data / "sources.yaml").read_bytes()
    with pytest.raises(
        SourceDataError,
        match=r"review.csv: .*accepting it would break .*links.yaml:\d+: .*"
        r"Q15031 is already the link of person/xi-jinping",
    ):
        link.accept(data, review, link.dt.date(2026, 11, 22))
    assert ((data / "links.yaml").read_bytes(), (data / "sources.yaml").read_bytes()) == before


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 429 to the first request, then passes requests on to the real endpoint."""

    upstream: ClassVar[str] = ""
    seen: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self.seen:
            self.seen.append(429)
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        request = urllib.request.Request(
            self.upstream,
            data=body,
            headers={
                "Content-Type": self.headers["Content-Type"],
                "Accept": self.headers["Accept"],
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            content = answer.read()
            self.seen.append(answer.status)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.headers["Content-Type"])
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        return


def test_a_429_is_retried_after_the_wait_it_asks_for(wikidata: str) -> None:
    _Flaky.upstream, _Flaky.seen = wikidata, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    waits: list[float] = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        target = link.Target("person/boris-gryzlov", "Boris Gryzlov", ("Boris Gryzlov",), "persons")
        document = link.ask(url, link.candidate_query(target), backoff=5, sleep=waits.append)
    finally:
        server.shutdown()
        server.server_close()
    assert _Flaky.seen == [429, 200]
    assert waits == [0.0]  # Retry-After: 0 wins over the 5 s back-off
    assert document["results"]["bindings"][0]["item"]["value"].endswith("Q900001")


def test_an_endpoint_that_is_down_changes_nothing(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    before = {p: p.read_bytes() for p in data.rglob("*.yaml")}
    review = tmp_path / "review.csv"
    assert main(["link", "--data", str(data), "--endpoint", url, "--review", str(review)]) == 2
    assert f"{url} could not be reached" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in data.rglob("*.yaml")} == before
    assert not review.exists()


def test_retries_give_up_with_a_clear_error() -> None:
    class AlwaysBusy(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), AlwaysBusy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        waits: list[float] = []
        with pytest.raises(EndpointError, match=r"kept failing \(HTTP 503\) after 3 attempts"):
            link.ask(url, "SELECT * WHERE { ?s ?p ?o }", retries=2, backoff=1, sleep=waits.append)
        assert waits == [1.0, 2.0]  # exponential back-off
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "name,column,expected",
    [
        ("federated-birth-dates", "born", {("Xi Jinping", "1900-01-01T00:00:00Z")}),
        (
            "federated-party-ideologies",
            "ideology",
            {("Communist Party of China", "fixture ideology")},
        ),
    ],
)
def test_federated_queries_join_the_graph_with_a_wikidata_endpoint(
    dist: Path,
    wikidata: str,
    name: str,
    column: str,
    expected: set[tuple[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    assert (
        main(["query", name, "--dist", str(dist), "--wikidata", wikidata, "--format", "json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)["results"]["bindings"]
    label = "person" if column == "born" else "party"
    assert {(r[label]["value"], r[column]["value"]) for r in rows} == expected


def test_labels_are_fetched_cached_and_built(
    data: Path, wikidata: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from rdflib import Literal
    from rdflib.namespace import SKOS

    assert (
        main(
            [
                "link",
                "--labels",
                "--data",
                str(data),
                "--endpoint",
                wikidata,
                "--date",
                "2026-11-22",
                "--backoff",
                "0",
            ]
        )
        == 0
    )
    assert "wrote 2 names in zh, ru, es, fr" in capsys.readouterr().out
    loaded = sources.load(data)
    (record,) = loaded.records["labels"]
    assert record.values["entity"] == "person/xi-jinping"
    assert {(n.text, n.lang) for n in record.values["names"]} == {
        ("fixture name zh", "zh"),
        ("fixture alias ru", "ru"),
    }  # de was not asked for
    graph = build(loaded).graph
    xi = URIRef(ID["person/xi-jinping"])
    assert (xi, SKOS.altLabel, Literal("fixture name zh", lang="zh")) in graph
    assert (
        xi,
        URIRef("http://purl.org/dc/terms/source"),
        URIRef(ID["source/wikidata-2026-11-22"]),
    ) in graph
    assert main(["validate", "--data", str(data)]) == 0


def test_the_server_runs_service_only_when_its_operator_allows_it(
    dist: Path, wikidata: str, project: object
) -> None:
    from starlette.testclient import TestClient

    from dialoguekg import export
    from dialoguekg.project import Project
    from dialoguekg.web import app as serve
    from dialoguekg.web.settings import ServeSettings

    assert isinstance(project, Project)
    query = (ROOT / "queries" / "federated-birth-dates.rq").read_text(encoding="utf-8")
    query = query.replace("<https://query.wikidata.org/sparql>", f"<{wikidata}>")
    context = export.load_context(project.context_file)
    for allowed, status in ((False, 403), (True, 200)):
        app = serve.create_app(
            dist, project.queries_dir, context, ServeSettings(allow_service=allowed)
        )
        response = TestClient(app).get("/sparql", params={"query": query})
        assert response.status_code == status
    rows = response.json()["results"]["bindings"]
    assert [(r["person"]["value"], r["born"]["value"]) for r in rows] == [
        ("Xi Jinping", "1900-01-01T00:00:00Z")
    ]


def test_allow_service_takes_yes_or_no(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--allow-service", "maybe"]) == 2
    assert "--allow-service 'maybe' is not known; choose yes or no" in capsys.readouterr().err
