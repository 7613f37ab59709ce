"""`dialoguekg push`: the dump into real triplestores over the SPARQL 1.1 Graph Store Protocol
(an Oxigraph server; Virtuoso where it is installed), checked by counting each graph."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from dialoguekg import push
from dialoguekg.cli import SETTINGS, main
from dialoguekg.errors import PushError
from dialoguekg.project import Project
from dialoguekg.query import LocalStore, RemoteStore, find_query
from dialoguekg.vocab import ONTOLOGY_IRI

from .conftest import free_port, oxigraph
from .test_endpoint import normalised

EXTRA = "<urn:dialoguekg-test:s> <urn:dialoguekg-test:p> <urn:dialoguekg-test:o>"


def named(graph: str) -> str:
    """A graph pattern over the named graph ``graph`` that Virtuoso answers too (it finds
    nothing in ``GRAPH <IRI>`` once it has a default graph for the Graph Store's ``?default``)."""
    return f"GRAPH ?g {{ ?s ?p ?o }} FILTER (?g = <{graph}>)"


def count(query_url: str, pattern: str) -> int:
    """Triples matching ``pattern``, asked through SPARQLWrapper (not push's own client)."""
    result = RemoteStore(query_url).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(result.rows[0]["n"]["value"])


@pytest.fixture(scope="module")
def dump_counts(dist: Path) -> dict[str, int]:
    """Each graph's triples as the dump holds them, counted by pyoxigraph from the files."""
    local = LocalStore(dist / "dialoguekg.nq")
    return {
        "default": count_local(local, "?s ?p ?o"),
        "ontology": count_local(local, f"GRAPH <{ONTOLOGY_IRI}> {{ ?s ?p ?o }}"),
        "void": len(list(ox.parse(path=dist / "void.ttl"))),
    }


def count_local(local: LocalStore, pattern: str) -> int:
    result = local.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(result.rows[0]["n"]["value"])


def store_counts(query_url: str) -> dict[str, int]:
    return {
        "default": count(query_url, "?s ?p ?o"),
        "ontology": count(query_url, named(ONTOLOGY_IRI)),
        "void": count(query_url, named(push.DESCRIPTION_GRAPH)),
    }


def dump_version(dist: Path) -> str:
    """The N-Quads dump's line in SHA256SUMS."""
    lines = (dist / "SHA256SUMS").read_text().splitlines()
    return next(line.split()[0] for line in lines if line.endswith("  dialoguekg.nq"))


@pytest.fixture(scope="module")
def oxigraph_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """An empty read-write Oxigraph server: its Graph Store URL and its query URL."""
    location = tmp_path_factory.mktemp("push-oxigraph")
    with oxigraph([], location, writable=True) as query_url:
        yield query_url.removesuffix("/query") + "/store", query_url


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line of an error: the last of stderr, after any progress lines."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[-1].startswith("dialoguekg: error: "), err
    assert sum(line.startswith("dialoguekg: error: ") for line in lines) == 1, err
    return lines[-1]


# ---------------------------------------------------------------------------------------------
# Oxigraph
# ---------------------------------------------------------------------------------------------


def test_push_replaces_each_graph_and_the_store_counts_the_dumps_triples(
    dist: Path,
    oxigraph_urls: tuple[str, str],
    dump_counts: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, query_url = oxigraph_urls
    assert main(["push", store, "--dist", str(dist)]) == 0
    captured = capsys.readouterr()
    assert store_counts(query_url) == dump_counts
    assert captured.out.startswith(f"pushed {dist} to {store}: ")
    assert f"{dump_counts['default']:,} triples in the default graph" in captured.out
    assert f"{query_url} counts exactly these" in captured.out
    for label in ("the default graph", f"graph <{ONTOLOGY_IRI}>"):
        assert f"sending {label} to {store}" in captured.err
    assert " bytes in " in captured.err


def test_a_second_push_replaces_what_the_store_held(
    dist: Path, oxigraph_urls: tuple[str, str], dump_counts: dict[str, int]
) -> None:
    """A triple the store gained in the default graph and in the ontology's graph is gone after
    a push, and pushing twice leaves the same counts."""
    store, query_url = oxigraph_urls
    assert main(["push", store, "--dist", str(dist)]) == 0
    update = f"INSERT DATA {{ {EXTRA} . GRAPH <{ONTOLOGY_IRI}> {{ {EXTRA} }} }}"
    request = urllib.request.Request(
        query_url.removesuffix("/query") + "/update",
        data=update.encode(),
        headers={"Content-Type": "application/sparql-update"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    assert count(query_url, EXTRA) == 1
    assert store_counts(query_url)["ontology"] == dump_counts["ontology"] + 1
    assert main(["push", store, "--dist", str(dist)]) == 0
    assert count(query_url, EXTRA) == 0
    assert store_counts(query_url) == dump_counts
    assert main(["push", store, "--dist", str(dist)]) == 0
    assert store_counts(query_url) == dump_counts


def test_the_dumps_checksum_is_the_version_the_store_records(
    dist: Path, oxigraph_urls: tuple[str, str]
) -> None:
    store, query_url = oxigraph_urls
    assert main(["push", store, "--dist", str(dist)]) == 0
    answer = RemoteStore(query_url).query(push.VERSION_QUERY)
    assert answer.column("sha256") == [dump_version(dist)]
    # the same, asked as a reader would, without push's query
    plain = RemoteStore(query_url).query(
        "SELECT ?v WHERE { GRAPH <https://w3id.org/dialoguekg/dumps/void.ttl> { "
        "<https://w3id.org/dialoguekg/dumps/dialoguekg.nq#sha256> "
        "<http://spdx.org/rdf/terms#checksumValue> ?v } }"
    )
    assert plain.column("v") == [dump_version(dist)]


@pytest.mark.parametrize("name", ["plenary-speakers-2023", "participation-counts"])
def test_query_endpoint_on_the_pushed_store_answers_as_the_built_graph(
    name: str,
    dist: Path,
    oxigraph_urls: tuple[str, str],
    store: LocalStore,
    project: Project,
    capsys: pytest.CaptureFixture[str],
) -> None:
    push_url, query_url = oxigraph_urls
    assert main(["push", push_url, "--dist", str(dist)]) == 0
    capsys.readouterr()
    assert main(["query", name, "--endpoint", query_url, "--format", "json"]) == 0
    remote = json.loads(capsys.readouterr().out)
    local = store.query(find_query(name, project.queries_dir).text).to_json()
    assert remote["results"]["bindings"]
    assert normalised(remote) == normalised(local)


def test_counts_that_differ_are_an_error(
    dist: Path,
    oxigraph_urls: tuple[str, str],
    dump_counts: dict[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Counted at another (empty) store's query endpoint, the graphs sent are not there."""
    store, _ = oxigraph_urls
    with oxigraph([], tmp_path / "empty", writable=True) as elsewhere:
        assert main(["push", store, "--dist", str(dist), "--query-endpoint", elsewhere]) == 2
    line = error_line(capsys)
    assert line.startswith(f"dialoguekg: error: {elsewhere}: the store holds 0 triples in ")
    assert f"where the dump has {dump_counts['ontology']:,}" in line


def tampered(dist: Path, tmp_path: Path, extra: str, listed: bool) -> Path:
    """A copy of ``dist`` whose N-Quads dump has one more line (SHA256SUMS updated or not)."""
    copy = tmp_path / "dist"
    shutil.copytree(dist, copy)
    nq = copy / "dialoguekg.nq"
    nq.write_bytes(nq.read_bytes() + extra.encode() + b"\n")
    if listed:
        sums = (copy / "SHA256SUMS").read_text().splitlines()
        digest = hashlib.sha256(nq.read_bytes()).hexdigest()
        sums = [f"{digest}  dialoguekg.nq" if s.endswith("  dialoguekg.nq") else s for s in sums]
        (copy / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    return copy


@pytest.mark.parametrize(
    "case,message",
    [
        ("not a url", r"notaurl: is not a Graph Store URL: expected http\(s\)://HOST/PATH"),
        ("refused", r"http://127\.0\.0\.1:\d+/query: could not be reached: .*refused"),
        ("404", r"/nosuch\?graph=\S+: 404 Not Found .*is it the store's Graph Store URL\?"),
        ("unknown layout", r"/nosuch: cannot tell this store's query endpoint .*--query-endpoint"),
        ("wrong query endpoint", r"/nothere: 404 Not Found .*is it the store's query endpoint\?"),
        ("no dist", r"/no-dist: no built graph here: run 'dialoguekg build' first"),
        ("no password", r"--user someone: needs the password in the environment: "),
    ],
)
def test_every_failure_is_one_line_and_exit_2(
    case: str,
    message: str,
    dist: Path,
    oxigraph_urls: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, query_url = oxigraph_urls
    base = store.removesuffix("/store")
    monkeypatch.delenv(push.PASSWORD_ENV, raising=False)
    argv = {
        "not a url": ["notaurl"],
        "refused": [f"http://127.0.0.1:{free_port()}/store"],
        "404": [f"{base}/nosuch", "--query-endpoint", query_url],
        "unknown layout": [f"{base}/nosuch"],
        "wrong query endpoint": [store, "--query-endpoint", f"{base}/nothere"],
        "no dist": [store, "--dist", str(tmp_path / "no-dist")],
        "no password": [store, "--user", "someone"],
    }[case]
    if "--dist" not in argv:
        argv += ["--dist", str(dist)]
    assert main(["push", *argv]) == 2
    line = error_line(capsys)
    assert re.search(message, line), line


@pytest.mark.parametrize(
    "extra,listed,message",
    [
        (f"{EXTRA} .", False, r"dialoguekg\.nq: missing, or not as SHA256SUMS lists it: rebuild"),
        (f"{EXTRA} <urn:other> .", True, r"dialoguekg\.nq: holds graphs push does not know: "),
        ("<urn:a> not RDF", True, r"dialoguekg\.nq: cannot be read \(.*\); rebuild with "),
    ],
)
def test_a_dump_that_does_not_verify_is_not_sent(
    extra: str,
    listed: bool,
    message: str,
    dist: Path,
    oxigraph_urls: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    changed = tampered(dist, tmp_path, extra, listed)
    assert main(["push", oxigraph_urls[0], "--dist", str(changed)]) == 2
    line = error_line(capsys)
    assert re.search(message, line), line
    assert "sending" not in line


def test_nothing_is_sent_when_the_query_endpoint_does_not_answer(
    dist: Path, oxigraph_urls: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _ = oxigraph_urls
    assert main(["push", store, "--dist", str(dist), "--query-endpoint", store + "-x"]) == 2
    err = capsys.readouterr().err
    assert "404 Not Found" in err
    assert "sending" not in err


@pytest.mark.parametrize(
    "store,query",
    [
        ("http://localhost:7878/store", "http://localhost:7878/query"),
        ("http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql"),
        ("http://h:8890/sparql-graph-crud", "http://h:8890/sparql"),
        ("https://h/fuseki/ds/data/", "https://h/fuseki/ds/sparql"),
    ],
)
def test_the_query_endpoint_is_derived_from_the_graph_store_url(store: str, query: str) -> None:
    assert push.derive_query_endpoint(store) == query


def test_an_unknown_store_layout_needs_the_query_endpoint() -> None:
    with pytest.raises(PushError, match=r"^http://h/rdf-graphs: cannot tell .*--query-endpoint"):
        push.derive_query_endpoint("http://h/rdf-graphs")


def test_the_user_setting_reads_the_variable_push_names() -> None:
    user = next(s for s in SETTINGS if s.name == "user")
    assert (user.flag, user.env) == ("--user", push.USER_ENV)


# ---------------------------------------------------------------------------------------------
# Credentials: Basic, through a guard in front of the Oxigraph server
# ---------------------------------------------------------------------------------------------


class Guard(ThreadingHTTPServer):
    """A reverse proxy on 127.0.0.1 that asks for Basic credentials (401) on every path and
    forwards the requests that carry the right ones to ``upstream``; ``seen`` records each
    request: method, path, whether it carried the credentials, the body's size."""

    def __init__(self, upstream: str, user: str, password: str) -> None:
        super().__init__(("127.0.0.1", 0), GuardHandler)
        self.upstream = urllib.parse.urlsplit(upstream).netloc
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen: list[tuple[str, str, bool, int]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class GuardHandler(BaseHTTPRequestHandler):
    server: Guard

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorised = self.headers.get("Authorization") == self.server.expected
        self.server.seen.append((self.command, self.path, authorised, len(body)))
        if not authorised:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="dialoguekg test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)
        forwarded = {k: v for k in ("Content-Type", "Accept") if (v := self.headers.get(k))}
        upstream.request(self.command, self.path, body=body or None, headers=forwarded)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type") or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_PUT = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def guard(oxigraph_urls: tuple[str, str]) -> Iterator[Guard]:
    server = Guard(oxigraph_urls[1], "publisher", "s3cret")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_basic_credentials_come_from_the_environment(
    dist: Path,
    guard: Guard,
    oxigraph_urls: tuple[str, str],
    dump_counts: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(push.USER_ENV, "publisher")
    monkeypatch.setenv(push.PASSWORD_ENV, "s3cret")
    assert main(["push", f"{guard.url}/store", "--dist", str(dist)]) == 0
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert f"{guard.url}/query counts exactly these" in captured.out
    assert store_counts(oxigraph_urls[1]) == dump_counts
    puts = [(path, ok, size) for method, path, ok, size in guard.seen if method == "PUT"]
    # asked once, on the small ontology graph; the large default graph then went once, with them
    assert [ok for _, ok, _ in puts] == [False, True, True, True]
    default = [size for path, _, size in puts if path.endswith("?default")]
    assert len(default) == 1 and default[0] > 1_000_000
    # the query endpoint asks too, once
    assert [ok for method, _, ok, _ in guard.seen if method == "GET"][:3] == [False, True, True]


def test_a_store_that_asks_for_credentials_and_gets_none_is_a_clear_error(
    dist: Path, guard: Guard, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(push.USER_ENV, raising=False)
    monkeypatch.delenv(push.PASSWORD_ENV, raising=False)
    assert main(["push", f"{guard.url}/store", "--dist", str(dist)]) == 2
    line = error_line(capsys)
    assert line == (
        f"dialoguekg: error: {guard.url}/query: 401 Unauthorized: the store asks for "
        "credentials: set --user or DIALOGUEKG_PUSH_USER, and DIALOGUEKG_PUSH_PASSWORD"
    )
    assert not [seen for seen in guard.seen if seen[0] == "PUT"]


def test_refused_credentials_are_a_clear_error(
    dist: Path, guard: Guard, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(push.PASSWORD_ENV, "wrong")
    assert main(["push", f"{guard.url}/store", "--dist", str(dist), "--user", "publisher"]) == 2
    line = error_line(capsys)
    assert line.endswith(
        "401 Unauthorized: the store refused user 'publisher' with the password in "
        "DIALOGUEKG_PUSH_PASSWORD"
    )
    assert "wrong" not in line


class RefusesBodies(BaseHTTPRequestHandler):
    """Answers every PUT 413 at once and closes, without reading the body."""

    def do_PUT(self) -> None:
        message = b"request bodies are limited to 1 MB here"
        self.send_response(413)
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_answer_sent_before_the_body_was_read_is_the_message(tmp_path: Path) -> None:
    """A server that refuses a large body before reading it closes the connection under the
    sender; its answer, not "Broken pipe", is what push reports."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusesBodies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    body = tmp_path / "large.nt"
    body.write_bytes(b"<urn:a> <urn:b> <urn:c> .\n" * 1_500_000)  # 39 MB: more than buffers hold
    url = f"http://127.0.0.1:{server.server_address[1]}/store?default"
    try:
        with pytest.raises(PushError, match=r": 413 [\w ]+ \(request bodies are limited to 1 MB"):
            push._Client(None, [], timeout=30).put(url, body, push.PARTS[1], 1_500_000)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# ---------------------------------------------------------------------------------------------
# Virtuoso (Debian's virtuoso-opensource), where installed
# ---------------------------------------------------------------------------------------------

VIRTUOSO_DEFAULT_GRAPH = "urn:dialoguekg:default"
VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{isql}
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@pytest.fixture
def virtuoso(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A Virtuoso server of its own on 127.0.0.1 (its database in ``tmp_path``, no system
    service): its base URL and its ISQL port."""
    exe = shutil.which("virtuoso-t")
    if exe is None or shutil.which("isql-vt") is None:
        pytest.skip(
            "Virtuoso is not installed (Debian: apt-get install virtuoso-opensource-7-bin): "
            "the push into Virtuoso is not tested here"
        )
    isql, port = free_port(), free_port()
    ini = tmp_path / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=tmp_path, isql=isql, http=port))
    log = (tmp_path / "stdout.log").open("wb")
    server = subprocess.Popen(
        [exe, "+foreground", "+configfile", str(ini)], cwd=tmp_path, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/sparql?query=ASK%7B%7D", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(
                        f"Virtuoso did not start: {(tmp_path / 'virtuoso.log').read_text()}"
                    )
                time.sleep(0.25)
        yield base, isql
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_push_into_virtuoso(
    dist: Path,
    virtuoso: tuple[str, int],
    dump_counts: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's Virtuoso steps: Digest credentials at /sparql-graph-crud-auth, after the
    host has been given a default graph."""
    base, isql = virtuoso
    crud = f"{base}/sparql-graph-crud-auth"
    monkeypatch.setenv(push.USER_ENV, "dba")
    monkeypatch.setenv(push.PASSWORD_ENV, "dba")
    # Out of the box, Virtuoso has no default graph for the Graph Store's ?default
    assert main(["push", crud, "--dist", str(dist)]) == 2
    assert "not configured to have default graph" in error_line(capsys)
    sql = (
        "INSERT INTO DB.DBA.SYS_SPARQL_HOST (SH_HOST, SH_GRAPH_URI) "
        f"VALUES ('%', '{VIRTUOSO_DEFAULT_GRAPH}');"
    )
    configured = subprocess.run(
        ["isql-vt", f"127.0.0.1:{isql}", "dba", "dba", f"exec={sql}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Done." in configured.stdout, configured.stdout + configured.stderr

    monkeypatch.setenv(push.PASSWORD_ENV, "wrong")
    assert main(["push", crud, "--dist", str(dist)]) == 2
    assert error_line(capsys).endswith(
        "401 Unauthorized: the store refused user 'dba' with the password in "
        "DIALOGUEKG_PUSH_PASSWORD"
    )

    monkeypatch.setenv(push.PASSWORD_ENV, "dba")
    for _ in range(2):  # the second push replaces what the first loaded
        assert main(["push", crud, "--dist", str(dist)]) == 0
        assert f"{base}/sparql counts exactly these" in capsys.readouterr().out
        assert store_counts(f"{base}/sparql") == dump_counts
    answer = RemoteStore(f"{base}/sparql").query(push.VERSION_QUERY)
    assert answer.column("sha256") == [dump_version(dist)]
    # dialoguekg query --endpoint on the same store, with a query Virtuoso 7.2 parses
    meetings = tmp_path / "meetings.rq"
    meetings.write_text(
        "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a <https://w3id.org/dialoguekg/def#Meeting> }"
    )
    assert main(["query", str(meetings), "--endpoint", f"{base}/sparql", "--format", "csv"]) == 0
    remote = capsys.readouterr().out
    assert main(["query", str(meetings), "--dist", str(dist), "--format", "csv"]) == 0
    assert remote == capsys.readouterr().out
    assert re.fullmatch(r"n\r\n[1-9]\d*\r\n", remote)
