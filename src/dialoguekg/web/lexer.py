"""Read just enough of a SPARQL query to police it before the engine parses it.

Why: the public endpoint refuses ``SERVICE`` (federation would make this server call other
servers on a stranger's behalf) with a clear 403, and refuses queries nested so deeply that
Oxigraph's recursive parser overflows its stack (some 3,000 nested ``{`` or 10,000 nested ``(``
crash it). pyoxigraph exposes no parser, and keyword regexes have been fooled, so this module
tokenizes the query. (The workers' sandbox is what makes a federated call impossible; this is
the front line, which gives users a clear message.)

What: a tokenizer for the terminals of the SPARQL 1.1 grammar
(https://www.w3.org/TR/sparql11-query/#sparqlGrammar, 19.2 and 19.8), made to read them the
way Oxigraph 0.5's parser does (a PEG over characters, with no lexer of its own) where the two
differ; ``tests/test_lexer.py`` checks each of these on pyoxigraph:

* keywords need no boundary (``SERVICESILENT?s{}``, ``?s ?p trueSERVICE<x>{}``,
  ``SERVICE:x{}`` all parse), so a keyword counts wherever a word or a prefix name splits into
  keywords and numbers;
* a prefixed name's local part ends after its first run of dots (``ex:a.b.SERVICE`` is
  ``ex:a.b`` ``.`` ``SERVICE``); where its IRI may be invalid the engine backs off to the bare
  ``ex:`` and reads the local part as query text, so the keywords in that part count;
* a long string with an escape the engine rejects (``'''a' ... \\q'''``) is read again as
  the empty string ``''`` then ``'a'``; a short one fails the query;
* ``<`` starts an IRI, or is less-than after an operand inside an expression's parentheses
  (not a collection's, a path's or a VALUES row's); where both are possible the lexer follows
  both readings until they meet again, and reports what either finds.

Where the lexer gives up (a lexical error, or too many readings at once) it counts every keyword
in the raw text that follows and every opening bracket as nested. The query is read as written
and, if that differs, with its ``\\uXXXX`` escapes applied first: SPARQL applies them before
parsing, Oxigraph only inside strings and IRIs.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["KEYWORDS", "Outline", "outline", "unescape_codepoints", "uses_service"]

# Every keyword of Oxigraph 0.5's grammar (SPARQL 1.1 and 1.2, LATERAL, ADJUST), upper-cased.
_KEYWORD_LIST = """
    ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE DISTINCT
    DROP ENCODE_FOR_URI EXISTS FALSE FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HASLANG
    HASLANGDIR HAVING HOURS IF IN INSERT INTO IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE
    ISURI LANG LANGDIR LANGMATCHES LATERAL LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES MONTH MOVE
    NAMED NOT NOW OBJECT OFFSET OPTIONAL ORDER PREDICATE PREFIX RAND REDUCED REGEX REPLACE ROUND
    SAMETERM SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 SILENT STR
    STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR
    SUM TIMEZONE TO TRIPLE TRUE TZ UCASE UNDEF UNION URI USING UUID VALUES VERSION WHERE WITH
    YEAR
