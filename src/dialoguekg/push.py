"""Load the built dataset into a triplestore over the SPARQL 1.1 Graph Store Protocol, then
check that the store holds exactly the dump's triples.

``push`` replaces three graphs of the store, each with one ``PUT`` (the Protocol's "replace"):

- the named graph ``https://w3id.org/dialoguekg/def``, with the ontology (``ONTOLOGY_IRI``);
- the default graph, with the default graph of ``dist/dialoguekg.nq`` (the data);
- the named graph ``https://w3id.org/dialoguekg/dumps/void.ttl``, named by the file it holds:
  ``void.ttl``, the VoID/DCAT description, whose ``spdx:checksumValue`` for ``dialoguekg.nq``
  is the dump's SHA-256 as ``SHA256SUMS`` lists it. That checksum is the version the store
  records: in a graph of its own, it leaves the counts of the data and the ontology that the
  check compares unchanged, and ``VERSION_QUERY`` reads it back.

Before anything is sent, ``dialoguekg.nq`` and ``void.ttl`` are checked against
``SHA256SUMS`` and every body is written to a temporary file (pyoxigraph parses the dump as a
stream and writes each graph as N-Triples), so a dump that does not read touches no store,
and no serialization is held in memory: bodies are streamed from the files. The ontology goes
first: it is small, so a store that wants credentials asks for them on it, and the large
default graph then goes once, with them (urllib alone sends a body, is refused with 401, and
sends it again). The description goes last, so the version is recorded only after the data it
names has arrived. The Protocol has no transactions: a push that fails half-way leaves the
store mixed; run it again.

The check counts each graph with ``SELECT (COUNT(*) AS ?n)`` over the SPARQL 1.1 Protocol at
the store's query endpoint and compares the counts with the triples sent, then reads the
version back; any difference raises ``PushCheckError``. The queries are built from the
project's constants only. Unless given, the query endpoint is derived from the Graph Store URL
(``derive_query_endpoint``): Oxigraph ``…/store`` → ``…/query``; Virtuoso
``…/sparql-graph-crud`` and ``…/sparql-graph-crud-auth`` → ``…/sparql``; Fuseki
``…/DATASET/data`` → ``…/DATASET/sparql``.

HTTP is the standard library's. Basic and Digest credentials (Virtuoso's
``/sparql-graph-crud-auth`` asks for Digest) answer a store's challenge, and are then sent up
front to the URL that asked; never before, so a password never goes in clear to a store that
did not ask for Basic. Every failure (refused connection, 401, 404, 415, no answer in time)
raises ``PushError`` naming the URL, the status and the store's own message, also when the
store answered before reading the whole body and closed the connection under it.

Graph Store Protocol: https://www.w3.org/TR/sparql11-http-rdf-update/ ·
SPARQL 1.1 Protocol: https://www.w3.org/TR/sparql11-protocol/
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from . import __version__
from .errors import PushCheckError, PushError
from .export import BASE_NAME, CHECKSUMS, file_sha256, read_checksums
from .vocab import DUMPS_BASE, ONTOLOGY_IRI, SPDX

USER_ENV = "DIALOGUEKG_PUSH_USER"
PASSWORD_ENV = "DIALOGUEKG_PUSH_PASSWORD"
USER_AGENT = f"dialoguekg/{__version__} (https://w3id.org/dialoguekg; push)"
NTRIPLES = "application/n-triples"
SPARQL_JSON = "application/sparql-results+json"

DUMP = f"{BASE_NAME}.nq"
DESCRIPTION = "void.ttl"
#: The named graph that holds ``void.ttl``: the IRI that file is published at.
DESCRIPTION_GRAPH = DUMPS_BASE + DESCRIPTION
#: The version a push recorded: the SHA-256 of the N-Quads dump, as its description states it.
VERSION_QUERY = f"""SELECT ?sha256 WHERE {{ GRAPH ?g {{
    <{DUMPS_BASE}{DUMP}> <{SPDX.checksum}> ?checksum .
    ?checksum <{SPDX.checksumValue}> ?sha256 }} FILTER (?g = <{DESCRIPTION_GRAPH}>) }}"""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Part:
    """One graph ``push`` replaces: ``name`` in the store (None: the default graph), taken from
    the file ``source`` of ``dist/``, where it is the graph ``in_file`` (None: its default)."""

    name: str | None
    source: str
    in_file: str | None

    @property
    def label(self) -> str:
        return "the default graph" if self.name is None else f"graph <{self.name}>"


#: In the order they are sent (the module's docstring says why).
PARTS = (
    Part(ONTOLOGY_IRI, DUMP, ONTOLOGY_IRI),
    Part(None, DUMP, None),
    Part(DESCRIPTION_GRAPH, DESCRIPTION, None),
)

#: Graph Store URL endings and the query endpoint each store serves beside it.
QUERY_ENDPOINTS = (
    ("/store", "/query"),  # Oxigraph
    ("/sparql-graph-crud-auth", "/sparql"),  # Virtuoso
    ("/sparql-graph-crud", "/sparql"),
    ("/data", "/sparql"),  # Fuseki: /DATASET/data
)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)  # never printed, not even in a traceback


def credentials(user: str | None, password: str | None) -> Credentials | None:
    """The credentials to answer a store's challenge with: the user (``--user`` or
    ``DIALOGUEKG_PUSH_USER``) and the password, taken only from the environment
    (``DIALOGUEKG_PUSH_PASSWORD``) so that it shows in no process list or shell history."""
    if not user and not password:
        return None
    if not user:
        raise PushError(PASSWORD_ENV, f"is set but no user is given: set --user or {USER_ENV}")
    if password is None:
        raise PushError(f"--user {user}", f"needs the password in the environment: {PASSWORD_ENV}")
    return Credentials(user, password)


@dataclass(frozen=True)
class Sent:
    """What one ``PUT`` carried, and the store's answer."""

    part: Part
    triples: int
    size: int
    seconds: float
    status: str


