"""The W3C SPARQL 1.1 Protocol and Service Description tests, replayed against `serve` over HTTP.

The manifests (tests/conformance/) are read with rdflib; every request they record is sent as
recorded (method, path, headers, body) to a real server on 127.0.0.1 whose store holds the
suite's data files as named graphs. The endpoint is read-only, so the seven `update_*` tests do
not apply; the `bad_update_*` tests still expect (and get) a 4xx. Result: 27 of 27 applicable
protocol tests and 3 of 3 service-description tests.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection

from dialoguekg import export
from dialoguekg.project import Project
from dialoguekg.web import app as serve
from dialoguekg.web.settings import ServeSettings

from .conftest import ROOT, free_port, serving

SUITE = ROOT / "tests" / "conformance"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: set[str]
    boolean: bool | None
    result_format: str | None


@dataclass
class ProtocolTest:
    name: str
    graphs: list[tuple[str, str]] = field(default_factory=list)  # (file, graph IRI)
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        return not self.name.startswith("update_")


def read_manifest(path: Path) -> list[ProtocolTest]:
    g = Graph().parse(path, format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        assert isinstance(entry, URIRef)
        test = ProtocolTest(str(entry).rsplit("#", 1)[1])
        for data in g.objects(entry, UT.graphData):
            file = str(g.value(data, UT.graph)).rsplit("/", 1)[1]
            test.graphs.append((file, str(g.value(data, RDFS.label))))
        action = g.value(entry, MF.action)
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(req, HT.headers)
            if header_list is not None:
                for h in Collection(g, header_list):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = g.value(req, HT.body)
            resp = g.value(req, HT.resp)
            boolean = g.value(resp, MF.expectedBoolean)
            fmt = g.value(resp, MF.expectedFormat)
            test.exchanges.append(
                Exchange(
                    method=str(g.value(req, HT.methodName)),
                    path=str(g.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
                    headers=headers,
                    body=str(g.value(body, CNT.chars)) if body is not None else None,
                    statuses={
                        str(s).rsplit("StatusCode", 1)[1]
                        for s in g.objects(resp, MF.expectedStatus)
                    },
                    boolean=bool(boolean.toPython()) if boolean is not None else None,
                    result_format=str(fmt) if fmt is not None else None,
                )
            )
        tests.append(test)
    return tests


PROTOCOL_TESTS = read_manifest(SUITE / "sparql11-protocol" / "manifest.ttl")
APPLICABLE = [t for t in PROTOCOL_TESTS if t.applicable]


@pytest.fixture(scope="module")
def endpoint(
    tmp_path_factory: pytest.TempPathFactory, project: Project
) -> Iterator[tuple[str, int]]:
    """`serve` on 127.0.0.1 with the suite's data files as named graphs."""
    dist = tmp_path_factory.mktemp("conformance")
    quads = []
    graphs = {pair for t in PROTOCOL_TESTS for pair in t.graphs}
    for file, iri in sorted(graphs):
        for triple in ox.parse(
            path=str(SUITE / "sparql11-protocol" / file), format=ox.RdfFormat.N_TRIPLES
        ):
            quads.append(
                ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(iri))
            )
    nq = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    (dist / "dialoguekg.nq").write_bytes(nq)
    (dist / "SHA256SUMS").write_text(f"{hashlib.sha256(nq).hexdigest()}  dialoguekg.nq\n")
    port = free_port()  # the service description names the configured address, never Host
    settings = ServeSettings(public_url=f"http://127.0.0.1:{port}/")
    context = export.load_context(project.context_file)
    app = serve.create_app(dist, project.queries_dir, context, settings)
    with serving(app, port) as address:
        yield address


def send(endpoint: tuple[str, int], exchange: Exchange) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection(*endpoint, timeout=30)
    charset = "utf-8"
    content_type = exchange.headers.get("content-type", "")
    if "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].strip()
    body = exchange.body.encode(charset) if exchange.body is not None else None
    connection.request(exchange.method, exchange.path, body=body, headers=exchange.headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, response.getheader("content-type") or "", content


def parsed_boolean(content_type: str, content: bytes) -> bool:
    if "json" in content_type:
        return bool(json.loads(content)["boolean"])
    root = ET.fromstring(content)
    node = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None
    return node.text == "true"


@pytest.mark.parametrize("test", APPLICABLE, ids=[t.name for t in APPLICABLE])
def test_protocol(endpoint: tuple[str, int], test: ProtocolTest) -> None:
    for exchange in test.exchanges:
        status, content_type, content = send(endpoint, exchange)
        assert f"{str(status)[0]}xx" in exchange.statuses, (status, content[:300])
        if exchange.result_format == "boolean":
            answer = parsed_boolean(content_type, content)
            if exchange.boolean is not None:
                assert answer is exchange.boolean
        elif exchange.result_format == "tabular":
            assert content_type.split(";")[0] in (
                "application/sparql-results+json",
                "application/sparql-results+xml",
                "text/csv",
                "text/tab-separated-values",
            )
            assert "head" in json.loads(content)
        elif exchange.result_format == "RDF":
            media = content_type.split(";")[0]
            fmt = {
                "text/turtle": "turtle",
                "application/n-triples": "nt",
                "application/rdf+xml": "xml",
                "application/ld+json": "json-ld",
            }[media]
            Graph().parse(data=content, format=fmt)


def test_the_suite_is_counted() -> None:
    assert len(PROTOCOL_TESTS) == 34
    assert len(APPLICABLE) == 27  # the 7 update_* tests do not apply to a read-only endpoint


SD_TESTS = ["returns-rdf", "has-endpoint-triple", "conforms-to-schema"]


def test_service_description_manifest_lists_the_tests_run_here() -> None:
    g = Graph().parse(SUITE / "sparql11-service-description" / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    names = [str(e).rsplit("#", 1)[1] for e in Collection(g, g.value(manifest, MF.entries))]
    assert sorted(names) == sorted(SD_TESTS)


@pytest.mark.parametrize("name", SD_TESTS)
def test_service_description(endpoint: tuple[str, int], name: str) -> None:
    exchange = Exchange("GET", "/sparql", {"Accept": "text/turtle"}, None, {"2xx"}, None, "RDF")
    status, content_type, content = send(endpoint, exchange)
    assert status == 200 and content_type.startswith("text/turtle")
    g = Graph().parse(data=content, format="turtle")
    url = URIRef(f"http://{endpoint[0]}:{endpoint[1]}/sparql")
    if name == "returns-rdf":
        assert len(g) > 0
    elif name == "has-endpoint-triple":
        assert (None, SD.endpoint, url) in g
    else:
        service = next(g.subjects(RDF.type, SD.Service))
        assert g.value(service, SD.endpoint) == url
        assert set(g.objects(service, SD.supportedLanguage)) <= {
            SD.SPARQL10Query,
            SD.SPARQL11Query,
            SD.SPARQL11Update,
        }
        assert all(isinstance(f, URIRef) for f in g.objects(service, SD.resultFormat))
        dataset = g.value(service, SD.defaultDataset)
        assert (dataset, RDF.type, SD.Dataset) in g
