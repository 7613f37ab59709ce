"""Our Linked Data server against the Oxigraph server: the same data, the same client, one run.

Why: ``dialoguekg serve`` answers entity documents and SPARQL from an embedded pyoxigraph store
behind a Python web stack. Oxigraph's own server (Rust, the same engine) on the same N-Quads is
the floor such a server could approach; the ratios say what our stack costs on top of it.
Targets, printed beside the ratios and not asserted: median latency <= 1.5x Oxigraph's,
throughput >= 0.7x Oxigraph's, no errors.

What, in one run (everything on 127.0.0.1; the machines are shared and noisy: read ratios):

- the graph: ``dialoguekg build`` into a temporary folder (``--dist DIR``: one built already;
  ``--scale K``: the data made K times larger by ``bench/scale.py`` first);
- both servers started on free ports: ``dialoguekg serve --dist DIR``, and
  ``oxigraph load`` + ``oxigraph serve-read-only`` on ``DIR/dialoguekg.nq``; each one's start
  time (process start to the first 200 on ``/``) and memory (the process tree's PSS: ours runs
  query worker processes sharing the server's store), after the start and at the end; both
  stopped at the end, on an error and on Ctrl-C;
- a sample of entities (subjects with an ``rdfs:label`` under ``https://w3id.org/dialoguekg/id/``,
  ordered by the MD5 of a seed and their IRI: a fixed-seed sample the same on any server),
  asked of Oxigraph;
- two workloads, driven by the same client against both (one thread and one keep-alive
  connection per concurrent client, a warm-up not counted, then ``--seconds`` or ``--requests``
  at each ``--concurrency``), cycling through the sample so no answer is asked twice in a row:

  - entity document: ours ``GET /id/{kind}/{key}.ttl``; Oxigraph ``GET /query`` of the CONSTRUCT
    of the entity's own triples, the triples pointing at it, and the labels of both ends, as
    Turtle. Not byte for byte the same: ours also adds the claims behind the entity's facts and
    their sources, and pages the incoming triples. Close enough in content and work to compare;
    the KB/answer column shows the difference in size;
  - SPARQL SELECT lookup: ``SELECT ?label WHERE { <iri> rdfs:label ?label }``, the same text to
    ``/sparql`` (ours) and ``/query`` (Oxigraph), as SPARQL JSON results;
  - the same lookup made unique by a numbered comment, so that no request is asked twice: ours
    keeps every answer of a build (as it keeps documents), and this workload measures the
    evaluation itself (a worker process) rather than that cache.

  Per server and run: requests, errors (anything but 200; a request still unanswered when the
  run ends counts, with its wait so far as its latency), median and p99 latency, throughput,
  the server's CPU per request (its process tree's, from /proc), and this script's CPU: near
  100% of a core, the Python client rather than the server limits the run, and the req/s is a
  floor (said under the table). Then ours/Oxigraph ratios beside the targets.

- ``--load SECONDS``: ours alone under a mix of what a site gets (home page, 303s, entity pages,
  documents in every format, search, SPARQL lookups) from ``--load-concurrency`` clients, a heavy
  query every ``--heavy-every`` seconds (a cartesian product: our endpoint should refuse it with
  400 (row limit) or 503 (``--time-limit 2``) and keep serving the rest), and a health check of
  ``/`` once a second that should answer within 1 s. Per kind of request: count, statuses,
  median, p99; overall: errors (not 200/303/304, nor a heavy query's 400/503), throughput, and
  the worst health check.

- ``--floor``: what is reachable at all with worker processes, for the lookup never asked
  before: Oxigraph, ours, and two floor servers run by ``server.run`` with our uvicorn settings:
  a bare ASGI app answering a fixed body, and the same app handing the ``query`` parameter to
  our real worker pool (one round trip to a worker process that evaluates it on pyoxigraph).
  Per server and concurrency: median, throughput, the server's CPU per request, each against
  Oxigraph's in the same run.

Every run is bounded: a request waits ``--timeout`` s at most, a warm-up 10 s, a run its
seconds and 5 s more; a server that does not start in ``--start-timeout`` s, or exits, stops the
benchmark with its command and the end of its output.

Run:

- ``.venv/bin/python bench/endpoint.py [--seconds 10 | --requests N] [--concurrency 1,8]
  [--dist DIR | --scale K]``: the comparison tables;
- ``.venv/bin/python bench/endpoint.py --load 60 [--load-concurrency 16] [--scale K]``: the load
  run on ours;
- ``.venv/bin/python bench/endpoint.py --floor [--seconds 5]``: the floor table;
- ``--dialoguekg PATH``: another ``dialoguekg`` command (another checkout's) to build and serve.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)
#: The venv's commands, beside the Python running this, else those on PATH.
DIALOGUEKG = shutil.which("dialoguekg", path=BIN) or "dialoguekg"
OXIGRAPH = shutil.which("oxigraph", path=BIN) or "oxigraph"
SCALE = Path(__file__).resolve().parent / "scale.py"
HOST = "127.0.0.1"
ID = "https://w3id.org/dialoguekg/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SPARQL_JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
HTML = "text/html"
OURS, OXI = "ours", "oxigraph"
#: Ours against Oxigraph, printed beside the ratios (not asserted).
MEDIAN_TARGET = 1.5
THROUGHPUT_TARGET = 0.7
#: This script's CPU, as a share of one core, from which its client (threads under one GIL)
#: rather than the server may be what limits a run's throughput.
CLIENT_BOUND = 0.9
#: Seconds a health check of ``/`` may take during --load.
HEALTH_LIMIT = 1.0
#: Seconds a build (or the scaling of its data) may take; a --requests run at most.
BUILD_TIMEOUT = 1800.0
RUN_CAP = 600.0
#: Seconds a warm-up may take at most.
WARMUP_CAP = 10.0
#: Seconds to wait for clients still waiting on an answer when a run's time is up.
GRACE = 5.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A step of the benchmark failed: a build, a server start, the sample query."""


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """A markdown-ish table, as bench.py prints them."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def note(message: str) -> None:
    """Progress on stderr, so a long run shows where it is without mixing into the tables."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The graph, and the servers as child processes
