"""``dialoguekg static OUT``: the whole site as files, for a host that runs no program.

The pages and documents come from the server's own renderer (``render``), at the server's
paths, so ``serve`` and ``static`` give the same bytes for the same page. What needs a server
is replaced by files: search by a prebuilt index searched in the browser (``assets/search.js``),
the SPARQL endpoint by a query page that loads the dump into Oxigraph's WebAssembly build, and
content negotiation by rules for the hosts that take them (Apache's ``.htaccess``; Netlify's
``netlify.toml``; ``_headers`` for Netlify and Cloudflare Pages) and ``<link rel="alternate">``
in the pages for the rest. Links are relative, so the site works under any sub-path.

OUT is replaced atomically, and only when it is new, empty or a site this command wrote.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import DialogueKGError
from ..query import shipped_queries
from ..vocab import ID, PREFIXES
from . import conneg
from .documents import Rendered
from .engine import copy_engine, engine_files
from .render import ASSETS, Renderer, subjects_of_pages
from .settings import ServeSettings
from .site import DUMP, Site

#: The file that marks a folder as a site this command wrote (and may replace).
MARK = ".dialoguekg-static"
#: Media types of the RDF files, for the hosts' header rules.
MEDIA = {f".{f.suffix}": f.media_type for f in conneg.RESOURCE_FORMATS} | {
    ".trig": "application/trig",
    ".nq": "application/n-quads",
    ".csv": "text/csv",
    ".wasm": "application/wasm",
}


@dataclass(frozen=True)
class Written:
    """What ``write_site`` wrote: how many files, pages and entities, and how many bytes."""

    files: int
    pages: int
    entities: int
    size: int


class Files:
    """The site as it is written into its staging folder, counted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.size = 0

    def put(self, path: str, content: bytes) -> None:
        """Write ``content`` at site path ``path`` (``/id/x.html``, ``/``: ``index.html``)."""
        target = self._inside(path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        self.count += 1
        self.size += len(content)

    def copy(self, source: Path, path: str) -> None:
        target = self._inside(path.lstrip("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.count += 1
        self.size += target.stat().st_size

    def _inside(self, relative: str) -> Path:
        """The file at ``relative`` in the site, refusing a path that leaves it (an IRI of
        the dump holding ``..``)."""
        target = self.root / relative
        if ".." in Path(relative).parts or not target.resolve().is_relative_to(self.root.resolve()):
            raise DialogueKGError(f"refusing to write {relative[:200]!r}: it leaves the site")
        return target


def write_site(
    dist: Path, out: Path, queries_dir: Path, context: dict[str, Any], assets_dir: Path
) -> Written:
    """Write the site of the build in ``dist`` into ``out`` (replaced atomically)."""
    out = out.resolve()
    if Path.cwd().resolve().is_relative_to(out):
        raise DialogueKGError(f"refusing to replace {out}: it holds the current folder")
    _refuse_foreign(out)
    for needed in ("void.ttl", "SHA256SUMS"):
        if not (dist / needed).is_file():
            raise DialogueKGError(f"{dist / needed}: not found; rebuild with 'dialoguekg build'")
    engine_files(assets_dir)  # checked before minutes of rendering, not after
    site = Site(dist, ServeSettings())
    renderer = Renderer(site, context)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise DialogueKGError(f"cannot write {out}: {exc.strerror or exc}") from exc
    staging.chmod(0o755)
    try:
        files = Files(staging)
        pages = _pages(renderer, files, queries_dir)
        subjects = subjects_of_pages(site)
        for iri in subjects:
            path = iri[len(str(ID)) :]
            for fmt in conneg.RESOURCE_FORMATS:
                rendered = renderer.document(iri, path, fmt, 1, None)
                if any(
                    name == "Link" and 'rel="next"' in value for name, value in rendered.headers
                ):
                    # the server pages it with ?page=, which a static host cannot answer
                    rendered = renderer.document(iri, path, fmt, 1, None, whole=True)
                files.put(f"/id/{path}.{fmt.suffix}", rendered.body)
        _downloads(site, files)
        for asset in copy_engine(assets_dir, staging):
            files.count += 1
            files.size += asset.stat().st_size
        paths = [iri[len(str(ID)) :] for iri in subjects]
        _host_rules(files, paths, site.dump_names, site.release.version)
        written = sorted(p.name for p in staging.iterdir())
        files.put("/" + MARK, "\n".join(written).encode() + b"\n")
        _swap_in(staging, out)
    except OSError as exc:
        raise DialogueKGError(f"cannot write {out}: {exc}; the previous site is kept") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return Written(files.count, pages + len(subjects), len(subjects), files.size)


def _pages(renderer: Renderer, files: Files, queries_dir: Path) -> int:
    """The pages that are not entity documents; how many."""
    site = renderer.site
    made: list[tuple[str, Rendered]] = [
        ("/", renderer.home()),
        ("/dumps/", renderer.dumps_page()),
        ("/search/index.json", renderer.search_index()),
    ]
    for fmt in conneg.RESOURCE_FORMATS:
        made.append((f"/def.{fmt.suffix}", renderer.ontology(fmt)))
    for name in renderer.class_names():
        if PREFIXES["dkg"] + name in site.term_labels:
            made.append((f"/classes/{name}.html", renderer.class_page(name)))
    search = renderer.html("find.html", "/search/", title="Search")
    made.append(("/search/", Rendered(search.encode(), "text/html")))
    queries = shipped_queries(queries_dir)  # the federated ones marked as needing a server
    console = renderer.html(
        "console.html", "/sparql/", title="SPARQL", queries=queries, dump=DUMP, base_iri=str(ID)
    )
    made.append(("/sparql/", Rendered(console.encode(), "text/html")))
    for path, rendered in made:
        files.put(path, rendered.body)
    for name, source in ASSETS.items():
        files.copy(source, f"/assets/{name}")
    return sum(1 for path, _ in made if not path.endswith(".json"))


def _downloads(site: Site, files: Files) -> None:
    """The dumps and their checksums, and the dataset's description where clients look."""
    for name in [*site.dump_names, "SHA256SUMS"]:
        files.copy(site.dist / name, f"/dumps/{name}")
        files.copy(site.dist / name, f"/dumps/{site.release.version}/{name}")
    files.copy(site.dist / "void.ttl", "/void.ttl")
    files.copy(site.dist / "void.ttl", "/.well-known/void")


def _host_rules(files: Files, paths: list[str], dumps: list[str], version: str) -> None:
    """Content negotiation and media types for the hosts that take rules (Apache; Netlify;
    Cloudflare Pages reads ``_headers``), and for GitHub Pages ``.nojekyll`` only, which keeps
    its Jekyll from dropping ``.well-known``."""
    files.put("/.htaccess", htaccess().encode())
    files.put("/netlify.toml", netlify(paths).encode())
    files.put("/_headers", headers(dumps, version).encode())
    files.put("/.nojekyll", b"")


def netlify(paths: list[str]) -> str:
    """Netlify's redirects: each thing IRI (which has no file) answers 303 to its HTML page.
    In ``netlify.toml``, not ``_redirects``: Cloudflare Pages reads ``_redirects`` too, and
    there a rule to ``x.html`` loops (it serves ``x.html`` at ``x`` by itself)."""
    rules = [("/def", "/def.html"), *((f"/id/{quote(p)}", f"/id/{quote(p)}.html") for p in paths)]
    return "".join(
        f'[[redirects]]\nfrom = "{source}"\nto = "{target}"\nstatus = 303\n\n'
        for source, target in rules
    )


def htaccess() -> str:
    """Apache rules (mod_rewrite, mod_headers, mod_mime): a thing IRI answers 303 to its
    document in the format the ``Accept`` header asks for (HTML when it names none of ours),
    as the server does (a thing without a document is left to 404); every file gets its
    media type; the dataset is open to every origin."""
    lines = [
        "# written by dialoguekg static: content negotiation as `dialoguekg serve` does it",
        *(f"AddType {media} {suffix}" for suffix, media in sorted(MEDIA.items())),
        "AddCharset utf-8 .html .ttl .jsonld .nt .rdf .trig .nq .csv .json",
        "<IfModule mod_headers.c>",
        '  Header set Access-Control-Allow-Origin "*"',
        "</IfModule>",
        '<FilesMatch "^void$">',
        "  ForceType text/turtle",
        "</FilesMatch>",
        "RewriteEngine On",
        "# the site's own URL path, wherever it is copied: BASE",
        "RewriteCond %{REQUEST_URI}::$1 ^(.*?/)(.*)::\\2$",
        "RewriteRule ^(.*)$ - [E=BASE:%1]",
    ]
    for fmt in conneg.RESOURCE_FORMATS:
        if fmt is conneg.HTML:
            continue
        lines += [
            "RewriteCond %{REQUEST_FILENAME}.html -f",
            f"RewriteCond %{{HTTP_ACCEPT}} {_accept_pattern(fmt.media_type)} [NC]",
            "RewriteCond %{HTTP_ACCEPT} !text/html [NC]",
            f"RewriteRule ^(id/.+|def)$ %{{ENV:BASE}}$1.{fmt.suffix} [R=303,L,E=vary:1]",
        ]
    lines += [
        "RewriteCond %{REQUEST_FILENAME}.html -f",
        "RewriteRule ^(id/.+|def)$ %{ENV:BASE}$1.html [R=303,L,E=vary:1]",
        "<IfModule mod_headers.c>",
        "  Header always set Vary Accept env=vary",
        "</IfModule>",
        "",
    ]
    return "\n".join(lines)


def _accept_pattern(media_type: str) -> str:
    """A regular expression for an ``Accept`` header naming ``media_type``."""
    return "(^|,|\\s)" + media_type.replace("+", "\\+").replace(".", "\\.") + "($|,|;|\\s)"


def headers(dumps: list[str], version: str) -> str:
    """Netlify's and Cloudflare Pages' ``_headers``: open to every origin, and the media
    types those hosts do not know for the downloads (latest and of release ``version``)
    and the ontology."""
    rules = ["/*", "  Access-Control-Allow-Origin: *"]
    typed = {"/void.ttl": "text/turtle", "/.well-known/void": "text/turtle"}
    for name in dumps:
        if (media := MEDIA.get(Path(name).suffix)) is not None:
            typed[f"/dumps/{name}"] = media
            typed[f"/dumps/{version}/{name}"] = media
    for fmt in conneg.RESOURCE_FORMATS:
        if fmt is not conneg.HTML:
            typed[f"/def.{fmt.suffix}"] = fmt.media_type
    for path, media in typed.items():
        rules += [path, f"  Content-Type: {media}"]
    return "\n".join([*rules, ""])


def _refuse_foreign(out: Path) -> None:
    """Refuse to replace anything but an empty folder or a site this command wrote, as it
    wrote it (a ``.git`` or a page added since would be lost)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DialogueKGError(f"refusing to replace {out}: it is a file, not a folder")
    present = {p.name for p in out.iterdir()}
    mark = out / MARK
    written = set(mark.read_text(encoding="utf-8").split()) if mark.is_file() else set()
    foreign = sorted(present - written - {MARK})
    if present and not mark.is_file():
        raise DialogueKGError(
            f"refusing to replace {out}: it is not empty and not a site dialoguekg static "
            "wrote; choose an empty or new folder"
        )
    if foreign:
        raise DialogueKGError(
            f"refusing to replace {out}: it holds {', '.join(foreign[:3])}"
            f"{', …' if len(foreign) > 3 else ''}, which dialoguekg static did not write; "
            "move them away or choose another folder"
        )


def _swap_in(staging: Path, out: Path) -> None:
    """Put the written site where ``out`` was, in one rename."""
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    try:
        os.replace(out, retired / out.name)
        os.replace(staging, out)
    finally:
        if (retired / out.name).exists() and not out.exists():
            os.replace(retired / out.name, out)  # the second rename failed: put it back
        shutil.rmtree(retired, ignore_errors=True)
