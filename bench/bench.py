"""Benchmarks: the build and the shipped queries, in process and as the CLI a user runs, at scale.

Run (prints tables of medians; the machines are shared and noisy: read ratios, not absolute
times):

- ``.venv/bin/python bench/bench.py [--repeat 5] [--scales 1,10,100]``: the build's stages in
  process, and the shipped queries on pyoxigraph against rdflib, on the real graph copied k
  times under renamed IRIs (so every query does k times the work).
- ``.venv/bin/python bench/bench.py --scale-table [--ks 1,10,30,100] [--repeat 1] [--work DIR]``:
  ``dialoguekg build`` run as a subprocess on data folders k times the real one
  (``bench/scale.py``), each stage timed from the build's progress lines (wall, CPU and memory
  of all its processes), the growth of each stage with k, and the time pyoxigraph takes to load
  the N-Triples the build wrote, as the floor a build of that graph could approach.
- ``.venv/bin/python bench/bench.py --write-stage K [--repeat 3]``: the build's write stage in
  process on the data K times over: each table (and, for the tables read without grouping,
  the same table grouped, as it was before), the Turtle and TriG dumps, VoID, the checksums and
  writing the files.
- ``.venv/bin/python bench/bench.py --load-memory K [--repeat 3]``: pyoxigraph's ``load`` against
  ``bulk_load`` on the build's N-Triples at k = K, each in a fresh process: seconds and peak
  memory above the document.
- ``.venv/bin/python bench/bench.py --gil K [--repeat 3]``: whether pyoxigraph's load, a
  validation query and a Turtle dump at k = K let another thread run: each alone, then beside
  a thread counting in Python, and two of them in two threads against one after the other
  (why the build validates and writes its files in threads). Run it on an idle machine: with
  both cores busy elsewhere no thread can overlap, and pyoxigraph looks as if it held the GIL.
- ``.venv/bin/python bench/bench.py --query-growth 1,5,20 [--repeat 3]``: every shipped query
  and the coverage of every meeting on the build's store of the data k times over, with each
  one's growth (log-log slope): whether it carries the whole record.
- ``.venv/bin/python bench/bench.py --cli-median [--repeat 5]``: ``dialoguekg validate``,
  ``build``, ``query --list`` and ``--help`` on the real data, and whether each imports rdflib,
  pySHACL or pyoxigraph.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox
import scale  # bench/scale.py, beside this file

if TYPE_CHECKING:
    from rdflib import Graph

    from dialoguekg.project import Project

ROOT = Path(__file__).resolve().parents[1]
#: Seconds: an rdflib run longer than this is timed once, and not run on the larger scales.
RDFLIB_BUDGET = 10.0
#: The ``dialoguekg`` script of the Python running this (the venv's), else the one on PATH.
DIALOGUEKG = shutil.which("dialoguekg", path=str(Path(sys.executable).parent)) or "dialoguekg"


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
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
# In process: the library's stages, and the shipped queries on pyoxigraph against rdflib.
# The library is imported here, not at the top, so that the CLI benchmarks below, which only
# run the command, still run while the library's API is being changed.
# ---------------------------------------------------------------------------------------------


def optional(function: Callable[[], object], repeat: int) -> float | None:
    """The median time of a candidate from an optional package, or None if it is missing."""
    try:
        return median_seconds(function, repeat)
    except ImportError:
        return None


def stages(project: Project, repeat: int) -> None:
    """Each stage of the build in process, with the candidates measured for validation
    (the fast SPARQL path against pySHACL) and JSON-LD (our writer against rdflib's)."""

    import pyoxigraph as ox

    from dialoguekg import export, graph, sources, validate

    data = sources.load(project.data_dir)
    built = graph.build(data)
    store = built.dataset(project.ontology_file)
    context = export.load_context(project.context_file)
    nt = built.document

    def rdflib_jsonld() -> object:
        from rdflib import Graph

        g = Graph().parse(data=nt, format="nt")
        return g.serialize(format="json-ld", context=dict(context), auto_compact=True)

    def turbo() -> object:  # pyshacl-turbo: a Rust SHACL engine with pySHACL's API (PyPI)
        import pyshacl_turbo

        return pyshacl_turbo.validate(
            store, shacl_graph=project.shapes(), inference="none", allow_warnings=True
        )

    def pyld() -> object:  # PyLD: the JSON-LD reference implementation in Python (PyPI)
        import json

        from pyld import jsonld as pyld_jsonld  # type: ignore[import-not-found]

        expanded = json.loads(store.dump(format=ox.RdfFormat.JSON_LD, from_graph=ox.DefaultGraph()))
        return pyld_jsonld.compact(expanded, {"@context": dict(context)})

    rows: list[tuple[str, float | None]] = [
        ("read data/", median_seconds(lambda: sources.load(project.data_dir), repeat)),
        ("build graph (N-Triples lines)", median_seconds(lambda: graph.build(data), repeat)),
        (
            "load into pyoxigraph",
            median_seconds(lambda: built.dataset(project.ontology_file), repeat),
        ),
        (
            "validate, fast (SPARQL on pyoxigraph)",
            median_seconds(lambda: validate.validate(store, project.shapes_file), repeat),
        ),
        (
            "validate, pySHACL (reference)",
            median_seconds(
                lambda: validate.validate(store, project.shapes_file, engine="pyshacl"), 1
            ),
        ),
        (
            "JSON-LD, our writer",
            median_seconds(lambda: export.jsonld(built.lines(), context), repeat),
        ),
        ("validate, pyshacl-turbo (candidate)", optional(turbo, 1)),
        ("JSON-LD, rdflib compaction", median_seconds(rdflib_jsonld, repeat)),
        ("JSON-LD, PyLD compaction (candidate)", optional(pyld, 1)),
        (
            "all dumps",
            median_seconds(
                lambda: export.all_files(built, project.ontology_file, context, store), repeat
            ),
        ),
    ]
    table(
        f"build stages, {len(built)} triples, median of {repeat}",
        ["stage", "ms"],
        [[name, "not installed" if s is None else f"{s * 1000:.0f}"] for name, s in rows],
    )


def scaled(base: Graph, k: int) -> bytes:
    """N-Triples of ``k`` copies of ``base``, each copy's own IRIs suffixed with ``~i``."""
    from rdflib import Graph, URIRef

    from dialoguekg.vocab import ID

    out = bytearray()
    prefix = str(ID)
    for i in range(k):
        copy = Graph()
        for s, p, o in base:
            s2 = URIRef(f"{s}~{i}") if str(s).startswith(prefix) and i else s
            o2 = (
                URIRef(f"{o}~{i}")
                if isinstance(o, URIRef) and str(o).startswith(prefix) and i
                else o
            )
            copy.add((s2, p, o2))
        out += copy.serialize(format="nt", encoding="utf-8")
    return bytes(out)


def load_nt(nt: bytes) -> None:
    ox.Store().load(nt, format=ox.RdfFormat.N_TRIPLES)


def parse_nt(nt: bytes) -> Graph:
    from rdflib import Graph

    return Graph().parse(data=nt, format="nt")


def run_query(engine: ox.Store | Graph, text: str) -> object:
    """The whole answer, read: query engines may stream, and the time is all of it."""
    answer = engine.query(text)
    return answer if isinstance(answer, ox.QueryBoolean) else list(answer)


def queries(project: Project, repeat: int, scales: list[int], rdflib_limit: int) -> None:
    from rdflib import Graph
    from rdflib.plugins.sparql.sparql import NotBoundError

    from dialoguekg import graph, sources
    from dialoguekg.query import shipped_queries

    base = graph.build(sources.load(project.data_dir)).graph  # rdflib, for the rdflib side
    named = [q for q in shipped_queries(project.queries_dir) if not q.federated]  # no network
    too_slow: set[str] = set()  # queries rdflib took over RDFLIB_BUDGET on a smaller scale
    for k in scales:
        nt = scaled(base, k)
        store = ox.Store()
        load_ox = median_seconds(partial(load_nt, nt), 1)
        store.load(nt, format=ox.RdfFormat.N_TRIPLES)
        with_rdflib = len(store) <= rdflib_limit
        rdf = Graph().parse(data=nt, format="nt") if with_rdflib else None
        load_rdf = median_seconds(partial(parse_nt, nt), 1) if with_rdflib else 0.0
        rows = [
            [
                "(load N-Triples)",
                f"{load_ox * 1000:.0f}",
                f"{load_rdf * 1000:.0f}" if with_rdflib else "-",
                f"{load_rdf / load_ox:.0f}x" if with_rdflib else "-",
            ]
        ]
        for q in named:
            t_ox = median_seconds(partial(run_query, store, q.text), repeat)
            if rdf is not None and q.name in too_slow:
                rows.append([q.name, f"{t_ox * 1000:.1f}", "skipped", "-"])
            elif rdf is not None:
                try:
                    first = median_seconds(partial(run_query, rdf, q.text), 1)
                    t_rdf = (
                        first
                        if first > RDFLIB_BUDGET  # one run says enough; repeats would take minutes
                        else median_seconds(partial(run_query, rdf, q.text), repeat)
                    )
                except NotBoundError:  # rdflib cannot GROUP_CONCAT an unbound value
                    rows.append([q.name, f"{t_ox * 1000:.1f}", "fails", "-"])
                    continue
                if first > RDFLIB_BUDGET:
                    too_slow.add(q.name)
                rows.append(
                    [q.name, f"{t_ox * 1000:.1f}", f"{t_rdf * 1000:.1f}", f"{t_rdf / t_ox:.0f}x"]
                )
            else:
                rows.append([q.name, f"{t_ox * 1000:.1f}", "-", "-"])
        table(
            f"queries on {len(store)} triples ({k} cop{'y' if k == 1 else 'ies'}), "
            f"median of {repeat}, ms",
            ["query", "pyoxigraph", "rdflib", "rdflib/pyoxigraph"],
            rows,
        )


def in_process(repeat: int, scales: list[int], rdflib_limit: int) -> None:
    from dialoguekg.project import Project

    project = Project(ROOT)
    stages(project, repeat)
    queries(project, repeat, scales, rdflib_limit)


# ---------------------------------------------------------------------------------------------
# The CLI's build as a subprocess, its stages timed from its progress lines
# ---------------------------------------------------------------------------------------------

#: Each stage, and the start of the progress line that opens it (on stderr, flushed as printed).
#: "start" is the interpreter starting and importing; "exit" begins with the summary line (on
#: stdout) and lasts until the process has ended: freeing its memory, closing its files.
STAGES: tuple[tuple[str, str], ...] = (
    ("start", ""),
    ("read", "reading "),
    ("build", "building the graph"),
    ("validate", "validating "),
    ("write", "writing "),
    ("exit", "built "),
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STAGE_NAMES = [name for name, _ in STAGES]


@dataclass(frozen=True)
class Sample:
    """The build at one moment: seconds since it was started, CPU seconds it has used (all its
    processes), and the peak of the memory its processes held together so far, in MB (NaN
    where /proc could not tell: it had exited)."""

    wall: float
    cpu: float
    rss: float


@dataclass
class BuildRun:
    """One ``dialoguekg build``: a sample at the start of each stage, and at the end ("end");
    ``rss`` is the peak of all its processes together (``Memory``), ``largest`` the largest
    peak of any one of them (the rusage of the build and the children it waited for)."""

    marks: dict[str, Sample] = field(default_factory=dict)
    summary: str = ""
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=15))
    wall: float = math.nan
    cpu: float = math.nan
    rss: float = math.nan
    largest: float = math.nan
    returncode: int | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and all(n in self.marks for n in STAGE_NAMES)

    def failed_in(self) -> str:
        """The stage the build was in when it stopped."""
        reached = [n for n in STAGE_NAMES if n in self.marks]
        return reached[-1] if reached else "start"

    def stage(self, name: str) -> Sample:
        """Wall and CPU seconds spent in stage ``name``, and the peak memory at its end."""
        names = [*STAGE_NAMES, "end"]
        begin, end = self.marks[name], self.marks[names[names.index(name) + 1]]
        return Sample(end.wall - begin.wall, end.cpu - begin.cpu, end.rss)

    @property
    def triples(self) -> int | None:
        found = re.search(r"; (\d+) triples", self.summary)
        return int(found.group(1)) if found else None