# ---------------------------------------------------------------------------------------------


def run_checked(command: Sequence[str]) -> float:
    """Run ``command`` from the checkout; its wall seconds. Raises BenchError if it fails."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{' '.join(command)} took over {BUILD_TIMEOUT:g} s") from exc
    if done.returncode:
        tail = "\n  ".join(done.stderr.splitlines()[-15:])
        raise BenchError(f"{' '.join(command)} failed (exit {done.returncode}):\n  {tail}")
    return time.perf_counter() - started


def prepare_dist(dialoguekg: str, dist: Path | None, k: int | None, work: Path) -> Path:
    """The built graph: ``dist`` as given, or the real data (``k`` times over) built in ``work``."""
    if dist is not None:
        if not (dist / "dialoguekg.nq").is_file():
            raise BenchError(f"{dist} holds no dialoguekg.nq; build it with dialoguekg build")
        return dist
    out = work / "dist"
    command = [dialoguekg, "build", "--out", str(out)]
    if k is not None:
        data = work / "data"
        note(f"writing the data {k} times over into {data}")
        run_checked([sys.executable, str(SCALE), "--k", str(k), "--out", str(data)])
        command += ["--data", str(data)]
    note(f"building the graph into {out}")
    seconds = run_checked(command)
    note(f"built in {seconds:.1f} s")
    return out


def free_port() -> int:
    """A port free on 127.0.0.1 now (the OS's pick; another process could take it first)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def children() -> dict[int, list[int]]:
    """Every process's children, from the parent field of /proc/PID/stat."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we looked
            continue
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        tree.setdefault(parent, []).append(int(stat.parent.name))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants: our server may run worker processes."""
    tree, found = children(), [pid]
    for member in found:
        found.extend(tree.get(member, []))
    return found


def rss_mb(pid: int) -> float:
    """The memory of ``pid``'s process tree, in MB: the sum of each process's proportional set
    size (PSS), so that pages the processes share (our workers share the server's store) are
    counted once, not once per process."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, StopIteration):
            status = Path(f"/proc/{member}/smaps_rollup").read_text()
            line = next(line for line in status.splitlines() if line.startswith("Pss:"))
            total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid``'s tree: its living processes, and
    the children they reaped (workers that were replaced)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{member}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


@dataclass
class Server:
    """A server we started: how, where, and what its start cost."""

    name: str
    command: list[str]
    process: subprocess.Popen[bytes]
    port: int
    sparql: str  # the path of its SPARQL endpoint
    start: float  # seconds from the process starting to its first 200 on /
    rss_start: float  # MB, just after that first 200
    rss_end: float = math.nan
    processes: int = 1  # in its tree at the end
    load: float | None = None  # seconds spent loading the store first (Oxigraph)

    @property
    def pid(self) -> int:
        return self.process.pid

    def take_stock(self) -> None:
        """Its memory and processes now, at the end of the runs."""
        self.rss_end = rss_mb(self.pid)
        self.processes = len(process_tree(self.pid))


def started_at(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), to tell it from a later process that
    reuses its number; None once it is gone (or a zombie, which nothing may reap here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else int(fields[19])


def signal_tree(members: dict[int, int | None], signum: signal.Signals) -> None:
    """Send ``signum`` to each process of ``members`` (pid: start) that is still that process."""
    for pid, start in members.items():
        if start is not None and started_at(pid) == start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server we started and every process under it (its workers, even those that left
    its process group): SIGTERM, then SIGKILL to those left after 5 s."""
    if process.poll() is not None:
        return
    members = {pid: started_at(pid) for pid in process_tree(process.pid)}
    signal_tree(members, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        signal_tree(members, signal.SIGKILL)
        process.wait(timeout=5)
    deadline = time.perf_counter() + 5
    while time.perf_counter() < deadline and any(
        start is not None and started_at(pid) == start for pid, start in members.items()
    ):
        time.sleep(0.05)
    signal_tree(members, signal.SIGKILL)


def tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n  ".join(text.splitlines()[-lines:]) or "(nothing)"


def home_status(port: int) -> int | None:
    """The status of ``GET /``, or None while nothing answers."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_ready(
    process: subprocess.Popen[bytes], command: str, port: int, log: Path, timeout: float
) -> None:
    """Return once ``GET /`` answers 200; raise BenchError if the server exits or times out."""
    deadline = time.perf_counter() + timeout
    last: int | None = None
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"{command} exited ({process.returncode}) before answering; "
                f"its output ended:\n  {tail(log)}"
            )
        last = home_status(port)
        if last == 200:
            return
        time.sleep(0.05)
    raise BenchError(
        f"{command} did not answer GET / with 200 within {timeout:g} s (last: {last}); "
        f"its output ended:\n  {tail(log)}"
    )


def start_server(
    name: str, command: list[str], port: int, sparql: str, stack: contextlib.ExitStack,
    log: Path, timeout: float,
) -> Server:  # fmt: skip
    """Start ``command`` (stopped when ``stack`` closes) and wait for its first 200 on /."""
    note(f"starting {name}: {' '.join(command)}")
    with log.open("wb") as output:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    stack.callback(stop, process)
    wait_ready(process, " ".join(command), port, log, timeout)
    started = time.perf_counter() - began
    return Server(name, command, process, port, sparql, started, rss_mb(process.pid))


def start_ours(
    dialoguekg: str, dist: Path, work: Path, stack: contextlib.ExitStack, timeout: float,
    options: list[str],
) -> Server:  # fmt: skip
    port = free_port()
    command = [dialoguekg, "serve", "--dist", str(dist), "--host", HOST, "--port", str(port)]
    return start_server(OURS, command + options, port, "/sparql", stack, work / "ours.log", timeout)


def start_oxigraph(dist: Path, work: Path, stack: contextlib.ExitStack, timeout: float) -> Server:
    """``oxigraph load`` the N-Quads into a new store, then serve it read-only."""
    store = work / "oxigraph-store"
    note(f"loading {dist / 'dialoguekg.nq'} into {store}")
    load = run_checked(
        [OXIGRAPH, "load", "--location", str(store), "--file", str(dist / "dialoguekg.nq")]
    )
    port = free_port()
    command = [OXIGRAPH, "serve-read-only", "--location", str(store), "--bind", f"{HOST}:{port}"]
    server = start_server(OXI, command, port, "/query", stack, work / "oxigraph.log", timeout)
    server.load = load
    return server


def offers_time_limit(dialoguekg: str) -> bool:
    """Whether ``dialoguekg serve`` takes ``--time-limit`` (the server is being rewritten)."""
    done = subprocess.run(
        [dialoguekg, "serve", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    return "--time-limit" in done.stdout


# ---------------------------------------------------------------------------------------------
# The client: threads, each one keep-alive connection, timing every request
# ---------------------------------------------------------------------------------------------


class Request(NamedTuple):
    kind: str
    path: str
    accept: str


class Sample(NamedTuple):
    """One answered (or failed) request; status 0 when no answer came (``detail`` says why)."""

    kind: str
    path: str
    status: int
    seconds: float
    size: int
    detail: str


class Client:
    """One user of a server: one keep-alive HTTP/1.1 connection, reopened when the server
    closed it while idle (that request is sent again, as browsers do)."""

    def __init__(self, port: int, timeout: float) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.reused = False

    def get(self, request: Request) -> Sample:
        started = time.perf_counter()
        try:
            status, body = self.exchange(request)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            detail = f"{type(exc).__name__}: {exc}"
            return Sample(*request[:2], 0, time.perf_counter() - started, 0, detail)
        seconds = time.perf_counter() - started
        detail = "" if status < 400 else body[:200].decode("utf-8", "replace").strip()
        return Sample(request.kind, request.path, status, seconds, len(body), detail)

    def exchange(self, request: Request) -> tuple[int, bytes]:
        try:
            return self.once(request)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not self.reused:
                raise
            self.close()
            return self.once(request)

    def once(self, request: Request) -> tuple[int, bytes]:
        path = request.path.replace(NONCE, str(next(NONCES)))  # a lookup never asked before
        self.connection.request("GET", path, headers={"Accept": request.accept})
        response = self.connection.getresponse()
        body = response.read()
        self.reused = True
        return response.status, body

    def close(self) -> None:
        self.connection.close()
        self.reused = False


class Lane:
    """One client's samples, and the request it is waiting on: a request still unanswered when
    the run ends is a sample too (status 0, its wait so far as its latency), not lost."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.waiting: tuple[Request, float] | None = None
        self.closed = False

    def send(self, user: Client, request: Request) -> None:
        with self.lock:
            self.waiting = (request, time.perf_counter())
        sample = user.get(request)
        with self.lock:
            if not self.closed:  # an answer after the end is not the run's
                self.samples.append(sample)
                self.waiting = None

    def close(self) -> list[Sample]:
        """The samples so far, and the unanswered request; later answers are dropped."""
        with self.lock:
            self.closed = True
            if self.waiting is None:
                return list(self.samples)
            request, sent = self.waiting
            late = Sample(*request[:2], 0, time.perf_counter() - sent, 0, "no answer by the end")
            return [*self.samples, late]


@dataclass
class Run:
    """A timed run: its samples, its wall time, and the CPU the server and the client used."""

    samples: list[Sample]
    wall: float
    server_cpu: float
    client_cpu: float

    @property
    def in_flight(self) -> int:
        """Requests still unanswered when the run was given up."""
        return sum(s.detail == "no answer by the end" for s in self.samples)


def drive(
    server: Server, requests: Sequence[Request], clients: int, seconds: float,
    count: int | None, timeout: float,
) -> Run:  # fmt: skip
    """``clients`` threads send ``requests`` in turn (cycling) until ``count`` are sent or
    ``seconds`` are up, each on its own connection; wait at most ``GRACE`` for late answers."""
    lock = threading.Lock()
    issued = iter(range(count if count is not None else sys.maxsize))
    stopped = threading.Event()
    deadline = time.perf_counter() + seconds
    lanes = [Lane() for _ in range(clients)]

    def next_request() -> Request | None:
        if stopped.is_set() or time.perf_counter() >= deadline:
            return None
        with lock:
            index = next(issued, None)
        return None if index is None else requests[index % len(requests)]

    def client(lane: Lane) -> None:
        user = Client(server.port, timeout)
        try:
            while (request := next_request()) is not None:
                lane.send(user, request)
        finally:
            user.close()

    threads = [threading.Thread(target=client, args=(lane,), daemon=True) for lane in lanes]
    cpu, client_cpu, started = cpu_seconds(server.pid), time.process_time(), time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline + GRACE - time.perf_counter()))
    finally:
        stopped.set()
    wall = time.perf_counter() - started
    return Run(
        [sample for lane in lanes for sample in lane.close()],
        wall,
        cpu_seconds(server.pid) - cpu,
        time.process_time() - client_cpu,
    )


