"""The home page's schema.org ``Dataset``: what Google Dataset Search and other harvesters of
JSON-LD read about the release served (https://developers.google.com/search/docs/appearance/structured-data/dataset).

The terms are schema.org's (https://schema.org/Dataset, https://schema.org/DataDownload), under
an inline context with ``http://schema.org/`` as the vocabulary, which is what the published
``https://schema.org/`` context expands to; a context that needs fetching would make a reader
go online. Each download gives its media type, its size and its SHA-256 in schema.org's own
``sha256`` property of ``MediaObject`` (https://schema.org/sha256), as ``SHA256SUMS`` lists
it. The coverage comes from the graph: ``temporalCoverage`` is the span from the first
meeting's start to the last one's end as an ISO 8601 interval, ``spatialCoverage`` the cities
that hosted them (a venue counts as the city it is in), with their Wikidata items.
Everything depends on the build only, so ``serve`` and ``static`` give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from .. import tables
from ..export import BASE_NAME, FORMATS, PUBLISHER, media_type_of, versioned_url
from ..vocab import DATA_LICENSE, DATASET_IRI, DESCRIPTION, DKG, OWL, SCHEMA, TITLE
from .site import DEFAULT, MEETING, RDF_TYPE, Site

HOME = "https://w3id.org/dialoguekg/"
KEYWORDS = (
    "Communist Party of China",
    "CPC in Dialogue with World Political Parties High-level Meeting",
    "political parties",
    "party diplomacy",
    "international relations",
    "knowledge graph",
    "Linked Data",
    "RDF",
    "provenance",
)
CONTEXT = {
    "@vocab": str(SCHEMA),
    "contentUrl": {"@type": "@id"},
    "license": {"@type": "@id"},
    "sameAs": {"@type": "@id"},
    "url": {"@type": "@id"},
}
CITY = ox.NamedNode(DKG.City)
LOCATION = ox.NamedNode(SCHEMA.location)
CONTAINED_IN = ox.NamedNode(SCHEMA.containedInPlace)
START, END = ox.NamedNode(SCHEMA.startDate), ox.NamedNode(SCHEMA.endDate)
SAME_AS = ox.NamedNode(OWL.sameAs)


def dataset(site: Site) -> dict[str, Any]:
    """The schema.org description of the build ``site`` serves, as a JSON-LD object."""
    release = site.release
    described: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": release.dataset_iri,
        "name": TITLE,
        "description": DESCRIPTION,
        "url": HOME,
        "identifier": DATASET_IRI,
        "license": DATA_LICENSE,
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": PUBLISHER, "url": HOME},
        "version": release.version,
        "keywords": list(KEYWORDS),
        "distribution": downloads(site),
        "spatialCoverage": places(site),
    }
    if release.date:
        described["datePublished"] = release.date
    span = temporal_coverage(site.store)
    if span:
        described["temporalCoverage"] = span
    return described


def script(site: Site) -> str:
    """The description as the text of a ``<script type="application/ld+json">``: ``<``,
    ``>`` and ``&`` escaped, so no string of the data can end the element."""
    text = json.dumps(dataset(site), ensure_ascii=False, indent=1, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def downloads(site: Site) -> list[dict[str, str]]:
    """Every dump, and the tables' Data Package descriptor, as a ``DataDownload`` at the
    release's versioned path."""
    sums = site.checksums
    names = [f"{BASE_NAME}.{fmt.suffix}" for fmt in FORMATS]
    names.append(f"{tables.FOLDER}/{tables.DESCRIPTOR}")
    return [
        {
            "@type": "DataDownload",
            "name": name,
            "encodingFormat": media_type_of(name),
            "contentUrl": versioned_url(site.release, name),
            "contentSize": f"{(site.dist / name).stat().st_size} B",
            "sha256": sums[name],
        }
        for name in names
        if name in sums
    ]


def temporal_coverage(store: ox.Store) -> str | None:
    """``START/END`` (ISO 8601) from the first meeting's start to the last one's end (or
    start, where no end is known); None if no meeting has a date."""
    starts: list[str] = []
    ends: list[str] = []
    for typed in store.quads_for_pattern(None, RDF_TYPE, MEETING, DEFAULT):
        for predicate, into in ((START, starts), (END, ends)):
            for quad in store.quads_for_pattern(typed.subject, predicate, None, DEFAULT):
                if isinstance(quad.object, ox.Literal):
                    into.append(quad.object.value)
    if not starts:
        return None
    return f"{min(starts)}/{max(starts + ends)}"


def places(site: Site) -> list[dict[str, str]]:
    """The cities where meetings were held, by name, with their Wikidata items."""
    store = site.store
    cities: set[ox.NamedNode] = set()
    for typed in store.quads_for_pattern(None, RDF_TYPE, MEETING, DEFAULT):
        for located in store.quads_for_pattern(typed.subject, LOCATION, None, DEFAULT):
            if isinstance(located.object, ox.NamedNode):
                cities.add(_city_of(store, located.object))
    found = []
    for city in cities:
        place = {"@type": "Place", "name": site.label(city) or city.value}
        for link in store.quads_for_pattern(city, SAME_AS, None, DEFAULT):
            if isinstance(link.object, ox.NamedNode):
                place["sameAs"] = link.object.value
        found.append(place)
    return sorted(found, key=lambda p: (p["name"], p.get("sameAs", "")))


def _city_of(store: ox.Store, place: ox.NamedNode) -> ox.NamedNode:
    """The city ``place`` is in (itself if it is one, or if no city holds it)."""
    current, seen = place, set()
    while current not in seen:
        if next(iter(store.quads_for_pattern(current, RDF_TYPE, CITY, DEFAULT)), None):
            return current
        seen.add(current)
        outer = next(iter(store.quads_for_pattern(current, CONTAINED_IN, None, DEFAULT)), None)
        if outer is None or not isinstance(outer.object, ox.NamedNode):
            break
        current = outer.object
    return place
