"""Releases: the version and date in one place (``dialoguekg.release``), stated by the
VoID/DCAT description as DCAT 3 versions, the dumps at their versioned paths, CITATION.cff
and CHANGELOG.md holding the same version and date, and the home page's schema.org Dataset."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD
from starlette.testclient import TestClient

import dialoguekg
from dialoguekg import export, release
from dialoguekg.cli import main
from dialoguekg.project import Compiled, Project
from dialoguekg.release import Release
from dialoguekg.web import app as web
from dialoguekg.web.settings import ServeSettings

from .conftest import ROOT
from .terms import DCAT, SPDX

DATASET = URIRef("https://w3id.org/dialoguekg/id/dataset")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


@pytest.fixture(scope="module")
def client(dist: Path, project: Project) -> TestClient:
    context = export.load_context(project.context_file)
    return TestClient(web.create_app(dist, project.queries_dir, context, ServeSettings()))


def test_the_version_is_written_once_and_read_everywhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert dialoguekg.__version__ == release.VERSION
    assert importlib.metadata.version("dialoguekg") == release.VERSION  # pyproject's attr:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"dialoguekg {release.VERSION}\n"
    assert release.RELEASES[0] == Release(release.VERSION, release.DATE)
    for one in release.RELEASES:
        assert SEMVER.fullmatch(one.version), one
        dt.date.fromisoformat(one.date)
    newest_first = [(r.date, tuple(map(int, r.version.split(".")))) for r in release.RELEASES]
    assert newest_first == sorted(newest_first, reverse=True)


def test_void_states_the_release_as_a_dcat_version(dist: Path) -> None:
    void = Graph().parse(dist / "void.ttl")
    version = URIRef(f"{DATASET}/{release.VERSION}")
    issued = Literal(release.DATE, datatype=XSD.date)
    assert void.value(DATASET, DCAT.version) == Literal(release.VERSION)
    assert void.value(DATASET, DCTERMS.issued) == issued
    assert (DATASET, DCAT.hasVersion, version) in void
    assert (DATASET, DCAT.hasCurrentVersion, version) in void
    assert (version, DCAT.isVersionOf, DATASET) in void
    assert void.value(version, DCAT.version) == Literal(release.VERSION)
    assert void.value(version, DCTERMS.issued) == issued
    # the first release revises none
    assert len(release.RELEASES) > 1 or void.value(version, PROV.wasRevisionOf) is None
    dumps = "https://w3id.org/dialoguekg/dumps/"
    latest = {str(d).removeprefix(dumps): d for d in void.objects(DATASET, DCAT.distribution)}
    versioned = {
        str(d).removeprefix(f"{dumps}{release.VERSION}/"): d
        for d in void.objects(version, DCAT.distribution)
    }
    assert latest and set(versioned) == set(latest)
    for name, dump in versioned.items():
        assert str(dump) == f"https://w3id.org/dialoguekg/dumps/{release.VERSION}/{name}"
        assert void.value(dump, DCAT.downloadURL) == dump
        assert void.value(dump, DCAT.byteSize) == void.value(latest[name], DCAT.byteSize)
        assert void.value(dump, SPDX.checksum) == void.value(latest[name], SPDX.checksum)
        assert int(void.value(dump, DCAT.byteSize)) == (dist / name).stat().st_size


def test_a_later_release_is_a_revision_of_the_one_before(compiled: Compiled) -> None:
    releases = (Release("0.3.0", "2027-01-15"), Release("0.2.0", "2026-12-03"))
    files = {f"dialoguekg.{f.suffix}": export.digest(b"") for f in export.FORMATS}
    void = Graph().parse(
        data=export.describe(compiled.store, 0, files, None, releases), format="turtle"
    )
    version, before = URIRef(f"{DATASET}/0.3.0"), URIRef(f"{DATASET}/0.2.0")
    assert (version, PROV.wasRevisionOf, before) in void
    assert (version, DCAT.previousVersion, before) in void
    assert void.value(DATASET, DCAT.hasCurrentVersion) == version
    assert void.value(version, DCTERMS.issued) == Literal("2027-01-15", datatype=XSD.date)


def test_the_server_answers_the_versioned_dumps_beside_the_latest(
    client: TestClient, dist: Path
) -> None:
    for name in ("dialoguekg.nt", "dialoguekg.nq", "SHA256SUMS"):
        latest = client.get(f"/dumps/{name}")
        versioned = client.get(f"/dumps/{release.VERSION}/{name}")
        assert latest.status_code == versioned.status_code == 200
        assert versioned.content == latest.content == (dist / name).read_bytes()
        assert versioned.headers["content-type"] == latest.headers["content-type"]
    other = client.get("/dumps/0.0.1/dialoguekg.nt")
    assert other.status_code == 404
    assert f"holds release {release.VERSION} only" in other.text
    assert client.get(f"/dumps/{release.VERSION}/nothing.nt").status_code == 404


def test_citation_cff_is_valid_and_names_this_release() -> None:
    # ./run test installs cffconvert in a virtual environment of its own (it pins jsonschema<4)
    cffconvert = os.environ.get("DIALOGUEKG_CFFCONVERT") or shutil.which("cffconvert")
    assert cffconvert, "cffconvert is missing: ./run test installs it (.venv-tools)"
    checked = subprocess.run(
        [str(cffconvert), "--validate", "--infile", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["version"] == release.VERSION
    assert str(citation["date-released"]) == release.DATE
    assert citation["license"] == "CC-BY-SA-4.0"  # the data's; a list would read as a choice
    assert release.Release(release.VERSION, release.DATE).dataset_iri in {
        i["value"] for i in citation["identifiers"]
    }


def test_the_changelog_begins_with_this_release() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[(.+?)\] - (\S+)$", text, re.MULTILINE)
    assert headings[0] == (release.VERSION, release.DATE)
    assert [v for v, _ in headings] == [r.version for r in release.RELEASES]


SCHEMA = "http://schema.org/"


def _dataset_on_home_page(client: TestClient) -> tuple[ox.Store, ox.NamedNode]:
    page = client.get("/").text
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert len(scripts) == 1
    store = ox.Store()
    store.extend(ox.parse(scripts[0].encode(), format=ox.RdfFormat.JSON_LD))
    node = ox.NamedNode(f"{DATASET}/{release.VERSION}")
    types = [q.object for q in store.quads_for_pattern(node, ox.NamedNode(str(RDF.type)), None)]
    assert types == [ox.NamedNode(SCHEMA + "Dataset")]
    return store, node


def _values(store: ox.Store, node: ox.NamedNode | ox.BlankNode, name: str) -> list[str]:
    found = store.quads_for_pattern(node, ox.NamedNode(SCHEMA + name), None)
    return sorted(q.object.value for q in found if not isinstance(q.object, ox.Triple))


def test_the_home_page_describes_the_release_as_a_schema_org_dataset(
    client: TestClient, dist: Path, compiled: Compiled
) -> None:
    store, node = _dataset_on_home_page(client)
    assert _values(store, node, "name") == [export.TITLE]
    assert _values(store, node, "description") == [export.DESCRIPTION]
    assert _values(store, node, "license") == [export.DATA_LICENSE]
    assert _values(store, node, "url") == ["https://w3id.org/dialoguekg/"]
    assert _values(store, node, "version") == [release.VERSION]
    assert _values(store, node, "datePublished") == [release.DATE]
    assert "knowledge graph" in _values(store, node, "keywords")
    (creator,) = store.quads_for_pattern(node, ox.NamedNode(SCHEMA + "creator"), None)
    assert isinstance(creator.object, ox.BlankNode)
    assert _values(store, creator.object, "name") == [export.PUBLISHER]
    rows = compiled.store.query("""
        PREFIX schema: <http://schema.org/>
        SELECT (MIN(?s) AS ?first) (MAX(?last) AS ?end) WHERE {
          ?m a <https://w3id.org/dialoguekg/def#Meeting> ; schema:startDate ?s .
          OPTIONAL { ?m schema:endDate ?e } BIND (COALESCE(?e, ?s) AS ?last) }""")
    assert isinstance(rows, ox.QuerySolutions)
    row = next(iter(rows))
    span = f"{row['first'].value}/{row['end'].value}"
    assert _values(store, node, "temporalCoverage") == [span]
    places = {
        tuple(_values(store, q.object, "name") + _values(store, q.object, "sameAs"))
        for q in store.quads_for_pattern(node, ox.NamedNode(SCHEMA + "spatialCoverage"), None)
        if isinstance(q.object, ox.BlankNode)
    }
    assert ("Beijing", "http://www.wikidata.org/entity/Q956") in places
    assert ("Chongqing", "http://www.wikidata.org/entity/Q11725") in places
    assert ("Birchwood Hotel",) in places  # a venue with no city in the data, under its name


def test_the_home_pages_downloads_are_the_files_in_dist(client: TestClient, dist: Path) -> None:
    store, node = _dataset_on_home_page(client)
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (dist / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    )
    found = {}
    for quad in store.quads_for_pattern(node, ox.NamedNode(SCHEMA + "distribution"), None):
        download = quad.object
        assert isinstance(download, ox.BlankNode)
        (url,) = _values(store, download, "contentUrl")
        name = url.removeprefix(f"https://w3id.org/dialoguekg/dumps/{release.VERSION}/")
        assert _values(store, download, "sha256") == [sums[name]]
        assert _values(store, download, "contentSize") == [f"{(dist / name).stat().st_size} B"]
        (media,) = _values(store, download, "encodingFormat")
        found[name] = media
    assert found == {f"dialoguekg.{f.suffix}": f.media_type for f in export.FORMATS} | {
        "tables/datapackage.json": "application/json"
    }