def every(
    server: Server, requests: Sequence[Request], period: float, until: float, timeout: float,
    lane: Lane, stopped: threading.Event,
) -> None:  # fmt: skip
    """Send ``requests`` in turn, one each ``period`` seconds, until ``until`` (perf_counter)."""
    user = Client(server.port, timeout)
    index = 0
    try:
        while not stopped.is_set() and (now := time.perf_counter()) < until:
            lane.send(user, requests[index % len(requests)])
            index += 1
            stopped.wait(max(0.0, now + period - time.perf_counter()))
    finally:
        user.close()


def background(
    server: Server, requests: Sequence[Request], period: float, seconds: float, timeout: float,
    stopped: threading.Event,
) -> tuple[threading.Thread, Lane]:  # fmt: skip
    """Start ``every`` in a thread; its samples are in the lane returned."""
    lane = Lane()
    until = time.perf_counter() + seconds
    thread = threading.Thread(
        target=every, args=(server, requests, period, until, timeout, lane, stopped), daemon=True
    )
    thread.start()
    return thread, lane


# ---------------------------------------------------------------------------------------------
# What is asked
# ---------------------------------------------------------------------------------------------


class Entity(NamedTuple):
    iri: str
    label: str

    @property
    def path(self) -> str:
        """Our path of the entity: ``/id/`` and its IRI after the ``id/`` base."""
        return "/id/" + quote(self.iri[len(ID) :])


