"""Dumps: every format parses back to the same graph, output is deterministic and atomic."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from dialoguekg import apart, export, tables
from dialoguekg.errors import DialogueKGError
from dialoguekg.project import Compiled, Project
from dialoguekg.vocab import DUMPS_BASE

from .conftest import ROOT, write
from .terms import DCAT, ONTOLOGY_IRI, SPDX, VOID

EXPECTED_FILES = {
    "dialoguekg.ttl",
    "dialoguekg.jsonld",
    "dialoguekg.nt",
    "dialoguekg.trig",
    "dialoguekg.nq",
    "void.ttl",
    "SHA256SUMS",
    *(table.file for table in tables.TABLES),
    "tables/datapackage.json",
}


def test_output_folder_holds_exactly_the_documented_files(dist: Path) -> None:
    present = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    assert present == EXPECTED_FILES  # the server, which shares this folder, writes nothing


@pytest.mark.parametrize(
    "name,fmt",
    [("dialoguekg.ttl", "turtle"), ("dialoguekg.jsonld", "json-ld"), ("dialoguekg.nt", "nt")],
)
def test_graph_dumps_parse_back_isomorphic(
    dist: Path, compiled: Compiled, name: str, fmt: str
) -> None:
    assert isomorphic(Graph().parse(dist / name, format=fmt), compiled.built.graph)


@pytest.mark.parametrize("name,fmt", [("dialoguekg.trig", "trig"), ("dialoguekg.nq", "nquads")])
def test_dataset_dumps_hold_data_and_ontology(
    dist: Path, compiled: Compiled, project: Project, name: str, fmt: str
) -> None:
    ds = Dataset()
    ds.parse(dist / name, format=fmt)
    default = Graph()
    for triple in ds.default_graph:
        default.add(triple)
    assert isomorphic(default, compiled.built.graph)
    ontology = Graph()
    for triple in ds.graph(ONTOLOGY_IRI):
        ontology.add(triple)
    assert isomorphic(ontology, project.ontology())


def test_trig_is_pyoxigraphs_own_trig_of_the_builds_store(dist: Path, compiled: Compiled) -> None:
    """TriG is made from the Turtle dump and the ontology's graph alone (``export._trig``):
    byte for byte what pyoxigraph writes for the whole dataset."""
    prefixes = export.turtle_prefixes()
    own = compiled.store.dump(format=ox.RdfFormat.TRIG, prefixes=prefixes)
    assert (dist / "dialoguekg.trig").read_bytes() == own
    turtle = (dist / "dialoguekg.ttl").read_bytes()
    made = export._trig(compiled.store, lambda: turtle, prefixes)
    assert isinstance(made, tuple)  # not the fallback


@pytest.mark.parametrize("graphs", [(), (ONTOLOGY_IRI, "https://example.org/other")])
def test_trig_of_a_store_with_other_graphs_is_pyoxigraphs_own(graphs: tuple[str, ...]) -> None:
    """Without the ontology's graph, or with another named graph beside it, TriG is
    pyoxigraph's own dump of the whole store."""
    thing = ox.NamedNode("https://example.org/a"), ox.NamedNode(str(RDF.type))
    store = ox.Store()
    store.add(ox.Quad(*thing, ox.NamedNode(str(OWL.Thing))))
    for graph in graphs:
        store.add(ox.Quad(*thing, ox.NamedNode(str(OWL.Class)), ox.NamedNode(graph)))
    prefixes = export.turtle_prefixes()
    turtle = store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(), prefixes=prefixes)
    made = export._trig(store, lambda: turtle, prefixes)
    made = made if isinstance(made, bytes) else b"".join(made)
    assert made == store.dump(format=ox.RdfFormat.TRIG, prefixes=prefixes)
    assert (b"other" in made) == bool(graphs)


def test_jsonld_is_compacted_with_the_project_context(dist: Path) -> None:
    import json

    document = json.loads((dist / "dialoguekg.jsonld").read_text(encoding="utf-8"))
    assert document["@context"]["dkg"] == "https://w3id.org/dialoguekg/def#"
    xi = next(n for n in document["@graph"] if n["@id"] == "id:person/xi-jinping")
    assert xi["label"] == {"@language": "en", "@value": "Xi Jinping"}
    assert xi["sameAs"] == "wd:Q15031"


