"""The builder: golden graphs by isomorphism, the claim derivation, stable readable IRIs."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import PROV, RDF, XSD

from dialoguekg import apart, sources
from dialoguekg import graph as graph_stage
from dialoguekg.project import Compiled

from .conftest import CASES, ROOT, mini_with_two_sources, records_in
from .terms import DKG, ID, SCHEMA

GOLDEN = sorted(p for p in CASES.iterdir() if (p / "expected.ttl").is_file())


def assert_isomorphic(actual: Graph, expected: Graph) -> None:
    """Isomorphism, with the triples only on each side shown when it fails."""
    if isomorphic(actual, expected):
        return
    _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
    lines = ["only in the built graph:", *[f"  {t}" for t in sorted(only_actual)][:40]]
    lines += ["only in the expected graph:", *[f"  {t}" for t in sorted(only_expected)][:40]]
    pytest.fail("\n".join(lines))


@pytest.mark.parametrize("case", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_case_builds_the_expected_graph(case: Path) -> None:
    built = graph_stage.build(sources.load(case / "data")).graph
    assert_isomorphic(built, Graph().parse(case / "expected.ttl"))


def test_preferred_claim_wins_and_normal_claims_all_show() -> None:
    g = graph_stage.build(sources.load(CASES / "mini" / "data")).graph
    assert set(g.objects(ID["meeting/2021"], DKG.partyCount)) == {Literal(45, datatype=XSD.integer)}
    assert set(g.objects(ID["series/old-series"], SCHEMA.endDate)) == {
        Literal("2018", datatype=XSD.gYear),
        Literal("2019", datatype=XSD.gYear),
    }


def test_deprecated_claim_never_shows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for f in (CASES / "mini" / "data").iterdir():
        (data / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    claims = data / "claims.yaml"
    claims.write_text(
        claims.read_text(encoding="utf-8").replace(
            "source: src-b, quote: held until 2018}",
            "source: src-b, quote: held until 2018, rank: deprecated, "
            "reason: a typo in the source}",
        ),
        encoding="utf-8",
    )
    g = graph_stage.build(sources.load(data)).graph
    assert set(g.objects(ID["series/old-series"], SCHEMA.endDate)) == {
        Literal("2019", datatype=XSD.gYear)
    }
    assert len(list(g.subjects(DKG.rank, DKG.DeprecatedRank))) == 1


def test_the_build_split_over_two_processes_makes_the_same_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From APART_FROM records on, the claims are built in a forked child (``apart``) while the
    records' nodes are built here: the document, its count, the origins (in order) and the
    conflicts are those of the build in one process; the lines are sorted and unique."""
    data = sources.load(ROOT / "data")
    alone = graph_stage.build(data)
    forked: list[object] = []
    start = apart.start

    def spy(work: Callable[[apart.Send], object]) -> apart.Child | None:
        child = start(work)
        forked.append(child)
        return child

    monkeypatch.setattr(apart, "start", spy)
    monkeypatch.setattr(graph_stage, "APART_FROM", 0)
    split = graph_stage.build(data)
    assert forked and forked[0] is not None
    assert split.document == alone.document
    assert (split.count, split.conflicts) == (alone.count, alone.conflicts)
    assert list(split.origins.items()) == list(alone.origins.items())
    lines = alone.document.split(b"\n")
    assert lines[-1] == b"" and lines[:-1] == sorted(set(lines[:-1]))
    assert alone.count == len(lines) - 1 == len(alone.graph)


