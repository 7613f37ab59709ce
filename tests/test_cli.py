"""The command line: entry point, exit codes, messages, formats, settings."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialoguekg import __version__, export, tables
from dialoguekg.cli import SETTINGS, main

from .conftest import ROOT, free_port, records_in, records_of


def test_installed_entry_point_runs() -> None:
    exe = shutil.which("dialoguekg") or str(Path(sys.executable).parent / "dialoguekg")
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"dialoguekg {__version__}"


def test_script_ends_build_and_validate_with_their_output_whole(tmp_path: Path) -> None:
    """The script ends after ``build`` and ``validate`` without freeing what they made
    (``cli.run``): what they print into a pipe, block-buffered, must still all arrive."""
    exe = Path(sys.executable).parent / "dialoguekg"  # this venv's script, not another on PATH
    assert "from dialoguekg.cli import run" in exe.read_text(encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    out = tmp_path / "dist"
    build = subprocess.run(
        [exe, "build", "--out", str(out)], cwd=ROOT, capture_output=True, env=env
    )
    assert build.returncode == 0, build.stderr
    assert re.fullmatch(rb"built \S+: \d+ meetings, .*, 0 violations, \d+ warnings\n", build.stdout)
    assert build.stderr.startswith(b"reading ") and b"named as taking part" in build.stderr
    assert (out / "SHA256SUMS").is_file()
    validate = subprocess.run([exe, "validate"], cwd=ROOT, capture_output=True, env=env)
    assert validate.returncode == 0, validate.stderr
    assert validate.stdout.startswith(b"Warning: ")
    assert re.search(rb"\nthe graph conforms to the shapes; \d+ warning\(s\)\n\Z", validate.stdout)


def test_build_prints_progress_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--out", str(tmp_path / "dist")]) == 0
    captured = capsys.readouterr()
    summary = re.fullmatch(
        r"built \S+: (\d+) meetings, (\d+) persons, (\d+) parties, (\d+) sources, \d+ claims, "
        r"(\d+) conflicts; \d+ triples, \d+ entities, (\d+) files, 0 violations, \d+ warnings\n",
        captured.out,
    )
    assert summary, captured.out
    counted = [int(n) for n in summary.groups()[:4]]
    assert counted == [records_in(kind) for kind in ("meetings", "persons", "parties", "sources")]
    assert int(summary.group(5)) == 14  # the facts two claims conflict on (test_verdicts)
    assert int(summary.group(6)) == 7 + len(tables.TABLES) + 1  # dumps, tables, descriptor
    for stage in ("reading", "building the graph", "validating", "writing"):
        assert stage in captured.err
    assert "Warning: series schema:endDate: sources disagree (1)" in captured.err
    links = re.search(
        r"Wikidata links: Person \d+ of (\d+), .*, Organization (\d+) of (\d+)\n", captured.err
    )
    assert links, captured.err
    organisations = records_of("organisations")
    linked = {f"organisation/{o['id']}" for o in organisations} & {
        link["entity"] for link in records_of("links")
    }
    assert [int(n) for n in links.groups()] == [
        records_in("persons"),
        len(linked),
        len(organisations),
    ]


def test_validate_sums_warnings_up_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    summed = re.findall(r"^Warning: (\w+) (.*): (.*) \((\d+)\)$", out, re.MULTILINE)
    assert ("person", "owl:sameAs", "has no Wikidata link yet") in {s[:3] for s in summed}
    total = int(re.search(r"; (\d+) warning\(s\)$", out.rstrip()).group(1))  # type: ignore[union-attr]
    assert sum(int(s[3]) for s in summed) == total
    assert "(--verbose lists every warning with its file and line)" in out


def test_validate_reports_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert (
        "Warning: Yerlan Koshanov owl:sameAs: has no Wikidata link yet [data/persons.yaml:46" in out
    )
    warnings = len(re.findall(r"^Warning: ", out, re.MULTILINE))
    assert warnings > 0
    assert out.rstrip().endswith(f"the graph conforms to the shapes; {warnings} warning(s)")


def non_conforming_copy(tmp_path: Path) -> Path:
    """Data that reads fine but breaks a shape: a state office with no country."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    roles = data / "roles.yaml"
    roles.write_text(
        roles.read_text(encoding="utf-8").replace(
            "head_of: state, country: nicaragua, ", "head_of: state, "
        ),
        encoding="utf-8",
    )
    return data


