"""`dialoguekg query --endpoint` against a real Oxigraph SPARQL server loaded with the dump."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dialoguekg.cli import main
from dialoguekg.project import Project
from dialoguekg.query import LocalStore, RemoteStore, find_query, shipped_queries

from .conftest import ROOT, free_port

NAMES = [q.name for q in shipped_queries(ROOT / "queries") if not q.federated]


def normalised(document: dict[str, Any]) -> list[str]:
    """Rows as sorted JSON, GROUP_CONCAT lists sorted, so engine order does not matter."""
    out = []
    for row in document["results"]["bindings"]:
        for term in row.values():
            for sep in (" | ", ", "):
                if sep in term["value"]:
                    term["value"] = sep.join(sorted(term["value"].split(sep)))
        out.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    return sorted(out)


@pytest.mark.parametrize("name", NAMES)
def test_endpoint_gives_the_same_answers_as_the_embedded_store(
    name: str,
    oxigraph_endpoint: str,
    store: LocalStore,
    project: Project,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["query", name, "--endpoint", oxigraph_endpoint, "--format", "json"])
    remote = json.loads(capsys.readouterr().out)
    assert code == 0
    local = store.query(find_query(name, project.queries_dir).text).to_json()
    assert remote["head"]["vars"] == local["head"]["vars"]
    assert normalised(remote) == normalised(local)
    assert remote["results"]["bindings"]


def test_endpoint_table_output(oxigraph_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "plenary-speakers-2023", "--endpoint", oxigraph_endpoint]) == 0
    out = capsys.readouterr().out
    assert "Daniel Ortega" in out and "(8 rows)" in out


def test_endpoint_ask_and_construct(oxigraph_endpoint: str) -> None:
    remote = RemoteStore(oxigraph_endpoint)
    ask = remote.query("ASK { <https://w3id.org/dialoguekg/id/person/xi-jinping> ?p ?o }")
    assert ask.boolean is True
    graph = remote.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . "
        "FILTER (?s = <https://w3id.org/dialoguekg/id/meeting/2017>) }"
    )
    assert graph.rdf is not None
    assert b"<https://w3id.org/dialoguekg/id/meeting/2017>" in graph.rdf


def test_a_malformed_query_is_refused_with_the_servers_message(
    oxigraph_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?y }")
    assert main(["query", str(bad), "--endpoint", oxigraph_endpoint]) == 2
    err = capsys.readouterr().err
    assert f"{oxigraph_endpoint} refused the query" in err
    assert "Traceback" not in err


def test_an_endpoint_that_is_down_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    assert main(["query", "meetings", "--endpoint", url]) == 2
    err = capsys.readouterr().err
    assert f"{url} could not be reached" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "sparql,form",
    [
        ("# the People's parties\nSELECT * WHERE { ?s ?p ?o }", "SELECT"),
        (
            "PREFIX x: <http://example.org/#ask>\nconstruct { ?s ?p ?o } WHERE { ?s ?p ?o }",
            "CONSTRUCT",
        ),
        ('SELECT ?s WHERE { ?s ?p "# ASK" } # DESCRIBE', "SELECT"),
        ("BASE <http://a/>\n# CONSTRUCT\nASK { ?s ?p '''x\n# SELECT''' }", "ASK"),
        ("DESCRIBE <http://a/b#c>", "DESCRIBE"),
    ],
)
def test_query_form_ignores_comments_iris_and_strings(sparql: str, form: str) -> None:
    from dialoguekg.query import query_form

    assert query_form(sparql) == form


def test_an_update_is_not_a_query() -> None:
    from dialoguekg.errors import QueryError
    from dialoguekg.query import query_form

    with pytest.raises(QueryError, match="not a SPARQL query"):
        query_form("INSERT DATA { <a:b> <a:c> <a:d> }")
