"""Publish the built graph as Linked Data: entity documents, a SPARQL endpoint, the dumps.

An ASGI app (Starlette) over an embedded pyoxigraph store loaded from ``dist/dialoguekg.nq``.

- ``/id/{kind}/{key}`` is the thing; it answers ``303 See Other`` to the document in the format
  the client negotiates (``Accept`` with q-values, or ``?format=``), with ``Vary: Accept``
  ("Cool URIs for the Semantic Web", https://www.w3.org/TR/cooluris/, the 303 recipe).
- ``/id/{kind}/{key}.{ttl,jsonld,nt,rdf,html}`` is the document: the resource's own triples,
  the triples pointing at it (labelled, paged with ``?page=``), the claims behind its facts and
  their sources; ``Link: rel="alternate"`` names every other format.
- ``/sparql`` speaks the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/),
  read-only: updates are refused, ``SERVICE`` is refused unless the operator allows it, and a
  result-row cap answers with a clear error. Browsers get a query page.
- ``/dumps/`` lists and serves the files of ``dist/``; ``/.well-known/void`` is ``void.ttl``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import anyio
import anyio.to_thread
import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import conneg, reconcile
from .conneg import Format
from .errors import QueryError
from .pages import RDFS_LABEL, Event, SearchIndex, text, timeline_svg, value_of, view
from .query import LocalStore, query_form, shipped_queries, strip_comments
from .vocab import ID, ONTOLOGY_IRI, PREFIXES, curie

RDF_SUBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
RESULT_OX_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


@dataclass(frozen=True)
class ServeSettings:
    """What an operator may set; each has a ``serve`` option in the CLI."""

    row_limit: int = 10_000
    time_limit: float = 30.0  # seconds
    query_workers: int = 4  # queries evaluated at once; more wait for a free worker
    page_size: int = 50
    allow_service: bool = False
    base: str | None = None  # web base the graph's IRIs are rewritten to in documents


class Site:
    """The published graph: the store, labels of the ontology's terms, and the dumps folder."""

    def __init__(self, dist: Path, queries_dir: Path, settings: ServeSettings) -> None:
        self.dist = dist
        self.settings = settings
        self.store = LocalStore(dist / "dialoguekg.nq").store
        # federated queries need SERVICE, which this endpoint refuses by default
        self.queries = [q for q in shipped_queries(queries_dir) if not q.federated]
        self.term_labels = {
            str(row["p"].value): str(row["l"].value)
            for row in self.select(
                f"SELECT ?p ?l WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?p <{RDFS_LABEL.value}> ?l }} }}"
            )
        }
        self.search_index = SearchIndex(self.store)
        self.reconcilable = reconcile.entities(self.store)
        self.dump_names = sorted(
            line.split("  ", 1)[1]
            for line in (dist / "SHA256SUMS").read_text(encoding="ascii").splitlines()
            if "  " in line
        )

    def select(self, sparql: str) -> list[ox.QuerySolution]:
        answer = self.store.query(sparql)
        assert isinstance(answer, ox.QuerySolutions)
        return list(answer)

    def exists(self, iri: str) -> bool:
        return bool(self.store.query(f"ASK {{ <{iri}> ?p ?o }}"))

    def curie(self, iri: str) -> str:
        return curie(iri) or iri

    def label_of_term(self, iri: str) -> str:
        return self.term_labels.get(iri) or self.curie(iri)

    def meetings(self, party: str | None = None) -> list[Event]:
        """The meetings in time order; with ``party``, those it took part in."""
        attended = (
            f"?p <{PREFIXES['dkg']}onBehalfOf> <{party}> ; <{PREFIXES['dkg']}event> ?e . "
            "?e <http://schema.org/superEvent>? ?m ."
            if party
            else ""
        )
        rows = self.select(f"""
            SELECT ?m ?label (MIN(?date) AS ?start) WHERE {{ {attended}
              ?m a <{PREFIXES["dkg"]}Meeting> ; <{RDFS_LABEL.value}> ?label ;
                 <http://schema.org/startDate> ?date }}
            GROUP BY ?m ?label ORDER BY ?start ?label""")
        return [
            Event("/id/" + r["m"].value[len(str(ID)) :], r["label"].value, r["start"].value)
            for r in rows
        ]


