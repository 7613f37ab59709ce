"""The ``dialoguekg`` command: a thin layer that turns arguments into library calls and errors
into one readable message and an exit code (0 ok, 1 the graph does not conform, 2 bad input or
configuration). Nothing else in the package exits.

Settings are declared once in ``SETTINGS`` (name, default, environment variable, help); the
options, ``--help`` and the README's settings table all come from it. Precedence: command line,
then environment, then default.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .errors import DialogueKGError, NotConformingError

if TYPE_CHECKING:
    import pyoxigraph as ox

    from .project import Project


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    commands: tuple[str, ...]
    metavar: str = "DIR"
    environment: str | None = None  # the variable, when not DIALOGUEKG_{NAME}

    @property
    def env(self) -> str:
        return self.environment or f"DIALOGUEKG_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "project",
        None,
        "project folder holding ontology/, data/, queries/ "
        "(default: the current folder if it is one, else this checkout)",
        ("build", "validate", "query", "serve", "static", "link"),
    ),
    Setting(
        "data",
        None,
        "folder of data files (default: PROJECT/data)",
        ("build", "validate", "serve", "static", "link"),
    ),
    Setting("out", "dist", "folder the dumps are written to, replaced atomically", ("build",)),
    Setting(
        "dist",
        "dist",
        "folder of a built graph to query, serve, publish or write statements from",
        ("query", "serve", "static", "push", "link"),
    ),
    Setting(
        "endpoint",
        None,
        "URL of a SPARQL 1.1 endpoint: for query, asked instead of the built graph; "
        "for link, the Wikidata-compatible endpoint (default Wikidata's own)",
        ("query", "link"),
        "URL",
    ),
    Setting("format", "table", "output format: table, csv, tsv or json", ("query",), "FORMAT"),
    Setting(
        "wikidata",
        None,
        "endpoint the federated queries' SERVICE calls go to instead of Wikidata's",
        ("query",),
        "URL",
    ),
    Setting(
        "query_endpoint",
        None,
        "the store's SPARQL endpoint, where push counts what it sent (default: from the Graph "
        "Store URL: …/store → …/query, …/sparql-graph-crud[-auth] → …/sparql, …/data → …/sparql)",
        ("push",),
        "URL",
    ),
    Setting(
        "user",
        None,
        "user to answer the store's Basic or Digest challenge as; the password is read from "
        "DIALOGUEKG_PUSH_PASSWORD only",
        ("push",),
        "NAME",
        environment="DIALOGUEKG_PUSH_USER",
    ),
    Setting("host", "127.0.0.1", "address the server listens on", ("serve",), "HOST"),
    Setting("port", "8000", "port the server listens on", ("serve",), "PORT"),
    Setting("row_limit", "10000", "most rows or triples a SPARQL answer may have", ("serve",), "N"),
    Setting(
        "time_limit",
        "30",
        "seconds a SPARQL query may run before its worker is killed (503)",
        ("serve",),
        "SECONDS",
    ),
    Setting("query_workers", "2", "worker processes evaluating SPARQL", ("serve",), "N"),
    Setting(
        "worker_memory",
        "1024",
        "MiB of heap one query worker may use besides the store it shares",
        ("serve",),
        "MiB",
    ),
    Setting("max_query_length", "100000", "characters a SPARQL query may have", ("serve",), "N"),
    Setting(
        "max_query_depth", "64", "nesting of brackets a SPARQL query may have", ("serve",), "N"
    ),
    Setting("max_query_tokens", "8000", "tokens a SPARQL query may have", ("serve",), "N"),
    Setting("max_body", "1000000", "bytes a request body may have (413)", ("serve",), "BYTES"),
    Setting(
        "header_timeout",
        "10",
        "seconds a client may take to send a request's head and body",
        ("serve",),
        "SECONDS",
    ),
    Setting("reconcile_batch", "50", "queries one reconciliation batch may hold", ("serve",), "N"),
    Setting("max_head", "16384", "bytes of a request line and headers (431)", ("serve",), "BYTES"),
    Setting("max_answer", "16000000", "bytes of one SPARQL answer (400)", ("serve",), "BYTES"),
    Setting("max_connections", "1024", "connections open at once (503 beyond)", ("serve",), "N"),
    Setting("page_size", "50", "values per property on one page of a document", ("serve",), "N"),
    Setting("search_hits", "100", "most hits one search may ask for (400 beyond)", ("serve",), "N"),
    Setting("html_rows", "1000", "rows of a SPARQL answer shown as HTML", ("serve",), "N"),
    Setting(
        "cache_mib",
        "128",
        "MiB of rendered documents and SPARQL answers the server keeps per build",
        ("serve",),
        "MiB",
    ),
    Setting(
        "public_url",
        None,
        "this server's public address, used in the SPARQL service description and the "
        "reconciliation manifest (default: http://HOST:PORT/; never taken from Host)",
        ("serve",),
        "URL",
    ),
    Setting(
        "allow_service",
        "no",
        "let the SPARQL endpoint run SERVICE, making requests to other servers: yes or no",
        ("serve",),
        "yes|no",
    ),
    Setting(
        "base",
        None,
        "web base to serve the graph's IRIs under in documents, e.g. http://127.0.0.1:8000/ "
        "(default: keep https://w3id.org/dialoguekg/)",
        ("serve",),
        "URL",
    ),
)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _setting(args: argparse.Namespace, name: str) -> str | None:
    value = getattr(args, name)
    if value is not None:
        return str(value)
    setting = next(s for s in SETTINGS if s.name == name)
    return os.environ.get(setting.env) or setting.default


def _project_and_data(args: argparse.Namespace) -> tuple[Project, Path]:
    from . import project as project_mod

    root = _setting(args, "project")
    project = project_mod.find(Path(root) if root else None)
    data = _setting(args, "data")
    return project, _relative(Path(data) if data else project.data_dir)


def _relative(path: Path) -> Path:
    """The path as the user would type it: relative to the current folder where it lies below."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    """Read data/, build and validate the graph, write the dumps; nothing is written on error."""
    project, data_dir = _project_and_data(args)
    with _without_cycle_collector():
        args.kept = _build(project, data_dir, Path(_setting(args, "out") or "dist"), args.verbose)
    return 0


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Build without Python's cyclic garbage collector: the build makes millions of small
    objects in no cycles (freed by reference counting anyway), and the collector's passes over
    them grow with every object already alive."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _build(project: Project, data_dir: Path, out: Path, verbose: bool = False) -> object:
    """Build into ``out``; returns what it made (the graph, the store), for ``run`` to end the
    process without freeing it."""
    from . import export, graph
    from . import project as project_mod

    context = export.load_context(project.context_file)
    modified = export.modified_date()  # a bad SOURCE_DATE_EPOCH fails before any work
    # The build's child writes its N-Triples into the new output folder, which is loaded into
    # the store as it is written; the other dumps and the tables are made and written
    # (``export.start``) while the store's load ends and the shapes are checked; the folder is
    # put in place only if the graph conforms.
    with export.Output(out) as output, graph.Loading(output.path(export.NTRIPLES)) as loading:
        document = loading.path
        prepared = project_mod.prepare_apart(
            project, data_dir, _progress, document, out, loading.up_to
        )
        built = prepared.built
        store = export.start(output, built, context, lambda: loading.store(project.ontology_file))
        compiled = project_mod.check(project, prepared, store, _progress, "fast")
        shown = compiled.report.warnings if verbose else ()
        for line in [f.line() for f in shown] or compiled.report.summary():
            _progress(line)
        if not compiled.report.conforms:
            raise NotConformingError(compiled.report.text())
        _progress(f"writing {out}")
        output.commit(export.closing(store, len(built), output.written(), modified))
        files = len(output.written())
    for line in export.link_counts(store):
        _progress(line)
    _coverage(store, compiled.counts["meetings"])
    counts = compiled.counts
    print(
        f"built {out}: {counts['meetings']} meetings, {counts['persons']} persons, "
        f"{counts['parties']} parties, {counts['sources']} sources, "
        f"{compiled.claims} claims, {len(built.conflicts)} conflicts; "
        f"{len(built)} triples, {export.entity_count(store)} entities, "
        f"{files} files, {len(compiled.report.violations)} violations, "
        f"{len(compiled.report.warnings)} warnings"
    )
    return prepared, store


#: Up to this many meetings, the build prints each one's coverage; beyond, where to find it.
COVERAGE_LINES = 40


def _coverage(store: ox.Store, meetings: int) -> None:
    """How many parties, countries and persons the graph names for each meeting, beside the
    counts its sources report (``coverage``)."""
    from . import coverage

    if meetings > COVERAGE_LINES:
        _progress(f"named participants of {meetings} meetings: dialoguekg query coverage")
        return
    _progress("named as taking part, against the counts the sources report:")
    for found in coverage.coverage(store):
        _progress("  " + found.line())


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the SHACL report in plain words; exit 0 if the graph conforms, 1 if not."""
    from . import project as project_mod

    project, data_dir = _project_and_data(args)
    with _without_cycle_collector():
        compiled = project_mod.compile_graph(project, data_dir, _progress, engine=args.engine)
    args.kept = compiled
    print(compiled.report.text(verbose=args.verbose))
    return 0 if compiled.report.conforms else 1


