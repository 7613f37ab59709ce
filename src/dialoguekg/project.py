"""Find a project's folders by convention and run the stages in order: read → build → validate.

A project is a folder holding ``ontology/`` (the ontology, its JSON-LD context and the shapes),
``data/`` and ``queries/``; pointed at one, nothing else needs a flag (Datasette's configuration
directory mode). The default is the current folder if it is a project, else this checkout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import graph as graph_stage
from . import sources, validate
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


def prepare(project: Project, data_dir: Path, progress: Progress) -> Prepared:
    """Read ``data_dir`` and build the graph (raises SourceDataError on bad input).

    The records are dropped once the graph is built: at a million triples they would double
    the memory the rest of the build needs."""
    progress(f"reading {data_dir}")
    data = sources.load(data_dir)
    counts = {kind: len(records) for kind, records in data.records.items()}
    claims = len(data.claims) + counts["links"] + counts["ids"]  # links and ids are claims too
    progress(f"  {sum(counts.values())} records, {len(data.claims)} claims")
    progress("building the graph")
    built = graph_stage.build(data)
    del data
    progress(f"  {len(built)} triples")
    return Prepared(counts, claims, built)


def prepare_apart(project: Project, data_dir: Path, progress: Progress) -> Prepared:
    """``prepare`` in a child process forked for it, which hands back what it made: the graph's
    lines through a file, its progress lines and the rest pickled through a pipe.

    Reading and building allocate millions of small objects and free most of them among those
    that live on, and a process does not give such memory back: at a million triples the
    parent would carry some 400 MB of it through loading, validation and the dumps. Raises
    what ``prepare`` raised; where ``os.fork`` is not offered, ``prepare`` runs here."""
    if not hasattr(os, "fork"):
        return prepare(project, data_dir, progress)
    with tempfile.TemporaryDirectory(prefix="dialoguekg-build-") as folder:
        lines = Path(folder) / "graph.nt"
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(reader)
            _prepare_and_send(project, data_dir, lines, writer)
        os.close(writer)
        outcome: object = None
        with os.fdopen(reader, "rb") as pipe, contextlib.suppress(EOFError):
            while (message := pickle.load(pipe))[0] == "progress":
                progress(message[1])
            outcome = message[1]
        _, status = os.waitpid(pid, 0)
        if isinstance(outcome, DialogueKGError):
            raise outcome
        if not isinstance(outcome, Prepared):
            code = os.waitstatus_to_exitcode(status)
            raise DialogueKGError(
                f"reading and building the graph stopped without an answer (exit code {code})"
            )
        built = dataclasses.replace(outcome.built, document=lines.read_bytes())
        return dataclasses.replace(outcome, built=built)


def _prepare_and_send(project: Project, data_dir: Path, lines: Path, pipe: int) -> None:
    """In the child of ``prepare_apart``: prepare, sending each progress line and then the
    outcome, and leave without running any of the parent's cleanup."""
    try:
        with os.fdopen(pipe, "wb") as stream:

            def send(kind: str, value: object) -> None:
                pickle.dump((kind, value), stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()

            outcome: Prepared | DialogueKGError
            try:
                prepared = prepare(project, data_dir, partial(send, "progress"))
                lines.write_bytes(prepared.built.document)
                outcome = dataclasses.replace(
                    prepared, built=dataclasses.replace(prepared.built, document=b"")
                )
            except DialogueKGError as exc:
                outcome = exc
            send("outcome", outcome)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(0)