# ---------------------------------------------------------------------------------------------
# Resource descriptions
# ---------------------------------------------------------------------------------------------


def construct(store: ox.Store, sparql: str) -> list[ox.Triple]:
    """The triples of a CONSTRUCT query."""
    answer = store.query(sparql)
    assert isinstance(answer, ox.QueryTriples)
    return list(answer)


def describe(site: Site, iri: str, page: int) -> tuple[list[ox.Triple], bool]:
    """The triples that describe ``iri``: one page of each of its own properties and of what
    points at it (labelled), the claims behind its facts and their sources; and whether a
    further page exists."""
    size = site.settings.page_size
    own = f"""
        CONSTRUCT {{
            <{iri}> ?p ?o . ?o <{RDFS_LABEL.value}> ?ol .
            ?claim ?cp ?co . ?source <{RDFS_LABEL.value}> ?sl ; <http://schema.org/url> ?su .
        }} WHERE {{
            {{ <{iri}> ?p ?o . OPTIONAL {{ ?o <{RDFS_LABEL.value}> ?ol }} }}
            UNION
            {{ ?claim <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <{iri}> ; ?cp ?co .
               OPTIONAL {{ ?claim <http://www.w3.org/ns/prov#wasDerivedFrom> ?source .
                          ?source <{RDFS_LABEL.value}> ?sl ; <http://schema.org/url> ?su }} }}
            UNION
            {{ <{iri}> <http://purl.org/dc/terms/source>|<http://www.w3.org/ns/prov#wasDerivedFrom>
                   ?source .
               ?source <{RDFS_LABEL.value}> ?sl ; <http://schema.org/url> ?su }}
        }}"""
    triples, more_own = _page_own(construct(site.store, own), iri, page, size)
    backlink_subjects = site.select(
        # claims point at their subject too; they are part of the description already
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p <{iri}> FILTER (?p != <{RDF_SUBJECT}>) }} ORDER BY ?s "
        f"LIMIT {size + 1} OFFSET {(page - 1) * size}"
    )
    more = more_own or len(backlink_subjects) > size
    subjects = " ".join(str(row["s"]) for row in backlink_subjects[:size])
    if subjects:
        triples += construct(
            site.store,
            f"""
            CONSTRUCT {{ ?s ?p <{iri}> . ?s <{RDFS_LABEL.value}> ?l }}
            WHERE {{ VALUES ?s {{ {subjects} }} ?s ?p <{iri}> .
                     OPTIONAL {{ ?s <{RDFS_LABEL.value}> ?l }} }}""",
        )

    unique = {(str(t.subject), str(t.predicate), str(t.object)): t for t in triples}
    return [unique[k] for k in sorted(unique)], more


