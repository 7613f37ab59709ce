"""The lexer in front of the public endpoint: it finds SERVICE however it is spelt, and only
where the engine would read it; it measures nesting without recursion; it reads 1 MB of
anything in a couple of seconds.

Readings are checked against the real engine, pyoxigraph, on stores in memory and with no
network call: each SERVICE case that is valid SPARQL is also run with GRAPH in place of
SERVICE (same shape: keyword, IRI or variable, group), on a store whose only way to answer
``?a = <http://a/>`` is a named graph, which shows that the engine reads the keyword exactly
where the lexer finds it. Each case where SERVICE must not be found is run on an empty store,
which shows it is SPARQL the engine accepts.
"""

from __future__ import annotations

import inspect
import random
import re
import sys
import time
from collections.abc import Callable

import pyoxigraph as ox
import pytest

from dialoguekg.query import shipped_queries
from dialoguekg.web.lexer import KEYWORDS, Outline, outline, unescape_codepoints, uses_service

from .conftest import ROOT

SECONDS = 3.0  # "a couple of seconds" for 1 MB of anything, with room for a busy machine
N = ox.NamedNode

# -- the engine, as a witness ------------------------------------------------------------------


@pytest.fixture(scope="module")
def witness() -> ox.Store:
    """A store where ?a can be <http://a/> only inside a named graph, and whose default graph
    matches the triple patterns that the cases put before their GRAPH."""
    store = ox.Store()
    objects: list[ox.NamedNode | ox.Literal] = [
        N("http://o/"),
        ox.Literal(True),
        ox.Literal(1),
        N("http://e/a.b"),
        N("http://o"),
        N("http://o/#"),
    ]
    for o in objects:
        store.add(ox.Quad(N("http://s/"), N("http://p/"), o, ox.DefaultGraph()))
    store.add(ox.Quad(N("http://s/"), N("http://e/a'"), N("http://o/"), ox.DefaultGraph()))
    for graph in ("http://x/", "http://x/g", "http://x/g#h"):
        store.add(ox.Quad(N("http://a/"), N("http://b/"), N("http://c/"), N(graph)))
    return store


def as_graph(query: str) -> str:
    return re.sub("(?i)service", "GRAPH", query)


