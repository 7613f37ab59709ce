"""The static site's SPARQL page: Oxigraph's WebAssembly build, copied into the site by
``copy_engine``, answers in a real browser (Debian's headless Chromium) over the dump, under a
sub-path, from files alone, with the answers pyoxigraph gives in Python. `./run test` installs
the npm package (npm ci --prefix assets) and chromium where it can; elsewhere the browser tests
are skipped, saying why."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pyoxigraph as ox
import pytest

from dialoguekg import export
from dialoguekg.errors import DialogueKGError
from dialoguekg.project import Project
from dialoguekg.query import NamedQuery, shipped_queries
from dialoguekg.vocab import ID
from dialoguekg.web.engine import EngineMissingError, copy_engine
from dialoguekg.web.static import write_site

from .conftest import ROOT, chrome_options

ASSETS = ROOT / "assets"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SUB = "/dialoguekg/"  # the site is served under a sub-path, as on a project page
WAIT = 30  # seconds, the most any step in the browser may take

needs_engine = pytest.mark.skipif(
    not (ASSETS / "node_modules" / "oxigraph" / "package.json").is_file(),
    reason="the npm package oxigraph is not installed (npm ci --prefix assets, which "
    "./run test does where npm is installed)",
)
needs_browser = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="Debian's chromium and chromium-driver are not installed "
    "(./run test installs them when it runs as root)",
)


# -- copy_engine -------------------------------------------------------------------------------


def fake_package(assets: Path, *, licence: bool = True) -> Path:
    package = assets / "node_modules" / "oxigraph"
    package.mkdir(parents=True)
    (package / "package.json").write_text(
        '{"name": "oxigraph", "version": "9.9.9", "main": "node.js", "browser": "web.js"}'
    )
    for name in ("web.js", "web_bg.wasm", "node.js", "node_bg.wasm", "web.d.ts", "README.md"):
        (package / name).write_text(name)
    if licence:
        (package / "LICENSE-MIT").write_text("MIT")
    return package


def test_copy_engine_copies_the_browser_build_and_its_licences(tmp_path: Path) -> None:
    fake_package(tmp_path / "assets")
    out = tmp_path / "site"
    written = copy_engine(tmp_path / "assets", out)
    target = out / "assets" / "oxigraph"
    assert sorted(p.name for p in written) == [
        "LICENSE-MIT",
        "package.json",
        "web.js",
        "web_bg.wasm",
    ]
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in written)
    assert all(p.parent == target and p.read_bytes() for p in written)


def test_licence_texts_the_package_lacks_come_from_assets_licenses(tmp_path: Path) -> None:
    fake_package(tmp_path / "assets", licence=False)
    ours = tmp_path / "assets" / "licenses" / "oxigraph"
    ours.mkdir(parents=True)
    (ours / "LICENSE-APACHE").write_text("Apache")
    written = copy_engine(tmp_path / "assets", tmp_path / "site")
    assert "LICENSE-APACHE" in {p.name for p in written}


@pytest.mark.parametrize("broken", ["missing", "no licence", "no wasm"])
def test_without_the_package_copy_engine_says_how_to_install_it(
    tmp_path: Path, broken: str
) -> None:
    assets = tmp_path / "assets"
    if broken != "missing":
        package = fake_package(assets, licence=broken != "no licence")
        if broken == "no wasm":
            (package / "web_bg.wasm").unlink()
    with pytest.raises(EngineMissingError) as caught:
        copy_engine(assets, tmp_path / "site")
    assert isinstance(caught.value, DialogueKGError)
    assert "npm ci --prefix assets" in str(caught.value)
    assert str(assets / "node_modules" / "oxigraph") in str(caught.value)
    assert not (tmp_path / "site" / "assets").exists()  # nothing half-copied


@needs_engine
def test_the_installed_package_is_the_pinned_version_with_both_licences(tmp_path: Path) -> None:
    pinned = json.loads((ASSETS / "package.json").read_text())["dependencies"]["oxigraph"]
    names = {p.name for p in copy_engine(ASSETS, tmp_path)}
    assert names == {"web.js", "web_bg.wasm", "package.json", "LICENSE-MIT", "LICENSE-APACHE"}
    copied = json.loads((tmp_path / "assets" / "oxigraph" / "package.json").read_text())
    assert copied["version"] == pinned
    assert "Oxigraph developers" in (tmp_path / "assets/oxigraph/LICENSE-MIT").read_text()


# -- the page in a browser ---------------------------------------------------------------------


def make_site(out: Path, dist: Path, project: Project) -> None:
    """The site as ``dialoguekg static`` writes it."""
    context = export.load_context(project.context_file)
    write_site(dist, out, project.queries_dir, context, ASSETS)


class Host(SimpleHTTPRequestHandler):
    """A plain static host: files only, every request recorded, nothing cached."""

    requested: list[str]
    wasm_type = "application/wasm"

    def guess_type(self, path: str | Any) -> str:
        return self.wasm_type if str(path).endswith(".wasm") else super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.requested.append(self.path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def hosting(folder: Path) -> Iterator[tuple[str, type[Host]]]:
    """``folder`` served on 127.0.0.1 by a threaded http.server; yields its URL and handler."""
    handler = type("SiteHost", (Host,), {"requested": []})
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def queries(project: Project) -> list[NamedQuery]:
    return shipped_queries(project.queries_dir)


@dataclass(frozen=True)
class Served:
    url: str  # the host's root; the site is at url + SUB
    host: type[Host]
    folder: Path  # what the host serves


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, dist: Path, project: Project
) -> Iterator[Served]:
    www = tmp_path_factory.mktemp("www")
    make_site(www / SUB.strip("/"), dist, project)
    with hosting(www) as (url, host):
        yield Served(url, host, www)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dialoguekg-chromium-")
    options = chrome_options(CHROMIUM, profile)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reference(dist: Path) -> ox.Store:
    """pyoxigraph over the same dump: the answers the page must give."""
    store = ox.Store()
    store.bulk_load(path=str(dist / "dialoguekg.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def open_console(browser: Any, url: str, query: str | None = None) -> str:
    """Open the query page (with ``?query=``), wait until the graph is loaded; its status."""
    browser.get(url + SUB + "sparql/" + (f"?query={quote(query)}" if query else ""))
    return str(until(browser, LOADED))


#: The status line once the page has loaded the engine and the graph, or failed to.
LOADED = """
const status = document.getElementById("console-status").textContent;
return /quads loaded|could not/.test(status) && status;
"""


def until(browser: Any, script: str) -> Any:
    """What ``script`` returns once it returns something truthy (at most WAIT seconds)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT, poll_frequency=0.05).until(
        lambda driver: driver.execute_script(script)
    )