def test_validate_exits_1_naming_entity_property_and_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--data", str(non_conforming_copy(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"Violation: President of Nicaragua country: a state office needs the country it "
        r"belongs to \[\S*roles\.yaml:28 \(role 'president-of-nicaragua'",
        out,
    ), out
    assert "the graph does not conform: 1 violation(s)" in out


def test_build_of_non_conforming_data_exits_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["build", "--data", str(non_conforming_copy(tmp_path)), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "does not conform to the shapes; nothing was written" in err
    assert not out.exists()


def test_a_failed_build_leaves_no_folder_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new output folder is made before the data is read: a build that then fails takes
    it away, and the folders made to hold it."""
    out = tmp_path / "new" / "deeper" / "dist"
    assert main(["build", "--data", str(non_conforming_copy(tmp_path)), "--out", str(out)]) == 1
    assert not (tmp_path / "new").exists()


def test_a_document_that_cannot_be_written_is_an_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build's child writes the N-Triples into the new folder: a disk that refuses them is
    a one-line error naming the output folder, exit 2, and the previous output kept. (The
    document goes to /dev/full, which takes no byte: a full disk, in the real write.)"""
    path = export.Output.path

    def full(self: export.Output, name: str) -> Path:
        return Path("/dev/full") if name == export.NTRIPLES else path(self, name)

    out = tmp_path / "dist"
    monkeypatch.setattr(export.Output, "path", full)
    assert main(["build", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"dialoguekg: error: cannot write {out}: No space left on device; the previous" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_formats(fmt: str, dist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "meetings", "--dist", str(dist), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "table":
        assert out.splitlines()[0].split(" | ")[:3] == ["ordinal", "meeting        ", "start     "]
        assert "id:meeting/2017" in out and out.endswith("(2 rows)\n")
    elif fmt == "csv":
        table = list(csv.reader(io.StringIO(out)))
        assert table[0] == ["ordinal", "meeting", "start", "end", "venue", "themes"]
        assert table[1][:5] == [
            "1",
            "https://w3id.org/dialoguekg/id/meeting/2017",
            "2017-11-30",
            "2017-12-03",
            "Beijing",
        ]
    elif fmt == "tsv":
        lines = out.splitlines()
        assert lines[0] == "?ordinal\t?meeting\t?start\t?end\t?venue\t?themes"
        assert lines[1].split("\t")[:3] == [
            "1",
            "<https://w3id.org/dialoguekg/id/meeting/2017>",
            '"2017-11-30"^^<http://www.w3.org/2001/XMLSchema#date>',
        ]
    else:
        document = json.loads(out)
        assert document["head"]["vars"][0] == "ordinal"
        assert document["results"]["bindings"][1]["start"] == {
            "type": "literal",
            "value": "2023-03-15",
            "datatype": "http://www.w3.org/2001/XMLSchema#date",
        }


def test_query_a_file_ask_and_construct(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ask = tmp_path / "ask.rq"
    ask.write_text("ASK { ?s <https://w3id.org/dialoguekg/def#partyCount> 500 }")
    assert main(["query", str(ask), "--dist", str(dist)]) == 0
    assert capsys.readouterr().out == "true\n"
    construct = tmp_path / "construct.rq"
    construct.write_text(
        "CONSTRUCT WHERE { <https://w3id.org/dialoguekg/id/person/xi-jinping> ?p ?o }"
    )
    assert main(["query", str(construct), "--dist", str(dist)]) == 0
    assert "<http://www.wikidata.org/entity/Q15031>" in capsys.readouterr().out


def test_query_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 23  # 21 questions, 2 federated with Wikidata
    assert re.search(r"^meetings +Which meetings belong to the series", out, re.MULTILINE)


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["query", "no-such-query"],
            r"no query named 'no-such-query' and no file .*shipped queries in \S+: "
            r"conflicts, coverage, disagreements, ",
        ),
        (
            ["query", "meetings", "--format", "xml"],
            r"--format 'xml' is not known; choose one of: table, csv, tsv, json",
        ),
        (
            ["query", "meetings", "--dist", "/nonexistent"],
            r"no built graph at /nonexistent/dialoguekg.nq: run 'dialoguekg build' first",
        ),
    ],
)
def test_query_errors_are_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert err.count("\n") == 1


def test_malformed_local_query_names_the_parse_error(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("SELEKT * WHERE { ?s ?p ?o }")
    assert main(["query", str(bad), "--dist", str(dist)]) == 2
    assert "the query is not valid SPARQL: " in capsys.readouterr().err


def test_settings_come_from_the_environment(
    dist: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIALOGUEKG_DIST", str(dist))
    monkeypatch.setenv("DIALOGUEKG_FORMAT", "csv")
    assert main(["query", "keynotes"]) == 0
    assert capsys.readouterr().out.startswith("meeting,speaker,party,sources\r\n")


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.flag}`" in readme, setting.flag
        assert f"`{setting.env}`" in readme, setting.env


def test_the_ci_script_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./run test" in readme
    assert re.search(r"^exec \./run test$", ci, re.MULTILINE)


def test_more_bad_input_is_one_clear_line(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each of these once ended in a traceback."""
    bad_dump = tmp_path / "bad"
    bad_dump.mkdir()
    (bad_dump / "dialoguekg.nq").write_text("<a> <b> .\n")
    # the server reads its dump leniently, in a thread of its own, once its SHA-256 is the
    # listed one: a dump that is not N-Quads, and one changed since, are one line and exit 2
    digest = hashlib.sha256(b"<a> <b> .\n").hexdigest()
    (bad_dump / "SHA256SUMS").write_text(f"{digest}  dialoguekg.nq\n")
    changed = tmp_path / "changed"
    shutil.copytree(bad_dump, changed)
    (changed / "SHA256SUMS").write_text("0" * 64 + "  dialoguekg.nq\n")
    latin1 = tmp_path / "latin1.rq"
    latin1.write_bytes('SELECT * WHERE { ?s ?p "Tsègan" }'.encode("latin-1"))
    update = tmp_path / "update.rq"
    update.write_text("PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    cases = [
        (
            ["query", "meetings", "--dist", str(bad_dump)],
            r"bad/dialoguekg.nq is not a readable dump .*rebuild it",
        ),
        (
            ["query", str(latin1), "--dist", str(dist)],
            r"latin1.rq: not UTF-8 text .*save the query as UTF-8",
        ),
        (
            ["query", str(update), "--dist", str(dist)],
            r"this is a SPARQL update; dialoguekg query only reads",
        ),
        (
            ["serve", "--dist", str(bad_dump), "--port", str(free_port())],
            r"bad/dialoguekg.nq is not a readable dump .*rebuild it",
        ),
        (
            ["serve", "--dist", str(changed), "--port", str(free_port())],
            r"changed/dialoguekg.nq: its SHA-256 is not the one SHA256SUMS lists; .*rebuild",
        ),
        (["query", "meetings", "--endpoint", "notaurl"], r"notaurl is not a SPARQL endpoint URL"),
        (["build", "--out", str(a_file / "dist")], r"cannot write .*a-file/dist: "),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert re.search(message, err), (argv, err)
        assert err.count("\n") == 1 or "reading" in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["query", "--list"],
        ["query", "meetings", "--dist", "DIST"],
        ["build", "--out", "OUT"],
        ["validate"],
    ],
)
def test_commands_import_neither_rdflib_nor_pyshacl(
    argv: list[str], tmp_path: Path, dist: Path
) -> None:
    """rdflib costs ~130 ms to import and pySHACL ~250 ms; only the reference validator
    (``validate --engine pyshacl``) needs them."""
    argv = [{"OUT": str(tmp_path / "out"), "DIST": str(dist)}.get(a, a) for a in argv]
    probe = (
        "import sys\nfrom dialoguekg.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('rdflib', 'pyshacl') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
