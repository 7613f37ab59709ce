"""Answer SPARQL queries on the built graph (embedded pyoxigraph) or on any SPARQL 1.1 endpoint.

Both stores stand behind one small interface, :class:`Store`, and return a :class:`Result` in
the shape of the SPARQL 1.1 Query Results JSON Format, which the renderers turn into a table,
CSV, TSV or JSON. pyoxigraph is the embedded engine (10-40x faster than rdflib, STYLE.md);
remote endpoints are asked through SPARQLWrapper. This module does not import
pySHACL (~250 ms), so a query starts fast.
SPARQL 1.1 results formats: https://www.w3.org/TR/sparql11-results-json/ and
https://www.w3.org/TR/sparql11-results-csv-tsv/
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import __version__
from .errors import EndpointError, QueryError
from .vocab import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph as ox

#: Terms a SELECT's variables may be bound to before it runs (no value pasted into its text).
Bindings = dict["ox.Variable", "ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple"]

USER_AGENT = f"dialoguekg/{__version__} (https://w3id.org/dialoguekg; SPARQLWrapper)"
FORMATS = ("table", "csv", "tsv", "json")

Term = dict[str, str]  # {"type": "uri"|"literal"|"bnode", "value": ..., "xml:lang"?, "datatype"?}


def select(store: ox.Store, sparql: str, bound: Bindings | None = None) -> list[dict[str, str]]:
    """A constant SELECT's rows on a pyoxigraph store, each variable's lexical value (unbound
    ones left out); ``bound`` binds variables to terms (SEP-0007 substitutions). The rows are
    read at once: pyoxigraph's iterator over them may only be freed by the thread that made
    it, and the server renders pages in worker threads."""
    import pyoxigraph as ox

    answer = store.query(sparql, substitutions=bound)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    return [
        {name: term.value for name, term in zip(names, row, strict=True) if term is not None}
        for row in answer
    ]


@dataclass
class Result:
    """A query's answer: bindings (SELECT), a boolean (ASK), or RDF (CONSTRUCT, DESCRIBE)."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    rdf: bytes | None = None  # N-Triples

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Result:
        if "boolean" in document:
            return cls(boolean=bool(document["boolean"]))
        return cls(list(document["head"].get("vars", [])), list(document["results"]["bindings"]))

    def to_json(self) -> dict[str, Any]:
        if self.boolean is not None:
            return {"head": {}, "boolean": self.boolean}
        return {"head": {"vars": self.variables}, "results": {"bindings": self.rows}}

    def column(self, name: str) -> list[str]:
        """The plain values of one variable, row by row ("" where unbound)."""
        return [row[name]["value"] if name in row else "" for row in self.rows]


class Store(Protocol):
    """Anything that answers SPARQL: the embedded store, a remote endpoint."""

    def query(self, sparql: str) -> Result: ...


# ---------------------------------------------------------------------------------------------
# The embedded store
# ---------------------------------------------------------------------------------------------