def tree(pid: int) -> list[int]:
    """The process ``pid`` and its descendants, as /proc lists them now."""
    found, todo = [], [pid]
    while todo:
        each = todo.pop()
        found.append(each)
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{each}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of the children it has waited for (fields 14 to 17 of
    /proc/PID/stat); NaN if it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return math.nan
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and parens
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def pss_mb(pid: int) -> float:
    """A process's proportional set size: its resident memory, pages shared with another
    process (a forked child's, say) counted half in each; 0 if it has gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


class Memory:
    """Samples the memory of a build's processes together (the sum of their PSS) every
    0.1 s in a thread, and keeps the peak: the build forks children that share pages with it,
    so neither one process's peak nor a sum of RSS would tell what it held. A sampled peak is
    a lower bound: memory held for less than 0.1 s may be missed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, sum(pss_mb(p) for p in tree(self.pid)))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak


def probe(pid: int, wall: float, memory: Memory) -> Sample:
    """CPU time of the build's processes now (summed over the tree) and their peak memory."""
    cpu = cpu_seconds(pid)  # NaN once the build has ended; a child ending now counts 0
    cpu += sum(0.0 if math.isnan(c) else c for c in map(cpu_seconds, tree(pid)[1:]))
    return Sample(wall, cpu, memory.peak if not math.isnan(cpu) else math.nan)