#: What the page shows once a query is answered: the rows (each cell's N-Triples form, from
#: its tooltip), the ASK answer, the error, the count line.
ANSWER = """
const error = document.getElementById("console-error");
const section = document.getElementById("console-answer");
const answer = document.getElementById("answer");
if (error.hidden && section.hidden) return null;
return {
  error: error.hidden ? null : error.textContent,
  answer: answer.hidden ? null : answer.textContent,
  count: document.getElementById("console-count").textContent,
  header: [...document.querySelectorAll("#console-results th")].map((th) => th.textContent),
  rows: [...document.querySelectorAll("#console-results tr")].slice(1).map(
    (tr) => [...tr.cells].map((td) => td.title)),
};
"""


def expected_rows(reference: ox.Store, sparql: str) -> tuple[list[str], list[list[str]]]:
    """The variables and rows pyoxigraph answers, each value in N-Triples, blank nodes alike."""
    solutions = reference.query(sparql)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = [
        [re.sub(r"^_:.*", "_:b", str(s[name])) if s[name] is not None else "" for name in names]
        for s in solutions
    ]
    return names, rows


def blank(rows: list[list[str]]) -> list[list[str]]:
    return [[re.sub(r"^_:.*", "_:b", value) for value in row] for row in rows]


@needs_browser
@needs_engine
def test_a_query_in_the_address_is_answered_in_the_browser_as_pyoxigraph_answers_it(
    browser: Any, site: Served, reference: ox.Store, queries: list[NamedQuery]
) -> None:
    url = site.url
    people = next(q for q in queries if q.name == "people-in-several-editions")
    status = open_console(browser, url, people.text)
    assert re.fullmatch(rf"{len(reference):,} quads loaded in [\d,]+ ms", status), status
    shown = until(browser, ANSWER)
    names, rows = expected_rows(reference, people.text)
    assert shown["error"] is None
    assert shown["header"] == names and blank(shown["rows"]) == rows
    assert shown["count"].startswith(f"{len(rows)} rows in ")
    assert browser.find_element("id", "query").get_attribute("value") == people.text
    # the graph's own IRIs link to their page in this site, relative to the page
    link = browser.find_element("css selector", "#console-results td a[href^='../id/']")
    iri = link.find_element("xpath", "..").get_attribute("title")[1:-1]
    assert iri.startswith(str(ID)) and link.text == iri[len(str(ID)) :]
    assert link.get_attribute("href") == f"{url}{SUB}id/{link.text}.html"


