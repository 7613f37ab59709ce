"""`dialoguekg static OUT`: the site as files. The same bytes as the server for every page
and document, every link resolving under a sub-path, content negotiation by a real Apache
from the generated `.htaccess` (where Debian's apache2 is installed), and search in the
browser ranking as the server does (run by Node.js, where it is installed)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from starlette.testclient import TestClient

from dialoguekg import export
from dialoguekg.cli import main
from dialoguekg.errors import DialogueKGError
from dialoguekg.project import Project
from dialoguekg.release import VERSION
from dialoguekg.web import app as web
from dialoguekg.web.settings import ServeSettings
from dialoguekg.web.site import Site
from dialoguekg.web.static import MARK, Files, write_site

from .conftest import ROOT, free_port

#: Files of the site that only the static site has (the server answers these paths itself).
STATIC_ONLY = (
    "/assets/oxigraph/",
    "/.",
    "/_",
    "/netlify.toml",
    "/search/index.html",
    "/sparql/index.html",
)
LINK = re.compile(r'\b(?:href|src|action)="([^"]*)"')


@pytest.fixture(scope="module")
def site(dist: Path, project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("static") / "dialoguekg"
    context = export.load_context(project.context_file)
    write_site(dist, out, project.queries_dir, context, ROOT / "assets")
    return out


def site_paths(site: Path) -> Iterator[tuple[str, Path]]:
    """Every file of the site with the path the server answers it at."""
    for file in sorted(site.rglob("*")):
        path = "/" + file.relative_to(site).as_posix()
        if file.is_file() and not path.startswith(STATIC_ONLY) and path != "/void.ttl":
            yield path.removesuffix("index.html"), file


def test_serve_and_static_give_the_same_bytes_for_every_page(
    site: Path, dist: Path, project: Project
) -> None:
    context = export.load_context(project.context_file)
    app = web.create_app(dist, project.queries_dir, context)
    compared, paged = 0, set()
    with TestClient(app) as client:
        for path, file in site_paths(site):
            answer = client.get(path)
            assert answer.status_code == 200, path
            if 'rel="next"' in answer.headers.get("Link", ""):
                # the server pages it (?page=2); the static site has every value on one page
                assert len(file.read_bytes()) > len(answer.content), path
                paged.add(path.rsplit(".", 1)[0])
                continue
            assert answer.content == file.read_bytes(), path
            compared += 1
    assert compared > 5 * 1000  # 5 formats of every entity, and the rest
    assert "/id/party/communist-party-of-china" in paged and len(paged) < 20


def test_every_link_of_every_page_resolves_under_a_sub_path(site: Path) -> None:
    base = "http://host/dialoguekg/"
    checked = 0
    for page in site.rglob("*.html"):
        url = urljoin(base, page.relative_to(site).as_posix())
        for href in LINK.findall(page.read_text(encoding="utf-8")):
            target = urlsplit(urljoin(url, href))
            if target.netloc != "host":
                continue  # Wikidata, the sources
            assert target.path.startswith("/dialoguekg/"), (page, href)
            local = site / target.path.removeprefix("/dialoguekg/")
            assert local.is_file() or (local / "index.html").is_file(), (page, href)
            checked += 1
    assert checked > 10_000


def test_the_site_has_the_dumps_description_and_host_rules(site: Path, dist: Path) -> None:
    sums = (dist / "SHA256SUMS").read_text(encoding="ascii")
    assert (site / "dumps" / "SHA256SUMS").read_text(encoding="ascii") == sums
    for line in sums.splitlines():
        name = line.split("  ", 1)[1]
        assert (site / "dumps" / name).read_bytes() == (dist / name).read_bytes()
        assert (site / "dumps" / VERSION / name).read_bytes() == (dist / name).read_bytes()
    assert (site / ".well-known" / "void").read_bytes() == (dist / "void.ttl").read_bytes()
    netlify = (site / "netlify.toml").read_text(encoding="utf-8")
    assert '[[redirects]]\nfrom = "/id/person/xi-jinping"\nto = "/id/person/xi-jinping.html"\n' in (
        netlify
    )
    assert not (site / "_redirects").exists()  # Cloudflare Pages would loop on such rules
    headers = (site / "_headers").read_text(encoding="utf-8")
    assert "/dumps/dialoguekg.ttl\n  Content-Type: text/turtle" in headers
    assert f"/dumps/{VERSION}/dialoguekg.ttl\n  Content-Type: text/turtle" in headers
    page = (site / "id" / "person" / "xi-jinping.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="text/turtle" href="../../id/person/xi-jinping.ttl">' in (
        page
    )
    for name in ("web.js", "web_bg.wasm", "LICENSE-MIT", "LICENSE-APACHE"):
        assert (site / "assets" / "oxigraph" / name).is_file(), name


def test_static_refuses_a_folder_it_did_not_write(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    assert main(["static", str(foreign), "--dist", str(dist)]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]
    ours = tmp_path / "site"
    assert main(["static", str(ours), "--dist", str(dist)]) == 0
    (ours / "index.html").write_text("changed since")
    assert main(["static", str(ours), "--dist", str(dist)]) == 0  # its own site: replaced
    assert (ours / MARK).is_file() and (ours / "index.html").read_text() != "changed since"
    (ours / ".git").mkdir()  # a gh-pages checkout, say: never deleted
    assert main(["static", str(ours), "--dist", str(dist)]) == 2
    assert "holds .git, which dialoguekg static did not write" in capsys.readouterr().err
    assert (ours / ".git").is_dir()
    (ours / ".git").rmdir()
    inside = ours / "id"
    with contextlib.chdir(inside):
        assert main(["static", str(ours), "--dist", str(dist)]) == 2
    assert "it holds the current folder" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no leftovers


# -- search in the browser ranks as the server does -------------------------------------------

QUERIES = [
    "xi",
    "Xi Jinping",
    "vucic",
    "Vučić",
    "习近平",
    "Грызлов",
    "Edinaya Rossiya",
    "ANC",
    "2017",
    "communist party",
    "party of",
    "meeting 2023",
    "ß",
    "zzzz",
    "",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_search_in_the_browser_ranks_as_the_server(site: Path, dist: Path) -> None:
    script = f"""
        const search = require({json.dumps(str(ROOT / "src/dialoguekg/web/assets/search.js"))});
        const index = require({json.dumps(str(site / "search" / "index.json"))});
        const queries = {json.dumps(QUERIES)};
        console.log(JSON.stringify(queries.map((q) => search.search(index, q, 100, 1))));
    """
    ran = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    in_browser = json.loads(ran.stdout)
    index = Site(dist, ServeSettings()).search_index
    for query, found in zip(QUERIES, in_browser, strict=True):
        served = index.search(query, 100, 1)
        assert found["count"] == served.count, query
        assert [(h["href"], h["matched"]) for h in found["hits"]] == [
            (h.href, h.matched) for h in served.hits
        ], query
    assert in_browser[QUERIES.index("vucic")]["hits"][0]["label"] == "Aleksandar Vučić"


# -- Apache serves the site with content negotiation ----------------------------------------

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")


@pytest.fixture(scope="module")
def apache(site: Path) -> Iterator[str]:
    """Debian's Apache serving a copy of the site at /dialoguekg/, with its .htaccess."""
    if not Path(APACHE).is_file():
        pytest.skip("Debian's apache2 is not installed (./run test installs it when root)")
    root = Path(tempfile.mkdtemp(prefix="dialoguekg-apache-"))
    root.chmod(0o755)  # its workers run as www-data
    shutil.copytree(site, root / "www" / "dialoguekg")
    port = free_port()
    modules = ["mpm_event", "authz_core", "mime", "dir", "rewrite", "headers", "env"]
    config = root / "httpd.conf"
    config.write_text(
        "\n".join(
            [
                f"ServerRoot {root}",
                f"Listen 127.0.0.1:{port}",
                "ServerName 127.0.0.1",
                f"PidFile {root}/httpd.pid",
                f"ErrorLog {root}/error.log",
                *(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules),
                "User www-data",
                "Group www-data",
                "TypesConfig /etc/mime.types",
                f"DocumentRoot {root}/www",
                f"<Directory {root}/www>",
                "  AllowOverride FileInfo",  # what the README asks of a web space
                "  Require all granted",
                "</Directory>",
                "",
            ]
        )
    )
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    started = subprocess.run(
        [APACHE, "-f", str(config), "-k", "start"], capture_output=True, text=True, timeout=30
    )
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}/dialoguekg/"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("apache did not start: " + (root / "error.log").read_text())
            time.sleep(0.1)
    try:
        yield url
    finally:
        subprocess.run([APACHE, "-f", str(config), "-k", "stop"], timeout=30)
        shutil.rmtree(root, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str, accept: str) -> tuple[int, dict[str, str]]:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", "ttl"),
        ("application/ld+json", "jsonld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdf"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
        ("*/*", "html"),
    ],
)
@pytest.mark.parametrize(
    "thing",
    [
        "person/xi-jinping",
        "participation/meeting-2014.wang-jiarui.keynote-speaker.cccws-2014-09-03",  # dots
    ],
)
def test_apache_answers_a_thing_with_303_to_the_negotiated_document(
    apache: str, accept: str, suffix: str, thing: str
) -> None:
    status, headers = fetch(apache + f"id/{thing}", accept)
    assert status == 303
    assert headers["Location"] == f"{apache}id/{thing}.{suffix}"
    assert "Accept" in headers["Vary"]
    status, headers = fetch(headers["Location"], accept)
    assert status == 200 and headers["Content-Type"].startswith(accept.split(",")[0].strip("*/"))