def follow(
    stream: IO[str], pid: int, start: float, run: BuildRun, stdout: bool, memory: Memory
) -> None:
    """Read the child's lines as they come, sampling it at each line that opens a stage."""
    opening = STAGES[-1:] if stdout else STAGES[1:-1]
    for line in stream:
        arrived = time.perf_counter() - start
        if stdout:
            run.summary = line.strip()
        else:
            run.tail.append(line.rstrip("\n"))
        for name, prefix in opening:
            if name not in run.marks and line.startswith(prefix):
                run.marks[name] = probe(pid, arrived, memory)


def run_build(data: Path, out: Path) -> BuildRun:
    """Run ``dialoguekg build --data DATA --out OUT``; time its stages and its whole run."""
    run = BuildRun()
    command = [DIALOGUEKG, "build", "--data", str(data), "--out", str(out)]
    env = os.environ | {"PYTHONUNBUFFERED": "1"}  # the summary line too arrives when printed
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, encoding="utf-8",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    memory = Memory(child.pid)
    run.marks["start"] = Sample(0.0, 0.0, 0.0)
    assert child.stdout is not None and child.stderr is not None
    readers = [
        threading.Thread(target=follow, args=(child.stdout, child.pid, start, run, True, memory)),
        threading.Thread(target=follow, args=(child.stderr, child.pid, start, run, False, memory)),
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(child.pid, 0)  # reaped here, for its own rusage
    run.wall = time.perf_counter() - start
    run.returncode = child.returncode = os.waitstatus_to_exitcode(status)
    run.cpu, run.largest = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    run.rss = memory.stop()
    for reader in readers:
        reader.join()
    child.stdout.close()
    child.stderr.close()
    run.marks["end"] = Sample(run.wall, run.cpu, run.rss)
    done = run.marks.get("exit")
    if done and math.isnan(done.cpu):  # it exited before we read /proc: its rusage says
        run.marks["exit"] = Sample(done.wall, run.cpu, run.rss)
    return run


def load_seconds(nt: Path, repeat: int) -> float:
    """Median seconds pyoxigraph takes to load an N-Triples file into a fresh store."""

    def load() -> None:
        ox.Store().load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)

    return median_seconds(load, repeat)