def test_void_lists_every_dump_with_its_real_size_and_checksum(
    dist: Path, compiled: Compiled
) -> None:
    void = Graph().parse(dist / "void.ttl")
    dataset = URIRef("https://w3id.org/dialoguekg/id/dataset")
    assert int(void.value(dataset, VOID.triples)) == len(compiled.built.graph)
    dumps = set(void.objects(dataset, DCAT.distribution))
    names = {str(d).removeprefix(DUMPS_BASE): d for d in dumps}
    assert set(names) == EXPECTED_FILES - {"void.ttl", "SHA256SUMS"}
    assert {str(d).removeprefix(DUMPS_BASE) for d in void.objects(dataset, VOID.dataDump)} == {
        name for name in names if name.startswith("dialoguekg.")
    }
    for name, dump in names.items():
        content = (dist / name).read_bytes()
        assert int(void.value(dump, DCAT.byteSize)) == len(content)
        checksum = void.value(dump, SPDX.checksum)
        assert void.value(checksum, SPDX.checksumValue) == Literal(
            hashlib.sha256(content).hexdigest(),
            datatype=URIRef("http://www.w3.org/2001/XMLSchema#hexBinary"),
        )
        media = str(void.value(dump, DCAT.mediaType))
        assert media.startswith("https://www.iana.org/assignments/media-types/")
        if name.startswith("tables/"):
            assert media.endswith("/application/json" if name.endswith(".json") else "/text/csv")
    linkset = URIRef("https://w3id.org/dialoguekg/id/dataset/links/wikidata")
    assert (linkset, RDF.type, VOID.Linkset) in void
    same_as = Graph().parse(dist / "dialoguekg.nt").triples((None, OWL.sameAs, None))
    wikidata = [o for _, _, o in same_as if str(o).startswith("http://www.wikidata.org/entity/")]
    assert wikidata and int(void.value(linkset, VOID.triples)) == len(wikidata)


def test_sha256sums_verify_with_sha256sum(dist: Path) -> None:
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=dist, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(EXPECTED_FILES) - 1


def test_builds_are_byte_identical_across_processes(tmp_path: Path) -> None:
    sums = []
    for seed in ("1", "2"):
        out = tmp_path / f"dist-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "dialoguekg.cli", "build", "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        sums.append((out / "SHA256SUMS").read_bytes())
    assert sums[0] == sums[1]


@pytest.mark.parametrize("forks", [True, False], ids=["child", "no-fork"])
def test_the_cli_build_writes_the_files_the_renderers_make(
    tmp_path: Path, dist: Path, monkeypatch: pytest.MonkeyPatch, forks: bool
) -> None:
    """``build`` writes its N-Triples from the child that built them, loads the store as the
    file grows (``graph.Loading``) and starts the N-Quads as a kernel copy of that file
    (``Output.add_copy``): every file is the one ``all_files`` makes in one process from the
    whole document, byte for byte; so too where the system cannot fork (the child's work is
    done here, its notes handed over directly)."""
    from dialoguekg.cli import main

    if not forks:
        monkeypatch.setattr(apart, "start", lambda work: None)
    out = tmp_path / "dist"
    assert main(["build", "--out", str(out)]) == 0
    built = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    assert set(built) == EXPECTED_FILES
    for name, path in sorted(built.items()):
        assert path.read_bytes() == (dist / name).read_bytes(), name


HEAD, TAIL = b"<a> <b> <c> .\n<h> <i> <j> .\n", b"<d> <e> <f> <g> .\n"


def copy_refused(*args: object) -> int:
    raise OSError(18, "Invalid cross-device link")


def copy_stopping_short(source: int, target: int, count: int) -> int:
    """A kernel copy that copies five bytes, then says it reached the end."""
    return 0 if os.lseek(target, 0, os.SEEK_CUR) else os.write(target, os.read(source, 5))


