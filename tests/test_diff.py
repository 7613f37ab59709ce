"""`dialoguekg diff OLD NEW`: a variant of the mini case (a claim changed, a person added, a
concept removed, a new conflict) in words, as a CHANGELOG section, and as TriG whose two
graphs are exactly the set differences of the dumps; bad input is one located line."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from dialoguekg import diff
from dialoguekg.cli import main
from dialoguekg.errors import DiffError

from .conftest import CASES

ID = "https://w3id.org/dialoguekg/id/"


def _build(data: Path, out: Path) -> Path:
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0
    return out


def _variant(data: Path) -> None:
    """The mini case with one claim's value changed (45 → 40, the preferred party count), a
    claim added that conflicts (a start year), a person added, a concept removed."""
    claims = data / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    assert "value: 45, qualifier: nearly" in text
    claims.write_text(
        text.replace("value: 45, qualifier: nearly", "value: 40, qualifier: nearly")
        + "- {subject: series/old-series, property: start_year, value: 2014, source: src-b,"
        " quote: begun in 2014}\n",
        encoding="utf-8",
    )
    with (data / "persons.yaml").open("a", encoding="utf-8") as persons:
        persons.write("- {id: bo-test, name: Bo Test, source: src-b}\n")
    (data / "concepts.yaml").write_text("", encoding="utf-8")
    meetings = data / "meetings.yaml"
    lines = meetings.read_text(encoding="utf-8").splitlines(keepends=True)
    meetings.write_text("".join(x for x in lines if "introduced_concepts" not in x), "utf-8")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diff")
    shutil.copytree(CASES / "mini" / "data", root / "old")
    shutil.copytree(CASES / "mini" / "data", root / "new")
    _variant(root / "new")
    return _build(root / "old", root / "dist-old"), _build(root / "new", root / "dist-new")


def _triples(path: Path) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)}


def _graphs(path: Path) -> dict[str, set[ox.Triple]]:
    found: dict[str, set[ox.Triple]] = {diff.ADDED: set(), diff.REMOVED: set()}
    for quad in ox.parse(path=path, format=ox.RdfFormat.TRIG):
        assert isinstance(quad.graph_name, ox.NamedNode), quad
        found[quad.graph_name.value].add(quad.triple)
    return found


def test_diff_says_what_changed_in_words(
    builds: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = builds
    assert main(["diff", str(old), str(new)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("30 triples added, 28 removed")
    assert lines[1:] == [
        "Entities added (1):",
        f"  + Person: Bo Test ({ID}person/bo-test)",
        "Entities removed (1):",
        f"  - skos:Concept: Test Idea ({ID}concept/test-idea)",
        "Claims added (2):",
        "  + Old Series · schema:startDate: 2014 per Source B",
        "  + Test Meeting 2021 · party count: nearly 40 per Source B",
        "Claims removed (2):",
        "  - Test Meeting 2021 · introduced concept: Test Idea per Source A",
        "  - Test Meeting 2021 · party count: nearly 45 per Source B",
        "Facts whose shown value changed (3):",
        "  ~ Old Series · schema:startDate: 2015 → 2014 / 2015",
        "  ~ Test Meeting 2021 · introduced concept: Test Idea → (none)",
        "  ~ Test Meeting 2021 · party count: 45 → 40",
        "New conflicts (1):",
        "  ! Old Series · schema:startDate: 2014 per Source B against "
        "Old Series · schema:startDate: 2015 per Source A",
    ]


def test_the_trig_holds_exactly_the_set_differences(
    builds: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = builds
    out = tmp_path / "change.trig"
    assert main(["diff", str(old), str(new), "--out", str(out)]) == 0
    graphs = _graphs(out)
    before, after = _triples(old / "dialoguekg.nt"), _triples(new / "dialoguekg.nt")
    assert graphs[diff.ADDED] == after - before
    assert graphs[diff.REMOVED] == before - after
    assert graphs[diff.ADDED] and graphs[diff.REMOVED]
    again = tmp_path / "again.trig"
    assert main(["diff", str(old), str(new), "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_a_build_against_itself_has_no_changes_and_empty_graphs(
    builds: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = builds
    out = tmp_path / "none.trig"
    assert main(["diff", str(old), str(old), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith(": no changes")
    assert _graphs(out) == {diff.ADDED: set(), diff.REMOVED: set()}
    assert f"<{diff.ADDED}> {{\n}}" in out.read_text(encoding="utf-8")
    assert main(["diff", str(old), str(old), "--changelog"]) == 0
    assert "No changes to the data since 0.2.0." in capsys.readouterr().out


def test_changelog_section(builds: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new = builds
    assert main(["diff", str(old), str(new), "--changelog"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("## [0.2.0] - 2026-12-03\n\nCompared with 0.2.0: 30 triples added")
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections == ["### Added", "### Removed", "### Changed"]
    assert f"- Person: Bo Test ({ID}person/bo-test)\n" in text
    assert "- Test Meeting 2021 · party count: 45 → 40\n" in text
    assert "- New conflict: Old Series · schema:startDate: 2014 per Source B against" in text


def _copy(dist: Path, to: Path) -> Path:
    shutil.copytree(dist, to, ignore=shutil.ignore_patterns("store*"))
    return to


def _relist(dist: Path) -> None:
    """SHA256SUMS made to match a changed dump, so the parser is what must catch it."""
    digest = hashlib.sha256((dist / "dialoguekg.nq").read_bytes()).hexdigest()
    sums = dist / "SHA256SUMS"
    lines = [
        f"{digest}  dialoguekg.nq" if line.endswith("  dialoguekg.nq") else line
        for line in sums.read_text(encoding="ascii").splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n", encoding="ascii")


def _damaged(kind: str, dist: Path, tmp_path: Path) -> Path:
    if kind == "missing":
        return tmp_path / "nowhere"
    if kind == "not-a-build":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty"
    bad = _copy(dist, tmp_path / kind)
    dump = bad / "dialoguekg.nq"
    if kind == "checksum":
        dump.write_bytes(dump.read_bytes().replace(b"Ada Test", b"Ada Tess", 1))
    elif kind == "syntax":
        dump.write_bytes(dump.read_bytes() + b"<https://example.org/s> <p> .\n")
        _relist(bad)
    elif kind == "blank-node":
        dump.write_bytes(dump.read_bytes() + b"_:b0 <https://example.org/p> <urn:x:o> .\n")
        _relist(bad)
    elif kind == "no-void":
        (bad / "void.ttl").unlink()
    return bad


@pytest.mark.parametrize(
    "kind,message",
    [
        ("missing", r"nowhere: no such folder"),
        ("not-a-build", r"empty/SHA256SUMS: not readable .* not a folder 'dialoguekg build' wrote"),
        ("checksum", r"checksum/dialoguekg\.nq: its SHA-256 is not the one SHA256SUMS lists"),
        ("syntax", r"syntax/dialoguekg\.nq: not N-Quads: .*line \d+"),
        ("blank-node", r"blank-node/dialoguekg\.nq: holds blank nodes"),
        ("no-void", r"no-void/void\.ttl: no readable dataset description"),
    ],
)
def test_bad_input_is_one_located_line_and_writes_nothing(
    kind: str,
    message: str,
    builds: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, _ = builds
    bad = _damaged(kind, old, tmp_path)
    with pytest.raises(DiffError, match=message):
        diff.compare(old, bad)
    out = tmp_path / "change.trig"
    assert main(["diff", str(bad), str(old), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("dialoguekg: error: ") and error.count("\n") == 1, error
    assert not out.exists()