@dataclass
class ScaleRow:
    """The builds of one k: their medians, or why they failed."""

    k: int
    runs: list[BuildRun]
    load: float = math.nan
    failure: str = ""

    def stage(self, name: str) -> Sample:
        """Median wall, CPU and peak memory of one stage over the runs."""
        samples = [run.stage(name) for run in self.runs]
        return Sample(
            statistics.median(s.wall for s in samples),
            statistics.median(s.cpu for s in samples),
            statistics.median(s.rss for s in samples),
        )

    @property
    def wall(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def rss(self) -> float:
        return statistics.median(run.rss for run in self.runs)

    @property
    def largest(self) -> float:
        return statistics.median(run.largest for run in self.runs)

    @property
    def triples(self) -> int:
        return self.runs[0].triples or 0


def measure(k: int, source: Path, work: Path, repeat: int) -> ScaleRow:
    """Write the data k times over, build it ``repeat`` times, time pyoxigraph loading it."""
    folder = work / f"k{k}"
    if folder.exists():  # kept by an earlier --work run: this bench's own folder
        shutil.rmtree(folder)
    started = time.perf_counter()
    records = scale.scale(source, folder / "data", k)
    note(f"k={k}: wrote {records} records in {time.perf_counter() - started:.1f} s")
    row = ScaleRow(k, [])
    for attempt in range(repeat):
        note(f"k={k}: build {attempt + 1} of {repeat}")
        run = run_build(folder / "data", folder / "dist")
        if not run.ok:
            row.failure = f"failed in {run.failed_in()} (exit {run.returncode})"
            print(f"\nk={k}: the build {row.failure}; its stderr ended:", *run.tail, sep="\n  ")
            return row
        row.runs.append(run)
    row.load = load_seconds(folder / "dist" / "dialoguekg.nt", repeat)
    return row


def slope(x1: float, y1: float, x2: float, y2: float) -> str:
    """Log-log slope: 1 is linear growth, 2 quadratic, 0 flat."""
    if min(x1, y1, x2, y2) <= 0 or x1 == x2 or any(map(math.isnan, (y1, y2))):
        return "-"
    return f"{math.log(y2 / y1) / math.log(x2 / x1):.2f}"


def print_scale_rows(rows: list[ScaleRow], repeat: int) -> None:
    """The stages by k, their memory, their growth, and the build against pyoxigraph's load."""
    header = [
        "k", "triples", *(f"{n} s" for n in STAGE_NAMES), "total s", "peak MB", "largest MB",
    ]  # fmt: skip
    cells = []
    for row in rows:
        if row.failure:
            cells.append([str(row.k), row.failure, *[""] * (len(header) - 2)])
            continue
        per_stage = [row.stage(name) for name in STAGE_NAMES]
        cells.append(
            [str(row.k), str(row.triples)]
            + [f"{s.wall:.2f}/{s.cpu:.2f}" for s in per_stage]
            + [f"{row.wall:.2f}", f"{row.rss:.0f}", f"{row.largest:.0f}"]
        )
    table(
        f"dialoguekg build by size, median of {repeat}: wall/CPU seconds per stage (CPU of all "
        "its processes); peak MB: all its processes together (PSS sampled every 0.1 s), "
        "largest MB: the largest peak of any one",
        header,
        cells,
    )
    good = [row for row in rows if not row.failure]
    if not good:
        return
    table(
        "peak memory (MB, all processes) by the end of each stage",
        ["k", *STAGE_NAMES, "whole run"],
        [[str(r.k), *(f"{r.stage(n).rss:.0f}" for n in STAGE_NAMES), f"{r.rss:.0f}"] for r in good],
    )
    print_growth(good)
    table(
        "the reference: pyoxigraph loading the build's N-Triples into a fresh Store",
        ["k", "triples", "build wall s", "pyoxigraph load s", "build / load"],
        [
            [str(r.k), str(r.triples), f"{r.wall:.2f}", f"{r.load:.3f}", f"{r.wall / r.load:.1f}x"]
            for r in good
        ],
    )


def print_growth(rows: list[ScaleRow]) -> None:
    """Log-log slopes against k of each stage's time and of the whole run's time and memory,
    between consecutive k and from the smallest to the largest: where the build stops scaling."""
    if len(rows) < 2:
        return
    pairs = list(pairwise(rows))
    if len(pairs) > 1:
        pairs.append((rows[0], rows[-1]))
    series: list[tuple[str, Callable[[ScaleRow], float]]] = [
        ("triples", lambda r: float(r.triples)),
        *((f"{n} wall", lambda r, n=n: r.stage(n).wall) for n in STAGE_NAMES),
        *((f"{n} CPU", lambda r, n=n: r.stage(n).cpu) for n in STAGE_NAMES),
        ("total wall", lambda r: r.wall),
        ("peak memory", lambda r: r.rss),
    ]
    table(
        "growth: log-log slope against k (1 linear, 2 quadratic, 0 flat)",
        ["measure", *(f"k {a.k}->{b.k}" for a, b in pairs)],
        [
            [label, *(slope(a.k, value(a), b.k, value(b)) for a, b in pairs)]
            for label, value in series
        ],
    )


def scale_table(ks: list[int], repeat: int, source: Path, work: Path | None) -> None:
    """Build each k's data ``repeat`` times and print the tables; keep the folders in ``work``."""
    note(f"timing {DIALOGUEKG} build at k = {', '.join(map(str, ks))}")
    with tempfile.TemporaryDirectory(prefix="dialoguekg-scale-") as temporary:
        folder = work or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [measure(k, source, folder, repeat) for k in ks]
    print_scale_rows(rows, repeat)


#: Loads an N-Triples file's bytes into a fresh store with the method named, as the build
#: loads its document; prints the seconds and how far the peak RSS rose above the bytes read.
LOAD_PROBE = """
import sys, time, pyoxigraph as ox
def mb(field):
    line = next(l for l in open("/proc/self/status") if l.startswith(field))
    return int(line.split()[1]) / 1024
document = open(sys.argv[2], "rb").read()
before = mb("VmRSS:")
started = time.perf_counter()
getattr(ox.Store(), sys.argv[1])(document, format=ox.RdfFormat.N_TRIPLES)
print(time.perf_counter() - started, mb("VmHWM:") - before)
"""


def load_memory(k: int, source: Path, repeat: int) -> None:
    """pyoxigraph's ``load`` against ``bulk_load`` on the build's N-Triples at k = K, each
    in a fresh process: seconds, and the peak memory above the document (why
    ``Built.dataset`` uses ``load``)."""
    from dialoguekg import graph, sources

    with tempfile.TemporaryDirectory(prefix="dialoguekg-load-") as temporary:
        folder = Path(temporary)
        scale.scale(source, folder / "data", k)
        built = graph.build(sources.load(folder / "data"))
        nt = folder / "graph.nt"
        nt.write_bytes(built.document)
        rows = []
        for method in ("load", "bulk_load"):
            runs = [
                [float(x) for x in subprocess.run(
                    [sys.executable, "-c", LOAD_PROBE, method, str(nt)],
                    check=True, capture_output=True, text=True,
                ).stdout.split()]
                for _ in range(repeat)
            ]  # fmt: skip
            seconds = statistics.median(r[0] for r in runs)
            above = statistics.median(r[1] for r in runs)
            rows.append([method, f"{seconds:.2f}", f"{above:.0f}"])
    title = f"pyoxigraph loading the build's N-Triples at k = {k}, {len(built)} triples"
    table(f"{title}, median of {repeat}", ["method", "s", "peak MB above the document"], rows)


#: A claim's subject counted per claim: one of the validation's queries (a cardinality check).
GIL_QUERY = """SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {
  ?this a <https://w3id.org/dialoguekg/def#Claim> .
  OPTIONAL { ?this <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?value } }
GROUP BY ?this HAVING (COUNT(DISTINCT ?value) != 1)"""


def gil(k: int, source: Path, repeat: int) -> None:
    """Does pyoxigraph let other threads run while it works? For its load, a validation query
    and a Turtle dump at k = K: seconds alone; seconds beside a Python thread counting, and
    how fast that thread counted against alone (about 1: it ran freely; about 0: pyoxigraph
    held the GIL); two at once in two threads against one after the other (1.0: no overlap,
    0.5: full overlap)."""
    import pyoxigraph as ox

    from dialoguekg import graph, sources

    with tempfile.TemporaryDirectory(prefix="dialoguekg-gil-") as temporary:
        folder = Path(temporary)
        scale.scale(source, folder / "data", k)
        built = graph.build(sources.load(folder / "data"))
    store = ox.Store()
    store.load(built.document, format=ox.RdfFormat.N_TRIPLES)

    def load() -> object:
        return ox.Store().load(built.document, format=ox.RdfFormat.N_TRIPLES)

    def query() -> object:
        return list(store.query(GIL_QUERY))  # type: ignore[arg-type]

    def dump() -> object:
        return store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())

    free = statistics.median(_count_rate(lambda: time.sleep(1.0)) for _ in range(repeat))
    rows = []
    for name, work in (("load", load), ("validation query", query), ("Turtle dump", dump)):
        alone = median_seconds(work, repeat)
        beside = [_beside_counter(work) for _ in range(repeat)]
        pair = median_seconds(partial(_two_threads, work), repeat)
        rows.append(
            [
                name,
                f"{alone:.2f}",
                f"{statistics.median(s for s, _ in beside):.2f}",
                f"{statistics.median(r for _, r in beside) / free:.2f}",
                f"{pair / (2 * alone):.2f}",
            ]
        )
    title = f"pyoxigraph {ox.__version__} and the GIL at k = {k}, {len(built)} triples"
    table(
        f"{title}, median of {repeat}",
        ["work", "alone s", "beside a counting thread s", "its counting speed",
         "two in threads / one after another"],
        rows,
    )  # fmt: skip