@needs_browser
@needs_engine
def test_every_shipped_example_clicked_gives_pyoxigraphs_answer(
    browser: Any, site: Served, reference: ox.Store, queries: list[NamedQuery]
) -> None:
    url = site.url
    open_console(browser, url)
    examples = browser.find_elements("css selector", "#console-examples a")
    assert [a.text for a in examples] == [q.name for q in queries]
    for link, query in zip(examples, queries, strict=True):
        browser.execute_script(
            "document.getElementById('console-answer').hidden = true;"
            "document.getElementById('console-error').hidden = true;"
        )
        link.click()
        shown = until(browser, ANSWER)
        assert browser.find_element("id", "query").get_attribute("value") == query.text
        assert parse_qs(urlsplit(browser.current_url).query)["query"] == [query.text]
        if query.federated:  # SERVICE needs a server: said in the page
            assert shown["error"] and "is not supported" in shown["error"], query.name
            continue
        names, rows = expected_rows(reference, query.text)
        assert shown["error"] is None, (query.name, shown["error"])
        assert shown["header"] == names, query.name
        assert sorted(blank(shown["rows"])) == sorted(rows), query.name


@needs_browser
@needs_engine
def test_ask_construct_and_a_syntax_error_are_shown_in_the_page(
    browser: Any, site: Served, reference: ox.Store
) -> None:
    url = site.url
    ask = f"ASK {{ <{ID}meeting/2017> a <https://w3id.org/dialoguekg/def#Meeting> }}"
    open_console(browser, url, ask)
    assert until(browser, ANSWER)["answer"] == "true"

    describe = f"DESCRIBE <{ID}person/xi-jinping>"
    open_console(browser, url, describe)
    shown = until(browser, ANSWER)
    described = reference.query(describe)
    assert isinstance(described, ox.QueryTriples)
    triples = {str(t) for t in described}
    assert shown["header"] == ["subject", "predicate", "object"]
    assert {" ".join(row) for row in shown["rows"]} == triples
    assert shown["count"].startswith(f"{len(triples)} triples in ")

    open_console(browser, url, "SELECT ?s WHERE { ?s ?p }")
    shown = until(browser, ANSWER)
    assert shown["error"].startswith("The query is not valid SPARQL: error at 1:")
    assert browser.find_element("id", "console-error").is_displayed()
    assert shown["rows"] == [] and shown["answer"] is None

    open_console(browser, url, "INSERT DATA { <a:s> <a:p> <a:o> }")
    assert "only reads" in until(browser, ANSWER)["error"]


