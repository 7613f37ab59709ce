"""The SPARQL 1.1 Protocol, read-only: what a request asks, and what the endpoint refuses
before any engine sees the query.

https://www.w3.org/TR/sparql11-protocol/ — GET ``?query=``, POST form-encoded, or POST
``application/sparql-query``; updates are refused (403). Before a query is handed to a worker
it is measured: its length and nesting depth (deep nesting crashes the engine's parser), and
whether it uses ``SERVICE`` as the lexer reads it (codepoint escapes applied, strings, IRIs
and comments told apart), for a clear 403; the worker's sandbox is what makes a federated
call impossible whatever the spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

import pyoxigraph as ox
from starlette.requests import Request

from ..errors import RequestError
from .lexer import Outline, outline
from .settings import ServeSettings

READ_ONLY = "this endpoint is read-only: SPARQL update is refused"
FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})


class Refused(RequestError):
    """A request the server refuses (4xx), with a message for the client."""


#: Fields of a query string or form body parsed at most (on the event loop: counting them is
#: cheap, parsing a million of them is not); a SPARQL or reconciliation request has a handful.
MAX_FIELDS = 100


def form_fields(text: str, what: str, *, blanks: bool = True) -> dict[str, list[str]]:
    """The fields of a query string or form body (``blanks``: empty ones too); Refused (400)
    when there are more than ``MAX_FIELDS`` or a percent-encoded value is not UTF-8."""
    try:
        return parse_qs(text, keep_blank_values=blanks, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the {what} is not UTF-8 once decoded ({exc.reason})") from exc
    except ValueError:
        raise Refused(400, f"the {what} has more than {MAX_FIELDS} fields") from None


@dataclass(frozen=True)
class ProtocolRequest:
    """A query with the dataset the protocol request names (empty: the store's own)."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


async def read_protocol(request: Request) -> ProtocolRequest:
    """The query and dataset of a SPARQL Protocol request; raises Refused for what the
    protocol refuses or what is malformed."""
    try:  # the raw query string, as Starlette's URL would give it, without building the URL
        raw = request.scope["query_string"].decode()
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the query string is not UTF-8 ({exc.reason})") from exc
    params = form_fields(raw, "query string")
    if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise Refused(403, READ_ONLY)
    queries = params.get("query", [])
    if request.method == "POST":
        media, _, parameters = request.headers.get("content-type", "").partition(";")
        media = media.strip().lower()
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.I)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            raise Refused(400, f"charset {charset.group(1)} is not supported; send UTF-8")
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(400, f"the request body is not UTF-8 ({exc.reason})") from exc
        if media == "application/sparql-update":
            raise Refused(403, READ_ONLY)
        if media == "application/sparql-query":
            if queries:
                raise Refused(400, "a query in the body and in the URL at once")
            queries = [body]
        elif media == "application/x-www-form-urlencoded":
            form = form_fields(body, "request body")
            if "update" in form:
                raise Refused(403, READ_ONLY)
            queries = queries + form.get("query", [])
            for key in ("default-graph-uri", "named-graph-uri"):
                params[key] = params.get(key, []) + form.get(key, [])
        else:
            raise Refused(
                415,
                f"unsupported content type {media or '(none)'!r}; use application/sparql-query "
                "or application/x-www-form-urlencoded",
            )
        if not queries:
            raise Refused(400, "no query in the request")
    if len(queries) > 1:
        raise Refused(400, "send exactly one query parameter")
    return ProtocolRequest(
        queries[0] if queries else None,
        _graphs(params.get("default-graph-uri", []), "default-graph-uri"),
        _graphs(params.get("named-graph-uri", []), "named-graph-uri"),
    )


def _graphs(values: list[str], parameter: str) -> tuple[str, ...]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise Refused(400, f"{parameter} {value[:200]!r} is not an IRI ({exc})") from exc
    return tuple(values)


def check_query(query: str, settings: ServeSettings) -> Outline:
    """Refuse what the endpoint will not evaluate, before any parser sees it; the query's
    outline otherwise."""
    if len(query) > settings.max_query_length:
        raise Refused(
            413,
            f"the query has {len(query):,} characters; this endpoint takes at most "
            f"{settings.max_query_length:,}",
        )
    if "\x00" in query:
        raise Refused(400, "the query holds a NUL character")
    shape = outline(query)
    if not shape.keywords & FORMS:
        raise Refused(
            400,
            "not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found "
            "(updates are never run: the graph is read-only)",
        )
    if shape.depth > settings.max_query_depth:
        raise Refused(
            400,
            f"the query nests brackets {shape.depth} deep; this endpoint takes at most "
            f"{settings.max_query_depth}",
        )
    if shape.tokens > settings.max_query_tokens:
        raise Refused(
            400,
            f"the query has {shape.tokens:,} tokens; this endpoint takes at most "
            f"{settings.max_query_tokens:,} (a longer query, such as a huge VALUES list, belongs "
            "on a downloaded dump)",
        )
    if "SERVICE" in shape.keywords and not settings.allow_service:
        raise Refused(
            403,
            "SERVICE is not allowed on this endpoint: it would make requests to other servers "
            "on behalf of strangers; run the query on your own machine",
        )
    return shape