def _count_rate(during: Callable[[], object]) -> float:
    """How fast a Python thread counts (per second) while ``during`` runs here."""
    stop = threading.Event()
    count = [0]

    def counter() -> None:
        while not stop.is_set():
            count[0] += 1

    thread = threading.Thread(target=counter)
    start = time.perf_counter()
    thread.start()
    during()
    stop.set()
    thread.join()
    return count[0] / (time.perf_counter() - start)


def _beside_counter(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``work`` takes beside a counting thread, and that thread's rate."""
    seconds = [0.0]

    def timed() -> None:
        start = time.perf_counter()
        work()
        seconds[0] = time.perf_counter() - start

    rate = _count_rate(timed)
    return seconds[0], rate


def _two_threads(work: Callable[[], object]) -> None:
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def query_growth(ks: list[int], source: Path, repeat: int) -> None:
    """Every shipped query (but the federated ones) and the coverage of every meeting, on
    pyoxigraph, on the build's store of the data k times over (``bench/scale.py``): the median
    milliseconds at each k and the growth (log-log slope) from the smallest k to the largest;
    a slope near 2 is a query that will not carry the whole record."""
    from dialoguekg import coverage, graph, sources
    from dialoguekg.project import Project
    from dialoguekg.query import shipped_queries

    project = Project(ROOT)
    named = [q for q in shipped_queries(project.queries_dir) if not q.federated]
    times: dict[str, list[float]] = {q.name: [] for q in named}
    times["(coverage of every meeting, coverage.py)"] = []
    triples: list[int] = []
    for k in ks:
        with tempfile.TemporaryDirectory(prefix="dialoguekg-queries-") as temporary:
            scale.scale(source, Path(temporary) / "data", k)
            built = graph.build(sources.load(Path(temporary) / "data"))
        store = built.dataset(project.ontology_file)
        triples.append(len(built))
        for q in named:
            times[q.name].append(median_seconds(partial(run_query, store, q.text), repeat))
        every = median_seconds(partial(coverage.coverage, store), repeat)
        times["(coverage of every meeting, coverage.py)"].append(every)
        del built, store
    rows = [
        [name, *(f"{t * 1000:.1f}" for t in found), slope(ks[0], found[0], ks[-1], found[-1])]
        for name, found in times.items()
    ]
    table(
        f"shipped queries on the build's store, median of {repeat}, ms "
        f"({', '.join(f'k = {k}: {n} triples' for k, n in zip(ks, triples, strict=True))})",
        ["query", *(f"k = {k}" for k in ks), f"slope {ks[0]}-{ks[-1]}"],
        rows,
    )


def write_stage(k: int, source: Path, repeat: int) -> None:
    """The parts of the build's write stage, in process, on the data k times over: each file
    made alone (``export.makers``; TriG includes the Turtle dump it is made from), the files
    that describe them (``export.closing``), and all of them made and written as ``build``
    does (``export.start``: two threads; the N-Triples written first, as the build's child
    writes them, and counted in)."""
    import dataclasses

    from dialoguekg import export, graph, sources, tables
    from dialoguekg.project import Project

    project = Project(ROOT)
    with tempfile.TemporaryDirectory(prefix="dialoguekg-write-") as temporary:
        folder = Path(temporary)
        scale.scale(source, folder / "data", k)
        built = graph.build(sources.load(folder / "data"))
        store = built.dataset(project.ontology_file)
        context = export.load_context(project.context_file)
        rows: list[list[str]] = []

        def timed(name: str, function: Callable[[], object]) -> None:
            rows.append([name, f"{median_seconds(function, repeat):.2f}"])

        makers = export.makers(built, store, context)
        for name in makers:  # fresh makers each time: Turtle is made once for Turtle and TriG
            timed(name, lambda name=name: export.makers(built, store, context)[name]())
        for each in tables.TABLES:
            if each.single:  # as it was read before: grouped, one row per key
                grouped = dataclasses.replace(each, single=False)
                timed(f"{each.file}, grouped", partial(tables.csv, grouped, store))
        files = {name: make() for name, make in export.makers(built, store, context).items()}
        timed("size and SHA-256 of each", lambda: {n: export.digest(c) for n, c in files.items()})
        written = {name: export.digest(content) for name, content in files.items()}
        closing = partial(export.closing, store, len(built), written, None)
        timed("descriptor, VoID, SHA256SUMS", closing)

        def output() -> None:
            with export.Output(folder / "dist") as out:
                # as the build's child leaves it: the N-Triples written into the folder
                kept = built.kept_in(out.path(export.NTRIPLES))
                export.start(out, kept, context, lambda: store)
                out.commit(export.closing(store, len(built), out.written(), None))

        timed("all made and written as build does (export.start)", output)
    title = f"the write stage at k = {k}, {len(built)} triples, median of {repeat}"
    table(title, ["part", "s"], rows)


# ---------------------------------------------------------------------------------------------
# The CLI on the real data: wall time, and which heavy libraries each command imports
# ---------------------------------------------------------------------------------------------

#: Runs a command in process, then names the heavy modules it imported (exact, unlike timing
#: imports) and exits with the command's code.
IMPORT_PROBE = """
import contextlib, io, json, sys
from dialoguekg.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:  # argparse, after --help
        code = stop.code
print(json.dumps([name in sys.modules for name in ("rdflib", "pyshacl", "pyoxigraph")]))
sys.exit(code)
"""


def imports(arguments: Sequence[str]) -> list[bool]:
    """Whether ``dialoguekg ARGUMENTS`` imports rdflib, pySHACL and pyoxigraph.

    Raises CalledProcessError if the command fails.
    """
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, *arguments],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [bool(flag) for flag in json.loads(done.stdout.splitlines()[-1])]