@needs_browser
@needs_engine
def test_values_are_put_in_the_page_as_text_never_as_markup(browser: Any, site: Served) -> None:
    url = site.url
    hostile = '<img src=x onerror="window.pwned=1">'
    query = (
        f"SELECT ?x ?y ?z WHERE {{ BIND({json.dumps(hostile)}@en AS ?x) "
        f"BIND(<javascript:alert(1)> AS ?y) BIND(<{ID}a?b#c> AS ?z) }}"
    )
    open_console(browser, url, query)
    shown = until(browser, ANSWER)
    assert shown["error"] is None
    cells = browser.find_elements("css selector", "#console-results td")
    assert cells[0].text.startswith(hostile) and "@en" in cells[0].text
    assert cells[1].find_elements("tag name", "a") == []  # not a link: only http(s) link out
    # an IRI of ours with a query or fragment part still links to a page of the site
    assert cells[2].find_element("tag name", "a").get_attribute("href") == (
        f"{url}{SUB}id/a%3Fb%23c.html"
    )
    assert not browser.find_elements("css selector", "#console-results img")
    assert browser.execute_script("return window.pwned === undefined")


@needs_browser
@needs_engine
def test_the_page_loads_nothing_but_the_sites_own_files(browser: Any, site: Served) -> None:
    url, host = site.url, site.host
    host.requested.clear()
    open_console(browser, url, "ASK {}")
    until(browser, ANSWER)
    # every resource the page loaded came from this host, under the site's sub-path (but
    # the icon Chromium asks for by itself at the host's root when a page names none)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
    )
    paths = {p.split("?")[0] for p in host.requested}
    assert resources and all(r.startswith(url + "/") for r in resources), resources
    own = {urlsplit(r).path for r in resources} | paths
    assert all(p.startswith(SUB) for p in own - {"/favicon.ico"}), own
    engine = {SUB + "assets/oxigraph/web.js", SUB + "assets/oxigraph/web_bg.wasm"}
    assert engine | {SUB + "sparql/", SUB + "dumps/dialoguekg.nq"} <= paths
    # the page's licence links reach the copied texts
    licences = browser.find_elements("css selector", "a[href*='assets/oxigraph/LICENSE']")
    assert {a.get_attribute("href") for a in licences} == {
        f"{url}{SUB}assets/oxigraph/LICENSE-{name}" for name in ("MIT", "APACHE")
    }
    for link in licences:
        assert (site.folder / urlsplit(link.get_attribute("href")).path.lstrip("/")).is_file()


@needs_browser
@needs_engine
def test_a_host_that_serves_wasm_as_octet_stream_still_works(browser: Any, site: Served) -> None:
    url, host = site.url, site.host
    host.wasm_type = "application/octet-stream"
    try:
        browser.get_log("browser")  # what earlier pages logged, left behind
        status = open_console(browser, url, "ASK {}")
        assert "quads loaded" in status
        assert until(browser, ANSWER)["answer"] == "true"
        logged = " ".join(entry["message"] for entry in browser.get_log("browser"))
        assert "Falling back to `WebAssembly.instantiate`" in logged  # the fallback did it
    finally:
        host.wasm_type = Host.wasm_type


@needs_browser
@needs_engine
def test_the_static_search_page_finds_a_name_in_the_browser(browser: Any, site: Served) -> None:
    """The site's search box, on a static host: the hits come from the prebuilt index."""
    browser.get(site.url + SUB + "id/person/xi-jinping.html")
    box = browser.find_element("id", "search")
    box.send_keys("vucic")
    box.submit()
    hits = until(
        browser,
        "return document.querySelectorAll('#hits a').length && "
        "[...document.querySelectorAll('#hits a')].map((a) => [a.textContent, a.href])",
    )
    assert hits[0] == ["Aleksandar Vučić", f"{site.url}{SUB}id/person/aleksandar-vucic.html"]
    assert browser.find_element("id", "search-status").text.endswith("for “vucic”")
    assert browser.current_url.startswith(site.url + SUB + "search/?q=vucic")


@needs_browser
@needs_engine
def test_the_static_search_finds_a_person_by_a_name_in_another_script(
    browser: Any, site: Served
) -> None:
    browser.get(site.url + SUB + "search/?q=" + quote("Грызлов"))
    first = until(browser, "const a = document.querySelector('#hits a'); return a && a.textContent")
    assert first == "Boris Gryzlov"
    assert browser.find_element("id", "search").get_attribute("value") == "Грызлов"