@dataclass(frozen=True)
class Pushed:
    """A push the store's counts confirmed: the graphs sent, and the version recorded."""

    store: str
    query_endpoint: str
    sent: tuple[Sent, ...]
    version: str

    def summary(self, dist: Path) -> str:
        graphs = ", ".join(f"{s.triples:,} triples in {s.part.label}" for s in self.sent)
        return (
            f"pushed {dist} to {self.store}: {graphs}; {self.query_endpoint} counts exactly "
            f"these; version sha256:{self.version}"
        )


def push(
    dist: Path,
    store: str,
    *,
    query_endpoint: str | None = None,
    auth: Credentials | None = None,
    progress: Progress = lambda message: None,
    timeout: float = 600.0,
) -> Pushed:
    """Replace the store's graphs with the dump in ``dist`` and check that it holds them exactly.

    ``store`` is the Graph Store Protocol URL; ``query_endpoint`` the same store's SPARQL
    endpoint (default: ``derive_query_endpoint``); ``timeout`` the seconds to wait on any one
    answer. Raises PushError for a dump that does not verify or a store that refuses or cannot
    be reached, and PushCheckError when the store's counts or version differ."""
    _check_url(store, "a Graph Store URL")
    query_url = query_endpoint or derive_query_endpoint(store)
    _check_url(query_url, "a SPARQL query endpoint")
    version = verify(dist)
    client = _Client(auth, (store, query_url), timeout)
    before = _versions(client, query_url)  # first: a wrong query endpoint then changes nothing
    progress(f"{query_url}: the store holds {_version_text(before)}; pushing sha256:{version}")
    with tempfile.TemporaryDirectory(prefix="dialoguekg-push-") as scratch:
        bodies = [
            (part, *_body(dist, part, Path(scratch) / f"{n}.nt")) for n, part in enumerate(PARTS)
        ]
        sent = []
        for part, body, triples in bodies:
            progress(f"sending {part.label} to {store}: {triples:,} triples")
            one = client.put(_graph_url(store, part.name), body, part, triples)
            progress(f"  {one.size:,} bytes in {one.seconds:.2f} s: {one.status}")
            sent.append(one)
    _check(client, query_url, sent, version)
    return Pushed(store, query_url, tuple(sent), version)