def cli_wall(arguments: Sequence[str], repeat: int) -> float:
    """Median wall seconds of ``dialoguekg ARGUMENTS``; raises CalledProcessError if it fails."""

    def run() -> None:
        command = [DIALOGUEKG, *arguments]
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)

    return median_seconds(run, repeat)


def cli_row(name: str, arguments: Sequence[str], repeat: int) -> list[str]:
    """One command's row: median wall time and imports, or how it failed (with its stderr)."""
    note(f"timing dialoguekg {name}")
    try:
        flags = ["yes" if flag else "no" for flag in imports(arguments)]
        wall = cli_wall(arguments, repeat)
    except subprocess.CalledProcessError as exc:
        tail = str(exc.stderr or "").splitlines()[-15:]
        print(
            f"\ndialoguekg {name} failed (exit {exc.returncode}); stderr ended:", *tail, sep="\n  "
        )
        return [name, f"failed (exit {exc.returncode})", "", "", ""]
    return [name, f"{wall:.2f}", *flags]


def cli_medians(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dialoguekg-cli-") as out:
        commands = {
            "validate": ["validate"],
            "build": ["build", "--out", str(Path(out) / "dist")],
            "query --list": ["query", "--list"],
            "--help": ["--help"],
        }
        rows = [cli_row(name, arguments, repeat) for name, arguments in commands.items()]
    table(
        f"dialoguekg on the real data, median of {repeat}",
        ["command", "wall s", "imports rdflib", "pyshacl", "pyoxigraph"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, help="runs per median [default 5; --scale-table 1]")
    parser.add_argument("--scales", default="1,10,100", help="in process: copies of the graph")
    parser.add_argument(
        "--rdflib-limit", type=int, default=200_000, help="skip rdflib above this many triples"
    )
    parser.add_argument("--scale-table", action="store_true", help="time the CLI build by size")
    parser.add_argument("--ks", default="1,10,30,100", help="--scale-table: copies of the data")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="data folder to scale")
    parser.add_argument(
        "--work", type=Path, help="keep the scaled folders here, as k<K>/ (replaced)"
    )
    parser.add_argument("--cli-median", action="store_true", help="time the CLI's commands")
    parser.add_argument("--write-stage", type=int, metavar="K", help="the write stage at k = K")
    parser.add_argument(
        "--load-memory", type=int, metavar="K", help="load against bulk_load at k = K"
    )
    parser.add_argument("--gil", type=int, metavar="K", help="pyoxigraph and the GIL at k = K")
    parser.add_argument(
        "--query-growth", metavar="KS", help="shipped queries at k = KS, e.g. 1,5,20"
    )
    args = parser.parse_args()
    if args.gil:
        gil(args.gil, args.data, args.repeat or 3)
    if args.load_memory:
        load_memory(args.load_memory, args.data, args.repeat or 3)
    if args.write_stage:
        write_stage(args.write_stage, args.data, args.repeat or 3)
    if args.scale_table:
        ks = sorted({int(k) for k in args.ks.split(",")})
        scale_table(ks, args.repeat or 1, args.data, args.work)
    if args.cli_median:
        cli_medians(args.repeat or 5)
    if args.query_growth:
        query_growth(
            sorted({int(k) for k in args.query_growth.split(",")}), args.data, args.repeat or 3
        )
    if not (
        args.scale_table
        or args.cli_median
        or args.write_stage
        or args.load_memory
        or args.gil
        or args.query_growth
    ):
        scales = [int(k) for k in args.scales.split(",")]
        in_process(args.repeat or 5, scales, args.rdflib_limit)


if __name__ == "__main__":
    main()
