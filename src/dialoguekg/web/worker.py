"""A query worker: a process that evaluates strangers' SPARQL over the server's store.

Forked by the zygote (``zygote``) for ``workers.Pool``, it shares the store the server loaded and
never serves HTTP. Before it reads any query it caps its own heap, ends itself when the server's
end of its pipe closes, and, unless the operator
allows ``SERVICE``, removes its own ability to open network sockets (``sandbox``), so no query,
however spelt, makes a request on a stranger's behalf. A query that crashes the engine, runs
out of memory or is killed at the time limit costs this process, not the server.

Frames on stdin/stdout are a 4-byte big-endian length and a payload: the parent sends the
settings (JSON) once, then one JSON job per query; the worker answers each job with one frame
(``reply``): the length of a JSON header, the header, and the body's bytes as they are, so an
answer is one write here and, usually, one read in the server.
"""

from __future__ import annotations

import json
import os
import resource
import select
import struct
import threading
from typing import IO, Any

import pyoxigraph as ox

from . import serialize

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
LENGTH = struct.Struct(">I")


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's payload, or None at the end of the stream."""
    head = stream.read(LENGTH.size)
    if len(head) < LENGTH.size:
        return None
    size = LENGTH.unpack(head)[0]
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(LENGTH.pack(len(payload)) + payload)


def reply(header: dict[str, Any], body: bytes) -> bytes:
    """The payload of an answer's frame: the header's length, the header (JSON), the body."""
    head = json.dumps(header).encode()
    return LENGTH.pack(len(head)) + head + body


def split_reply(payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the body of an answer's frame (``reply``); ValueError if malformed."""
    if len(payload) < LENGTH.size:
        raise ValueError("an answer shorter than its header's length")
    end = LENGTH.size + LENGTH.unpack_from(payload)[0]
    header = json.loads(payload[LENGTH.size : end])
    if not isinstance(header, dict) or end > len(payload):
        raise ValueError("an answer without its header")
    return header, payload[end:]


def _die_with_server(stdin: int) -> None:
    """End this process as soon as the server's end of its job pipe closes (the server ended,
    or gave this worker up), even in the middle of a query: ``poll`` reports the hang-up
    whatever events are asked, without taking a job from the pipe."""

    def watch() -> None:
        waiting = select.poll()
        waiting.register(stdin, 0)  # no event asked: only a hang-up or an error wakes it
        waiting.poll()
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _data_size() -> int:
    """This process's data segment now (``VmData``, bytes): what it shares of the server's
    store counts in it, and the heap cap is set above it."""
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _json_term(term: Any) -> dict[str, Any]:
    """A term in SPARQL 1.2's JSON results: IRIs, blank nodes, literals with their language and
    base direction or datatype, and triple terms."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = zip(("subject", "predicate", "object"), term, strict=True)
        return {"type": "triple", "value": {k: _json_term(v) for k, v in parts}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
        if term.direction is not None:
            out["its:dir"] = str(term.direction)
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results(document: dict[str, Any], fmt: str) -> bytes:
    """SELECT or ASK results in ``fmt``: the JSON document as built, the other formats written
    by pyoxigraph's spec-conformant writers from it."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt == "json":
        return text
    parsed = ox.parse_query_results(text, format=ox.QueryResultsFormat.JSON)
    return bytes(parsed.serialize(format=RESULT_FORMATS[fmt]) or b"")


Answer = tuple[dict[str, Any], bytes]


def evaluate(store: ox.Store, job: dict[str, Any], context: dict[str, Any]) -> Answer:
    """The answer to one job: a header (``status``, ``kind``, ``message``) and the body."""
    options: dict[str, Any] = {"base_iri": job["base_iri"]}
    if job["default_graph"]:
        options["default_graph"] = [ox.NamedNode(g) for g in job["default_graph"]]
    if job["named_graphs"]:
        options["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    try:
        answer = store.query(job["query"], **options)
        limit = job["row_limit"]
        if isinstance(answer, ox.QueryBoolean):
            return _results({"head": {}, "boolean": bool(answer)}, job, "boolean")
        items: list[Any] = []
        for item in answer:
            if len(items) == limit:
                return {"status": "over_limit"}, b""
            items.append(item)
    except SyntaxError as exc:
        return {"status": "syntax", "message": str(exc)}, b""
    except Exception as exc:  # the engine's errors, whatever their type: the query failed
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}, b""
    if isinstance(answer, ox.QueryTriples):
        body = serialize.graph(items, job["graph_format"], context)
        return {"status": "ok", "kind": "triples"}, body
    variables = [v.value for v in answer.variables]
    bindings = [
        {v: _json_term(row[v]) for v in variables if row[v] is not None} for row in items
    ]
    document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    return _results(document, job, "solutions")


def _results(document: dict[str, Any], job: dict[str, Any], kind: str) -> Answer:
    fmt = job["result_format"]
    if fmt is None:
        return {"status": "not_acceptable", "kind": kind}, b""
    return {"status": "ok", "kind": kind}, results(document, fmt)


def serve(store: ox.Store, stdin_fd: int, stdout_fd: int) -> None:
    """The worker's life, in a process forked by the zygote: set up from the first frame, then
    answer jobs until the pipe closes. Ends the process (never returns)."""
    try:
        _serve(store, os.fdopen(stdin_fd, "rb"), os.fdopen(stdout_fd, "wb"))
    finally:
        os._exit(0)


def _serve(store: ox.Store, stdin: IO[bytes], stdout: IO[bytes]) -> None:
    os.environ["RUST_BACKTRACE"] = "0"  # a worker out of memory: one line, not a backtrace
    _die_with_server(stdin.fileno())
    setup = read_frame(stdin)
    if setup is None:
        return
    settings = json.loads(setup)
    heap = _data_size() + settings["memory"]
    resource.setrlimit(resource.RLIMIT_DATA, (heap, heap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash writes no core file
    if not settings["allow_service"]:
        from .sandbox import SandboxUnavailable, forbid_network

        try:
            forbid_network()
        except SandboxUnavailable as exc:
            write_frame(stdout, json.dumps({"status": "no_sandbox", "message": str(exc)}).encode())
            stdout.flush()
            return
    try:
        write_frame(stdout, json.dumps({"status": "ready", "pid": os.getpid()}).encode())
        stdout.flush()
    except BrokenPipeError:
        return  # the server closed its pool while this worker started: nothing to answer
    while (payload := read_frame(stdin)) is not None:
        try:
            header, body = evaluate(store, json.loads(payload), settings["context"])
        except Exception as exc:  # writing the answer failed: say so, stay alive
            header, body = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}, b""
        if len(body) > settings["max_answer"]:
            header, body = {"status": "too_large"}, b""
        write_frame(stdout, reply(header, body))
        stdout.flush()