def _page_own(
    triples: list[ox.Triple], iri: str, page: int, size: int
) -> tuple[list[ox.Triple], bool]:
    """Keep one page (``size`` values) of each of ``iri``'s own properties; its types and label
    stay on every page. Returns the kept triples and whether any property has more values."""
    always = {RDFS_LABEL.value, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    by_property: dict[str, list[ox.Triple]] = {}
    for triple in triples:
        if text(triple.subject) == iri and triple.predicate.value not in always:
            by_property.setdefault(triple.predicate.value, []).append(triple)
    dropped: set[str] = set()
    more = False
    for values in by_property.values():
        values.sort(key=str)
        more = more or len(values) > page * size
        kept = values[(page - 1) * size : page * size]
        dropped.update(str(t) for t in values if t not in kept)
    return [t for t in triples if str(t) not in dropped], more


DATASET_BASE = "https://w3id.org/dialoguekg/"


def rebase_iri(iri: str, base: str | None) -> str:
    """``iri`` under the web base ``base`` when it is one of the graph's own IRIs."""
    if base and iri.startswith(DATASET_BASE):
        return base + iri[len(DATASET_BASE) :]
    return iri


def rebase(triples: list[ox.Triple], base: str | None) -> list[ox.Triple]:
    """The triples with the graph's IRIs moved to ``base`` (Pubby's dataset base → web base),
    so that links followed from a served document stay on this server."""
    if not base:
        return triples

    def term(t: Any) -> Any:
        return ox.NamedNode(rebase_iri(t.value, base)) if isinstance(t, ox.NamedNode) else t

    return [ox.Triple(term(t.subject), term(t.predicate), term(t.object)) for t in triples]


def serialize(triples: Iterable[ox.Triple], fmt: Format, context: dict[str, Any]) -> bytes:
    """RDF in ``fmt``; JSON-LD is compacted with the project's context, like the dump."""
    triples = list(triples)
    if fmt.name == "jsonld":
        from .export import jsonld

        text = bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
        return jsonld(sorted(line for line in text.split("\n") if line), context)
    prefixes = {p: ns for p, ns in PREFIXES.items() if p != "id"}
    output = ox.serialize(triples, format=OX_FORMATS[fmt.name], prefixes=prefixes)
    return bytes(output or b"")


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------


def create_app(
    dist: Path, queries_dir: Path, context: dict[str, Any], settings: ServeSettings | None = None
) -> Starlette:
    """The ASGI app serving ``dist`` (built by ``dialoguekg build``)."""
    site = Site(dist, queries_dir, settings or ServeSettings())
    limiter = anyio.CapacityLimiter(site.settings.query_workers)
    templates = Environment(
        loader=PackageLoader("dialoguekg", "templates"), autoescape=select_autoescape(["html"])
    )

    def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = templates.get_template(template).render(**values)
        return HTMLResponse(body, status_code=status)

    def problem(status: int, message: str, fmt: Format | None = None) -> Response:
        if fmt is conneg.HTML:
            return page("error.html", status, title=f"{status}", message=message)
        return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")

    async def home(request: Request) -> Response:
        meetings = site.select("""
            PREFIX dkg: <https://w3id.org/dialoguekg/def#> PREFIX schema: <http://schema.org/>
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?m ?label ?type (MIN(?s) AS ?start) (MAX(?e) AS ?end) WHERE {
              ?m a dkg:Meeting ; rdfs:label ?label ; schema:startDate ?s .
              OPTIONAL { ?m schema:endDate ?e }
              VALUES (?class ?type) { (dkg:PartyDialogue "party dialogue")
                (dkg:ThinkTankForum "think-tank forum") (dkg:Briefing "briefing")
                (dkg:ForeignHostedPartyEvent "hosted by another party") }
              ?m a ?class }
            GROUP BY ?m ?label ?type ORDER BY ?start ?label""")
        counts = site.select("""
            SELECT ?class (COUNT(DISTINCT ?s) AS ?n)
            WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class""")
        return page(
            "home.html",
            title="dialoguekg",
            timeline=Markup(timeline_svg(site.meetings())),
            meetings=[
                (
                    m["m"].value[len(str(ID)) :],
                    m["label"].value,
                    m["type"].value,
                    m["start"].value,
                    m["end"].value if m["end"] is not None else "",
                )
                for m in meetings
            ],
            counts=[
                (
                    site.label_of_term(c["class"].value),
                    int(c["n"].value),
                    "/classes/" + c["class"].value[len(PREFIXES["dkg"]) :]
                    if c["class"].value.startswith(PREFIXES["dkg"])
                    else None,
                )
                for c in counts
            ],
            triples=len(site.store),
            dumps=site.dump_names,
        )

    async def resource(request: Request) -> Response:
        path = request.path_params["path"]
        wanted = conneg.negotiate(request.headers.get("accept"), conneg.RESOURCE_FORMATS)
        iri = str(ID) + path
        if site.exists(iri):
            requested = request.query_params.get("format")
            fmt = conneg.by_suffix(requested) if requested else wanted
            if fmt is None:
                return problem(
                    406,
                    f"not available as {requested or request.headers.get('accept')}; "
                    "choose one of: " + ", ".join(f.media_type for f in conneg.RESOURCE_FORMATS),
                )
            return RedirectResponse(
                f"/id/{quote(path)}.{fmt.suffix}", status_code=303, headers={"Vary": "Accept"}
            )
        stem, _, suffix = path.rpartition(".")
        fmt = conneg.by_suffix(suffix) if stem else None
        if fmt is None or not site.exists(str(ID) + stem):
            return problem(404, f"no resource {iri}", wanted)
        return document(request, str(ID) + stem, stem, fmt)

    def document(request: Request, iri: str, path: str, fmt: Format) -> Response:
        try:
            page_number = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            return problem(400, "page must be a whole number", fmt)
        triples, more = describe(site, iri, page_number)
        links = [
            f'</id/{quote(path)}.{f.suffix}>; rel="alternate"; type="{f.media_type}"'
            for f in conneg.RESOURCE_FORMATS
            if f is not fmt
        ]
        links.append(f'<{rebase_iri(iri, site.settings.base)}>; rel="describes"')
        if more:
            links.append(f'</id/{quote(path)}.{fmt.suffix}?page={page_number + 1}>; rel="next"')
        if page_number > 1:
            links.append(f'</id/{quote(path)}.{fmt.suffix}?page={page_number - 1}>; rel="prev"')
        headers = {"Link": ", ".join(links)}
        if fmt is conneg.HTML:
            party = ox.Triple(ox.NamedNode(iri), RDF_TYPE, ox.NamedNode(PREFIXES["dkg"] + "Party"))
            is_party = party in triples
            response = page(
                "resource.html",
                timeline=Markup(timeline_svg(site.meetings(iri))) if is_party else "",
                **view(site, iri, triples),
                path=path,
                page=page_number,
                more=more,
                formats=[f for f in conneg.RESOURCE_FORMATS if f is not conneg.HTML],
            )
            response.headers.update(headers)
            return response
        body = serialize(rebase(triples, site.settings.base), fmt, context)
        return Response(body, media_type=fmt.media_type, headers=headers)

    async def sparql(request: Request) -> Response:
        try:
            protocol = await read_protocol(request)
        except ProtocolError as exc:
            return problem(exc.status, str(exc))
        query = protocol.query
        accept = request.headers.get("accept")
        wants_html = conneg.negotiate(accept, (*conneg.RESULT_FORMATS, conneg.HTML)) is conneg.HTML
        if query is None:
            if wants_html:
                return page(
                    "sparql.html", title="SPARQL", queries=site.queries, query="", result=None
                )
            return service_description(request)
        try:
            query_form(query)  # refuses anything that is not a query, updates included
        except QueryError as exc:
            return problem(400, str(exc))
        if not site.settings.allow_service and re.search(
            r"\bSERVICE\b", _without_terms(query), re.I
        ):
            return problem(
                403,
                "SERVICE is not allowed on this endpoint: it would make requests "
                "to other servers on behalf of strangers; run the query on your own machine",
            )
        options = {
            "base_iri": str(request.url.replace(query="")),  # relative IRIs resolve against us
            "default_graph": [ox.NamedNode(g) for g in protocol.default_graphs] or None,
            "named_graphs": [ox.NamedNode(g) for g in protocol.named_graphs] or None,
        }
        stop = threading.Event()
        try:
            with anyio.fail_after(site.settings.time_limit):
                answer = await anyio.to_thread.run_sync(
                    lambda: evaluate(site.store, query, options, site.settings.row_limit, stop),
                    limiter=limiter,
                    abandon_on_cancel=True,
                )
        except TimeoutError:
            stop.set()
            return problem(
                503,
                f"the query ran longer than {site.settings.time_limit:g} s, the limit of this "
                "endpoint; narrow it, or run it on a downloaded dump",
            )
        except SyntaxError as exc:
            return problem(400, f"the query is not valid SPARQL: {exc}")
        except (OSError, ValueError) as exc:
            return problem(400, f"the query failed: {exc}")
        if answer.over_limit:
            return problem(
                400,
                f"the result has more than {site.settings.row_limit} rows, the limit of this "
                "endpoint; add a LIMIT, or download a dump",
            )
        if answer.triples is not None:
            graph_format = conneg.negotiate(accept, conneg.GRAPH_FORMATS) or conneg.TURTLE
            body = serialize(answer.triples, graph_format, context)
            return Response(body, media_type=graph_format.media_type)
        if wants_html:
            return sparql_page(query, answer)
        fmt = conneg.negotiate(accept, conneg.RESULT_FORMATS)
        if fmt is None:
            return problem(
                406,
                "results are available as: "
                + ", ".join(f.media_type for f in conneg.RESULT_FORMATS),
            )
        return Response(answer.serialize(fmt), media_type=fmt.media_type)

    def sparql_page(query: str, answer: Answer) -> Response:
        result: dict[str, Any]
        if answer.boolean is not None:
            result = {"boolean": answer.boolean}
        else:
            result = {
                "variables": answer.variables,
                "rows": [
                    [
                        value_of(site, row[v], {}) if row[v] is not None else None
                        for v in answer.variables
                    ]
                    for row in answer.rows or []
                ],
            }
        return page("sparql.html", title="SPARQL", queries=site.queries, query=query, result=result)

    def service_description(request: Request) -> Response:
        fmt = conneg.negotiate(request.headers.get("accept"), conneg.GRAPH_FORMATS) or conneg.TURTLE
        endpoint = str(request.url.replace(query=""))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        description = f"""
            @prefix sd: <{sd}> .
            <{endpoint}> a sd:Service ;
                sd:endpoint <{endpoint}> ;
                sd:supportedLanguage sd:SPARQL11Query ;
                sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_CSV>,
                    <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
                    <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,
                    <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/RDF_XML> ;
                sd:feature sd:BasicFederatedQuery ;
                sd:defaultDataset [ a sd:Dataset ;
                    sd:defaultGraph [ a sd:Graph ] ;
                    sd:namedGraph [ a sd:NamedGraph ; sd:name <{ONTOLOGY_IRI}> ] ] .
        """
        if not site.settings.allow_service:
            description = description.replace("sd:feature sd:BasicFederatedQuery ;", "")
        triples = list(ox.parse(description.encode(), format=ox.RdfFormat.TURTLE))
        return Response(serialize(triples, fmt, context), media_type=fmt.media_type)

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "")
        hits = site.search_index.search(q, limit=int(request.query_params.get("limit", "10") or 10))
        wanted = conneg.negotiate(request.headers.get("accept"), (conneg.HTML, conneg.JSONLD))
        if request.url.path.endswith(".json") or wanted is conneg.JSONLD:
            return Response(
                json.dumps([hit.__dict__ for hit in hits], ensure_ascii=False),
                media_type="application/json",
            )
        return page("search.html", title=f"Search: {q}", q=q, hits=hits)

    async def classes(request: Request) -> Response:
        name = request.path_params["name"]
        cls = f"{PREFIXES['dkg']}{name}"
        if not re.fullmatch(r"[A-Za-z]+", name) or cls not in site.term_labels:
            return problem(404, f"no class {name!r} in the ontology", conneg.HTML)
        rows = site.select(
            f"SELECT ?s ?l WHERE {{ ?s a <{cls}> . OPTIONAL {{ ?s <{RDFS_LABEL.value}> ?l }} }}"
        )
        members = sorted(
            (r["l"].value if r["l"] else r["s"].value, "/id/" + r["s"].value[len(str(ID)) :])
            for r in rows
        )
        return page("class.html", title=site.term_labels[cls], name=name, members=members)

    async def ontology(request: Request) -> Response:
        requested = request.query_params.get("format")
        wanted = (
            conneg.by_suffix(requested)
            if requested
            else conneg.negotiate(request.headers.get("accept"), conneg.RESOURCE_FORMATS)
        )
        if wanted is None:
            return problem(406, "the ontology is available as: html, ttl, jsonld, nt, rdf")
        quads = site.store.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_IRI)))
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        if wanted is not conneg.HTML:
            return Response(
                serialize(triples, wanted, context),
                media_type=wanted.media_type,
                headers={"Vary": "Accept"},
            )
        return page("ontology.html", title="Ontology", terms=ontology_terms(site, triples))

    async def reconciliation(request: Request) -> Response:
        params = parse_qs(request.url.query)
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            for key, values in parse_qs(body).items():
                params.setdefault(key, []).extend(values)
        callback = params.get("callback", [None])[0]
        if callback is not None and not re.fullmatch(r"[A-Za-z_$][\w$.]{0,60}", callback):
            return problem(400, "callback must be a JavaScript identifier")
        if "queries" not in params:
            return _json(reconcile.manifest(str(request.base_url)), callback)
        try:
            queries = json.loads(params["queries"][0])
            if not isinstance(queries, dict) or not all(
                isinstance(q, dict) for q in queries.values()
            ):
                raise ValueError("expected an object of query objects")
        except ValueError as exc:
            return problem(400, f"queries is not a batch of reconciliation queries: {exc}")
        answer = {
            key: {"result": reconcile.reconcile(site.reconcilable, query)}
            for key, query in queries.items()
        }
        return _json(answer, callback)

    async def reconciliation_suggest(request: Request) -> Response:
        prefix = request.query_params.get("prefix", "")
        return _json(
            {"result": reconcile.suggest(site.reconcilable, prefix)},
            request.query_params.get("callback"),
        )

    async def reconciliation_preview(request: Request) -> Response:
        wanted = request.query_params.get("id", "")
        entity = next((e for e in site.reconcilable if e.id == wanted), None)
        if entity is None:
            return problem(404, f"no entity {wanted!r}", conneg.HTML)
        return page("preview.html", entity=entity)

    async def dumps(request: Request) -> Response:
        wanted = conneg.negotiate(request.headers.get("accept"), (conneg.HTML, conneg.JSONLD))
        sizes = {name: (site.dist / name).stat().st_size for name in site.dump_names}
        if wanted is conneg.JSONLD:
            return Response(json.dumps({"dumps": sizes}), media_type="application/json")
        return page(
            "dumps.html",
            title="Downloads",
            dumps=sorted(sizes.items()),
            sums=(site.dist / "SHA256SUMS").read_text(encoding="ascii"),
        )

    async def dump(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in site.dump_names and name != "SHA256SUMS":
            return problem(404, f"no dump named {name!r}; see /dumps/")
        suffix = name.rsplit(".", 1)[-1]
        media = {
            "ttl": "text/turtle",
            "jsonld": "application/ld+json",
            "nt": "application/n-triples",
            "trig": "application/trig",
            "nq": "application/n-quads",
        }.get(suffix, "text/plain")
        return FileResponse(site.dist / name, media_type=media)

    async def void(request: Request) -> Response:
        return FileResponse(site.dist / "void.ttl", media_type="text/turtle")

    routes = [
        Route("/", home),
        Route("/id/{path:path}", resource),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/dumps/", dumps),
        Route("/search", search),
        Route("/search.json", search),
        Route("/classes/{name}", classes),
        Route("/def", ontology),
        Route("/reconcile", reconciliation, methods=["GET", "POST"]),
        Route("/reconcile/suggest/entity", reconciliation_suggest),
        Route("/reconcile/preview", reconciliation_preview),
        Route("/dumps/{name}", dump),
        Route("/.well-known/void", void),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Accept", "Content-Type"],
        )
    ]
    return Starlette(routes=routes, middleware=middleware)