def reads_graph(store: ox.Store, query: str) -> bool:
    """Whether the engine answers ``query`` from the named graph, i.e. read GRAPH as GRAPH."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return any(row["a"] == N("http://a/") for row in solutions)


def runs_on_an_empty_store(query: str) -> None:
    result = ox.Store().query(query)
    if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
        list(result)


# -- SERVICE found -----------------------------------------------------------------------------

# (query, whether the engine answers it from the named graph with GRAPH in place of SERVICE:
# not where GRAPH has no such form, as SERVICE SILENT, nor where pyoxigraph reads no keyword, as
# \u escapes outside strings, nor in MINUS, which keeps no answer to show it: it parses, below)
FOUND = {
    "plain": ("SELECT * WHERE { SERVICE <http://x/> { ?a ?b ?c } }", True),
    "lower case": ("select * where { service <http://x/> { ?a ?b ?c } }", True),
    "mixed case": ("SELECT * WHERE { SeRvIcE <http://x/> { ?a ?b ?c } }", True),
    "SILENT": ("SELECT * WHERE { SERVICE SILENT <http://x/> { ?a ?b ?c } }", False),
    "a variable": ("SELECT * WHERE { SERVICE ?g { ?a ?b ?c } }", True),
    "in OPTIONAL": (
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://x/> { ?a ?b ?c } } }",
        True,
    ),
    "in GRAPH": ("SELECT * WHERE { GRAPH ?g { ?a ?b ?c SERVICE <http://x/> { ?d ?e ?f } } }", True),
    "in MINUS": ("SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <http://x/> { ?a ?b ?c } } }", False),
    "in UNION": (
        "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <http://x/> { ?a ?b ?c } } }",
        True,
    ),
    "in a subquery": (
        "SELECT * WHERE { { SELECT * WHERE { SERVICE <http://x/> { ?a ?b ?c } } } }",
        True,
    ),
    "in LATERAL": (
        "SELECT * WHERE { ?s ?p ?o LATERAL { SERVICE <http://x/> { ?a ?b ?c } } }",
        True,
    ),
    # the bypasses of the keyword scan this lexer replaces, exactly as reported
    "bypass: 1<2 ... 2>1 taken for an IRI": (
        "SELECT * WHERE { ?s ?p ?o FILTER(1<2)LATERAL{SERVICE?svc{?a ?b ?c}}FILTER(2>1) }",
        True,
    ),
    "bypass: a local escape taken for a string": (
        r"PREFIX e: <http://e/> SELECT * WHERE { ?s e:a\' ?o . SERVICE <http://x/> { ?a ?b ?c } }",
        True,
    ),
    "escaped \\u": (r"SELECT * WHERE { \u0053ERVICE <http://x/> { ?a ?b ?c } }", False),
    "escaped \\U": (r"SELECT * WHERE { \U00000053ERVICE <http://x/> { ?a ?b ?c } }", False),
    "after a comment line": (
        "SELECT * WHERE { # the federated part:\nSERVICE <http://x/> { ?a ?b ?c } }",
        True,
    ),
    "string-swallow trick": (
        "SELECT * WHERE { ?s ?p ?o FILTER(?s<?p||'>') SERVICE <http://x/> {?a ?b ?c} "
        "FILTER('x'='x') }",
        True,
    ),
    "right after }": ("SELECT * WHERE { { ?s ?p ?o }SERVICE <http://x/> { ?a ?b ?c } }", True),
    "right after .": ("SELECT * WHERE { ?s ?p ?o .SERVICE <http://x/> { ?a ?b ?c } }", True),
    # the engine's keywords need no word boundary
    "glued to SILENT": ("SELECT * WHERE { SERVICESILENT<http://x/>{ ?a ?b ?c } }", False),
    "glued to true": ("SELECT * WHERE { ?s ?p trueSERVICE<http://x/>{ ?a ?b ?c } }", True),
    "glued to a number": ("SELECT * WHERE { ?s ?p 1SERVICE<http://x/>{ ?a ?b ?c } }", True),
    "glued to a prefix": (
        "PREFIX : <http://x/> SELECT * WHERE { ?s ?p ?o SERVICE:{ ?a ?b ?c } }",
        True,
    ),
    # the engine ends a local part after its first run of dots
    "after a dotted local part": (
        "PREFIX ex: <http://e/> SELECT * WHERE { ?s ?p ex:a.b.SERVICE<http://x/>{ ?a ?b ?c } }",
        True,
    ),
    # an invalid IRI makes the engine take `ex:` alone, then read the local part as query text
    "in a local part, the IRI in the authority": (
        "PREFIX ex: <http://o> PREFIX : <http://x/> "
        "SELECT * WHERE { ?s ?p ex:SERVICE:g{ ?a ?b ?c } }",
        True,
    ),
    "in a local part, two fragments": (
        r"PREFIX ex: <http://o/#> PREFIX : <http://x/> "
        r"SELECT * WHERE { ?s ?p ex:SERVICE:g\#h{ ?a ?b ?c } }",
        True,
    ),
    # a long string with an escape the engine rejects is read again as '' then '...'
    "after a failed long string": (
        r"SELECT * WHERE { VALUES ?x { '''a' } SERVICE <http://x/> { ?a ?b ?c } } # \q '''",
        True,
    ),
    "after a failed long string, a lone surrogate": (
        r'SELECT * WHERE { VALUES ?x { """a" } SERVICE <http://x/> { ?a ?b ?c } } # \uD800 """',
        True,
    ),
    # less-than or IRI: each of two fixed readings is fooled here, one reading per context is not
    "after <'''> and a collection's <#>": (
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<'''>'''||true) "
        "OPTIONAL { ?s ?p (<http://a/> <http://b/#>) } . SERVICE <http://x/> { ?a ?b ?c } } # '''",
        True,
    ),
    "after <'>": (
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<'>'||true) SERVICE <http://x/> { ?a ?b ?c } "
        "FILTER('x'='x') }",
        True,
    ),
    "after a glued FILTER's function call": (
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT * WHERE { ?s ?p ?o "
        "FILTERxsd:boolean(?o<'>'||true) SERVICE <http://x/> { ?a ?b ?c } FILTER('x'='x') }",
        True,
    ),
    "after a subquery's projection": (
        "SELECT * WHERE { { SELECT ?s (?s<'>'||true AS ?t) WHERE { ?s ?p ?o } } "
        "SERVICE <http://x/> { ?a ?b ?c } FILTER('x'='x') }",
        True,
    ),
    "after a subquery's ORDER BY": (
        "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s (?s<'>') } "
        "SERVICE <http://x/> { ?a ?b ?c } FILTER('x'='x') }",
        True,
    ),
    "after a triple term": (
        "SELECT * WHERE { ?s ?p ?o FILTER(<<(?s ?p ?o)>> != ?o||?o<'>') "
        "SERVICE <http://x/> { ?a ?b ?c } FILTER('x'='x') }",
        True,
    ),
}