def query_path(endpoint: str, sparql: str) -> str:
    return f"{endpoint}?{urlencode({'query': sparql}, quote_via=quote)}"


def label_query(iri: str) -> str:
    return f"SELECT ?label WHERE {{ <{iri}> <{RDFS_LABEL}> ?label }}"


def construct_query(iri: str) -> str:
    """Oxigraph's stand-in for our entity document: the entity's triples both ways, labelled."""
    return f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ <{iri}> ?p ?o . ?o rdfs:label ?ol . ?s ?p2 <{iri}> . ?s rdfs:label ?sl }}
WHERE {{ {{ <{iri}> ?p ?o OPTIONAL {{ ?o rdfs:label ?ol }} }}
  UNION {{ ?s ?p2 <{iri}> OPTIONAL {{ ?s rdfs:label ?sl }} }} }}"""


def fetch_json(server: Server, sparql: str, timeout: float) -> dict[str, object]:
    """The SPARQL JSON results of ``sparql`` on ``server``; raises BenchError unless 200."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        path = query_path(server.sparql, sparql)
        connection.request("GET", path, headers={"Accept": SPARQL_JSON})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"{server.name} did not answer a SPARQL query: {exc}") from exc
    finally:
        connection.close()
    if response.status != 200:
        raise BenchError(f"{server.name} answered {response.status} to {sparql}: {body[:300]!r}")
    answer: dict[str, object] = json.loads(body)
    return answer


def sample_entities(server: Server, size: int, seed: int, timeout: float) -> list[Entity]:
    """``size`` labelled entities under ``ID``, in the order of the MD5 of ``seed`` and their
    IRI: a fixed-seed sample, the same from any SPARQL server on the same data."""
    sparql = f"""SELECT ?s (MIN(STR(?l)) AS ?label) WHERE {{
  ?s <{RDFS_LABEL}> ?l FILTER(STRSTARTS(STR(?s), "{ID}") && !REGEX(STR(?s), "[#?]"))
}} GROUP BY ?s ORDER BY MD5(CONCAT("{seed}", STR(?s))) LIMIT {size}"""
    results = fetch_json(server, sparql, timeout)["results"]
    assert isinstance(results, dict)
    entities = [Entity(b["s"]["value"], b["label"]["value"]) for b in results["bindings"]]
    if not entities:
        raise BenchError(f"{server.name} has no labelled entity under {ID}")
    return entities


@dataclass(frozen=True)
class Workload:
    """One kind of request, as each server is asked it (by server name)."""

    name: str
    requests: dict[str, list[Request]]


def document_requests(server: Server, entities: Sequence[Entity]) -> list[Request]:
    if server.name == OURS:
        return [Request("document", f"{e.path}.ttl", TURTLE) for e in entities]
    return [
        Request("document", query_path(server.sparql, construct_query(e.iri)), TURTLE)
        for e in entities
    ]


def select_requests(server: Server, entities: Sequence[Entity]) -> list[Request]:
    return [
        Request("select", query_path(server.sparql, label_query(e.iri)), SPARQL_JSON)
        for e in entities
    ]


NONCE = "NONCE"  # replaced in the path, as it is sent, by a number no request had before
NONCES = itertools.count()  # shared by every client thread; next() on it is atomic


def unique_select_requests(server: Server, entities: Sequence[Entity]) -> list[Request]:
    """Lookups no server has seen before: each numbered by a comment as it is sent."""
    return [
        Request("select", query_path(server.sparql, f"{label_query(e.iri)} # {NONCE}"), SPARQL_JSON)
        for e in entities
    ]


def workloads(servers: Sequence[Server], entities: Sequence[Entity]) -> list[Workload]:
    return [
        Workload("entity document", {s.name: document_requests(s, entities) for s in servers}),
        Workload("SPARQL SELECT", {s.name: select_requests(s, entities) for s in servers}),
        Workload(
            "SPARQL SELECT, uncached",
            {s.name: unique_select_requests(s, entities) for s in servers},
        ),
    ]