"""
KEYWORDS = frozenset(_KEYWORD_LIST.split())


@dataclass(frozen=True)
class Outline:
    """What the endpoint needs to know about a query before any parser sees it."""

    keywords: frozenset[str]  # upper-cased bare words, and keywords found glued in words
    depth: int  # deepest nesting of (), {}, [] and << >> outside strings, IRIs and comments
    length: int  # characters of the query as given
    tokens: int  # significant tokens (an upper bound where the lexer gave up)


def unescape_codepoints(query: str) -> str:
    """The query with ``\\uXXXX`` and ``\\UXXXXXXXX`` replaced by their characters, as SPARQL
    does before parsing (section 19.2); escapes of no Unicode scalar value stay as written."""
    return _CODEPOINT.sub(_codepoint, query) if "\\" in query else query


def outline(query: str, prefixes: Mapping[str, str] | None = None) -> Outline:
    """Keywords, nesting depth, length and token count of ``query``, read conservatively.

    ``prefixes`` are the declarations the engine is given besides the query's own: the words
    in the local part of a prefixed name whose prefix is declared nowhere count as keywords.
    """
    texts = [query]
    unescaped = unescape_codepoints(query)
    if unescaped != query:
        texts.append(unescaped)
    keywords: set[str] = set()
    depth = tokens = 0
    for text in texts:
        lexer = _Lexer(text, prefixes or {})
        lexer.run()
        keywords |= lexer.keywords
        depth = max(depth, lexer.depth)
        tokens = max(tokens, lexer.tokens)
    return Outline(frozenset(keywords), depth, len(query), tokens)


def uses_service(query: str, prefixes: Mapping[str, str] | None = None) -> bool:
    """Whether the engine might read ``SERVICE`` (a federated call) in ``query``."""
    return "SERVICE" in outline(query, prefixes).keywords


# -- terminals ---------------------------------------------------------------------------------

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _codepoint(match: re.Match[str]) -> str:
    value = int(match.group(1) or match.group(2), 16)
    return match.group(0) if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else chr(value)


_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS = _BASE + "_\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"  # PN_CHARS
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL = f"[{_CHARS}:]|{_PLX}"
_LOCAL_FIRST = f"[{_BASE}_:0-9]|{_PLX}"

_SKIP = re.compile(r"(?:[ \t\r\n]++|#[^\r\n]*+)*+")  # WS and comments: the engine knows no other
_VARNAME = re.compile(f"[{_BASE}_0-9][{_BASE}_0-9\u00b7\u0300-\u036f\u203f-\u2040]*+")
_WORD = re.compile(f"[{_BASE}_][{_BASE}_0-9\u00b7\u0300-\u036f\u203f-\u2040]*+")
_PN_PREFIX = re.compile(f"[{_BASE}](?:[{_CHARS}]|\\.++(?=[{_CHARS}]))*+")
# PN_LOCAL as Oxigraph 0.5 reads it: one run of dots at most (the grammar allows more; what
# follows is then read as query text, which only finds more)
_PN_LOCAL = re.compile(f"(?:{_LOCAL_FIRST})(?:{_LOCAL})*+(?:\\.++(?:{_LOCAL})++)?")
_BNODE = re.compile(f"_:[{_BASE}_0-9](?:[{_CHARS}]|\\.++(?=[{_CHARS}]))*+")
_LANGTAG = re.compile(r"@[A-Za-z]++(?:-[A-Za-z0-9]++)*+(?:--[A-Za-z]++)?")
_NUMBER = re.compile(
    r"[0-9]*+\.[0-9]++(?:[eE][+-]?[0-9]++)?|[0-9]++\.[eE][+-]?[0-9]++|[0-9]++(?:[eE][+-]?[0-9]++)?"
)
# IRIREF, widened to all the engine accepts: \u escapes (whose 4 or 8 digits Rust's
# from_str_radix also takes with a leading '+') between the excluded characters
_IRIREF = re.compile(
    r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[+0-9A-Fa-f][0-9A-Fa-f]{3}|\\U[+0-9A-Fa-f][0-9A-Fa-f]{7})*+>"
)
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\"'\\]"
_STRINGS = {
    "'": re.compile(f"'(?:[^'\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*+'"),
    '"': re.compile(f'"(?:[^"\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*+"'),
    "'''": re.compile(f"'''(?:[^'\\\\]|{_ECHAR}|{_UCHAR}|'(?!''))*+'''"),
    '"""': re.compile(f'"""(?:[^"\\\\]|{_ECHAR}|{_UCHAR}|"(?!""))*+"""'),
}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.S)
_RUN = re.compile(r"[A-Za-z0-9_]+")  # what the raw scan after a failure takes for words
_DIGITS = re.compile(r"[0-9]++(?:[eE][+-]?[0-9]++)?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# a local part that keeps any absolute IRI with a path valid: no non-ASCII, \# or \%
_SAFE_LOCAL = re.compile(r"(?:[A-Za-z0-9_.:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?@])*+")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_CLAUSE = frozenset({"SELECT", "GROUP", "ORDER", "BY", "HAVING"})  # their ( holds expressions
_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _keyword in sorted(KEYWORDS | {"A"}):
    _BY_FIRST[_keyword[0]] = (*_BY_FIRST.get(_keyword[0], ()), _keyword)
_LONG_WORD = 256  # glued words longer than this are searched for keywords anywhere


def _glued(word: str) -> frozenset[str]:
    """The keywords that start where ``word`` (upper-cased) can be split into tokens: keywords,
    numbers, '.' and '-' glued together, as the engine's keyword matching allows."""
    if len(word) > _LONG_WORD:
        return frozenset(k for k in KEYWORDS if k in word)
    found: set[str] = set()
    reach = bytearray(len(word) + 1)
    reach[0] = 1
    for start, char in enumerate(word):
        if not reach[start]:
            continue
        for keyword in _BY_FIRST.get(char, ()):
            if word.startswith(keyword, start):
                found.add(keyword)
                reach[start + len(keyword)] = 1
        if "0" <= char <= "9":
            digits = _DIGITS.match(word, start)
            if digits:
                reach[digits.end()] = 1
        elif char in ".-":
            reach[start + 1] = 1
    found.discard("A")
    return frozenset(found)


def _escapes_valid(literal: str) -> bool:
    """Whether every \\u escape of a string literal names a Unicode scalar value."""
    if "\\u" not in literal and "\\U" not in literal:
        return True
    for match in _ESCAPE.finditer(literal):
        digits = match.group(1) or match.group(2)
        if digits:
            value = int(digits, 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                return False
    return True


def _prefix_keeps_path(iri: str | None) -> bool:
    """Whether appending a simple local part to this prefix IRI lands in its path or later
    (not in its authority), so that the prefixed name is certainly a valid IRI."""
    if iri is None or "\\" in iri:
        return False
    scheme = _SCHEME.match(iri)
    if not scheme:
        return False
    rest = iri[scheme.end() :]
    if rest.startswith("//"):
        return any(c in rest[2:] for c in "/?#")
    return rest not in ("", "/")


# -- the lexer ---------------------------------------------------------------------------------

# what the previous significant token was: it decides what '<' and '(' are
_OTHER, _OPERAND, _WORD_TOKEN, _A = range(4)  # an IRI is an operand
_FRAME_CAP = 4096  # brackets deeper than this are counted, not remembered (all expressions)
# readings at once, and tokens read while several are (readings that part merge again within
# a few tokens, unless a query is built against the lexer): past either, the lexer gives up
_MAX_BRANCHES = 16
_MAX_PARALLEL = 65_536
_OPENERS = {")": "EL", "]": "[", "}": "{"}  # the frame kinds each closing bracket closes
_NONE: frozenset[str] = frozenset()
_PLAIN = frozenset(",;*+-/=!&|^~%`") | frozenset(map(chr, range(0x21)))  # each a token alone
_DIGIT_SET = frozenset("0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:")


class _Frame:
    """One open bracket: E (an expression's parenthesis), L (a list's: collection, path,
    VALUES row, triple term), '[', '{' or '<' (for '<<')."""

    __slots__ = ("kind", "parent", "size")

    def __init__(self, kind: str, parent: _Frame | None) -> None:
        self.kind: str = kind
        self.parent: _Frame | None = parent
        self.size: int = parent.size + 1 if parent else 1


# A reading in progress: position, previous token, open brackets (and how many more beyond the
# cap), whether a SELECT/GROUP BY/ORDER BY/HAVING clause is open, FILTER state (1 after the
# word, 2 after the word and an IRI: a '(' then holds an expression), PREFIX declaration state
# ("" none, "*" after the word, "p:NAME" after its name), tokens read.
_State = tuple[int, int, _Frame | None, int, bool, int, str, int]


class _Lexer:
    """Reads one text along every reading the '<' ambiguity allows, oldest position first, so
    that readings meeting again at the same place in the same state are merged."""

    def __init__(self, text: str, prefixes: Mapping[str, str]) -> None:
        self.text = text
        # prefix -> whether every declaration of it (by the caller, or in any reading) lets
        # a simple local part make a valid IRI; an undeclared prefix does not
        self.safe_prefixes = {name: _prefix_keeps_path(iri) for name, iri in prefixes.items()}
        self.keywords: set[str] = set()
        self.depth = 0
        self.tokens = 0
        self.finished = False  # whether some reading reached the end
        self.failed_at = len(text) + 1  # where the earliest reading hit a lexical error
        self.failed_depth = 0
        self.read = 0  # tokens read by all readings together
        self._glued: dict[str, frozenset[str]] = {}
        self._no_name = (0, 0)  # a run of name characters seen not to be followed by ':'

    def run(self) -> None:
        n = len(self.text)
        heap: list[tuple[int, int, tuple[object, ...], _State]] = []
        pending: dict[tuple[object, ...], int] = {}
        order = 0

        def add(state: _State) -> None:
            nonlocal order
            key = (state[0], state[1], id(state[2]), *state[3:7])
            if key in pending:
                pending[key] = max(pending[key], state[7])
            else:
                pending[key] = state[7]
                order += 1
                heapq.heappush(heap, (state[0], order, key, state))

        add((0, _OTHER, None, 0, False, 0, "", 0))
        parallel = 0  # tokens read while several readings were under way
        while heap:
            if len(heap) > _MAX_BRANCHES or parallel > _MAX_PARALLEL:
                depth = max((s[2].size if s[2] else 0) + s[3] for _, _, _, s in heap)
                depth = max(depth, self.failed_depth)
                self._give_up(min(heap[0][0], self.failed_at), depth, max(pending.values()))
                return
            _, _, key, state = heapq.heappop(heap)
            state = (*state[:7], pending.pop(key))
            alone, read = not heap, self.read
            for successor in self._advance(state, heap[0][0] if heap else n + 1):
                add(successor)
            if not alone:
                parallel += self.read - read
        if not self.finished:  # every reading failed: trust nothing after the first failure
            self._give_up(self.failed_at, self.failed_depth, self.tokens)
        elif self.failed_at <= n:  # some reading failed: the keywords after it count anyway
            self.keywords |= self._raw_keywords(self.failed_at, n)

    def _give_up(self, start: int, depth: int, tokens: int) -> None:
        """Past ``start`` nothing is trusted: every keyword of the raw text counts, every
        opening bracket may nest, every character may be a token."""
        text = self.text
        self.keywords |= self._raw_keywords(start, len(text))
        openers = sum(text.count(c, start) for c in "([{") + text.count("<<", start)
        self.depth = max(self.depth, depth + openers)
        self.tokens = max(self.tokens, tokens + len(text) - start)

    def _raw_keywords(self, start: int, end: int) -> set[str]:
        found: set[str] = set()
        for run in {m.group().translate(_UPPER) for m in _RUN.finditer(self.text, start, end)}:
            found |= self._keywords_in(run)
        return found

    def _keywords_in(self, word: str) -> frozenset[str]:
        found = self._glued.get(word)
        if found is None:
            found = frozenset((word,)) if word in KEYWORDS else _glued(word)
            self._glued[word] = found
        return found

    def _fail(self, pos: int, frame: _Frame | None, over: int) -> None:
        self.failed_at = min(self.failed_at, pos)
        self.failed_depth = max(self.failed_depth, (frame.size if frame else 0) + over)

    def _push(self, kind: str, frame: _Frame | None, over: int) -> tuple[_Frame | None, int]:
        if over or (frame is not None and frame.size >= _FRAME_CAP):
            over += 1
        else:
            frame = _Frame(kind, frame)
        self.depth = max(self.depth, (frame.size if frame else 0) + over)
        return frame, over

    def _string_end(self, pos: int) -> int:
        """Where the string literal at ``pos`` ends, as the engine reads it; -1 if it fails."""
        text = self.text
        quote = text[pos]
        if text.startswith(quote * 3, pos):
            long = _STRINGS[quote * 3].match(text, pos)
            if long and _escapes_valid(long.group()):
                return long.end()
            return pos + 2  # the engine falls back to the empty short string
        short = _STRINGS[quote].match(text, pos)
        return short.end() if short and _escapes_valid(short.group()) else -1

    def _name(self, pos: int, char: str) -> tuple[int, int]:
        """``(start of the local part, 0)`` if a prefixed name starts at ``pos``, ``(0, end)``
        if a word does, ``(0, 0)`` if neither."""
        if char == ":":
            return pos + 1, 0
        text = self.text
        word = _WORD.match(text, pos)
        if word is None:
            return 0, 0
        end = word.end()
        after = text[end : end + 1]
        if char == "_" or after not in (":", "-", "."):
            return 0, end
        if after == ":":
            return end + 1, 0
        if not self._no_name[0] <= pos < self._no_name[1]:  # '-' and '.' may go on in a prefix
            run = _PN_PREFIX.match(text, pos)
            if run and text.startswith(":", run.end()):
                return run.end() + 1, 0
            self._no_name = (pos, run.end() if run else end)  # a start later in it ends there too
        return 0, end

    def _certainly_valid(self, prefix: str, local: int, end: int) -> bool:
        """Whether the prefixed name's IRI is certainly valid (else the engine may back off
        to the bare prefix and read the local part as query text)."""
        safe = self.safe_prefixes.get(prefix, False)
        return safe and _SAFE_LOCAL.fullmatch(self.text, local, end) is not None

    def _advance(self, state: _State, limit: int) -> list[_State]:
        """Read tokens from ``state`` until the end, a lexical error, a fork, or (after one
        token at least) position ``limit``, where another reading waits to be merged."""
        text = self.text
        n = len(text)
        pos, prev, frame, over, clause, filtering, declaring, count = state
        start = count
        first = True
        while True:
            if pos < n and text[pos] in " \t\r\n#":
                skip = _SKIP.match(text, pos)
                pos = skip.end() if skip else pos
            if pos >= n:
                self.finished = True
                self.tokens = max(self.tokens, count)
                self.read += count - start
                return []
            if pos >= limit and not first:
                self.read += count - start
                return [(pos, prev, frame, over, clause, filtering, declaring, count)]
            first = False
            count += 1
            char = text[pos]
            top = "E" if over else (frame.kind if frame else "")

            if char in _PLAIN or (char == "." and text[pos + 1 : pos + 2] not in _DIGIT_SET):
                pos, prev, filtering, declaring = pos + 1, _OTHER, 0, ""

            elif char == "_" and (bnode := _BNODE.match(text, pos)):
                pos, prev, filtering, declaring = bnode.end(), _OPERAND, 0, ""

            elif (char in _NAME_START or char >= "\x80") and any(name := self._name(pos, char)):
                local, end = name
                if local:  # a prefixed name
                    part = _PN_LOCAL.match(text, local)
                    end = part.end() if part else local
                    prefix = text[pos : local - 1]
                    found = self._keywords_in(prefix.translate(_UPPER)) if prefix else _NONE
                    unsure = end > local and not self._certainly_valid(prefix, local, end)
                    if unsure:  # the engine may read `ex:` then the local part as query text
                        found = found | self._raw_keywords(local, end)
                    self.keywords |= found
                    clause = clause or not found.isdisjoint(_CLAUSE)
                    filtering = 2 if unsure or filtering == 1 or "FILTER" in found else 0
                    declaring = "p:" + prefix if declaring == "*" and end == local else ""
                    prev = _OPERAND
                else:  # a word
                    token = text[pos:end]
                    upper = token.translate(_UPPER)
                    found = self._keywords_in(upper)
                    self.keywords.add(upper)
                    self.keywords |= found
                    if token == "a":
                        prev = _A
                    elif upper.endswith(("TRUE", "FALSE")):
                        prev = _OPERAND
                    else:
                        prev = _WORD_TOKEN
                    clause = clause or not found.isdisjoint(_CLAUSE)
                    filtering = 1 if "FILTER" in found else 0
                    declaring = "*" if "PREFIX" in found else ""
                pos = end

            elif char == "'" or char == '"':
                end = self._string_end(pos)
                if end < 0:
                    self._fail(pos, frame, over)
                    self.read += count - start
                    return []
                pos, prev, filtering, declaring = end, _OPERAND, 0, ""

            elif char == "<":
                iri = _IRIREF.match(text, pos)
                if top == "E" and prev != _OTHER:  # after an operand: less-than, or an IRI
                    less = (pos + 1, _OTHER, frame, over, clause, 0, "", count)
                    if iri:
                        self.read += count - start
                        return [less, (iri.end(), _OPERAND, frame, over, clause, 0, "", count)]
                    pos, prev, filtering, declaring = pos + 1, _OTHER, 0, ""
                elif iri:
                    if declaring.startswith("p:"):
                        label, declared = declaring[2:], text[pos + 1 : iri.end() - 1]
                        safe = _prefix_keeps_path(declared)
                        self.safe_prefixes[label] = self.safe_prefixes.get(label, safe) and safe
                    filtering = 2 if filtering == 1 else 0
                    pos, prev, declaring = iri.end(), _OPERAND, ""
                elif text.startswith("<<", pos):
                    frame, over = self._push("<", frame, over)
                    pos, prev, filtering, declaring = pos + 2, _OTHER, 0, ""
                else:
                    pos, prev, filtering, declaring = pos + 1, _OTHER, 0, ""

            elif char == "?" or char == "$":
                var = _VARNAME.match(text, pos + 1)
                pos, prev = (var.end(), _OPERAND) if var else (pos + 1, _OTHER)  # or a path's ?
                filtering, declaring = 0, ""

            elif char in "0123456789." and (number := _NUMBER.match(text, pos)):
                pos, prev, filtering, declaring = number.end(), _OPERAND, 0, ""

            elif char == "@":
                tag = _LANGTAG.match(text, pos)
                pos, prev = (tag.end(), _OPERAND) if tag else (pos + 1, _OTHER)
                filtering, declaring = 0, ""

            elif char in "([{":
                if char == "(":
                    # an expression's, unless in a pattern after a term, ',', '.', 'a'...
                    expression = top in ("E", "") or clause or prev == _WORD_TOKEN or filtering
                    frame, over = self._push("E" if expression else "L", frame, over)
                else:
                    frame, over = self._push(char, frame, over)
                    clause = clause and char == "["
                pos, prev, filtering, declaring = pos + 1, _OTHER, 0, ""

            elif char in ")]}":
                if over:
                    over -= 1
                elif frame is not None and frame.kind in _OPENERS[char]:
                    frame = frame.parent
                clause = clause and char != "}"
                pos, prev, filtering, declaring = pos + 1, _OPERAND, 0, ""

            elif char == ">":
                closes = over or (frame is not None and frame.kind == "<")
                if closes and text.startswith(">>", pos):
                    if over:
                        over -= 1
                    elif frame is not None:
                        frame = frame.parent
                    pos += 2
                else:
                    pos += 1
                prev, filtering, declaring = _OPERAND, 0, ""

            elif char == "\\":  # outside a prefixed name the engine has no use for it
                self._fail(pos, frame, over)
                self.read += count - start
                return []

            else:
                pos, prev, filtering, declaring = pos + 1, _OTHER, 0, ""
