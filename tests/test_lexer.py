"""The SPARQL lexer the endpoint checks queries with: SERVICE however spelt, nesting depth,
and no false alarm on strings, IRIs, prefixed names, variables or comments."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from dialoguekg.web.lexer import outline, unescape_codepoints, uses_service

from .conftest import ROOT

URL = "<http://127.0.0.1:1/sparql>"

SERVICE_SPELLINGS = [
    f"SELECT * WHERE {{ SERVICE {URL} {{ ?s ?p ?o }} }}",
    f"select * where {{ service silent {URL} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SeRvIcE ?svc {{ ?s ?p ?o }} VALUES ?svc {{ {URL} }} }}",
    f"SELECT * WHERE {{ OPTIONAL {{ SERVICE {URL} {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE {URL} {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ {{ ?s ?p ?o }} MINUS {{ SERVICE {URL} {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE {URL} {{ ?s ?p ?o }} }} }}",
    f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {URL} {{ ?s ?p ?o }} }} }} }}",
    f"SELECT * WHERE {{ ?a ?b ?c LATERAL {{ SERVICE {URL} {{ ?s ?p ?o }} }} }}",
    # the two spellings that passed the keyword scan this replaces
    "SELECT * WHERE { ?s ?p ?o FILTER(1<2)LATERAL{SERVICE?svc{?a ?b ?c}}FILTER(2>1) }",
    f"PREFIX e: <http://e/> SELECT * WHERE {{ ?s e:a\\' ?o . SERVICE {URL} {{ ?a ?b ?c }} }}",
    # codepoint escapes apply to the whole query text before parsing
    f"SELECT * WHERE {{ \\u0053ERVICE {URL} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ \\U00000053ERVICE {URL} {{ ?s ?p ?o }} }}",
    f"# a comment line\nSELECT * WHERE {{ SERVICE {URL} {{ ?s ?p ?o }} }}",
    # a string that a lexer mistaking `<…>` for an IRI would see opening at the quote
    f"SELECT * WHERE {{ ?s ?p ?o FILTER(?s<?p||'>') SERVICE {URL} {{?a ?b ?c}} FILTER('x'='x') }}",
    f"SELECT * WHERE {{ ?s ?p ?o }}SERVICE{URL}{{?a ?b ?c}}",
    f"SELECT * WHERE {{ ?s ?p ?o .SERVICE {URL} {{?a ?b ?c}} }}",
]

HARMLESS = [
    'SELECT * WHERE { ?s ?p "service" }',
    "SELECT * WHERE { ?s ?p 'SERVICE' }",
    'SELECT * WHERE { ?s ?p """a SERVICE { here } too""" }',
    "SELECT * WHERE { <http://example.org/SERVICE> ?p ?o }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:SERVICE ?o }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:service ?o }",
    "SELECT ?service WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> { }",
    'SELECT * WHERE { ?s ?p "Civil Service"@en }',
    'SELECT * WHERE { ?s ?p ?l FILTER(CONTAINS(?l, "service")) }',
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
]


@pytest.mark.parametrize("query", SERVICE_SPELLINGS)
def test_service_is_found_however_spelt(query: str) -> None:
    assert uses_service(query)


@pytest.mark.parametrize("query", HARMLESS)
def test_no_false_alarm(query: str) -> None:
    assert not uses_service(query)
    ox.Store().query(query)  # real SPARQL, read as the engine reads it


def test_codepoint_escapes() -> None:
    assert unescape_codepoints("\\u0053ERVICE \\U0001F600") == "SERVICE \U0001f600"


def test_depth_counts_brackets_outside_terms_without_recursion() -> None:
    assert outline("SELECT * WHERE " + "{" * 3000 + "}" * 3000).depth >= 3000
    parens = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
    assert outline(parens).depth >= 10_000
    quiet = 'SELECT * WHERE { ?s ?p "((((({{{{" . ?s ?p <http://x/((> } # {{{{{{{{'
    assert outline(quiet).depth == 1


def test_every_shipped_query_reads_and_only_the_federated_ones_use_service() -> None:
    for path in sorted((ROOT / "queries").glob("*.rq")):
        shape = outline(path.read_text(encoding="utf-8"))
        assert shape.depth < 16, path.name
        assert ("SERVICE" in shape.keywords) == path.name.startswith("federated-"), path.name


@pytest.mark.parametrize("piece", ["'", "<", "\\u", '"""', "(", "e:a\\"])
def test_a_megabyte_of_one_piece_is_read(piece: str) -> None:
    shape = outline(piece * (1_000_000 // len(piece)))  # quadratic reading would take hours
    assert shape.length == 1_000_000 // len(piece) * len(piece)


def test_a_megabyte_of_anything_is_read() -> None:
    rng = random.Random(7)
    outline("".join(rng.choice("<>{}()'\"#\\:?$ abc\n") for _ in range(1_000_000)))


def test_the_form_keywords_are_read() -> None:
    assert {"SELECT", "WHERE"} <= outline("SELECT * WHERE { ?s ?p ?o }").keywords
    assert "ASK" in outline("ask {}").keywords
    assert "SELECT" not in outline("INSERT DATA { <a:b> <a:c> 'SELECT' }").keywords

