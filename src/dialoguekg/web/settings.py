"""What an operator may set for ``serve``: every limit the server applies to its clients.

Each field has a ``serve`` option in the CLI and a line in the README's serving section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServeSettings:
    """The server's settings; the defaults suit a public endpoint on a small machine."""

    row_limit: int = 10_000  # rows or triples a SPARQL answer may have
    time_limit: float = 30.0  # seconds a SPARQL query may run; its worker is then killed
    query_workers: int = 2  # worker processes evaluating SPARQL; more requests wait for one
    worker_memory: int = 1024  # MiB of heap a query worker may use; beyond it the worker dies
    max_query_length: int = 100_000  # characters of query text
    max_query_depth: int = 64  # nesting of (), {} and [] in a query
    max_query_tokens: int = 8_000  # tokens of a query (long flat expressions crash the parser)
    max_body: int = 1_000_000  # bytes of request body (413 beyond)
    max_head: int = 16_384  # bytes of a request's line and headers (431 beyond)
    max_answer: int = 16_000_000  # bytes of one SPARQL answer, as written (400 beyond)
    max_connections: int = 1024  # connections open at once (503 beyond)
    header_timeout: float = 10.0  # seconds a client may take to send a request's head and body
    reconcile_batch: int = 50  # queries in one reconciliation batch
    page_size: int = 50  # values per property on a document's page
    search_hits: int = 100  # most hits one search may ask for (its limit parameter)
    html_rows: int = 1_000  # rows of a SPARQL answer shown on the HTML page (all in the formats)
    cache_mib: int = 128  # MiB of rendered documents and SPARQL answers kept per build
    allow_service: bool = False  # let SPARQL SERVICE call other servers
    base: str | None = None  # web base the graph's IRIs are rewritten to in documents
    public_url: str = "http://127.0.0.1:8000/"  # this server's own address, never read from Host