@pytest.mark.parametrize("copy", [copy_refused, copy_stopping_short], ids=["refused", "short"])
def test_a_file_the_kernel_does_not_copy_whole_is_read_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: Callable[..., int]
) -> None:
    monkeypatch.setattr(os, "copy_file_range", copy)
    with export.Output(tmp_path / "dist") as output:
        (output.path("a.nt")).write_bytes(HEAD)
        output.adopt("a.nt")
        output.add_copy("a.nq", "a.nt", lambda: TAIL)
        written = output.written()
        output.commit({})
    assert (tmp_path / "dist" / "a.nq").read_bytes() == HEAD + TAIL
    assert written == {"a.nt": export.digest(HEAD), "a.nq": export.digest(HEAD + TAIL)}


def test_the_dumps_of_a_graph_kept_in_a_file_hold_its_whole_document(
    tmp_path: Path, compiled: Compiled, project: Project
) -> None:
    """``makers`` reads a document kept in a file (``Built.kept_in``), wherever the file is."""
    kept = compiled.built.kept_in(tmp_path / "elsewhere.nt")
    context = export.load_context(project.context_file)
    ours, reference = (
        export.makers(built, compiled.store, context) for built in (kept, compiled.built)
    )
    for name in (export.NTRIPLES, export.NQUADS):
        assert export.digest(ours[name]()) == export.digest(reference[name]())
    assert ours[export.NTRIPLES]() == compiled.built.document != b""


def checksums_of(files: dict[str, bytes]) -> bytes:
    return export.checksums({name: export.digest(content) for name, content in files.items()})


def test_write_replaces_the_folder_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    write(out, {"a.ttl": b"1", "SHA256SUMS": checksums_of({"a.ttl": b"1"})})
    write(out, {"b.ttl": b"2", "SHA256SUMS": checksums_of({"b.ttl": b"2"})})
    assert {p.name for p in out.iterdir()} == {"b.ttl", "SHA256SUMS"}
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]
    assert oct(out.stat().st_mode & 0o777) == "0o755"


def test_a_failed_write_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    write(out, {"a.ttl": b"1", "SHA256SUMS": checksums_of({"a.ttl": b"1"})})
    with pytest.raises(
        DialogueKGError, match=r"cannot write .*dist: .*the previous output is kept"
    ):  # "c" is a folder by the time its file is written
        write(out, {"b.ttl": b"2", "c/d.csv": b"3", "c": b"4", "SHA256SUMS": b"y"})
    assert (out / "a.ttl").read_bytes() == b"1"
    assert {p.name for p in out.iterdir()} == {"a.ttl", "SHA256SUMS"}
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


def test_a_file_that_cannot_be_made_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    write(out, {"a.ttl": b"1", "SHA256SUMS": checksums_of({"a.ttl": b"1"})})

    def broken() -> bytes:
        raise ValueError("no such table")

    failure = r"dist: b.csv could not be made \(ValueError"
    with pytest.raises(DialogueKGError, match=failure), export.Output(out) as output:
        output.add("c.ttl", lambda: b"3")
        output.add("b.csv", broken)
        output.commit({})
    assert (out / "a.ttl").read_bytes() == b"1"
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]  # no staging folder left


def test_write_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DialogueKGError, match=r"refusing to replace .*did not write \(notes.txt"):
        write(tmp_path, {"SHA256SUMS": b""})
    assert (tmp_path / "notes.txt").read_text() == "mine"
    # a build folder with a file of the user's added is refused too
    out = tmp_path / "dist"
    write(out, {"a.ttl": b"1", "SHA256SUMS": checksums_of({"a.ttl": b"1"})})
    (out / "my-notes.txt").write_text("mine")
    with pytest.raises(DialogueKGError, match=r"\(my-notes.txt, not in its SHA256SUMS\)"):
        write(out, {"SHA256SUMS": b""})
    assert (out / "my-notes.txt").read_text() == "mine"
    # and so is one added to a subfolder the build wrote
    (out / "my-notes.txt").unlink()
    files = {"tables/a.csv": b"1"}
    write(out, {**files, "SHA256SUMS": checksums_of(files)})
    (out / "tables" / "mine.csv").write_text("mine")
    with pytest.raises(DialogueKGError, match=r"\(tables/mine.csv, not in its SHA256SUMS\)"):
        write(out, {"SHA256SUMS": b""})


