"""The application: routes, and the answer each one gives, over the site and the query pool.

- ``/id/{kind}/{key}`` is the thing; it answers ``303 See Other`` to the document in the format
  the client negotiates (``Accept`` with q-values, or ``?format=``), with ``Vary: Accept``
  ("Cool URIs for the Semantic Web", https://www.w3.org/TR/cooluris/, the 303 recipe).
- ``/id/{kind}/{key}.{ttl,jsonld,nt,rdf,html}`` is the document (``documents``), rendered once
  per build, with a strong ``ETag``; ``Link: rel="alternate"`` names every other format.
- ``/sparql`` speaks the SPARQL 1.1 Protocol (``protocol``); queries run in worker processes
  (``workers``) with a time limit that stops them, a memory cap and no network. Browsers get a
  query page.
- ``/search``, ``/reconcile`` (``reconcile``), ``/classes/…``, ``/def``, ``/dumps/`` and
  ``/.well-known/void``.

Every request value is checked before use; what is malformed is a 4xx with a message, and no
request value ever becomes query text. Work that touches the store runs off the event loop.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import DialogueKGError
from ..export import media_type_of
from ..query import Loading, shipped_queries
from ..vocab import ID, ONTOLOGY_IRI, PREFIXES
from . import conneg, reconcile, serialize
from .documents import Cache, Entry, Rendered
from .pages import value_of
from .protocol import Refused, check_query, form_fields, read_protocol
from .render import ASSET_MEDIA, ASSETS, Renderer
from .settings import ServeSettings
from .site import Site
from .workers import Job, Pool, WorkerError

CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,60}(?:\.[A-Za-z_$][\w$]{0,60}){0,4}")
MAX_PAGE = 1_000_000
MAX_SEARCH = 200  # characters of search text kept
MAX_KEY = 4096  # characters of a GET SPARQL request's query string and Accept that are kept
#: Queries up to this many characters (a lookup's length) are checked on the event loop,
#: where that costs less than handing them to a thread; the lexer's worst inputs grow with
#: their length (the second review built a 983-character one it read slowly), so longer
#: queries are checked in a thread.
INLINE_CHECK = 300
CACHE_CONTROL = ("Cache-Control", "public, max-age=300")
#: Functions whose value differs between two evaluations: answers using them are not kept.
UNSTABLE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE", "SERVICE"})


def whole_number(request: Request, name: str, default: int, top: int) -> int:
    """A query parameter that must be a whole number from 1 to ``top``."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.lstrip("0")  # the length first: Python converts at most 4,300 digits
    fits = raw.isascii() and raw.isdigit() and len(digits) <= len(str(top))
    number = int(digits or "0") if fits else 0
    if not 1 <= number <= top:
        raise Refused(400, f"{name} must be a whole number from 1 to {top:,}, not {raw[:40]!r}")
    return number


def callback_of(params: dict[str, list[str]]) -> str | None:
    """The JSONP callback a client names: a dotted JavaScript identifier, nothing else."""
    callback = params.get("callback", [None])[0]
    if callback is not None and not CALLBACK.fullmatch(callback):
        raise Refused(400, "callback must be a JavaScript identifier (letters, digits, _ $ .)")
    return callback


def json_response(document: Any, callback: str | None = None) -> Response:
    """JSON, or JSONP when the client names a (checked) callback, as older clients do."""
    body = json.dumps(document, ensure_ascii=False)
    if callback:
        return Response(
            f"/**/{callback}({body});",
            media_type="application/javascript",
            headers={"X-Content-Type-Options": "nosniff"},
        )
    return Response(body, media_type="application/json")


def entry_response(entry: Entry, if_none_match: str | None) -> Response:
    """A cached response, or 304 when the client holds it already."""
    if matches(if_none_match, entry.etag):
        response = Response(status_code=304)
        response.raw_headers = list(entry.not_modified)
        return response
    response = Response(entry.rendered.body)
    response.raw_headers = list(entry.raw_headers)
    return response


def answer_key(scope: Scope) -> str:
    """The cache key of a GET SPARQL answer: the request's query string and Accept header."""
    accept: bytes = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    query: bytes = scope["query_string"]
    return "sparql?" + query.decode("latin-1") + "\n" + accept.decode("latin-1")