@pytest.mark.parametrize("query", [q for q, _ in FOUND.values()], ids=list(FOUND))
def test_service_is_found(query: str) -> None:
    assert uses_service(query)
    assert "SERVICE" in outline(query).keywords


@pytest.mark.parametrize(
    "query",
    [q for q, engine in FOUND.values() if engine],
    ids=[k for k, v in FOUND.items() if v[1]],
)
def test_the_engine_reads_the_keyword_where_the_lexer_finds_it(
    witness: ox.Store, query: str
) -> None:
    assert reads_graph(witness, as_graph(query))
    assert "GRAPH" in outline(as_graph(query)).keywords


def test_the_engine_reads_service_in_minus_too() -> None:
    # MINUS keeps none of its variables, so no answer can show what it read; it parses
    minus = as_graph(FOUND["in MINUS"][0])
    runs_on_an_empty_store(minus)
    assert "GRAPH" in outline(minus).keywords


# -- SERVICE not found -------------------------------------------------------------------------

NOT_FOUND = {
    "a string": 'SELECT * WHERE { ?s ?p "service" }',
    "a string in single quotes": "SELECT * WHERE { ?s ?p 'SERVICE' }",
    "a long string": 'SELECT * WHERE { ?s ?p """a\nSERVICE <http://x/> { ?a ?b ?c }\n""" }',
    "a long string with quotes inside": "SELECT * WHERE { ?s ?p '''it''s SERVICE''' }",
    "a string with escaped quotes": r'SELECT * WHERE { ?s ?p "a \" SERVICE \" b" }',
    "a string with \\u escapes": r'SELECT * WHERE { ?s ?p """\u0041 SERVICE""" }',
    "an IRI": "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> }",
    "an IRI compared": "SELECT * WHERE { ?s ?p ?o FILTER(?o = <http://example.org/SERVICE>) }",
    "an IRI after less-than": "SELECT * WHERE { ?s ?p ?o FILTER(?o<<http://x/SERVICE>) }",
    "prefixed names": (
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ex:service }"
    ),
    "a prefix holding the word": (
        "PREFIX webservice: <http://w/> SELECT * WHERE { ?s webservice:x ?o }"
    ),
    "variables": "SELECT ?service WHERE { ?service ?p $SERVICE }",
    "a comment": "SELECT * WHERE { ?s ?p ?o # SERVICE <http://x/> { ?a ?b ?c }\n}",
    "a comment at the end": "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s # SERVICE",
    "a language-tagged literal": 'SELECT * WHERE { ?s ?p "Civil Service"@en }',
    "a function's argument": 'SELECT * WHERE { ?s ?p ?label FILTER(CONTAINS(?label, "service")) }',
    "a quote and a hash in an IRI": (
        'SELECT * WHERE { ?s ?p <http://x/it\'s#a> . ?s ?q "SERVICE" }'
    ),
    "a quote in a collection's IRI": (
        "SELECT * WHERE { ?s ?p (<http://a/> <http://b/'s>) . ?s ?q 'SERVICE' }"
    ),
    "quotes in a VALUES row's IRIs": (
        "SELECT * WHERE { VALUES (?x ?y) { (<http://a/'> <http://b/'>) } ?s ?q 'SERVICE' }"
    ),
    "comparisons that look like an IRI": (
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<'a'&&?o>'b') BIND('SERVICE' AS ?x) }"
    ),
    "a local escape before a string": (
        r'PREFIX e: <http://e/> SELECT * WHERE { ?s e:a\' "service" }'
    ),
    "top-level expressions": "SELECT (1<2 AS ?lt) (<http://x/SERVICE> AS ?iri) WHERE {}",
    "an ASK": 'ASK { ?s ?p "SERVICE" }',
}


@pytest.mark.parametrize("query", list(NOT_FOUND.values()), ids=list(NOT_FOUND))
def test_service_is_not_found_where_the_engine_reads_none(query: str) -> None:
    assert not uses_service(query), sorted(outline(query).keywords)
    runs_on_an_empty_store(query)  # real SPARQL, which the lexer reads as the engine does