def test_source_date_epoch_sets_the_modified_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert export.modified_date() == "2023-11-14"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(DialogueKGError, match="SOURCE_DATE_EPOCH"):
        export.modified_date()


def test_jsonld_writer_keeps_every_kind_of_term(project: Project) -> None:
    """Our one-pass writer against rdflib's N-Triples reading of the same lines: escapes,
    languages, datatypes, a term that takes IRIs given a literal, IRIs without a prefix."""
    a, b = "<https://w3id.org/dialoguekg/id/person/a>", "<https://w3id.org/dialoguekg/id/person/b>"
    label, same = (
        "<http://www.w3.org/2000/01/rdf-schema#label>",
        "<http://www.w3.org/2002/07/owl#sameAs>",
    )
    dkg, xsd = "https://w3id.org/dialoguekg/def#", "http://www.w3.org/2001/XMLSchema#"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    lines = sorted(
        [
            f'{a} {label} "say \\"hi\\"\\n\\\\ \\u00e9t\\u00E9"@en .',
            f'{a} {label} "A"@zh-hans .',
            f"{a} {same} <http://www.wikidata.org/entity/Q1> .",
            f'{a} {same} "not an IRI" .',
            f"{a} <http://example.org/p> <http://example.org/o> .",
            f'{a} <{dkg}partyCount> "45"^^<{xsd}integer> .',
            f"{a} {rdf_type} <{dkg}Person> .",
            f'{b} <{dkg}wikidataId> "Q2" .',
        ]
    )
    document = export.jsonld(lines, export.load_context(project.context_file))
    expected = Graph().parse(data="\n".join(lines), format="nt")
    assert isomorphic(Graph().parse(data=document, format="json-ld"), expected)


def test_jsonld_writer_takes_the_longest_prefix_that_is_one() -> None:
    """The longest prefix that fits wins, prefixes being looked up by the IRI's head (up to
    its last ``/`` or ``#``); a term whose IRI does not end with a gen-delim is no prefix
    (JSON-LD 1.1), nor is ``@vocab``, one ending with ``:`` is, and a local part starting with
    ``//`` falls back to a shorter prefix."""
    context = {
        "ex": "http://ex.org/",
        "item": "http://ex.org/item-",
        "deep": "http://ex.org/a/",
        "u": "urn:x:",
        "@vocab": "http://ex.org/",
        "name": {"@id": "ex:name"},
        "knows": {"@id": "ex:knows", "@type": "@id"},
    }
    lines = [
        '<http://ex.org/item-5> <http://ex.org/name> "five" .',
        "<http://ex.org/item-5> <http://ex.org/knows> <http://ex.org/a/b> .",
        "<http://ex.org/item-5> <http://ex.org/knows> _:x .",
        "<http://ex.org/item-5> <http://ex.org/knows> <urn:x:y> .",
        "<http://ex.org/item-5> <http://ex.org/other> <http://ex.org/a//c> .",
        "<http://ex.org/item-5> <http://ex.org/other> <http://ex.org///z> .",
        "<http://ex.org/item-5> <http://ex.org/other> <http://ex.org/a///c> .",
        "<http://ex.org/item-5> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> _:y .",
    ]
    document = json.loads(export.jsonld(lines, context))
    assert document["@graph"] == [
        {
            "@id": "ex:item-5",
            "ex:other": [{"@id": "deep:/c"}, {"@id": "ex:a///c"}, {"@id": "http://ex.org///z"}],
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": {"@id": "_:y"},
            "knows": ["_:x", "deep:b", "u:y"],
            "name": "five",
        }
    ]
    expected = Graph().parse(data="\n".join(lines), format="nt")
    parsed = Graph().parse(data=export.jsonld(lines, context), format="json-ld")
    assert isomorphic(parsed, expected)