def test_apache_serves_the_ontology_dumps_and_engine_with_their_types(apache: str) -> None:
    status, headers = fetch(apache + "def", "text/turtle")
    assert status == 303 and headers["Location"] == apache + "def.ttl"
    for path, media in [
        ("dumps/dialoguekg.nq", "application/n-quads"),
        ("dumps/dialoguekg.trig", "application/trig"),
        (".well-known/void", "text/turtle"),
        ("assets/oxigraph/web_bg.wasm", "application/wasm"),
    ]:
        status, headers = fetch(apache + path, "*/*")
        assert (status, headers["Content-Type"].split(";")[0]) == (200, media), path
        assert headers["Access-Control-Allow-Origin"] == "*"
    assert fetch(apache + "id/person/nobody", "text/turtle")[0] == 404
    status, headers = fetch(apache + "id/person/xi-jinping", "TEXT/TURTLE")  # case-insensitive
    assert headers["Location"] == apache + "id/person/xi-jinping.ttl"


def test_no_iri_of_the_dump_writes_outside_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    files = Files(site)
    with pytest.raises(DialogueKGError, match="leaves the site"):
        files.put("/id/person/../../../escaped.html", b"<p>out</p>")
    assert not (tmp_path / "escaped.html").exists()
    files.put("/id/person/a.b.html", b"")  # dots inside a key are fine
    assert (site / "id" / "person" / "a.b.html").is_file()