def test_declared_prefixes_can_be_given() -> None:
    query = "SELECT * WHERE { ?s ex:SERVICE ?o }"
    prefixes = {"ex": "http://example.org/"}
    assert uses_service(query)  # undeclared: the engine could read `ex:` then SERVICE
    assert not uses_service(query, prefixes)
    solutions = ox.Store().query(query, prefixes=prefixes)
    assert isinstance(solutions, ox.QuerySolutions) and not list(solutions)


CONSERVATIVE = {  # valid queries without federation that the lexer refuses all the same
    "a prefix named after the keyword": (
        "PREFIX service: <http://s/> SELECT * WHERE { ?s service:x ?o }"
    ),
    "a prefix ending in its authority": "PREFIX ex: <http://o> SELECT * WHERE { ?s ?p ex:SERVICE }",
    "the spec's \\u escapes": r'SELECT * WHERE { ?s ?p "\u0022 SERVICE \u0022" }',
}


@pytest.mark.parametrize("query", list(CONSERVATIVE.values()), ids=list(CONSERVATIVE))
def test_doubtful_readings_count(query: str) -> None:
    runs_on_an_empty_store(query)
    assert uses_service(query)


# -- lexical errors do not hide anything -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "unterminated\nSERVICE <http://x/> { ?a ?b ?c } }',
        r'SELECT * WHERE { ?s ?p "bad \q escape" . SERVICE <http://x/> { ?a ?b ?c } }',
        r"SELECT * WHERE { ?s ?p '\uD800' . SERVICE <http://x/> { ?a ?b ?c } }",
        r"SELECT * WHERE { ?s ?p ?o \ SERVICE <http://x/> { ?a ?b ?c } }",
    ],
    ids=["unterminated string", "bad escape", "lone surrogate", "stray backslash"],
)
def test_after_a_lexical_error_every_keyword_counts(query: str) -> None:
    with pytest.raises(SyntaxError):
        ox.Store().query(query)
    assert uses_service(query)


def test_readings_that_never_meet_again_make_the_lexer_give_up() -> None:
    # the less-than reading opens a parenthesis the IRI reading does not: they never merge
    query = "SELECT * WHERE { FILTER(?a<x(>" + " ?a" * 70_000 + " 'SERVICE' ((( }"
    shape = outline(query)
    assert "SERVICE" in shape.keywords  # every keyword of the rest counts
    assert shape.depth >= 6  # every opening bracket of the rest may nest


def test_after_a_lexical_error_every_bracket_may_nest() -> None:
    shape = outline('SELECT * WHERE { ?s ?p "unterminated ((((((((( }')
    assert shape.depth >= 10


# -- codepoint escapes -------------------------------------------------------------------------


def test_unescape_codepoints() -> None:
    assert unescape_codepoints(r"\u0053ERVICE \U00000053ERVICE") == "SERVICE SERVICE"
    assert unescape_codepoints(r"\u00e9\u00E9") == "éé"
    assert unescape_codepoints(r"\\u0041") == "\\A"  # SPARQL has no escaped backslash here
    assert unescape_codepoints(r"\uD800 \U00110000 \u12G4 \u12") == r"\uD800 \U00110000 \u12G4 \u12"
    assert unescape_codepoints("no escape") == "no escape"


def test_escapes_are_read_both_ways() -> None:
    """SPARQL applies \\u escapes to the whole query, pyoxigraph only inside strings and IRIs:
    the lexer reads the query both ways."""
    solutions = ox.Store().query(r'SELECT ("\u0053" AS ?s) (<http://x/\u0053> AS ?i) {}')
    assert isinstance(solutions, ox.QuerySolutions)
    row = next(iter(solutions))
    assert row["s"] == ox.Literal("S") and row["i"] == N("http://x/S")
    with pytest.raises(SyntaxError):
        ox.Store().query(r"\u0053ELECT * WHERE {}")
    assert "SELECT" in outline(r"\u0053ELECT * WHERE {}").keywords
    assert not uses_service(r'SELECT * WHERE { ?s ?p "\u0053ERVICE" }')


# -- the outline -------------------------------------------------------------------------------


def test_outline_of_a_small_query() -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    assert outline(query) == Outline(frozenset({"SELECT", "WHERE"}), 1, len(query), 8)
    with pytest.raises(AttributeError):
        outline(query).depth = 0  # type: ignore[misc]


def test_glued_keywords_are_named() -> None:
    keywords = outline("SELECT * WHERE { SERVICESILENT<http://x/>{ ?a ?b ?c } }").keywords
    assert {"SERVICE", "SILENT"} <= keywords
    assert {"SERVICE", "SILENT"} <= KEYWORDS