def test_where_no_child_can_be_forked_every_node_is_built_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the fork fails, the claims are built here: the same graph."""
    data = sources.load(CASES / "mini" / "data")
    alone = graph_stage.build(data)
    monkeypatch.setattr(graph_stage, "APART_FROM", 0)
    monkeypatch.setattr(apart, "start", lambda work: None)
    assert graph_stage.build(data).document == alone.document


def test_a_document_written_to_a_file_reads_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build's child writes the document to a file through a sink and sends its name; the
    parent reads the file: the same chunks of whole lines, lines and store, whatever the
    chunks' size."""
    data = sources.load(CASES / "mini" / "data")
    built = graph_stage.build(data)
    with (tmp_path / "g.nt").open("wb") as file:
        kept = replace(graph_stage.build(data, file.write), file=tmp_path / "g.nt")
    assert (kept.document, len(kept)) == (b"", len(built))
    for size in (1, 100, 1 << 20):
        monkeypatch.setattr(graph_stage, "LINES_CHUNK", size)
        chunks = list(kept.chunks())
        assert b"".join(chunks) == built.document and chunks == list(built.chunks())
        assert all(chunk.endswith(b"\n") for chunk in chunks)
        assert list(kept.lines()) == list(built.lines()) == built.document.decode().splitlines()
    assert set(kept.dataset()) == set(built.dataset())
    (tmp_path / "empty.nt").write_bytes(b"")
    empty = graph_stage.Built(b"", 0, {}, file=tmp_path / "empty.nt")
    assert (list(empty.chunks()), list(empty.lines()), len(empty.dataset())) == ([], [], 0)


def test_a_document_loaded_as_it_is_written_is_the_store_of_the_whole_file(
    tmp_path: Path,
) -> None:
    """``Loading`` loads each stretch of the file as the writer reports it: the same store as
    ``Built.dataset`` makes from the whole document, down to its dumps' bytes, which follow the
    order the triples came in; nothing is lost when the writer reports after every line."""
    import pyoxigraph as ox

    built = graph_stage.build(sources.load(CASES / "mini" / "data"))
    whole = built.dataset(ROOT / "ontology" / "dialoguekg.ttl")
    path = tmp_path / "g.nt"
    with graph_stage.Loading(path) as loading, path.open("wb", buffering=0) as file:
        for line in built.document.splitlines(keepends=True):
            file.write(line)
            loading.up_to(file.tell())
        store = loading.store(ROOT / "ontology" / "dialoguekg.ttl")
    assert len(store) == len(whole) > len(built)
    for fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        assert store.dump(format=fmt) == whole.dump(format=fmt)


def test_a_loading_left_before_its_file_is_written_ends() -> None:
    """A build that fails before its child writes anything leaves its ``Loading``: the thread
    ends without the file ever existing."""
    with graph_stage.Loading(Path("/nonexistent/g.nt")) as loading:
        pass
    assert loading._loaded.done() and loading._loaded.result() is None


def test_the_two_halves_merge_into_sorted_unique_lines() -> None:
    """A line both halves make is written once; an empty half adds no line."""

    def document(first: list[bytes], second: list[bytes]) -> tuple[bytes, int]:
        written = io.BytesIO()
        count = graph_stage._document(first, second, written.write)
        return written.getvalue(), count

    assert document([b"c", b"a"], [b"d", b"c", b"b"]) == (b"a\nb\nc\nd\n", 4)
    assert document([b"b", b"a"], []) == (b"a\nb\n", 2)
    assert document([], []) == (b"", 0)
    # a half's own repeated line (a record giving one value twice) is also written once
    assert document([b"b", b"b", b"a"], [b"b"]) == (b"a\nb\n", 2)