#: Our documents' suffixes and the media type asked with each.
FORMATS = (
    ("ttl", TURTLE),
    ("jsonld", "application/ld+json"),
    ("nt", "application/n-triples"),
    ("rdf", "application/rdf+xml"),
)
#: Queries our endpoint should refuse (a time limit, a row limit), and the statuses that count
#: as an answer as documented (200 too: a fast enough machine may answer them in time).
HEAVY = {
    "heavy: cartesian count": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "heavy: cartesian rows": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
}
HEAVY_STATUSES = frozenset({200, 400, 503})
GOOD_STATUSES = frozenset({200, 303, 304})


def search_word(label: str) -> str | None:
    """The longest word of a label, for ``/search?q=``."""
    words = re.findall(r"[^\W\d_]{3,}", label)
    return max(words, key=len) if words else None


def entity_mix(entity: Entity) -> list[Request]:
    """What a site gets about one entity: pages, a 303, each format, a lookup, a search."""
    path = entity.path
    mix = [
        Request("resource 303", path, HTML),
        Request("page .html", f"{path}.html", HTML),
        Request("page .html", f"{path}.html", HTML),
        *(Request(f"document .{suffix}", f"{path}.{suffix}", media) for suffix, media in FORMATS),
        Request("sparql select", query_path("/sparql", label_query(entity.iri)), SPARQL_JSON),
    ]
    word = search_word(entity.label)
    if word:
        mix.append(Request("search", f"/search?q={quote(word)}", HTML))
    return mix


def load_mix(entities: Sequence[Entity], seed: int) -> list[Request]:
    """The load run's requests, shuffled with ``seed``: each entity's mix, and the home page
    once per ten entities."""
    mix = [request for entity in entities for request in entity_mix(entity)]
    mix += [Request("home", "/", HTML)] * max(1, len(entities) // 10)
    random.Random(seed).shuffle(mix)
    return mix


def heavy_requests() -> list[Request]:
    return [Request(kind, query_path("/sparql", text), SPARQL_JSON) for kind, text in HEAVY.items()]


# ---------------------------------------------------------------------------------------------
# Figures and tables
# ---------------------------------------------------------------------------------------------


def percentile_ms(samples: Sequence[Sample], percent: int) -> float:
    """The ``percent``-th percentile of the samples' latencies, in ms (NaN if none)."""
    seconds = sorted(s.seconds for s in samples)
    if not seconds:
        return math.nan
    if percent == 50:
        return statistics.median(seconds) * 1000
    if len(seconds) == 1:
        return seconds[0] * 1000
    return statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1] * 1000


def figure(value: float, digits: int = 2) -> str:
    """A number for a table; "-" where there is none (no answer to time)."""
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def statuses(samples: Sequence[Sample]) -> str:
    counts = Counter(s.status for s in samples)
    return " ".join(f"{status or 'none'}:{n}" for status, n in sorted(counts.items()))


def report_errors(label: str, errors: Sequence[Sample], limit: int = 5) -> None:
    """The distinct failures of a run, most frequent first."""
    if not errors:
        return
    kinds = Counter((s.kind, s.status, s.detail[:160]) for s in errors)
    print(f"\n{label}: {len(errors)} error(s)")
    for (kind, status, detail), n in kinds.most_common(limit):
        print(f"  {n} x {kind} -> {status or 'no answer'}: {detail}")


def print_servers(servers: Sequence[Server]) -> None:
    table(
        "servers: start (process start to the first 200 on /) and memory (the process tree's PSS)",
        [
            "server",
            "command",
            "store load s",
            "start s",
            "PSS MB after start",
            "PSS MB at end",
            "processes at end",
        ],
        [
            [
                s.name,
                f"{Path(s.command[0]).name} {s.command[1]}",
                "-" if s.load is None else f"{s.load:.2f}",
                f"{s.start:.2f}",
                f"{s.rss_start:.0f}",
                f"{s.rss_end:.0f}",
                str(s.processes),
            ]
            for s in servers
        ],
    )


@dataclass(frozen=True)
class Measured:
    workload: str
    clients: int
    server: str
    run: Run

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.run.samples if s.status != 200]

    @property
    def throughput(self) -> float:
        return len(self.run.samples) / self.run.wall if self.run.wall else math.nan

    @property
    def median(self) -> float:
        return percentile_ms(self.run.samples, 50)


def result_row(m: Measured) -> list[str]:
    run, answered = m.run, len(m.run.samples)
    ok = [s for s in run.samples if s.status == 200]
    per_request = run.server_cpu / answered * 1000 if answered else math.nan
    size = statistics.mean(s.size for s in ok) / 1024 if ok else math.nan
    return [
        m.workload,
        str(m.clients),
        m.server,
        str(answered),
        str(len({s.path for s in run.samples})),
        str(len(m.errors)),
        figure(m.median),
        figure(percentile_ms(run.samples, 99)),
        figure(m.throughput, 0),
        figure(per_request),
        figure(run.client_cpu / run.wall * 100, 0),
        figure(size, 1),
    ]


def print_results(rows: Sequence[Measured], per_run: str) -> None:
    table(
        f"results, {per_run} per run; latency in ms; CPU per request of the server's processes;"
        " client CPU: this script's, share of one core",
        [
            "workload", "clients", "server", "requests", "distinct entities", "errors",
            "median ms", "p99 ms", "req/s", "server CPU ms/req", "client CPU %", "KB/answer",
        ],
        [result_row(m) for m in rows],
    )  # fmt: skip
    bound = [f"{m.workload} {m.server} x{m.clients}" for m in rows if client_bound(m.run)]
    if bound:
        print(
            f"client CPU >= {CLIENT_BOUND:.0%} of a core (the Python client, not the server, is"
            f" the limit; req/s is a floor) in: {', '.join(bound)}"
        )
    for m in rows:
        report_errors(f"{m.workload}, {m.clients} client(s), {m.server}", m.errors)