def cache_key(scope: Scope) -> str | None:
    """The key under which a GET request's answer may already be kept, if it has one."""
    path: str = scope["path"]
    query: bytes = scope["query_string"]
    if path.startswith("/id/") and not query:
        return f"{path}?page=1"
    if path == "/" and not query:
        return "/"
    if path == "/sparql" and query:
        return answer_key(scope)
    return None


ANY_ORIGIN = (b"access-control-allow-origin", b"*")
PREFLIGHT = [
    ANY_ORIGIN,
    (b"access-control-allow-methods", b"GET, POST"),
    (b"access-control-allow-headers", b"Accept, Content-Type"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


class OpenToEveryOrigin:
    """CORS for a public read-only dataset: every response may be read by any origin (the same
    header on every response, so no cache needs to vary on ``Origin``), and preflights are
    answered here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 200, "headers": PREFLIGHT})
            await send({"type": "http.response.body", "body": b""})
            return

        async def opened(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), ANY_ORIGIN]}
            await send(message)

        await self.app(scope, receive, opened)


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, ``*`` included)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def fast_path(app: ASGIApp, cache: Cache) -> ASGIApp:
    """Answer what is in the cache before any routing or middleware: most requests to a
    published graph ask for the same documents again."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            key = cache_key(scope)
            entry = cache.get(key) if key is not None else None
            if entry is not None:
                match = dict(scope["headers"]).get(b"if-none-match", b"").decode("latin-1")
                fresh = matches(match, entry.etag)
                status = 304 if fresh else 200
                raw = [*(entry.not_modified if fresh else entry.raw_headers), ANY_ORIGIN]
                await send({"type": "http.response.start", "status": status, "headers": raw})
                body = entry.rendered.body if status == 200 else b""
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return serve


class Application:
    """The site, its caches and query pool, and the handlers of every route."""

    def __init__(
        self,
        dist: Path,
        queries_dir: Path,
        context: dict[str, Any],
        settings: ServeSettings,
        loading: Loading | None = None,
    ) -> None:
        self.site = Site(dist, settings, loading)
        self.settings = settings
        self.context = context
        self.queries = [q for q in shipped_queries(queries_dir) if not q.federated]
        # what a response depends on besides its key: the build, this code, the settings
        # that change bodies; all of them are in every ETag
        version = f"{self.site.checksum} {__version__} {settings.base} {settings.page_size}"
        self.cache = Cache(version, settings.cache_mib * 2**20)
        self.matching = anyio.Lock()
        self.pool = Pool(
            self.site.store,
            context,
            size=settings.query_workers,
            memory_mib=settings.worker_memory,
            allow_service=settings.allow_service,
            time_limit=settings.time_limit,
            row_limit=settings.row_limit,
            max_answer=settings.max_answer,
        )
        self.renderer = Renderer(self.site, context)

    def prime(self) -> None:
        """Render the home page before the server answers anything: it is the first page most
        visitors ask for, and the heaviest; made later, it would share the interpreter with
        ``warm``'s indexes. A build it cannot be made from (no readable ``void.ttl``) does not
        stop the server: the request for ``/`` says why, as it did before."""
        try:
            self.cache.put("/", self.renderer.home(), CACHE_CONTROL)
        except DialogueKGError:
            return

    def warm(self) -> None:
        """Start the query workers and make the search indexes while the server answers."""
        self.pool.prestart()
        self.site.search_index  # noqa: B018 (computed once, then kept)
        self.site.reconcilable  # noqa: B018

    # -- helpers -------------------------------------------------------------------------------

    def page(
        self, template: str, status: int = 200, at: str | None = None, **values: Any
    ) -> HTMLResponse:
        """A page only the server answers; with ``at``, its links relative to that path."""
        return HTMLResponse(self.renderer.html(template, at, **values), status_code=status)

    async def failure(self, request: Request, exc: Exception) -> Response:
        """The answer to a request that raised one of the errors a client can cause: a refusal
        (4xx, its message), the time limit (503), a client gone mid-request."""
        if isinstance(exc, Refused):
            # an error page for browsers, which ask for HTML by name; plain text for the rest
            html = "text/html" in request.headers.get("accept", "")
            return self.problem(exc.status, str(exc), html and "/sparql" not in request.url.path)
        if isinstance(exc, TimeoutError):
            return self.problem(
                503, f"the request ran longer than {self.settings.time_limit:g} s, the limit"
            )
        return Response(status_code=400)  # the client left mid-request: nobody reads this

    def problem(self, status: int, message: str, html: bool = False) -> Response:
        if html:
            return self.page("error.html", status, title=f"{status}", message=message)
        return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")

    async def cached(
        self, request: Request, key: str, make: Callable[[], Rendered], extra: dict[str, str]
    ) -> Response:
        """A response that depends only on the build: from the cache, or made in a thread."""
        entry = self.cache.get(key)
        if entry is None:
            rendered = await anyio.to_thread.run_sync(make)
            entry = self.cache.put(key, rendered, CACHE_CONTROL, *extra.items())
        return entry_response(entry, request.headers.get("if-none-match"))

    # -- pages ---------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return await self.cached(request, "/", self.renderer.home, {})

    async def resource(self, request: Request) -> Response:
        path = request.path_params["path"]
        page = whole_number(request, "page", 1, MAX_PAGE)
        if (entry := self.cache.get(f"/id/{path}?page={page}")) is not None:
            return entry_response(entry, request.headers.get("if-none-match"))
        wanted = conneg.negotiate(request.headers.get("accept"), conneg.RESOURCE_FORMATS)
        iri = str(ID) + path
        if await anyio.to_thread.run_sync(self.site.exists, iri):
            requested = request.query_params.get("format")
            fmt = conneg.by_suffix(requested) if requested else wanted
            if fmt is None:
                shown = (requested or request.headers.get("accept") or "")[:100]
                return self.problem(
                    406,
                    f"not available as {shown}; choose one of: "
                    + ", ".join(f.media_type for f in conneg.RESOURCE_FORMATS),
                )
            return RedirectResponse(
                f"/id/{quote(path)}.{fmt.suffix}", status_code=303, headers={"Vary": "Accept"}
            )
        stem, _, suffix = path.rpartition(".")
        fmt = conneg.by_suffix(suffix) if stem else None
        if fmt is None or not await anyio.to_thread.run_sync(self.site.exists, str(ID) + stem):
            return self.problem(404, f"no resource {iri[:300]}", wanted is conneg.HTML)
        return await self.cached(
            request,
            f"/id/{stem}.{fmt.suffix}?page={page}",
            lambda: self.renderer.document(str(ID) + stem, stem, fmt, page, self.settings.base),
            {},
        )

    async def search(self, request: Request) -> Response:
        q = request.query_params.get("q", "")[:MAX_SEARCH]
        limit = whole_number(request, "limit", 10, self.settings.search_hits)
        page = whole_number(request, "page", 1, MAX_PAGE)
        found = await anyio.to_thread.run_sync(
            lambda: self.site.search_index.search(q, limit, page)
        )
        wanted = conneg.negotiate(request.headers.get("accept"), (conneg.HTML, conneg.JSONLD))
        if request.url.path.endswith(".json") or wanted is conneg.JSONLD:
            return json_response(
                {
                    "query": q,
                    "count": found.count,
                    "page": page,
                    "limit": limit,
                    "hits": [hit.__dict__ for hit in found.hits],
                }
            )
        return self.page(
            "search.html",
            at=request.url.path,
            title=f"Search: {q}",
            q=q,
            found=found,
            page=page,
            limit=limit,
            more=page * limit < found.count,
        )

    async def search_index(self, request: Request) -> Response:
        """The index the browser's search reads (the static site's, and the search box's)."""
        return await self.cached(request, "/search/index.json", self.renderer.search_index, {})

    async def asset(self, request: Request) -> Response:
        """The site's own scripts (``web/assets``), by name."""
        found = ASSETS.get(request.path_params["name"])
        if found is None:
            return self.problem(404, "no such asset")
        return FileResponse(found, media_type=ASSET_MEDIA[found.suffix])

    async def classes(self, request: Request) -> Response:
        name = request.path_params["name"].removesuffix(".html")
        cls = f"{PREFIXES['dkg']}{name}"
        if not re.fullmatch(r"[A-Za-z]{1,80}", name) or cls not in self.site.term_labels:
            return self.problem(404, f"no class {name[:80]!r} in the ontology", True)
        return await self.cached(
            request, f"/classes/{name}", lambda: self.renderer.class_page(name), {}
        )

    async def ontology(self, request: Request) -> Response:
        """``/def`` in the format the client negotiates; ``/def.ttl`` and the others in theirs."""
        suffix = request.path_params.get("suffix")
        if suffix is not None and conneg.by_suffix(suffix) is None:
            return self.problem(404, f"no document /def.{suffix[:20]}; see /def")
        requested = suffix or request.query_params.get("format")
        wanted = (
            conneg.by_suffix(requested)
            if requested
            else conneg.negotiate(request.headers.get("accept"), conneg.RESOURCE_FORMATS)
        )
        if wanted is None:
            return self.problem(406, "the ontology is available as: html, ttl, jsonld, nt, rdf")
        return await self.cached(
            request,
            f"/def.{wanted.suffix}",
            lambda: self.renderer.ontology(wanted),
            {} if "suffix" in request.path_params else {"Vary": "Accept"},
        )

    # -- SPARQL --------------------------------------------------------------------------------

    async def sparql(self, request: Request) -> Response:
        protocol = await read_protocol(request)
        query = protocol.query
        accept = request.headers.get("accept")
        wants_html = conneg.negotiate(accept, (*conneg.RESULT_FORMATS, conneg.HTML)) is conneg.HTML
        if query is None:
            if wants_html:
                return self.page(
                    "sparql.html",
                    at="/sparql",
                    title="SPARQL",
                    queries=self.queries,
                    query="",
                    result=None,
                )
            return self.service_description(request)
        # reading a long query takes tens of milliseconds: not on the event loop; a short one
        # (a lookup) takes less than handing it to a thread would
        if len(query) <= INLINE_CHECK:
            shape = check_query(query, self.settings)
        else:
            shape = await anyio.to_thread.run_sync(check_query, query, self.settings)
        result_format = conneg.negotiate(accept, conneg.RESULT_FORMATS)
        graph_format = conneg.negotiate(accept, conneg.GRAPH_FORMATS) or conneg.TURTLE
        solutions_only = shape.keywords & {"SELECT", "ASK"} and not shape.keywords & {
            "CONSTRUCT",
            "DESCRIBE",
        }
        if result_format is None and not wants_html and solutions_only:
            return self.not_acceptable()  # known before any worker evaluates the query
        job = Job(
            query,
            base_iri=self.settings.public_url + "sparql",  # relative IRIs resolve against us
            default_graph=protocol.default_graphs,
            named_graphs=protocol.named_graphs,
            result_format="json" if wants_html else result_format.name if result_format else None,
            graph_format=graph_format.name,
        )
        try:
            reply = await self.pool.run(job)
        except WorkerError as exc:
            return self.problem(exc.status, str(exc), wants_html)
        if reply.status == "syntax":
            return self.problem(400, f"the query is not valid SPARQL: {reply.message}", wants_html)
        if reply.status == "failed":
            return self.problem(400, f"the query failed: {reply.message}", wants_html)
        if reply.status == "over_limit":
            return self.problem(
                400,
                f"the result has more than {self.settings.row_limit} rows, the limit of this "
                "endpoint; add a LIMIT, or download a dump",
                wants_html,
            )
        if reply.status == "too_large":
            return self.problem(
                400,
                f"the answer is over {self.settings.max_answer:,} bytes, the limit of this "
                "endpoint; ask for less, or download a dump",
                wants_html,
            )
        if reply.status == "not_acceptable":
            return self.not_acceptable()
        if wants_html and reply.kind != "triples":  # Python work on a large answer: a thread
            return await anyio.to_thread.run_sync(self.sparql_page, query, reply.body)
        media = graph_format if reply.kind == "triples" else result_format
        assert media is not None
        rendered = Rendered(reply.body, media.media_type, (("Vary", "Accept"),))
        key = answer_key(request.scope)
        if request.method == "GET" and len(key) <= MAX_KEY and not shape.keywords & UNSTABLE:
            return entry_response(self.cache.put(key, rendered), None)
        return Response(reply.body, media_type=media.media_type, headers={"Vary": "Accept"})

    def not_acceptable(self) -> Response:
        formats = ", ".join(f.media_type for f in conneg.RESULT_FORMATS)
        return self.problem(406, f"results are available as: {formats}")

    def sparql_page(self, query: str, body: bytes) -> Response:
        """An answer as an HTML table, its first ``html_rows`` rows (the formats carry all)."""
        answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        result: dict[str, Any]
        if isinstance(answer, ox.QueryBoolean):
            result = {"boolean": bool(answer)}
        else:
            variables = [v.value for v in answer.variables]
            rows = list(itertools.islice(answer, self.settings.html_rows + 1))
            result = {
                "variables": variables,
                "rows": [
                    [
                        value_of(self.site, row[v], {}) if row[v] is not None else None
                        for v in variables
                    ]
                    for row in rows[: self.settings.html_rows]
                ],
                "cut": len(rows) > self.settings.html_rows,
            }
        return self.page(
            "sparql.html",
            at="/sparql",
            title="SPARQL",
            queries=self.queries,
            query=query,
            result=result,
        )

    def service_description(self, request: Request) -> Response:
        fmt = conneg.negotiate(request.headers.get("accept"), conneg.GRAPH_FORMATS) or conneg.TURTLE
        endpoint = ox.NamedNode(self.settings.public_url + "sparql")
        sd = "http://www.w3.org/ns/sparql-service-description#"
        description = f"""
            @prefix sd: <{sd}> .
            <{endpoint.value}> a sd:Service ;
                sd:endpoint <{endpoint.value}> ;
                sd:supportedLanguage sd:SPARQL11Query ;
                sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_CSV>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
                    <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
                    <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/RDF_XML> ;
                {"sd:feature sd:BasicFederatedQuery ;" if self.settings.allow_service else ""}
                sd:defaultDataset [ a sd:Dataset ;
                    sd:defaultGraph [ a sd:Graph ] ;
                    sd:namedGraph [ a sd:NamedGraph ; sd:name <{ONTOLOGY_IRI}> ] ] .
        """
        triples = list(ox.parse(description.encode(), format=ox.RdfFormat.TURTLE))
        body = serialize.graph(triples, fmt.name, self.context)
        return Response(body, media_type=fmt.media_type)

    # -- reconciliation ------------------------------------------------------------------------

    async def reconciliation(self, request: Request) -> Response:
        params = form_fields(request.url.query, "query string", blanks=False)
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            for key, values in form_fields(body, "request body", blanks=False).items():
                params.setdefault(key, []).extend(values)
        callback = callback_of(params)
        if "queries" not in params:
            described = reconcile.manifest(self.settings.public_url, self.settings.reconcile_batch)
            return json_response(described, callback)
        try:
            batch = json.loads(params["queries"][0])
            if not isinstance(batch, dict):
                raise ValueError("expected an object of query objects")
            if len(batch) > self.settings.reconcile_batch:
                raise ValueError(
                    f"{len(batch)} queries; this service takes at most "
                    f"{self.settings.reconcile_batch} in one batch"
                )
            queries = {str(key): reconcile.checked(query) for key, query in batch.items()}
            # a lone surrogate (a JSON escape such as \ud800) cannot be written back as UTF-8
            json.dumps(batch, ensure_ascii=False).encode()
        except RecursionError:
            raise Refused(400, "queries is nested too deeply to be a batch") from None
        except ValueError as exc:
            raise Refused(400, f"queries is not a batch of reconciliation queries: {exc}") from exc
        entities = await anyio.to_thread.run_sync(lambda: self.site.reconcilable)
        deadline = time.monotonic() + self.settings.time_limit

        def answer() -> dict[str, Any]:  # TimeoutError past the deadline: a 503
            return {
                key: {"result": reconcile.reconcile(entities, query, deadline)}
                for key, query in queries.items()
            }

        # one batch is matched at a time (matching is Python, holding the interpreter): the
        # others wait, within the same time limit, and the rest of the site keeps answering
        with anyio.fail_after(self.settings.time_limit):
            async with self.matching:
                return json_response(await anyio.to_thread.run_sync(answer), callback)

    async def reconciliation_suggest(self, request: Request) -> Response:
        callback = callback_of(form_fields(request.url.query, "query string", blanks=False))
        prefix = request.query_params.get("prefix", "")[: reconcile.MAX_NAME]
        entities = await anyio.to_thread.run_sync(lambda: self.site.reconcilable)
        found = await anyio.to_thread.run_sync(lambda: reconcile.suggest(entities, prefix))
        return json_response({"result": found}, callback)

    async def reconciliation_preview(self, request: Request) -> Response:
        wanted = request.query_params.get("id", "")
        entities = await anyio.to_thread.run_sync(lambda: self.site.reconcilable)
        entity = next((e for e in entities if e.id == wanted), None)
        if entity is None:
            return self.problem(404, f"no entity {wanted[:200]!r}", True)
        return self.page("preview.html", entity=entity)

    # -- downloads -----------------------------------------------------------------------------

    async def dumps(self, request: Request) -> Response:
        wanted = conneg.negotiate(request.headers.get("accept"), (conneg.HTML, conneg.JSONLD))
        if wanted is conneg.JSONLD:
            sizes = {name: (self.site.dist / name).stat().st_size for name in self.site.dump_names}
            return Response(json.dumps({"dumps": sizes}), media_type="application/json")
        return await self.cached(request, "/dumps/", self.renderer.dumps_page, {"Vary": "Accept"})

    async def dump(self, request: Request) -> Response:
        """``/dumps/{name}``, a table ``/dumps/tables/{name}``, and the same files at the paths
        the release's description gives them, ``/dumps/{version}/…`` (``export.versioned_url``);
        this server holds its build's release only. Only files the build listed are served."""
        name = request.path_params["name"]
        version, slash, rest = name.partition("/")
        if slash and version[:1].isdigit():
            if version != self.site.release.version:
                return self.problem(
                    404,
                    f"this server holds release {self.site.release.version} only, not "
                    f"{version[:40]!r}; see /dumps/",
                )
            name = rest
        if name not in self.site.dump_names and name != "SHA256SUMS":
            return self.problem(404, f"no dump named {name[:200]!r}; see /dumps/")
        media = media_type_of(name)
        return FileResponse(self.site.dist / name, media_type=media)

    async def void(self, request: Request) -> Response:
        return FileResponse(self.site.dist / "void.ttl", media_type="text/turtle")

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home),
            Route("/id/{path:path}", self.resource),
            Route("/sparql", self.sparql, methods=["GET", "POST"]),
            Route("/dumps/", self.dumps),
            Route("/search", self.search),
            Route("/search/", self.search),
            Route("/search.json", self.search),
            Route("/search/index.json", self.search_index),
            Route("/assets/{name}", self.asset),
            Route("/classes/{name}", self.classes),
            Route("/def", self.ontology),
            Route("/def.{suffix}", self.ontology),
            Route("/reconcile", self.reconciliation, methods=["GET", "POST"]),
            Route("/reconcile/suggest/entity", self.reconciliation_suggest),
            Route("/reconcile/preview", self.reconciliation_preview),
            Route("/dumps/{name:path}", self.dump),
            Route("/.well-known/void", self.void),
            Route("/void.ttl", self.void),
        ]


