"""Find a project's folders by convention and run the stages in order: read → build → validate.

A project is a folder holding ``ontology/`` (the ontology, its JSON-LD context and the shapes),
``data/`` and ``queries/``; pointed at one, nothing else needs a flag (Datasette's configuration
directory mode). The default is the current folder if it is a project, else this checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import apart, sources, validate
from . import graph as graph_stage
from .errors import DialogueKGError, ProjectError

if TYPE_CHECKING:
    import rdflib

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def ontology_file(self) -> Path:
        return self.root / "ontology" / "dialoguekg.ttl"

    @property
    def context_file(self) -> Path:
        return self.root / "ontology" / "context.jsonld"

    @property
    def shapes_file(self) -> Path:
        return self.root / "ontology" / "shapes" / "shapes.ttl"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def ontology(self) -> rdflib.Graph:
        """The ontology in rdflib (for the reference validator and the tests)."""
        return validate.load_graph(self.ontology_file)

    def shapes(self) -> rdflib.Graph:
        """The shapes in rdflib (for the reference validator and the tests)."""
        return validate.load_graph(self.shapes_file)


def find(root: Path | None = None) -> Project:
    """The project at ``root``, or the current folder, or the checkout this package runs from."""
    candidates = [root] if root is not None else [Path.cwd(), Path(__file__).resolve().parents[2]]
    for candidate in candidates:
        if (candidate / "ontology" / "dialoguekg.ttl").is_file():
            return Project(candidate)
    where = root if root is not None else Path.cwd()
    raise ProjectError(f"{where} is not a dialoguekg project: ontology/dialoguekg.ttl not found")


@dataclass(frozen=True)
class Prepared:
    """The graph read and built; ``counts`` are the records read by kind (the summary's
    figures) and ``claims`` the claims read."""

    counts: dict[str, int]
    claims: int
    built: graph_stage.Built


@dataclass(frozen=True)
class Compiled:
    """The graph read, built and validated; ``store`` holds the graph in its default graph and
    the ontology in its named graph, as the N-Quads dump does."""

    counts: dict[str, int]
    claims: int
    built: graph_stage.Built
    store: ox.Store
    report: validate.Report


def compile_graph(
    project: Project, data_dir: Path, progress: Progress, engine: str = "fast"
) -> Compiled:
    """Read ``data_dir``, build the graph and validate it (raises SourceDataError on bad input)."""
    prepared = prepare(project, data_dir, progress)
    return check(project, prepared, prepared.built.dataset(project.ontology_file), progress, engine)


def check(
    project: Project, prepared: Prepared, store: ox.Store, progress: Progress, engine: str
) -> Compiled:
    """Validate a prepared graph, loaded in ``store``, against the project's shapes."""
    progress(f"validating against {project.shapes_file}")
    built = prepared.built
    report = validate.validate(store, project.shapes_file, built.origins, engine=engine)
    progress(f"  {len(report.violations)} violations, {len(report.warnings)} warnings")
    return Compiled(prepared.counts, prepared.claims, built, store, report)


def prepare(
    project: Project,
    data_dir: Path,
    progress: Progress,
    sink: Callable[[bytes], object] | None = None,
) -> Prepared:
    """Read ``data_dir`` and build the graph (raises SourceDataError on bad input), its
    document written to ``sink`` if one is given (``graph.build``).

    The records are dropped once the graph is built: at a million triples they would double
    the memory the rest of the build needs."""
    progress(f"reading {data_dir}")
    data = sources.load(data_dir)
    counts = {kind: len(records) for kind, records in data.records.items()}
    claims = len(data.claims) + counts["links"] + counts["ids"]  # links and ids are claims too
    progress(f"  {sum(counts.values())} records, {len(data.claims)} claims")
    progress("building the graph")
    built = graph_stage.build(data, sink)
    del data
    progress(f"  {len(built)} triples")
    return Prepared(counts, claims, built)


def prepare_apart(
    project: Project,
    data_dir: Path,
    progress: Progress,
    document: Path,
    out: Path,
    written: Callable[[int], None],
) -> Prepared:
    """``prepare`` in a child process forked for it (``apart``), which writes its N-Triples
    document to the file ``document`` (the build's dump in the new output folder that will
    replace ``out``; the Built names it and holds none of it), and sends back its progress
    lines and how far the file is ``written`` as they come (``graph.Loading`` loads it that
    far meanwhile), then what it made.

    Reading and building allocate millions of small objects and free most of them among those
    that live on, and a process does not give such memory back: the parent would carry it
    through loading, validation and the dumps (at a million triples, reading apart took the
    build's peak 370 MB lower: ``bench/bench.py --scale-table``, in README.md). Raises what
    ``prepare`` raised, or a DialogueKGError if the file cannot be written; where the system
    cannot fork, ``prepare`` runs here."""
    child = apart.start(partial(_prepare_into, project, data_dir, document, out))
    if child is None:
        send = partial(apart.dispatch, progress=progress, noted=written)
        return _prepare_into(project, data_dir, document, out, send)
    prepared = child.outcome("reading and building the graph", progress, written)
    assert isinstance(prepared, Prepared)
    return prepared


def _prepare_into(
    project: Project, data_dir: Path, document: Path, out: Path, send: apart.Send
) -> Prepared:
    """``prepare``, the document written to the file ``document`` a chunk at a time, each
    chunk's end sent (an ``apart.Note``) once the chunk is in the file."""
    try:
        file = document.open("wb", buffering=0)  # no buffer: a chunk is in the file once sent
    except OSError as exc:
        raise _unwritable(out, exc) from exc
    with file:

        def sink(chunk: bytes) -> None:
            rest = memoryview(chunk)
            try:
                while rest:
                    rest = rest[file.write(rest) :]
            except OSError as exc:
                raise _unwritable(out, exc) from exc
            send(apart.Note(file.tell()))

        prepared = prepare(project, data_dir, send, sink)
    return replace(prepared, built=replace(prepared.built, file=document))


def _unwritable(out: Path, exc: OSError) -> DialogueKGError:
    return DialogueKGError(
        f"cannot write {out}: {exc.strerror or exc}; the previous output is kept"
    )
