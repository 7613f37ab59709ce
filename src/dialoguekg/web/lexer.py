"""TEMPORARY STUB (being replaced by the real lexer)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Outline:
    keywords: frozenset[str]
    depth: int


def outline(query: str) -> Outline:
    depth = best = 0
    for c in query:
        if c in "({[":
            depth += 1
            best = max(best, depth)
        elif c in ")}]":
            depth -= 1
    return Outline(frozenset(w.upper() for w in re.findall(r"[A-Za-z]+", query)), best)
