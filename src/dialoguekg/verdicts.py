"""Whether sources disagree: the one implementation behind the build's conflict count and
warnings, ``query conflicts`` and the entity pages (through the ``dkg:conflictsWith`` triples
the build writes).

Two claims conflict when neither is deprecated, they are about the same subject and property,
count the same measure with the same status (or one gives no status), and their values cannot
both be true:

- a number is read as the interval its hedge allows: exactly 122 is [122, 122]; a round number
  given plainly ("500", "120") is about it, ±10%; "about" and "some" ±10%; "nearly 300" is
  [270, 300); "more than 200" is (200, 400], since a source that knew of 400 would say so.
  Numbers conflict when their intervals do not overlap: "more than 1,000" and "more than
  10,000" do, "more than 500" and "500" do not;
- dates and years, and single IRIs (a venue, a predecessor), conflict when they differ;
- texts (a theme, a title) never do: wordings and translations of one text are variants;
- properties that hold several values at once (organisers, concepts, a party's ids in a
  dataset) never do.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .vocab import DKG, XSD

#: Below this a plainly stated number is taken as exact (3 days, 7 sessions, 54 parties).
ROUND_FROM = 50
NUMBERS = frozenset({XSD.integer, XSD.decimal, XSD.nonNegativeInteger, XSD.positiveInteger})


@dataclass(frozen=True)
class Stated:
    """One claim as the verdict needs it: values as N-Triples text, the rest as IRIs."""

    node: str
    subject: str
    predicate: str
    value: str
    qualifier: str
    measure: str
    status: str
    rank: str


def interval(number: float, qualifier: str) -> tuple[float, float]:
    """The closed interval of true values a hedged number allows (open ends nudged inward)."""
    hedge = qualifier.rsplit("#", 1)[-1]
    step = 1e-9
    if hedge == "MoreThan":
        return number + step, max(2 * number, number + 1)  # "more than 0" is not empty
    if hedge == "Nearly":
        return min(0.9 * number, number - step), number - step
    if hedge in ("About", "Some") or (
        hedge == "AsStated" and number >= ROUND_FROM and number % 10 == 0
    ):
        return 0.9 * number, 1.1 * number
    return number, number


def _number(value: str) -> float | None:
    """The number an N-Triples literal holds, if it is typed as one."""
    if not value.startswith('"') or "^^<" not in value:
        return None
    lexical, _, datatype = value[1:].rpartition('"^^<')
    if datatype.rstrip(">") not in NUMBERS:
        return None
    try:
        number = float(lexical)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_text(value: str) -> bool:
    """A plain or language-tagged literal: a wording, never a rival value."""
    return value.startswith('"') and ("^^<" not in value or value.endswith(f"<{XSD.string}>"))


def can_both_be_true(a: Stated, b: Stated) -> bool:
    """Whether two claims on the same fact, measure and status can both hold."""
    x, y = _number(a.value), _number(b.value)
    if x is not None and y is not None:  # "nearly 600" and "more than 600" cannot
        lo_a, hi_a = interval(x, a.qualifier)
        lo_b, hi_b = interval(y, b.qualifier)
        return lo_a <= hi_b and lo_b <= hi_a
    return a.value == b.value or (_is_text(a.value) and _is_text(b.value))


def comparable(a: Stated, b: Stated) -> bool:
    """Whether two claims on one fact state the same thing: the same measure, and the same
    status where both give one (a count with no status may be of any)."""
    return a.measure == b.measure and (a.status == b.status or not a.status or not b.status)


def _facts(claims: Iterable[Stated]) -> Iterator[list[Stated]]:
    """The claims grouped by fact (subject and property), each group in node order."""
    facts: dict[tuple[str, str], list[Stated]] = defaultdict(list)
    for claim in claims:
        facts[(claim.subject, claim.predicate)].append(claim)
    for fact in facts.values():
        yield sorted(fact, key=lambda c: c.node)


def conflicting_pairs(
    claims: Iterable[Stated], set_valued: frozenset[str]
) -> Iterator[tuple[Stated, Stated]]:
    """Every pair of claims that conflict, each pair once (ordered by node)."""
    for fact in _facts(claims):
        live = [c for c in fact if c.rank != DKG.DeprecatedRank]
        if not live or live[0].predicate in set_valued:
            continue
        for i, a in enumerate(live):
            for b in live[i + 1 :]:
                if comparable(a, b) and not can_both_be_true(a, b):
                    yield a, b


def verdicts(claims: Iterable[Stated], set_valued: frozenset[str]) -> dict[str, str]:
    """Each claim's verdict against the other claims on its fact, by node: ``Deprecated``;
    ``Conflicts`` (with a comparable claim); ``CountsSomethingElse`` (no other claim counts
    the same measure and status); ``Agrees`` (every comparable claim states its value with
    its hedge); ``AWording`` (texts: a wording or translation of one text); ``Compatible``
    (the rest, and different values of a property that holds several)."""
    found: dict[str, str] = {}
    for fact in _facts(claims):
        live = [c for c in fact if c.rank != DKG.DeprecatedRank]
        for claim in fact:
            others = [o for o in live if o is not claim and comparable(claim, o)]
            if claim.rank == DKG.DeprecatedRank:
                verdict = "Deprecated"
            elif claim.predicate not in set_valued and any(
                not can_both_be_true(claim, o) for o in others
            ):
                verdict = "Conflicts"
            elif not others and len(live) > 1:
                verdict = "CountsSomethingElse"
            elif all((o.value, o.qualifier) == (claim.value, claim.qualifier) for o in others):
                verdict = "Agrees"
            elif claim.predicate in set_valued:
                verdict = "Compatible"  # several values at once, be they texts (a party's ids)
            elif _is_text(claim.value) and all(_is_text(o.value) for o in others):
                verdict = "AWording"
            else:
                verdict = "Compatible"
            found[claim.node] = verdict
    return found