def cmd_query(args: argparse.Namespace) -> int:
    """Run a shipped query (by name) or a query file on the built graph or an endpoint."""
    from . import project as project_mod
    from . import query as q

    root = _setting(args, "project")
    queries_dir = project_mod.find(Path(root) if root else None).queries_dir
    if args.list:
        for named in q.shipped_queries(queries_dir):
            print(f"{named.name:24} {named.question}")
        return 0
    if not args.query:
        raise DialogueKGError(
            "name a query or a .rq file (dialoguekg query --list shows the shipped ones)"
        )
    fmt = _setting(args, "format") or "table"
    if fmt not in q.FORMATS:
        raise DialogueKGError(
            f"--format {fmt!r} is not known; choose one of: {', '.join(q.FORMATS)}"
        )
    named = q.find_query(args.query, queries_dir)
    endpoint = _setting(args, "endpoint")
    store: q.Store
    if endpoint:
        store = q.RemoteStore(endpoint)
    else:
        store = q.LocalStore(Path(_setting(args, "dist") or "dist") / "dialoguekg.nq")
    sparql = q.with_wikidata(named.text, _setting(args, "wikidata"))
    sys.stdout.write(q.render(store.query(sparql), fmt))
    return 0


def _built(args: argparse.Namespace) -> tuple[Project, Path]:
    """The project and its built graph (``--dist``), built first if it is missing."""
    project, data_dir = _project_and_data(args)
    dist = Path(_setting(args, "dist") or "dist")
    if not (dist / "dialoguekg.nq").is_file():
        _progress(f"no built graph in {dist}: building it")
        _build(project, data_dir, dist)
    return project, dist


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the graph as Linked Data with a SPARQL endpoint (builds dist/ first if missing).
    The store starts loading before the web stack is imported, which overlaps the load."""
    import pyoxigraph as ox

    from .query import Loading
    from .web.settings import ServeSettings

    numbers = {
        "port": int,
        "row_limit": int,
        "time_limit": float,
        "query_workers": int,
        "worker_memory": int,
        "max_query_length": int,
        "max_query_depth": int,
        "max_query_tokens": int,
        "max_body": int,
        "header_timeout": float,
        "reconcile_batch": int,
        "cache_mib": int,
        "max_head": int,
        "max_answer": int,
        "max_connections": int,
        "page_size": int,
        "search_hits": int,
        "html_rows": int,
    }
    values: dict[str, Any] = {}
    for name, kind in numbers.items():
        raw = _setting(args, name) or ""
        try:
            values[name] = kind(raw)
        except ValueError:
            values[name] = None
        if values[name] is None or values[name] <= 0:
            flag = "--" + name.replace("_", "-")
            raise DialogueKGError(f"{flag} takes a positive number, not {raw!r}")
    allow = (_setting(args, "allow_service") or "no").lower()
    if allow not in ("yes", "no"):
        raise DialogueKGError(f"--allow-service {allow!r} is not known; choose yes or no")
    host = (_setting(args, "host") or "127.0.0.1").removeprefix("[").removesuffix("]")
    port = values.pop("port")
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, bracketed as in a URL
    public_url = _web_base(_setting(args, "public_url"), "--public-url") or (
        f"http://{shown}:{port}/"
    )
    try:  # the endpoint's base IRI: every query resolves its relative IRIs against it
        ox.NamedNode(public_url + "sparql")
    except ValueError as exc:
        raise DialogueKGError(f"--public-url {public_url!r} is not a usable IRI ({exc})") from exc
    settings = ServeSettings(
        **values, base=_base(args), allow_service=allow == "yes", public_url=public_url
    )
    project, dist = _built(args)
    loading = Loading(dist / "dialoguekg.nq")
    from . import export
    from .web import app, server

    context = export.load_context(project.context_file)
    application = app.create_asgi(dist, project.queries_dir, context, settings, loading)
    _progress(f"serving {dist} at http://{shown}:{port}/ (SPARQL at /sparql)")
    server.run(application, host, port, settings)
    return 0


def cmd_static(args: argparse.Namespace) -> int:
    """Write the whole site as files for a static host: pages, documents, dumps, search and
    a SPARQL page that runs in the browser (builds dist/ first if missing)."""
    from . import export
    from .web.static import write_site

    project, dist = _built(args)
    context = export.load_context(project.context_file)
    out = Path(args.out)
    written = write_site(dist, out, project.queries_dir, context, project.root / "assets")
    _progress(
        f"wrote {out}: {written.pages:,} pages about {written.entities:,} entities, "
        f"{written.files:,} files, {written.size / 2**20:.1f} MiB"
    )
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    """Find and score Wikidata items for unlinked entities into a review file, merge the
    rows a person accepted (--accept FILE) into data/links.yaml, or write the graph's sourced
    facts about linked entities as QuickStatements (--statements FILE)."""
    import datetime as dt

    from . import link, sources

    _, data_dir = _project_and_data(args)
    try:
        retrieved = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError as exc:
        raise DialogueKGError(f"--date {args.date!r} is not a date; expected YYYY-MM-DD") from exc
    if args.statements:
        from . import statements

        project, _ = _project_and_data(args)
        out = Path(args.statements)
        batch = statements.write(
            Path(_setting(args, "dist") or "dist"),
            out,
            project.root,
            retrieved,
            create_missing=args.create_missing,
        )
        for line in statements.summary(batch, out):
            _progress(line)
        return 0
    if args.labels:
        endpoint = _setting(args, "endpoint") or link.WIKIDATA_SPARQL
        languages = [lang.strip() for lang in args.languages.split(",") if lang.strip()]
        count = link.fetch_labels(
            data_dir, endpoint, retrieved, languages, backoff=float(args.backoff)
        )
        print(
            f"wrote {count} names in {', '.join(languages)} to {data_dir / 'wikidata-labels.yaml'}"
        )
        return 0
    if args.accept:
        count = link.accept(data_dir, Path(args.accept), retrieved)
        print(f"accepted {count} link(s) from {args.accept} into {data_dir / 'links.yaml'}")
        return 0
    endpoint = _setting(args, "endpoint") or link.WIKIDATA_SPARQL
    wanted = link.targets(sources.load(data_dir), everything=args.all)
    _progress(f"asking {endpoint} about {len(wanted)} entities")
    candidates = link.find(wanted, endpoint, backoff=float(args.backoff))
    review = Path(args.review)
    link.write_atomically(review, link.review_csv(candidates))
    marked = sum(c.accept for c in candidates)
    print(
        f"wrote {review}: {len(candidates)} candidates for {len(wanted)} entities, "
        f"{marked} marked to accept; edit the accept column, then: "
        f"dialoguekg link --accept {review}"
    )
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    """Load the built graph into a triplestore over the SPARQL 1.1 Graph Store Protocol,
    replacing its graphs, and check that the store holds exactly the dump's triples."""
    from . import push

    dist = Path(_setting(args, "dist") or "dist")
    auth = push.credentials(_setting(args, "user"), os.environ.get(push.PASSWORD_ENV))
    endpoint = _setting(args, "query_endpoint")
    pushed = push.push(dist, args.url, query_endpoint=endpoint, auth=auth, progress=_progress)
    print(pushed.summary(dist))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Say what changed between two builds (entities, claims, facts, conflicts); --out writes
    the change as TriG, --changelog prints it as a CHANGELOG.md section."""
    from . import diff

    found = diff.compare(Path(args.old), Path(args.new))
    if args.out:
        diff.write(Path(args.out), diff.trig(found))
    text = diff.changelog(found) if args.changelog else "\n".join(diff.words(found)) + "\n"
    sys.stdout.write(text)
    return 0


def _base(args: argparse.Namespace) -> str | None:
    return _web_base(_setting(args, "base"), "--base")


def _web_base(base: str | None, flag: str) -> str | None:
    if base and not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?/", base):
        raise DialogueKGError(
            f"{flag} {base!r} is not a web base; expected http(s)://HOST/PATH/ ending in /"
        )
    return base


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": cmd_build,
    "validate": cmd_validate,
    "query": cmd_query,
    "serve": cmd_serve,
    "static": cmd_static,
    "push": cmd_push,
    "link": cmd_link,
    "diff": cmd_diff,
}


def parser() -> argparse.ArgumentParser:
    """The argument parser, with each command's options taken from ``SETTINGS``."""
    top = argparse.ArgumentParser(
        prog="dialoguekg",
        description="Build, validate and query the dialoguekg knowledge graph.",
        epilog="Exit codes: 0 ok, 1 the graph does not conform to the shapes, "
        "2 bad input or configuration.",
    )
    top.add_argument("--version", action="version", version=f"dialoguekg {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, function in COMMANDS.items():
        sub = commands.add_parser(
            name, help=(function.__doc__ or "").splitlines()[0], description=function.__doc__
        )
        if name == "query":
            sub.add_argument(
                "query",
                nargs="?",
                metavar="NAME|FILE",
                help="a shipped query's name (see --list) or a .rq file",
            )
            sub.add_argument(
                "--list", action="store_true", help="list the shipped queries and their questions"
            )
        if name == "static":
            sub.add_argument("out", metavar="OUT", help="folder the site is written to")
        if name == "push":
            sub.add_argument(
                "url",
                metavar="URL",
                help="the store's SPARQL 1.1 Graph Store Protocol URL, "
                "e.g. http://localhost:7878/store",
            )
        if name == "diff":
            sub.add_argument("old", metavar="OLD_DIST", help="folder of the earlier build")
            sub.add_argument("new", metavar="NEW_DIST", help="folder of the later build")
            sub.add_argument(
                "--out",
                metavar="FILE",
                help="also write the change as TriG: the named graph "
                "https://w3id.org/dialoguekg/diff/added holds the triples added, "
                ".../diff/removed those removed",
            )
            sub.add_argument(
                "--changelog",
                action="store_true",
                help="print the change as a CHANGELOG.md section (Keep a Changelog) instead",
            )
        if name in ("build", "validate"):
            sub.add_argument(
                "--verbose",
                action="store_true",
                help="list every warning with its file and line, not one line per kind",
            )
        if name == "validate":
            sub.add_argument(
                "--engine",
                choices=("fast", "pyshacl"),
                default="fast",
                help="fast: the shapes as whole-graph SPARQL on pyoxigraph; pyshacl: the "
                "reference validator (slow at scale, same findings) [default fast]",
            )
        if name == "link":
            sub.add_argument("--all", action="store_true", help="re-check entities already linked")
            sub.add_argument(
                "--labels",
                action="store_true",
                help="fetch linked entities' labels and aliases into data/wikidata-labels.yaml",
            )
            sub.add_argument(
                "--languages",
                default=",".join(("zh", "ru", "es", "fr")),
                metavar="LANGS",
                help="languages --labels fetches [default zh,ru,es,fr]",
            )
            sub.add_argument(
                "--review",
                default="link-review.csv",
                metavar="FILE",
                help="review file to write [default link-review.csv]",
            )
            sub.add_argument(
                "--accept",
                metavar="FILE",
                help="merge the rows marked yes in this review file into data/",
            )
            sub.add_argument(
                "--date",
                metavar="YYYY-MM-DD",
                help="retrieval date the accepted links cite, and the date the statements' "
                "references give as retrieved (S813) [default today]",
            )
            sub.add_argument(
                "--statements",
                metavar="FILE",
                help="write QuickStatements v1 for the built graph's sourced facts about "
                "entities with a checked Wikidata id (see --dist)",
            )
            sub.add_argument(
                "--create-missing",
                action="store_true",
                help="with --statements: also CREATE an item for each meeting with no "
                "Wikidata id (check first that none exists)",
            )
            sub.add_argument(
                "--backoff",
                default="1.0",
                metavar="SECONDS",
                help="first wait before retrying a 429 or 5xx answer [default 1.0]",
            )
        for setting in SETTINGS:
            if name in setting.commands:
                default = f" [env {setting.env}" + (
                    f", default {setting.default}]" if setting.default else "]"
                )
                sub.add_argument(
                    setting.flag, metavar=setting.metavar, default=None, help=setting.help + default
                )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one command, turning our errors into a message and an exit code."""
    return _run(parser().parse_args(argv))


def run() -> NoReturn:
    """The ``dialoguekg`` script: ``main``. After ``build`` and ``validate``, which leave what
    they made on ``args.kept``, the process ends without freeing it (a million-triple store
    and the build's objects took half a second to free, for a process about to end), its
    output flushed and every file it wrote closed; other commands exit as usual (``serve``'s
    worker processes are ended by its exit handlers)."""
    args = parser().parse_args()
    code = _run(args)
    if not hasattr(args, "kept"):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (``| head``), closed
            stream.flush()
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except NotConformingError as exc:
        print(exc.report_text, file=sys.stderr)
        print(
            "dialoguekg: the graph does not conform to the shapes; nothing was written",
            file=sys.stderr,
        )
        return exc.exit_code
    except DialogueKGError as exc:
        print(f"dialoguekg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    run()