def load_dump(dump: Path, *, lenient: bool = False) -> ox.Store:
    """A new in-memory store holding the dump ``dump``, read in the format its suffix names;
    raises the parser's SyntaxError, or OSError or ValueError. ``lenient`` skips checking
    every IRI and language tag again, for a file the build wrote from checked terms."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(
        path=str(dump), format=ox.RdfFormat.from_extension(dump.suffix[1:]), lenient=lenient
    )
    return store


class LocalStore:
    """An in-memory pyoxigraph store loaded from a build's dump (N-Quads: data and ontology
    graphs); ``store`` is the pyoxigraph store itself, for callers that need more than ``query``.
    ``lenient``: the IRIs and language tags are not checked again, for a dump known to be the
    one the build wrote from checked terms (``Loading`` checks its SHA-256)."""

    def __init__(self, dump: Path, *, lenient: bool = False) -> None:
        import pyoxigraph as ox

        if not dump.is_file():
            raise QueryError(f"no built graph at {dump}: run 'dialoguekg build' first")
        self._ox = ox
        try:
            self.store = load_dump(dump, lenient=lenient)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(
                f"{dump} is not a readable dump ({exc}); rebuild it with 'dialoguekg build'"
            ) from exc

    def query(self, sparql: str) -> Result:
        ox = self._ox
        try:
            answer = self.store.query(sparql)
        except SyntaxError as exc:
            if is_update(sparql):
                raise QueryError("this is a SPARQL update; dialoguekg query only reads") from exc
            raise QueryError(f"the query is not valid SPARQL: {exc}") from exc
        except OSError as exc:
            raise QueryError(f"the query failed: {exc}") from exc
        if isinstance(answer, ox.QueryBoolean):
            return Result(boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            body = answer.serialize(format=ox.QueryResultsFormat.JSON)
            assert body is not None
            return Result.from_json(json.loads(body))
        body = ox.serialize(answer, format=ox.RdfFormat.N_TRIPLES)
        return Result(rdf=bytes(body) if body is not None else b"")


def lines_of(path: Path, checksum: str | None = None) -> int:
    """The number of lines of a file, in one read that also checks, given ``checksum``, that
    its SHA-256 is that one; raises QueryError if it is not or the file cannot be read."""
    digest = hashlib.sha256()
    lines = 0
    try:
        with path.open("rb") as file:
            for chunk in iter(lambda: file.read(2**20), b""):
                lines += chunk.count(b"\n")
                if checksum is not None:
                    digest.update(chunk)
    except OSError as exc:
        raise QueryError(f"cannot read {path} ({exc.strerror or exc})") from exc
    if checksum is not None and digest.hexdigest() != checksum:
        raise QueryError(
            f"{path}: its SHA-256 is not the one SHA256SUMS lists; the dump changed after the "
            "build (rebuild it with 'dialoguekg build')"
        )
    return lines


class Loading:
    """A :class:`LocalStore` loading leniently in a thread started at once, so that what the
    caller does meanwhile (``serve`` imports and sets up its web stack) overlaps the load:
    pyoxigraph's parser does not hold the GIL. Lenient is safe only for the file the build
    wrote, so ``result`` checks the dump's SHA-256 before it hands the store over."""

    def __init__(self, dump: Path) -> None:
        self.dump = dump
        self._store: LocalStore | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, args=(dump,), daemon=True)
        self._thread.start()

    def _load(self, dump: Path) -> None:
        try:
            self._store = LocalStore(dump, lenient=True)
        except BaseException as exc:  # a Rust panic too: raised in the caller's thread by result
            self._error = exc

    def result(self, checksum: str) -> tuple[LocalStore, int]:
        """The store and the dump's line count, once the dump's SHA-256 (read while the store
        loads) is ``checksum``, the build's; raises QueryError if not, or what the load raised."""
        lines = lines_of(self.dump, checksum)
        self._thread.join()
        if self._store is None:
            raise self._error or QueryError("the store did not load")
        return self._store, lines


# ---------------------------------------------------------------------------------------------
# Remote endpoints
# ---------------------------------------------------------------------------------------------


class RemoteStore:
    """A SPARQL 1.1 endpoint, asked with SPARQLWrapper (GET, JSON results, N-Triples graphs)."""

    def __init__(self, endpoint: str, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout

    def query(self, sparql: str) -> Result:
        from urllib.error import URLError

        from SPARQLWrapper import JSON, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.endpoint, agent=USER_AGENT)
        client.setTimeout(int(self.timeout))
        client.setQuery(sparql)
        # SPARQLWrapper's own detection misreads comments holding quotes ("People's" → MOVE)
        client.queryType = query_form(sparql)
        graph_query = client.queryType in ("CONSTRUCT", "DESCRIBE")
        if graph_query:
            client.setReturnFormat("turtle")
            client.addCustomHttpHeader("Accept", "application/n-triples")
        else:
            client.setReturnFormat(JSON)
        try:
            response = client.query()
            if graph_query:
                return Result(rdf=response.response.read())
            document = response.convert()
        except (SPARQLWrapperException, URLError, OSError, ValueError) as exc:
            raise endpoint_error(self.endpoint, exc) from exc
        if not isinstance(document, dict):
            raise EndpointError(f"{self.endpoint} did not answer with SPARQL JSON results")
        return Result.from_json(document)