def derive_query_endpoint(store: str) -> str:
    """The SPARQL query endpoint beside the Graph Store URL ``store``, by the conventions of
    the stores in ``QUERY_ENDPOINTS``; any other store's must be given."""
    parts = urllib.parse.urlsplit(store)
    path = parts.path.rstrip("/")
    for ending, replacement in QUERY_ENDPOINTS:
        if path.endswith(ending):
            return parts._replace(path=path[: -len(ending)] + replacement).geturl()
    endings = ", ".join(f"…{ending} → …{query}" for ending, query in QUERY_ENDPOINTS)
    raise PushError(
        store, f"cannot tell this store's query endpoint ({endings}); give --query-endpoint"
    )


def _check_url(url: str, what: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError as exc:
        raise PushError(url, f"is not {what}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise PushError(
            url, f"is not {what}: expected http(s)://HOST/PATH, without ?query or #fragment"
        )


# ---------------------------------------------------------------------------------------------
# The dump
# ---------------------------------------------------------------------------------------------


def verify(dist: Path) -> str:
    """The dump's SHA-256 from ``SHA256SUMS``, once ``dialoguekg.nq`` and ``void.ttl`` are
    found to still have the checksums listed there (so the version recorded names the data
    sent)."""
    try:
        listed = read_checksums(dist)
    except (OSError, ValueError) as exc:
        raise PushError(str(dist), "no built graph here: run 'dialoguekg build' first") from exc
    for name in (DUMP, DESCRIPTION):
        path = dist / name
        if not path.is_file() or file_sha256(path) != listed.get(name):
            raise PushError(
                str(path),
                f"missing, or not as {CHECKSUMS} lists it: rebuild with 'dialoguekg build'",
            )
    return listed[DUMP]


def _body(dist: Path, part: Part, out: Path) -> tuple[Path, int]:
    """Write one graph of the dump to ``out`` as N-Triples, streaming; and its triple count.

    A quad in a graph that no part takes from the file would be left out of the store: such a
    dump is refused, not pushed in part."""
    source = dist / part.source
    wanted = _graph_term(part.in_file)
    known = [_graph_term(p.in_file) for p in PARTS if p.source == part.source]
    count = 0
    unknown: set[str] = set()

    def triples(quads: Iterable[ox.Quad]) -> Iterator[ox.Triple]:
        nonlocal count
        for quad in quads:
            if quad.graph_name == wanted:
                count += 1
                yield quad.triple
            elif quad.graph_name not in known:
                unknown.add(str(quad.graph_name))

    try:
        ox.serialize(triples(ox.parse(path=source)), out, ox.RdfFormat.N_TRIPLES)
    except (SyntaxError, ValueError, OSError) as exc:
        raise PushError(
            str(source), f"cannot be read ({exc}); rebuild with 'dialoguekg build'"
        ) from exc
    if unknown:
        raise PushError(
            str(source), f"holds graphs push does not know: {', '.join(sorted(unknown))}"
        )
    return out, count


def _graph_term(graph: str | None) -> ox.DefaultGraph | ox.NamedNode:
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def count_query(graph: str | None) -> str:
    """``SELECT (COUNT(*) AS ?n)`` over the default graph or the named graph ``graph`` (one of
    the project's constants in ``PARTS``, never a value from a request or the data).

    A named graph is matched as ``GRAPH ?g`` with a filter, not ``GRAPH <IRI>``: Virtuoso, once
    given a default graph for ``?default``, finds nothing in ``GRAPH <IRI>`` (7.2.5, as tested)."""
    pattern = "?s ?p ?o" if graph is None else f"GRAPH ?g {{ ?s ?p ?o }} FILTER (?g = <{graph}>)"
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"


def _check(client: _Client, query_url: str, sent: Iterable[Sent], version: str) -> None:
    """Raise PushCheckError unless the store counts, in each graph, the triples sent to it, and
    records ``version``."""
    for one in sent:
        held = _count(client, query_url, one.part.name)
        if held != one.triples:
            more = (
                " (a store whose default graph is the union of its graphs counts the named "
                "graphs there too)"
                if one.part.name is None and held > one.triples
                else ""
            )
            raise PushCheckError(
                query_url,
                f"the store holds {held:,} triples in {one.part.label} where the dump has "
                f"{one.triples:,}{more}",
            )
    stored = _versions(client, query_url)
    if stored != [version]:
        raise PushCheckError(
            query_url,
            f"the store holds {_version_text(stored)} in graph <{DESCRIPTION_GRAPH}> where the "
            f"dump is sha256:{version}",
        )


def _count(client: _Client, query_url: str, graph: str | None) -> int:
    rows = client.select(query_url, count_query(graph))
    try:
        return int(rows[0]["n"]["value"])
    except (IndexError, KeyError, ValueError) as exc:
        raise PushError(
            query_url, f"answered the COUNT of {graph or 'the default graph'} with no number"
        ) from exc


def _versions(client: _Client, query_url: str) -> list[str]:
    """The dump checksums the store's description graph states (one, after a push)."""
    rows = client.select(query_url, VERSION_QUERY)
    return sorted(row["sha256"]["value"] for row in rows if "sha256" in row)


def _version_text(versions: list[str]) -> str:
    if not versions:
        return "no dialoguekg version"
    return "version " + ", ".join(f"sha256:{v}" for v in versions)


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


def _graph_url(store: str, graph: str | None) -> str:
    """``STORE?default`` or ``STORE?graph=IRI`` (the Protocol's indirect graph identification)."""
    if graph is None:
        return f"{store}?default"
    return f"{store}?{urllib.parse.urlencode({'graph': graph})}"


class _Client:
    """Requests to one store through one opener (its credentials, a time-out), every failure
    turned into a PushError that names the URL and the status."""

    def __init__(self, auth: Credentials | None, urls: Iterable[str], timeout: float) -> None:
        handlers: list[urllib.request.BaseHandler] = [_HTTPHandler(), _HTTPSHandler()]
        if auth is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, list(urls), auth.user, auth.password)
            handlers += [_DigestOnceAsked(passwords), _BasicOnceAsked(passwords)]
        self.opener = urllib.request.build_opener(*handlers)
        self.opener.addheaders = [("User-Agent", USER_AGENT)]
        self.auth = auth
        self.timeout = timeout

    def put(self, url: str, body: Path, part: Part, triples: int) -> Sent:
        """Replace one graph with the N-Triples file ``body``, streamed."""
        size = body.stat().st_size
        request = urllib.request.Request(
            url,
            data=_FileBody(body),
            method="PUT",
            headers={"Content-Type": NTRIPLES, "Content-Length": str(size)},
        )
        started = time.monotonic()
        status, _ = self._send(request, url, "Graph Store")
        return Sent(part, triples, size, time.monotonic() - started, status)

    def select(self, url: str, sparql: str) -> list[dict[str, dict[str, str]]]:
        """The rows of a SELECT query asked by GET (SPARQL 1.1 Protocol, JSON results)."""
        request = urllib.request.Request(
            f"{url}?{urllib.parse.urlencode({'query': sparql})}", headers={"Accept": SPARQL_JSON}
        )
        _, answer = self._send(request, url, "query endpoint")
        try:
            rows = json.loads(answer)["results"]["bindings"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PushError(
                url,
                "did not answer with SPARQL JSON results: is it the store's query endpoint? "
                "give it with --query-endpoint",
            ) from exc
        return list(rows)

    def _send(self, request: urllib.request.Request, url: str, role: str) -> tuple[str, bytes]:
        """The status and body of the answer; ``url`` is what an error names."""
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return f"{response.status} {response.reason}", response.read()
        except urllib.error.HTTPError as exc:
            raise PushError(url, _refusal(exc, role, self.auth)) from exc
        except urllib.error.URLError as exc:
            raise PushError(url, f"could not be reached: {exc.reason}") from exc
        except TimeoutError as exc:
            raise PushError(url, f"gave no answer within {self.timeout:g} s") from exc
        except http.client.RemoteDisconnected as exc:
            raise PushError(url, "closed the connection without an answer") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise PushError(url, f"the connection failed: {exc!r}") from exc
        except ValueError as exc:  # an authentication scheme or algorithm urllib cannot answer
            raise PushError(url, f"cannot answer the store's authentication: {exc}") from exc


def _refusal(error: urllib.error.HTTPError, role: str, auth: Credentials | None) -> str:
    """The status, the store's own words, and what to do about it, on one line."""
    status = f"{error.code} {error.reason}"
    if error.code == 401:
        if auth is None:
            return (
                f"{status}: the store asks for credentials: set --user or {USER_ENV}, "
                f"and {PASSWORD_ENV}"
            )
        return f"{status}: the store refused user {auth.user!r} with the password in {PASSWORD_ENV}"
    said = _excerpt(error)
    if error.code == 404 and role == "Graph Store":
        return (
            f"{status}{said}: is it the store's Graph Store URL? (Oxigraph …/store, "
            "Virtuoso …/sparql-graph-crud-auth, Fuseki …/DATASET/data)"
        )
    if error.code == 404:
        return f"{status}{said}: is it the store's query endpoint? give it with --query-endpoint"
    if error.code == 415:
        return f"{status}{said}: the store does not take N-Triples ({NTRIPLES}) bodies"
    return f"{status}{said}"


def _excerpt(error: urllib.error.HTTPError, limit: int = 300) -> str:
    """The start of an error page as plain text (HTML tags dropped): the store's message."""
    try:
        text = error.read(64 * 1024).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        return ""
    words = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    if not words:
        return ""
    return f" ({words[:limit]}{'…' if len(words) > limit else ''})"


class _EarlyAnswer(http.client.HTTPConnection):
    """A connection that, when the server closes its side while a body is still being sent
    (it has answered before reading it all: 401, 404, 413, Virtuoso's refusal of ``?default``),
    stops sending and reads that answer, which urllib would lose to "Broken pipe"."""

    closed_by_peer = False

    def send(self, data: Any) -> None:
        if self.closed_by_peer:
            return
        try:
            super().send(data)
        except (BrokenPipeError, ConnectionResetError):
            self.closed_by_peer = True


class _EarlyAnswerTLS(_EarlyAnswer, http.client.HTTPSConnection):
    """``_EarlyAnswer`` over TLS."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_EarlyAnswer, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_EarlyAnswerTLS, req)  # the default context: certificates checked


class _FileBody:
    """A request body read from the start of its file each time it is iterated: a request
    that urllib repeats after a 401 then sends it whole again."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as file:
            while chunk := file.read(1 << 20):
                yield chunk


def _resource(url: str) -> str:
    """The URL without its query: what a server's challenge to one request applies to."""
    return urllib.parse.urlsplit(url)._replace(query="", fragment="").geturl()


class _BasicOnceAsked(urllib.request.HTTPBasicAuthHandler):
    """Basic credentials sent to a URL whose server asked for them, then up front to it; never
    before (urllib's prior-auth mode would also send them to a store that wants Digest)."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgrWithDefaultRealm) -> None:
        super().__init__(passwords)
        self.passwords = passwords
        self.asked: set[str] = set()

    def retry_http_basic_auth(self, host: str, req: urllib.request.Request, realm: str) -> Any:
        self.asked.add(_resource(req.full_url))
        return super().retry_http_basic_auth(host, req, realm)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        if _resource(req.full_url) in self.asked and not req.has_header("Authorization"):
            user, password = self.passwords.find_user_password(None, req.full_url)
            if user is not None and password is not None:
                token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                req.add_unredirected_header("Authorization", f"Basic {token}")
        return req

    https_request = http_request


class _DigestOnceAsked(urllib.request.HTTPDigestAuthHandler):
    """Digest answered to a server's challenge, then computed up front (with the next nonce
    count) for every later request to the same URL. A request whose answer to a fresh
    challenge is refused too gets no more tries (urllib's own handler makes six)."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgrWithDefaultRealm) -> None:
        super().__init__(passwords)
        self.challenges: dict[str, dict[str, str]] = {}
        self.answering: set[int] = set()

    def http_error_401(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> Any:
        if id(req) in self.answering:
            raise urllib.error.HTTPError(req.full_url, code, msg, headers, fp)
        return super().http_error_401(req, fp, code, msg, headers)

    def retry_http_digest_auth(self, req: urllib.request.Request, auth: str) -> Any:
        fields = urllib.request.parse_http_list(auth.partition(" ")[2])
        self.challenges[_resource(req.full_url)] = urllib.request.parse_keqv_list(
            [field for field in fields if field]
        )
        self.answering.add(id(req))
        try:
            return super().retry_http_digest_auth(req, auth)
        finally:
            self.answering.discard(id(req))

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        challenge = self.challenges.get(_resource(req.full_url))
        if challenge is not None and not req.has_header("Authorization"):
            answer = self.get_authorization(req, challenge)
            if answer:
                req.add_unredirected_header("Authorization", f"Digest {answer}")
        return req

    https_request = http_request
