"""Benchmarks: build stages, and the shipped queries on pyoxigraph against rdflib, at scale.

Run: ``.venv/bin/python bench/bench.py [--repeat 5] [--scales 1,10,100]``. Prints tables of
medians (the machines are shared and noisy: read ratios, not absolute times). Scaled graphs are
the real graph copied k times under renamed IRIs, so every query does k times the work.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.plugins.sparql.sparql import NotBoundError

from dialoguekg import export, graph, sources, validate
from dialoguekg.project import Project
from dialoguekg.query import shipped_queries
from dialoguekg.vocab import ID

ROOT = Path(__file__).resolve().parents[1]
#: Seconds: an rdflib run longer than this is timed once, and not run on the larger scales.
RDFLIB_BUDGET = 10.0


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


def stages(project: Project, repeat: int) -> None:
    data = sources.load(project.data_dir)
    built = graph.build(data)
    shapes, ontology = project.shapes(), project.ontology()
    context = export.load_context(project.context_file)
    rows = [
        ["read data/", median_seconds(lambda: sources.load(project.data_dir), repeat)],
        ["build graph", median_seconds(lambda: graph.build(data), repeat)],
        [
            "validate (SHACL)",
            median_seconds(lambda: validate.validate(built.graph, shapes, ontology), repeat),
        ],
        [
            "render dumps",
            median_seconds(lambda: export.all_files(built.graph, ontology, context), repeat),
        ],
    ]
    table(
        f"build stages, {len(built.graph)} triples, median of {repeat}",
        ["stage", "ms"],
        [[name, f"{s * 1000:.0f}"] for name, s in rows],
    )


def scaled(base: Graph, k: int) -> bytes:
    """N-Triples of ``k`` copies of ``base``, each copy's own IRIs suffixed with ``~i``."""
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


def queries(project: Project, repeat: int, scales: list[int], rdflib_limit: int) -> None:
    base = graph.build(sources.load(project.data_dir)).graph
    named = [q for q in shipped_queries(project.queries_dir) if not q.federated]  # no network
    too_slow: set[str] = set()  # queries rdflib took over RDFLIB_BUDGET on a smaller scale
    for k in scales:
        nt = scaled(base, k)
        store = ox.Store()
        load_ox = median_seconds(
            lambda nt=nt: ox.Store().load(nt, format=ox.RdfFormat.N_TRIPLES), 1
        )
        store.load(nt, format=ox.RdfFormat.N_TRIPLES)
        with_rdflib = len(store) <= rdflib_limit
        rdf = Graph().parse(data=nt, format="nt") if with_rdflib else None
        load_rdf = (
            median_seconds(lambda nt=nt: Graph().parse(data=nt, format="nt"), 1)
            if with_rdflib
            else 0.0
        )
        rows = [
            [
                "(load N-Triples)",
                f"{load_ox * 1000:.0f}",
                f"{load_rdf * 1000:.0f}" if with_rdflib else "-",
                f"{load_rdf / load_ox:.0f}x" if with_rdflib else "-",
            ]
        ]
        for q in named:
            t_ox = median_seconds(lambda q=q, store=store: list(store.query(q.text)), repeat)
            if rdf is not None and q.name in too_slow:
                rows.append([q.name, f"{t_ox * 1000:.1f}", "skipped", "-"])
            elif rdf is not None:
                try:
                    first = median_seconds(lambda q=q, rdf=rdf: list(rdf.query(q.text)), 1)
                    t_rdf = (
                        first
                        if first > RDFLIB_BUDGET  # one run says enough; repeats would take minutes
                        else median_seconds(lambda q=q, rdf=rdf: list(rdf.query(q.text)), repeat)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scales", default="1,10,100", help="comma-separated copy counts")
    parser.add_argument(
        "--rdflib-limit", type=int, default=200_000, help="skip rdflib above this many triples"
    )
    args = parser.parse_args()
    project = Project(ROOT)
    stages(project, args.repeat)
    queries(project, args.repeat, [int(k) for k in args.scales.split(",")], args.rdflib_limit)


if __name__ == "__main__":
    main()