_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def strip_comments(sparql: str) -> str:
    """The query without ``#`` comments; a ``#`` inside an IRI or a string is kept."""
    out: list[str] = []
    quote: str | None = None
    in_iri = in_comment = False
    i = 0
    while i < len(sparql):
        char = sparql[i]
        if in_comment:
            if char == "\n":
                in_comment = False
                out.append(char)
        elif quote:
            out.append(char)
            if char == "\\" and i + 1 < len(sparql):
                out.append(sparql[i + 1])
                i += 1
            elif sparql.startswith(quote, i):
                out.append(sparql[i + 1 : i + len(quote)])
                i += len(quote) - 1
                quote = None
        elif in_iri:
            out.append(char)
            in_iri = char != ">"
        elif char == "#":
            in_comment = True
        elif char in "\"'":
            quote = char * 3 if sparql.startswith(char * 3, i) else char
            out.append(quote)
            i += len(quote) - 1
        else:
            in_iri = char == "<" and bool(re.match(r"<[^\s<>]*>", sparql[i:]))
            out.append(char)
        i += 1
    return "".join(out)


_UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


def is_update(sparql: str) -> bool:
    """Whether the text is a SPARQL update (its first keyword after the prologue)."""
    return bool(_UPDATE.match(strip_comments(sparql)))


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside comments and terms."""
    text = re.sub(r"<[^\s<>]*>", "<>", strip_comments(sparql))
    match = re.search(r"\b(" + "|".join(_FORMS) + r")\b", text, re.IGNORECASE)
    if match is None:
        raise QueryError(
            "not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found "
            "(updates are never run: the graph is read-only)"
        )
    return match.group(1).upper()


def endpoint_error(endpoint: str, exc: Exception) -> EndpointError:
    """What went wrong with ``endpoint``, in one line, for any failure SPARQLWrapper reports."""
    from urllib.error import URLError

    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    if isinstance(exc, SPARQLWrapperException):
        return EndpointError(f"{endpoint} refused the query: {_first_line(str(exc))}")
    if isinstance(exc, URLError | OSError):
        return EndpointError(f"{endpoint} could not be reached: {getattr(exc, 'reason', exc)}")
    return EndpointError(f"{endpoint} is not a SPARQL endpoint URL ({exc})")


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[:3])


# ---------------------------------------------------------------------------------------------
# Shipped queries
# ---------------------------------------------------------------------------------------------


WIKIDATA_SERVICE = "<https://query.wikidata.org/sparql>"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    question: str
    text: str

    @property
    def federated(self) -> bool:
        """Whether the file says it joins Wikidata through SERVICE (it needs the network)."""
        return any(line.startswith("# Federated:") for line in self.text.splitlines())


def with_wikidata(sparql: str, endpoint: str | None) -> str:
    """The query with its Wikidata SERVICE calls sent to ``endpoint`` instead, if given."""
    return sparql.replace(WIKIDATA_SERVICE, f"<{endpoint}>") if endpoint else sparql


def read_query(path: Path) -> NamedQuery:
    """A query file, with its question: the first '#' comment line that says 'Question:'."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"{path}: not UTF-8 text ({exc.reason}); save the query as UTF-8") from exc
    except OSError as exc:
        raise QueryError(f"{path}: cannot read it ({exc.strerror})") from exc
    question = next(
        (
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("#") and "question:" in line.lower()
        ),
        "",
    )
    return NamedQuery(path.stem, path, question, text)


def shipped_queries(directory: Path) -> list[NamedQuery]:
    return [read_query(p) for p in sorted(directory.glob("*.rq"))]