@dataclass
class Answer:
    """A query's answer, read in the worker: a boolean, solutions, or triples."""

    boolean: bool | None = None
    variables: list[str] = field(default_factory=list)
    rows: list[ox.QuerySolution] | None = None
    triples: list[ox.Triple] | None = None
    over_limit: bool = False

    def serialize(self, fmt: Format) -> bytes:
        """SELECT or ASK results in ``fmt``, written by pyoxigraph's spec-conformant writers."""
        if self.boolean is not None:
            document: dict[str, Any] = {"head": {}, "boolean": self.boolean}
        else:
            bindings = [
                {v: _json_term(row[v]) for v in self.variables if row[v] is not None}
                for row in self.rows or []
            ]
            document = {"head": {"vars": self.variables}, "results": {"bindings": bindings}}
        parsed = ox.parse_query_results(
            json.dumps(document).encode(), format=ox.QueryResultsFormat.JSON
        )
        return bytes(parsed.serialize(format=RESULT_OX_FORMATS[fmt.name]) or b"")


def evaluate(
    store: ox.Store, query: str, options: dict[str, Any], row_limit: int, stop: threading.Event
) -> Answer:
    """Run ``query`` and read its answer, at most ``row_limit`` rows, until ``stop`` is set.

    Runs in a worker thread: pyoxigraph releases the GIL while it evaluates, so the server
    keeps answering. A step of evaluation already under way cannot be interrupted; ``stop``
    ends the reading at the next row.
    """
    result = store.query(query, **options)
    if isinstance(result, ox.QueryBoolean):
        return Answer(boolean=bool(result))
    items: list[Any] = []
    for item in result:
        if stop.is_set():
            break
        if len(items) == row_limit:
            return Answer(over_limit=True)
        items.append(item)
    if isinstance(result, ox.QueryTriples):
        return Answer(triples=items)
    return Answer(variables=[v.value for v in result.variables], rows=items)