def test_a_value_given_twice_is_one_triple(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The halves keep their lines in lists, not sets: a record's repeated value still makes
    one line, in the build in one process and in the build split over two."""
    data_dir = tmp_path / "data"
    shutil.copytree(CASES / "mini" / "data", data_dir)
    persons = data_dir / "persons.yaml"
    text = persons.read_text(encoding="utf-8")
    assert "alt_names: [A. Test]" in text
    persons.write_text(text.replace("alt_names: [A. Test]", "alt_names: [Twice, Twice]"))
    data = sources.load(data_dir)
    alone = graph_stage.build(data)
    assert alone.document.count(b' "Twice"@en .\n') == 1
    monkeypatch.setattr(graph_stage, "APART_FROM", 0)
    split = graph_stage.build(data)
    assert (split.document, split.count) == (alone.document, alone.count)


def test_the_build_split_with_no_claims_is_the_build_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked half that makes no line sends an empty text: no empty line in the document."""
    data = sources.load(CASES / "mini" / "data")
    monkeypatch.setattr(graph_stage, "_claims", lambda data, labels: ([], {}, []))
    alone = graph_stage.build(data)
    monkeypatch.setattr(graph_stage, "APART_FROM", 0)
    split = graph_stage.build(data)
    assert (split.document, split.count) == (alone.document, alone.count)
    assert not split.document.startswith(b"\n") and b"\n\n" not in split.document


def test_iris_are_the_documented_readable_ones(compiled: Compiled) -> None:
    g = compiled.built.graph
    for iri, cls in [
        ("meeting/2017", DKG.Meeting),
        ("person/xi-jinping", DKG.Person),
        ("party/african-national-congress", DKG.Party),
        ("country/south-africa", DKG.Country),
    ]:
        assert (ID[iri], RDF.type, cls) in g


def test_real_data_counts(compiled: Compiled) -> None:
    g = compiled.built.graph
    for kind, cls in [
        ("persons", DKG.Person),
        ("parties", DKG.Party),
        ("countries", DKG.Country),
        ("meetings", DKG.Meeting),
        ("sources", DKG.Source),
    ]:
        assert len(set(g.subjects(RDF.type, cls))) == records_in(kind), kind


def test_every_node_minted_from_a_record_knows_its_file_and_line(compiled: Compiled) -> None:
    origins = compiled.built.origins
    assert (
        "persons.yaml:5 (person 'guo-yezhou' (Guo Yezhou))" in origins[str(ID["person/guo-yezhou"])]
    )
    minted = {
        str(s) for s in compiled.built.graph.subjects(RDF.type, None) if str(s).startswith(str(ID))
    }
    assert minted <= set(origins)


def test_no_blank_nodes_so_dumps_are_deterministic(compiled: Compiled) -> None:
    assert not [t for t in compiled.built.graph if any(type(x).__name__ == "BNode" for x in t)]


def test_lines_are_read_whole_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Built.lines`` decodes a chunk at a time: a line cut by a chunk's end comes whole."""
    document = "".join(f'<urn:s{i}> <urn:p> "v\u00e9{"x" * i}" .\n' for i in range(40)).encode()
    built = graph_stage.Built(document, 40, {})
    for chunk in (1, 7, 64, len(document), 1 << 20):
        monkeypatch.setattr(graph_stage, "LINES_CHUNK", chunk)
        assert list(built.lines()) == document.decode().split("\n")[:-1]


def test_a_participation_and_a_membership_cite_each_of_their_sources(tmp_path: Path) -> None:
    """Each listed source is cited as one would be; the first stays in the participation's IRI,
    which is the IRI it had with that one source, and the quote is stated once."""
    keynote = ID["participation/session-2021-opening.ada-test.keynote-speaker.src-a"]
    office = ID["membership/ada-president"]
    one = graph_stage.build(sources.load(CASES / "mini" / "data")).graph
    assert set(one.objects(keynote, PROV.wasDerivedFrom)) == {ID["source/src-a"]}
    data = mini_with_two_sources(tmp_path)
    two = graph_stage.build(sources.load(data)).graph
    for node in (keynote, office):
        assert set(two.objects(node, PROV.wasDerivedFrom)) == {
            ID["source/src-a"],
            ID["source/src-b"],
        }
    assert set(two.subjects(RDF.type, DKG.Participation)) == set(
        one.subjects(RDF.type, DKG.Participation)
    )
    assert len(set(two.objects(keynote, DKG.quote))) == 1
    # nothing else changes: the two graphs differ by the two second citations only
    assert set(two - one) == {
        (keynote, PROV.wasDerivedFrom, ID["source/src-b"]),
        (office, PROV.wasDerivedFrom, ID["source/src-b"]),
    }
    assert not set(one - two)