def find_query(name_or_file: str, directory: Path) -> NamedQuery:
    """A shipped query by name (file stem in ``queries/``), or a query file by path."""
    candidate = Path(name_or_file)
    if candidate.suffix == ".rq" and candidate.is_file():
        return read_query(candidate)
    shipped = directory / f"{name_or_file}.rq"
    if shipped.is_file():
        return read_query(shipped)
    names = ", ".join(q.name for q in shipped_queries(directory)) or "(none)"
    raise QueryError(
        f"no query named {name_or_file!r} and no file {name_or_file!r}; "
        f"shipped queries in {directory}: {names}"
    )


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render(result: Result, fmt: str) -> str:
    """The result as text in ``fmt`` (table, csv, tsv, json); RDF results as N-Triples."""
    if fmt not in FORMATS:
        raise QueryError(f"--format {fmt!r} is not known; choose one of: {', '.join(FORMATS)}")
    if result.rdf is not None:
        return result.rdf.decode("utf-8")
    if fmt == "json":
        return json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
    if result.boolean is not None:
        word = "true" if result.boolean else "false"
        return {"csv": f"_askResult\r\n{word}\r\n", "tsv": f"?_askResult\n{word}\n"}.get(
            fmt, word + "\n"
        )
    if fmt == "csv":
        return _csv(result)
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_tsv_term(row.get(v)) for v in result.variables) for row in result.rows]
        return "\n".join(lines) + "\n"
    return _table(result)


def _csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([row[v]["value"] if v in row else "" for v in result.variables])
    return out.getvalue()


def _tsv_term(term: Term | None) -> str:
    if term is None:
        return ""
    value = term["value"]
    if term["type"] == "uri":
        return f"<{value}>"
    if term["type"] == "bnode":
        return f"_:{value}"
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    if "xml:lang" in term:
        return f'"{escaped}"@{term["xml:lang"]}'
    datatype = term.get("datatype")
    if datatype == "http://www.w3.org/2001/XMLSchema#integer":
        return value
    if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def short(term: Term | None) -> str:
    """A term as a person reads it: IRIs as CURIEs where a prefix is known, literals as text."""
    if term is None:
        return ""
    value = term["value"]
    if term["type"] == "uri":
        for prefix, namespace in PREFIXES.items():
            if value.startswith(str(namespace)):
                return f"{prefix}:{value[len(str(namespace)) :]}"
    return value


#: How the shipped queries join several values in one cell (GROUP_CONCAT's separator).
JOINED = " | "


def _table(result: Result, width: int | None = None) -> str:
    """An aligned table that fits ``width`` columns (the terminal's): several values of a cell
    on lines of their own, long values wrapped, rows apart when any takes several lines."""
    headers = result.variables
    cells = [
        [short(row.get(v)).replace("\n", " ").split(JOINED) for v in headers] for row in result.rows
    ]
    natural = [
        max([len(h), *(len(value) for c in cells for value in c[i])]) for i, h in enumerate(headers)
    ]
    room = (width or shutil.get_terminal_size((120, 24)).columns) - 3 * (len(headers) - 1)
    widths = _fit(natural, max(room, 10 * len(headers)))
    wrapped = [[_wrap(values, w) for values, w in zip(c, widths, strict=True)] for c in cells]

    def line(values: Sequence[str]) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    tall = any(len(lines) > 1 for row in wrapped for lines in row)
    body = [line(headers), rule]
    for row in wrapped:
        height = max((len(lines) for lines in row), default=1)
        body += [line([lines[i] if i < len(lines) else "" for lines in row]) for i in range(height)]
        if tall:
            body.append(rule)
    count = len(result.rows)
    body.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(body) + "\n"


def _fit(natural: list[int], room: int) -> list[int]:
    """Column widths that fit ``room``: narrow columns keep their width, wider ones share what
    is left equally (each at least 10)."""
    widths = list(natural)
    left = room
    order = sorted(range(len(natural)), key=natural.__getitem__)
    for done, column in enumerate(order):
        share = max(10, left // (len(order) - done))
        widths[column] = min(natural[column], share)
        left -= widths[column]
    return widths


def _wrap(values: list[str], width: int) -> list[str]:
    """A cell's values wrapped at ``width``; several values each start a line with a bullet,
    their wrapped lines indented under it."""
    if len(values) == 1:
        return textwrap.wrap(values[0], width) or [""]
    return [
        line
        for value in values
        for line in textwrap.wrap(value, width, initial_indent="• ", subsequent_indent="  ")
        or ["•"]
    ]