#: What a client's request raises that ``Application.failure`` answers.
FAILURES: tuple[type[Exception], ...] = (Refused, TimeoutError, ClientDisconnect)


def sparql_lane(app: ASGIApp, application: Application) -> ASGIApp:
    """GET and POST ``/sparql`` handed to the endpoint's handler at once, before Starlette's
    routing and middleware: for a query never asked before they cost more than its evaluation.
    The same handler, error answers and CORS header as through the router; every other
    request (``HEAD``, a preflight, other paths) goes on to ``app``."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/sparql" or scope["method"] not in LANE:
            await app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await application.sparql(request)
        except FAILURES as exc:
            response = await application.failure(request, exc)
        response.raw_headers.append(ANY_ORIGIN)
        await response(scope, receive, send)

    return serve


LANE = frozenset({"GET", "POST"})


def site_app(application: Application) -> Starlette:
    """Starlette's routing over ``application``'s handlers, with CORS on every response."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(application.prime)
        threading.Thread(target=application.warm, daemon=True).start()
        yield
        application.pool.close()

    app = Starlette(
        routes=application.routes(),
        middleware=[Middleware(OpenToEveryOrigin)],
        exception_handlers=dict.fromkeys(FAILURES, application.failure),
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # its redirects name the request's Host
    return app


def create_app(
    dist: Path, queries_dir: Path, context: dict[str, Any], settings: ServeSettings | None = None
) -> ASGIApp:
    """The ASGI app serving ``dist`` (built by ``dialoguekg build``): the SPARQL lane in front
    of the site's routes."""
    application = Application(dist, queries_dir, context, settings or ServeSettings())
    return sparql_lane(site_app(application), application)


def create_asgi(
    dist: Path,
    queries_dir: Path,
    context: dict[str, Any],
    settings: ServeSettings | None = None,
    loading: Loading | None = None,
) -> ASGIApp:
    """The application with the cache's fast path in front of it, as ``serve`` runs it;
    ``loading``: the dump of ``dist`` already loading."""
    application = Application(dist, queries_dir, context, settings or ServeSettings(), loading)
    return fast_path(sparql_lane(site_app(application), application), application.cache)
