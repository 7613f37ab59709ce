"""The Entity Reconciliation Service API v0.2 over our own ids, for OpenRefine and its kin.

Researchers hold spreadsheets of party and person names; this matches them to the graph's
resources by every label and alternative label, in any language and spelling. Pure functions:
``serve`` mounts them at ``/reconcile``. Names are compared as ``names.normal`` leaves them
(accents and case removed), whole and without spaces, and by their closest token, so typos and
transliterations still find their entity.
Spec: https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ..query import select
from ..vocab import ID, PREFIXES
from .names import normal as _normal
from .names import variants as _variants

#: The types a query may ask for: id → (name, class IRI).
TYPES = {
    "Person": ("Person", PREFIXES["dkg"] + "Person"),
    "Party": ("Party", PREFIXES["dkg"] + "Party"),
    "Country": ("Country", PREFIXES["dkg"] + "Country"),
    "Organisation": ("Organisation", "http://www.w3.org/ns/org#Organization"),
    "Meeting": ("Meeting", PREFIXES["dkg"] + "Meeting"),
}
MATCH_SCORE = 90
MATCH_MARGIN = 10


@dataclass(frozen=True)
class Entity:
    """A resource that can be reconciled: id (``kind/key``), label, every name, types, country."""

    id: str
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    country: str = ""
    country_id: str = ""
    description: str = ""


def entities(store: ox.Store) -> list[Entity]:
    """Every resource of the reconcilable types, with its names in every language."""
    class_of = {iri: type_id for type_id, (_, iri) in TYPES.items()}
    values = " ".join(f"<{iri}>" for iri in class_of)
    rows = select(
        store,
        f"""
        SELECT ?s ?class ?label ?name ?country ?countryLabel ?description WHERE {{
          VALUES ?class {{ {values} }}
          ?s a ?class ; <http://www.w3.org/2000/01/rdf-schema#label> ?label .
          OPTIONAL {{ ?s <http://www.w3.org/2004/02/skos/core#altLabel> ?name }}
          OPTIONAL {{ ?s <{PREFIXES["dkg"]}country> ?country .
                     ?country <http://www.w3.org/2000/01/rdf-schema#label> ?countryLabel }}
          OPTIONAL {{ ?s <http://schema.org/description> ?description }}
        }}""",
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = row["s"]
        entry = found.setdefault(iri, {"names": [], "types": set(), "label": row["label"]})
        entry["types"].add(class_of[row["class"]])
        for key in ("name", "label"):
            if key in row and row[key] not in entry["names"]:
                entry["names"].append(row[key])
        if "country" in row:
            entry["country"] = row["countryLabel"]
            entry["country_id"] = row["country"][len(str(ID)) :]
        if "description" in row:
            entry["description"] = row["description"]
    return [
        Entity(
            iri[len(str(ID)) :],
            e["label"],
            tuple(e["names"]),
            tuple(sorted(e["types"])),
            e.get("country", ""),
            e.get("country_id", ""),
            e.get("description", ""),
        )
        for iri, e in sorted(found.items())
    ]


def similarity(query: str, name: str) -> float:
    """How alike two names are, 0 to 1: exact after folding is 1; otherwise the best of the
    whole names, the names without spaces, and the query against the name's closest token."""
    q, n = _normal(query), _normal(name)
    if not q or not n:
        return 0.0
    if q == n or q.replace(" ", "") == n.replace(" ", ""):
        return 1.0
    ratios = [
        difflib.SequenceMatcher(None, q, n).ratio(),
        difflib.SequenceMatcher(None, q.replace(" ", ""), n.replace(" ", "")).ratio(),
    ]
    if " " not in q:  # a single word: compare it with each word of the name, a little lower
        ratios += [0.9 * difflib.SequenceMatcher(None, q, token).ratio() for token in n.split()]
    return max(ratios)


def score(
    entity: Entity, query: str, properties: Iterable[dict[str, Any]] = ()
) -> tuple[float, bool]:
    """A 0-100 score of ``entity`` for ``query``; and whether the name matched exactly."""
    best = max(similarity(query, v) for name in entity.names for v in _variants(name))
    points = 100.0 * best if best == 1.0 else 85.0 * best
    for constraint in properties:
        if constraint.get("pid") != "country":
            continue
        value = constraint.get("v")
        wanted = value.get("id", "") if isinstance(value, dict) else str(value)
        if not wanted:
            continue
        agrees = wanted in (entity.country_id, entity.country_id.removeprefix("country/")) or (
            similarity(wanted, entity.country) >= 0.9
        )
        points = min(100.0, points + 10) if agrees else points - 30
    return round(max(points, 0.0), 1), best == 1.0


MAX_NAME = 200  # characters of a name to match: similarity is quadratic in the length
MAX_PROPERTIES = 20  # property constraints of one query: each is matched against every candidate


def checked(query: object) -> dict[str, Any]:
    """One query of a batch as the spec defines it; raises ValueError saying what is wrong."""
    if not isinstance(query, dict):
        raise ValueError("each query must be an object")
    text_query = query.get("query", "")
    if not isinstance(text_query, str) or len(text_query) > MAX_NAME:
        raise ValueError(f"query must be a string of at most {MAX_NAME} characters")
    wanted = query.get("type")
    types = wanted if isinstance(wanted, list) else [wanted] if wanted is not None else []
    if not all(isinstance(t, str) for t in types):
        raise ValueError("type must be a type id or a list of them")
    limit = query.get("limit", 5)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 100:
        raise ValueError("limit must be a whole number from 0 to 100")
    properties = query.get("properties") or []
    if isinstance(properties, list) and len(properties) > MAX_PROPERTIES:
        raise ValueError(f"{len(properties)} properties; a query takes at most {MAX_PROPERTIES}")
    if not isinstance(properties, list) or not all(_property(p) for p in properties):
        raise ValueError(
            "properties must be a list of {pid, v} objects, v a short string or {id: string}"
        )
    return query


def _property(constraint: object) -> bool:
    """Whether a property constraint is as the spec writes one: pid, and v a string or an
    object whose id is a string."""
    if not isinstance(constraint, dict) or not isinstance(constraint.get("pid", ""), str):
        return False
    value = constraint.get("v", "")
    if isinstance(value, dict):
        value = value.get("id", "")
    return isinstance(value, str) and len(value) <= MAX_NAME


def reconcile(
    all_entities: list[Entity], query: dict[str, Any], deadline: float = math.inf
) -> list[dict[str, Any]]:
    """One reconciliation query: candidates, best first, the clear winner marked ``match``;
    raises TimeoutError once ``time.monotonic()`` passes ``deadline``."""
    text_query = str(query.get("query", ""))
    wanted_type = query.get("type")
    if isinstance(wanted_type, list):
        wanted_type = wanted_type[0] if wanted_type else None
    limit = int(query.get("limit", 5))
    properties = query.get("properties") or []
    results: list[dict[str, Any]] = []
    for entity in all_entities:
        if wanted_type and wanted_type not in entity.types:
            continue
        if time.monotonic() > deadline:
            raise TimeoutError
        points, _ = score(entity, text_query, properties)
        if points < 40:
            continue
        results.append(
            {
                "id": entity.id,
                "name": entity.name,
                "type": [{"id": t, "name": TYPES[t][0]} for t in entity.types],
                "score": points,
                "description": entity.description or (entity.country and f"{entity.country}"),
                "match": False,
            }
        )
    results.sort(key=lambda r: (-float(r["score"]), str(r["name"])))
    scores = [float(r["score"]) for r in results]
    if scores and scores[0] >= MATCH_SCORE:
        runner_up = scores[1] if len(scores) > 1 else 0.0
        results[0]["match"] = scores[0] - runner_up >= MATCH_MARGIN
    return results[:limit]


def suggest(all_entities: list[Entity], prefix: str, limit: int = 10) -> list[dict[str, str]]:
    """Entities any of whose names start with (or contain) ``prefix``, as suggest answers."""
    p = _normal(prefix)
    if not p:
        return []
    ranked = []
    for entity in all_entities:
        names = [_normal(n) for n in entity.names]
        if any(n.startswith(p) for n in names):
            ranked.append((0, entity))
        elif any(p in n for n in names):
            ranked.append((1, entity))
    ranked.sort(key=lambda r: (r[0], r[1].name))
    return [
        {"id": e.id, "name": e.name, "description": ", ".join(e.types)} for _, e in ranked[:limit]
    ]


def manifest(base_url: str, batch_size: int) -> dict[str, Any]:
    """The service manifest: what this service reconciles against and where its parts are."""
    return {
        "versions": ["0.2"],
        "name": "dialoguekg: parties, persons, countries of the CPC's dialogues with world parties",
        "identifierSpace": str(ID),
        "schemaSpace": PREFIXES["dkg"],
        "defaultTypes": [{"id": t, "name": name} for t, (name, _) in TYPES.items()],
        "view": {"url": f"{base_url}id/{{{{id}}}}"},
        "preview": {
            "url": f"{base_url}reconcile/preview?id={{{{id}}}}",
            "width": 400,
            "height": 120,
        },
        "suggest": {
            "entity": {
                "service_url": base_url.rstrip("/"),
                "service_path": "/reconcile/suggest/entity",
            }
        },
        "batchSize": batch_size,
    }