class ProtocolError(Exception):
    """A SPARQL Protocol request the endpoint refuses, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ProtocolRequest:
    """A query with the dataset the protocol request names (empty: the store's own)."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


READ_ONLY = "this endpoint is read-only: SPARQL update is refused"


def _json(document: Any, callback: str | None = None) -> Response:
    """JSON, or JSONP when the client names a callback (older reconciliation clients do)."""
    body = json.dumps(document, ensure_ascii=False)
    if callback:
        return Response(f"{callback}({body});", media_type="application/javascript")
    return Response(body, media_type="application/json")


def ontology_terms(site: Site, triples: list[ox.Triple]) -> list[dict[str, Any]]:
    """The ontology's classes and properties with label, comment and type, for its page."""
    by_term: dict[str, dict[str, str]] = {}
    for t in triples:
        s = t.subject.value if isinstance(t.subject, ox.NamedNode) else ""
        if not s.startswith(PREFIXES["dkg"]):
            continue
        term = by_term.setdefault(s, {"iri": s, "name": s[len(PREFIXES["dkg"]) :]})
        p = t.predicate.value
        if p.endswith("#label"):
            term["label"] = t.object.value if isinstance(t.object, ox.Literal) else ""
        elif p.endswith("#comment"):
            term["comment"] = t.object.value if isinstance(t.object, ox.Literal) else ""
        elif p.endswith("#type") and isinstance(t.object, ox.NamedNode):
            term["kind"] = site.curie(t.object.value)
    return sorted(by_term.values(), key=lambda term: (term.get("kind", ""), term["name"]))


async def read_protocol(request: Request) -> ProtocolRequest:
    """The query and dataset of a SPARQL Protocol request: GET ``?query=``, POST form-encoded,
    or POST ``application/sparql-query``; raises ProtocolError for what the protocol refuses."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise ProtocolError(403, READ_ONLY)
    queries = params.get("query", [])
    if request.method == "POST":
        media, _, parameters = request.headers.get("content-type", "").partition(";")
        media = media.strip().lower()
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.I)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            raise ProtocolError(400, f"charset {charset.group(1)} is not supported; send UTF-8")
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(400, f"the request body is not UTF-8 ({exc.reason})") from exc
        if media == "application/sparql-update":
            raise ProtocolError(403, READ_ONLY)
        if media == "application/sparql-query":
            if queries:
                raise ProtocolError(400, "a query in the body and in the URL at once")
            queries = [body]
        elif media == "application/x-www-form-urlencoded":
            form = parse_qs(body, keep_blank_values=True)
            if "update" in form:
                raise ProtocolError(403, READ_ONLY)
            queries = queries + form.get("query", [])
            for key in ("default-graph-uri", "named-graph-uri"):
                params[key] = params.get(key, []) + form.get(key, [])
        else:
            raise ProtocolError(
                415,
                f"unsupported content type {media or '(none)'!r}; use application/sparql-query "
                "or application/x-www-form-urlencoded",
            )
        if not queries:
            raise ProtocolError(400, "no query in the request")
    if len(queries) > 1:
        raise ProtocolError(400, "send exactly one query parameter")
    return ProtocolRequest(
        queries[0] if queries else None,
        tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])),
    )


def _without_terms(query: str) -> str:
    """The query without comments, IRIs and strings, to look for keywords."""
    stripped = re.sub(r"<[^\s<>]*>", "<>", strip_comments(query))
    return re.sub(
        r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"",
        '""',
        stripped,
        flags=re.S,
    )


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out