# -- depth -------------------------------------------------------------------------------------


def limited_recursion(query: str) -> Outline:
    """``outline(query)`` with a few dozen frames of Python stack to spare at most."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 40)
    try:
        return outline(query)
    finally:
        sys.setrecursionlimit(old)


def test_3000_braces_are_measured_without_recursion() -> None:
    shape = limited_recursion("SELECT * WHERE " + "{" * 3000 + "}" * 3000)
    assert shape.depth >= 3000


def test_10000_parentheses_in_a_filter_are_measured_without_recursion() -> None:
    query = "SELECT * WHERE { FILTER" + "(" * 10_000 + "1" + ")" * 10_000 + " }"
    assert limited_recursion(query).depth >= 10_000


def test_brackets_in_strings_iris_and_comments_do_not_nest() -> None:
    query = (
        "SELECT * WHERE { ?s ?p \"((([[[{{{\" . ?s ?p '''}}}]]]''' .\n"
        "  ?s ?p <http://x/(((> # {{{(((\n}"
    )
    runs_on_an_empty_store(query)
    assert outline(query).depth == 1


def test_reified_triples_nest() -> None:
    query = (
        "SELECT * WHERE { ?s ?p "
        + "<< " * 20
        + "<http://s/> <http://p/> <http://o/>"
        + " >> <http://p/> <http://o/>" * 19
        + " >> }"
    )
    runs_on_an_empty_store(query)
    assert outline(query).depth == 21


# -- the shipped queries -----------------------------------------------------------------------


def test_every_shipped_query_is_read_and_only_the_federated_ones_use_service() -> None:
    queries = shipped_queries(ROOT / "queries")
    assert len(queries) >= 19
    federated = {q.name for q in queries if q.federated}
    assert federated  # the check below has something to find
    assert {q.name for q in queries if uses_service(q.text)} == federated
    for q in queries:
        shape = outline(q.text)
        assert 1 <= shape.depth <= 8, (q.name, shape.depth)
        assert {"SELECT", "WHERE"} <= shape.keywords
        assert shape.length == len(q.text) and shape.tokens > 10


@pytest.mark.parametrize("name", ["meetings", "conflicts"])
def test_normal_queries_are_shallow(name: str) -> None:
    shape = outline((ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8"))
    assert 2 <= shape.depth <= 8
    assert "SERVICE" not in shape.keywords


# -- 1 MB of anything --------------------------------------------------------------------------

MB = 1_000_000


def noise(alphabet: list[str], size: int) -> str:
    """``size`` characters or a few more of pieces of ``alphabet`` drawn at random."""
    pick = random.Random(20240601).choice
    pieces: list[str] = []
    length = 0
    while length < size:
        pieces.append(pick(alphabet))
        length += len(pieces[-1])
    return "".join(pieces)


ADVERSARIAL: dict[str, Callable[[], str]] = {
    "braces": lambda: "{" * MB,
    "parentheses": lambda: "(" * MB,
    "quotes": lambda: "'" * MB,
    "less-thans": lambda: "<" * MB,
    "IRIs never closed": lambda: "<a" * (MB // 2),
    "one IRI never closed": lambda: "?a<" + "a" * MB,
    "forks": lambda: "FILTER(?a<b>" * (MB // 12),
    "strings swallowing": lambda: "(?a<'>'" * (MB // 7),
    "long strings failing": lambda: "'''" + "a\\'''" * (MB // 5),
    "dotted names": lambda: "ex:a.b" + ".a" * (MB // 2),
    "dotted words": lambda: "a." * (MB // 2),
    "glued keywords": lambda: "trueSERVICE" * (MB // 11),
    "undeclared prefixes": lambda: " ".join(f"p{i}:SERVICE{i}" for i in range(MB // 16)),
    "escapes": lambda: "\\u0053" * (MB // 6),
    "printable noise": lambda: noise([chr(c) for c in range(32, 127)], MB),
    "SPARQL noise": lambda: noise(
        ["?a", "<", ">", "'", '"', "(", ")", "{", "}", "#", "\n", " ", "ex:", "\\"], MB
    ),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_a_megabyte_of_anything_is_read_in_a_couple_of_seconds(name: str) -> None:
    text = ADVERSARIAL[name]()
    assert len(text) >= MB * 0.95
    started = time.perf_counter()
    shape = outline(text)
    assert time.perf_counter() - started < SECONDS
    assert shape.length == len(text)