def client_bound(run: Run) -> bool:
    return run.client_cpu / run.wall >= CLIENT_BOUND


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else math.nan


def target(met: bool) -> str:
    return "yes" if met else "NO"


def print_ratios(rows: Sequence[Measured]) -> None:
    """Ours over Oxigraph for each workload and concurrency, beside the targets."""
    cells = []
    for ours in (m for m in rows if m.server == OURS):
        oxi = next(
            m for m in rows
            if m.server == OXI and (m.workload, m.clients) == (ours.workload, ours.clients)
        )  # fmt: skip
        latency, throughput = ratio(ours.median, oxi.median), ratio(ours.throughput, oxi.throughput)
        cells.append(
            [
                ours.workload,
                str(ours.clients),
                figure(latency),
                target(latency <= MEDIAN_TARGET),
                figure(throughput),
                target(throughput >= THROUGHPUT_TARGET),
                str(len(ours.errors)),
                target(not ours.errors),
            ]
        )
    table(
        "ours / Oxigraph (targets printed, not asserted)",
        [
            "workload", "clients", "median ours/ox", f"<= {MEDIAN_TARGET}",
            "req/s ours/ox", f">= {THROUGHPUT_TARGET}", "errors ours", "= 0",
        ],
        cells,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The two modes
# ---------------------------------------------------------------------------------------------


def warm_up(server: Server, requests: Sequence[Request], count: int, timeout: float) -> None:
    """``count`` requests on one connection (``WARMUP_CAP`` s at most), not counted; say if
    any failed."""
    if count <= 0:
        return
    run = drive(server, requests, 1, WARMUP_CAP, count, timeout)
    failed = [s for s in run.samples if s.status not in GOOD_STATUSES]
    if failed:
        report_errors(f"warm-up of {server.name}", failed)


def measure(
    workload: Workload, servers: Sequence[Server], args: argparse.Namespace
) -> list[Measured]:
    """Warm each server up, then run each concurrency on each (the order alternating, so
    neither always runs first on a machine whose load drifts)."""
    for server in servers:
        note(f"{workload.name}: warming {server.name} up")
        warm_up(server, workload.requests[server.name], args.warmup, args.timeout)
    rows = []
    for turn, clients in enumerate(args.concurrency):
        for server in servers if turn % 2 == 0 else list(reversed(servers)):
            note(f"{workload.name}: {server.name}, {clients} client(s)")
            requests = workload.requests[server.name]
            seconds = RUN_CAP if args.requests else args.seconds
            run = drive(server, requests, clients, seconds, args.requests, args.timeout)
            rows.append(Measured(workload.name, clients, server.name, run))
    order = {(OURS, OXI)[i]: i for i in range(2)}
    return sorted(rows, key=lambda m: (args.concurrency.index(m.clients), order[m.server]))


def compare(args: argparse.Namespace) -> None:
    """Both servers on the same graph, each workload at each concurrency; print the tables."""
    with tempfile.TemporaryDirectory(prefix="dialoguekg-endpoint-") as temporary:
        work = Path(temporary)
        with contextlib.ExitStack() as stack:  # stops the servers, before the folder goes
            dist = prepare_dist(args.dialoguekg, args.dist, args.scale, work)
            oxigraph = start_oxigraph(dist, work, stack, args.start_timeout)
            ours = start_ours(args.dialoguekg, dist, work, stack, args.start_timeout, [])
            servers = [ours, oxigraph]
            entities = sample_entities(oxigraph, args.entities, args.seed, args.timeout)
            rows = [m for w in workloads(servers, entities) for m in measure(w, servers, args)]
            quads = count_quads(dist)
            for server in servers:
                server.take_stock()
    per_run = f"{args.requests} requests" if args.requests else f"{args.seconds:g} s"
    print(
        f"\n{len(entities)} distinct entities in the sample; data: {describe_data(args)}, "
        f"{quads:,} quads"
    )
    print_servers(servers)
    print_results(rows, per_run)
    print_ratios(rows)


def count_quads(dist: Path) -> int:
    """The statements of the graph served: the N-Quads dump's lines (data and ontology)."""
    with (dist / "dialoguekg.nq").open("rb") as nq:
        return sum(1 for line in nq if line.strip() and not line.startswith(b"#"))


def describe_data(args: argparse.Namespace) -> str:
    if args.dist:
        return str(args.dist)
    return f"the real data {args.scale} times over" if args.scale else "the real data"


def acceptable(sample: Sample) -> bool:
    """Not an error in the load run: a good status, or a heavy query refused as documented."""
    if sample.kind in HEAVY:
        return sample.status in HEAVY_STATUSES
    return sample.status in GOOD_STATUSES


def kind_row(kind: str, samples: Sequence[Sample]) -> list[str]:
    return [
        kind,
        str(len(samples)),
        statuses(samples),
        str(sum(not acceptable(s) for s in samples)),
        figure(percentile_ms(samples, 50), 1),
        figure(percentile_ms(samples, 99), 1),
        f"{max(s.seconds for s in samples) * 1000:.1f}",
    ]


def print_load(
    args: argparse.Namespace, run: Run, health: Sequence[Sample], heavy: Sequence[Sample],
    options: list[str], entities: int,
) -> None:  # fmt: skip
    samples = [*run.samples, *heavy]
    kinds = sorted({s.kind for s in samples})
    rows = [kind_row(kind, [s for s in samples if s.kind == kind]) for kind in kinds]
    if health:
        rows.append(kind_row("health GET /", health))
    table(
        f"load: {args.load_concurrency} clients for {args.load:g} s over {entities} entities, "
        f"a heavy query every {args.heavy_every:g} s, serve {' '.join(options) or '(defaults)'}",
        ["kind", "requests", "statuses", "errors", "median ms", "p99 ms", "max ms"],
        rows,
    )
    errors = [s for s in samples if not acceptable(s)]
    slow = [s for s in health if s.status != 200 or s.seconds > HEALTH_LIMIT]
    worst = max((s.seconds for s in health), default=math.nan) * 1000
    table(
        "load overall (errors: not 200/303/304, nor a heavy query's 400/503)",
        [
            "requests", "errors", "req/s", "server CPU %", "client CPU %", "in flight at end",
            "health checks", f"health failed or over {HEALTH_LIMIT:g} s", "worst health ms",
        ],
        [[
            str(len(samples)), str(len(errors)), f"{len(run.samples) / run.wall:.0f}",
            f"{run.server_cpu / run.wall * 100:.0f}", f"{run.client_cpu / run.wall * 100:.0f}",
            str(run.in_flight), str(len(health)), str(len(slow)), figure(worst, 0),
        ]],
    )  # fmt: skip
    report_errors("load", errors)
    report_errors("health", slow)


def load(args: argparse.Namespace) -> None:
    """Ours alone under the mix, with heavy queries and health checks beside it."""
    with tempfile.TemporaryDirectory(prefix="dialoguekg-endpoint-") as temporary:
        work = Path(temporary)
        with contextlib.ExitStack() as stack:
            dist = prepare_dist(args.dialoguekg, args.dist, args.scale, work)
            options = ["--time-limit", "2"] if offers_time_limit(args.dialoguekg) else []
            ours = start_ours(args.dialoguekg, dist, work, stack, args.start_timeout, options)
            entities = sample_entities(ours, args.entities, args.seed, args.timeout)
            mix = load_mix(entities, args.seed)
            note(f"load: warming {OURS} up")
            warm_up(ours, mix, args.warmup, args.timeout)
            note(f"load: {args.load_concurrency} clients for {args.load:g} s")
            stopped = threading.Event()
            health_thread, health = background(
                ours, [Request("health", "/", HTML)], 1.0, args.load, args.timeout, stopped
            )
            heavy_thread, heavy = background(
                ours, heavy_requests(), args.heavy_every, args.load, args.timeout, stopped
            )
            try:
                run = drive(ours, mix, args.load_concurrency, args.load, None, args.timeout)
            finally:
                stopped.set()
            late = time.perf_counter() + GRACE
            for thread in (health_thread, heavy_thread):
                thread.join(max(0.0, late - time.perf_counter()))
            checks, refused = health.close(), heavy.close()
            ours.take_stock()
    print_servers([ours])
    print_load(args, run, checks, refused, options, len(entities))


# ---------------------------------------------------------------------------------------------
# The floor: what a Python server that isolates queries in worker processes costs at least
# ---------------------------------------------------------------------------------------------

BARE, ROUND_TRIP = "bare uvicorn", "uvicorn + worker"
#: What the bare app answers to every request: a lookup's answer, as our endpoint writes it.
FIXED_ANSWER = (
    b'{"head":{"vars":["label"]},"results":{"bindings":[{"label":{"type":"literal",'
    b'"value":"Xi Jinping","xml:lang":"en"}}]}}'
)


def floor_app(kind: str, dist: Path) -> Any:
    """The ASGI app of a floor server: ``bare`` answers ``FIXED_ANSWER`` to everything;
    ``worker`` hands the ``query`` parameter to our real worker pool (``workers.Pool``, the
    worker processes ``serve`` runs, on the store loaded from ``dist``'s N-Quads) and answers
    what the worker wrote; nothing else of our request path (no routing, protocol checks,
    negotiation or cache)."""
    from urllib.parse import parse_qs

    from dialoguekg.query import LocalStore
    from dialoguekg.web.settings import ServeSettings
    from dialoguekg.web.workers import Job, Pool

    settings = ServeSettings()
    pool = Pool(
        LocalStore(dist / "dialoguekg.nq").store, {}, size=settings.query_workers,
        memory_mib=settings.worker_memory, allow_service=False, time_limit=settings.time_limit,
        row_limit=settings.row_limit, max_answer=settings.max_answer,
    )  # fmt: skip
    headers = [(b"content-type", SPARQL_JSON.encode())]

    async def answer(scope: dict[str, Any]) -> bytes:
        if kind == BARE:
            return FIXED_ANSWER
        query = parse_qs(scope["query_string"].decode("latin-1")).get("query")
        if not query:
            return FIXED_ANSWER  # GET /, the readiness check
        return (await pool.run(Job(query[0], base_iri=f"http://{HOST}/sparql"))).body

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                if kind == ROUND_TRIP:
                    pool.prestart()
                await send({"type": "lifespan.startup.complete"})
            pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await answer(scope)
        sized = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": sized})
        await send({"type": "http.response.body", "body": body})

    return app


def serve_floor(kind: str, dist: Path, port: int) -> None:
    """Run a floor server as ``dialoguekg serve`` runs ours: ``server.run``, the same uvicorn
    settings (httptools with our head limits, uvloop, the body limit)."""
    from dialoguekg.web.server import run
    from dialoguekg.web.settings import ServeSettings

    run(floor_app(kind, dist), HOST, port, ServeSettings())


def start_floor(
    kind: str, dist: Path, work: Path, stack: contextlib.ExitStack, timeout: float
) -> Server:
    port = free_port()
    command = [sys.executable, __file__, "--floor-server", kind, "--dist", str(dist)]
    command += ["--port", str(port)]
    log = work / f"floor-{kind.replace(' ', '-')}.log"
    return start_server(kind, command, port, "/sparql", stack, log, timeout)


def floor(args: argparse.Namespace) -> None:
    """The uncached lookup on Oxigraph, on ours, and on the two floor servers, the same client
    and run; a table of medians, throughput and CPU, each against Oxigraph."""
    with tempfile.TemporaryDirectory(prefix="dialoguekg-endpoint-") as temporary:
        work = Path(temporary)
        with contextlib.ExitStack() as stack:
            dist = prepare_dist(args.dialoguekg, args.dist, args.scale, work)
            oxigraph = start_oxigraph(dist, work, stack, args.start_timeout)
            ours = start_ours(args.dialoguekg, dist, work, stack, args.start_timeout, [])
            bare = start_floor(BARE, dist, work, stack, args.start_timeout)
            trip = start_floor(ROUND_TRIP, dist, work, stack, args.start_timeout)
            servers = [oxigraph, bare, trip, ours]
            entities = sample_entities(oxigraph, args.entities, args.seed, args.timeout)
            requests = {s.name: unique_select_requests(s, entities) for s in servers}
            rows = measure_all(Workload("uncached lookup", requests), servers, args)
    print(f"\n{len(entities)} distinct entities; data: {describe_data(args)}")
    print_floor(rows, args)


def measure_all(
    workload: Workload, servers: Sequence[Server], args: argparse.Namespace
) -> list[Measured]:
    """``measure`` for any number of servers: each warmed up, then each concurrency on each,
    the order turning at every concurrency so none always runs first."""
    for server in servers:
        warm_up(server, workload.requests[server.name], args.warmup, args.timeout)
    rows = []
    for turn, clients in enumerate(args.concurrency):
        for server in [*servers[turn % len(servers) :], *servers[: turn % len(servers)]]:
            note(f"{workload.name}: {server.name}, {clients} client(s)")
            seconds = RUN_CAP if args.requests else args.seconds
            run = drive(
                server, workload.requests[server.name], clients, seconds, args.requests,
                args.timeout,
            )  # fmt: skip
            rows.append(Measured(workload.name, clients, server.name, run))
    return rows


def print_floor(rows: Sequence[Measured], args: argparse.Namespace) -> None:
    order = [OXI, BARE, ROUND_TRIP, OURS]
    cells = []
    for clients in args.concurrency:
        here = {m.server: m for m in rows if m.clients == clients}
        oxi = here[OXI]
        for name in order:
            m = here[name]
            cpu = m.run.server_cpu / len(m.run.samples) * 1000 if m.run.samples else math.nan
            cells.append(
                [
                    name, str(clients), str(len(m.run.samples)), str(len(m.errors)),
                    figure(m.median), figure(m.throughput, 0), figure(cpu),
                    figure(ratio(m.median, oxi.median)),
                    figure(ratio(m.throughput, oxi.throughput)),
                    figure(m.run.client_cpu / m.run.wall * 100, 0),
                ]
            )  # fmt: skip
    table(
        "the floor: the same uncached lookup (a numbered comment each time), same client, same run;"
        " latency in ms, CPU of the server's processes per request",
        [
            "server", "clients", "requests", "errors", "median ms", "req/s", "CPU ms/req",
            "median / oxigraph", "req/s / oxigraph", "client CPU %",
        ],
        cells,
    )  # fmt: skip
    print(
        f"{BARE}: server.run with an app answering a fixed body; {ROUND_TRIP}: the same, plus"
        " the query handed to our worker pool (real worker processes) and its answer sent back;"
        " ours: dialoguekg serve"
    )


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    graph = parser.add_mutually_exclusive_group()
    graph.add_argument("--dist", type=Path, metavar="DIR", help="a built graph [default: build]")
    graph.add_argument("--scale", type=int, metavar="K", help="build the data K times over")
    add = parser.add_argument
    add("--seconds", type=float, default=10.0, metavar="S", help="per run [default 10]")
    add("--requests", type=int, metavar="N", help="per run, instead of --seconds")
    add("--concurrency", type=numbers, default=[1, 8], metavar="C,C", help="clients [default 1,8]")
    add("--warmup", type=int, default=300, metavar="N", help="per server, uncounted [default 300]")
    add("--entities", type=int, default=200, metavar="N", help="in the sample [default 200]")
    add("--seed", type=int, default=1, help="of the sample and the load mix [default 1]")
    add("--timeout", type=float, default=30.0, metavar="S", help="per request [default 30]")
    add("--start-timeout", type=float, default=300.0, metavar="S", help="per server [default 300]")
    add("--dialoguekg", default=DIALOGUEKG, metavar="PATH", help="to run [default: the venv's]")
    load = parser.add_argument_group("load run, of ours alone")
    load.add_argument("--load", type=float, metavar="S", help="run the mix S seconds, instead")
    load.add_argument(
        "--load-concurrency", type=int, default=16, metavar="C", help="clients [default 16]"
    )
    load.add_argument(
        "--heavy-every", type=float, default=10.0, metavar="S", help="heavy query [default 10]"
    )
    add("--floor", action="store_true", help="the floor table of the uncached lookup, instead")
    add("--floor-server", choices=(BARE, ROUND_TRIP), help=argparse.SUPPRESS)
    add("--port", type=int, help=argparse.SUPPRESS)  # of a --floor-server
    args = parser.parse_args(argv)
    if not args.concurrency or min(args.concurrency) < 1:
        parser.error("--concurrency takes client counts of 1 or more, e.g. 1,8")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.floor_server:  # a child of --floor: serve until stopped
        serve_floor(args.floor_server, args.dist, args.port)
        return 0
    try:
        (load if args.load else floor if args.floor else compare)(args)
    except BenchError as exc:
        print(f"endpoint.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("endpoint.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
