"""Find Wikidata items for our entities, score them with reasons, and merge accepted links.

``find`` asks a Wikidata-compatible SPARQL endpoint (through SPARQLWrapper, with a descriptive
User-Agent, retries with back-off on 429 and 5xx, and a time-out) for items whose label or alias
is one of the entity's names, with the item's types, country and party. ``score`` weighs each
candidate: exact label or alias, type, country, party; a type mismatch never wins. The review
file is a CSV a person edits; ``accept`` merges the rows marked ``yes`` into ``data/links.yaml``
citing "Wikidata, retrieved DATE", after checking the result loads cleanly. Nothing is linked
silently: only a clear winner above the threshold is pre-marked, and a person confirms it.
Wikidata's query service: https://www.wikidata.org/wiki/Wikidata:SPARQL_query_service
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import sources
from .errors import DialogueKGError, EndpointError, SourceDataError
from .export import write_file
from .query import USER_AGENT, endpoint_error

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"
#: Wikidata classes an entity's candidate must be an instance of (or of a subclass of); the ids
#: are the ones verified in the reference list (human Q5, political party Q7278, political
#: organization Q7210356, country Q6256, sovereign state Q3624078).
TYPES = {
    "persons": ("human", ("Q5",)),
    "parties": ("political party", ("Q7278", "Q7210356")),
    "countries": ("country", ("Q6256", "Q3624078")),
}
THRESHOLD = 80
MARGIN = 15  # how far the best must lead the next to be pre-marked
REVIEW_COLUMNS = (
    "accept",
    "entity",
    "entity_label",
    "qid",
    "wikidata_label",
    "description",
    "score",
    "reasons",
)


class LinkError(DialogueKGError):
    """The linking command could not do what it was asked."""


@dataclass(frozen=True)
class Target:
    """One of our entities to find an item for, with the context that confirms a match."""

    ref: str
    label: str
    names: tuple[str, ...]
    kind: str
    country_qid: str | None = None
    party_qid: str | None = None


@dataclass(frozen=True)
class Candidate:
    target: Target
    qid: str
    item_label: str
    description: str
    score: int
    reasons: tuple[str, ...]
    accept: bool = False


# ---------------------------------------------------------------------------------------------
# What to look for
# ---------------------------------------------------------------------------------------------


def targets(data: sources.SourceData, everything: bool = False) -> list[Target]:
    """Persons, parties and countries without a link (all of them with ``everything``)."""
    links = {str(r.values["entity"]): str(r.values["qid"]) for r in data.records["links"]}
    party_of: dict[str, str] = {}
    for record in data.records["participations"]:
        if "person" in record.values and str(record.values.get("on_behalf_of", "")).startswith(
            "party/"
        ):
            party_of.setdefault(
                f"person/{record.values['person']}", str(record.values["on_behalf_of"])
            )
    country_of = {
        f"party/{r.key}": f"country/{r.values['country']}" for r in data.records["parties"]
    }
    out = []
    for kind in TYPES:
        for record in data.records[kind]:
            ref = record.ref
            if ref in links and not everything:
                continue
            names = [str(record.values["name"])]
            names += [n.text for n in record.values.get("alt_names", []) if n.lang == "en"]
            if "abbreviation" in record.values:
                names.append(str(record.values["abbreviation"]))
            party = party_of.get(ref)
            country = country_of.get(ref) or (country_of.get(party) if party else None)
            out.append(
                Target(
                    ref,
                    str(record.values["name"]),
                    tuple(dict.fromkeys(names)),
                    kind,
                    country_qid=links.get(country) if country else None,
                    party_qid=links.get(party) if party else None,
                )
            )
    return out


def candidate_query(target: Target) -> str:
    """The SPARQL that finds items named like ``target``, with what scoring needs."""
    names = " ".join(_literal(n) for n in target.names)
    classes = " ".join(f"wd:{q}" for q in TYPES[target.kind][1])
    country = "wdt:P27" if target.kind == "persons" else "wdt:P17"
    return f"""PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
SELECT ?item ?how ?label ?description ?typed ?country ?party WHERE {{
  VALUES ?name {{ {names} }}
  {{ ?item rdfs:label ?name . BIND ("label" AS ?how) }}
  UNION {{ ?item skos:altLabel ?name . BIND ("alias" AS ?how) }}
  OPTIONAL {{ ?item rdfs:label ?label FILTER (LANG(?label) = "en") }}
  OPTIONAL {{ ?item schema:description ?description FILTER (LANG(?description) = "en") }}
  BIND (EXISTS {{ VALUES ?class {{ {classes} }} ?item wdt:P31/wdt:P279* ?class }} AS ?typed)
  OPTIONAL {{ ?item {country} ?country }}
  OPTIONAL {{ ?item wdt:P102 ?party }}
}}"""


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@en'


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def score(target: Target, rows: Iterable[dict[str, Any]]) -> list[Candidate]:
    """Candidates for ``target`` from the query's rows, best first; the clear winner marked."""
    by_item: dict[str, dict[str, Any]] = {}
    for row in rows:
        qid = row["item"]["value"].removeprefix(WD)
        item = by_item.setdefault(qid, {"how": set(), "country": set(), "party": set()})
        item["how"].add(row["how"]["value"])
        item["typed"] = row.get("typed", {}).get("value") in ("true", "1")
        item["label"] = row.get("label", {}).get("value", item.get("label", ""))
        item["description"] = row.get("description", {}).get("value", item.get("description", ""))
        for key in ("country", "party"):
            if key in row:
                item[key].add(row[key]["value"].removeprefix(WD))
    type_name = TYPES[target.kind][0]
    candidates = []
    for qid, item in by_item.items():
        points, reasons = 0, []
        if "label" in item["how"]:
            points, reasons = 50, ["exact label"]
        else:
            points, reasons = 35, ["alias"]
        if item["typed"]:
            points += 30
            reasons.append(f"type: {type_name}")
        else:
            points = 0
            reasons.append(f"not a {type_name}: never linked")
        if target.country_qid and target.country_qid in item["country"]:
            points += 15
            reasons.append("country matches")
        if target.party_qid and target.party_qid in item["party"]:
            points += 20
            reasons.append("party matches")
        candidates.append(
            Candidate(target, qid, item["label"], item["description"], points, tuple(reasons))
        )
    candidates.sort(key=lambda c: (-c.score, c.qid))
    if candidates and candidates[0].score >= THRESHOLD:
        runner_up = candidates[1].score if len(candidates) > 1 else 0
        if candidates[0].score - runner_up >= MARGIN:
            best = candidates[0]
            candidates[0] = Candidate(
                best.target,
                best.qid,
                best.item_label,
                best.description,
                best.score,
                best.reasons,
                accept=True,
            )
        else:
            candidates = [
                Candidate(
                    c.target,
                    c.qid,
                    c.item_label,
                    c.description,
                    c.score,
                    (*c.reasons, "ambiguous: another item scores close"),
                )
                for c in candidates
            ]
    return candidates


# ---------------------------------------------------------------------------------------------
# Asking the endpoint
# ---------------------------------------------------------------------------------------------


def ask(
    endpoint: str,
    sparql: str,
    *,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """SPARQL JSON results from ``endpoint``, retrying 429 and 5xx answers with back-off
    (honouring Retry-After), as Wikidata's User-Agent and rate-limit policies ask."""
    from urllib.error import HTTPError, URLError

    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

    client = SPARQLWrapper(endpoint, agent=USER_AGENT)
    client.setTimeout(int(timeout))
    client.setMethod(POST)
    client.setQuery(sparql)
    client.queryType = "SELECT"
    client.setReturnFormat(JSON)
    for attempt in range(retries + 1):
        delay = backoff * 2**attempt
        try:
            document = client.query().convert()
            if not isinstance(document, dict):
                raise EndpointError(f"{endpoint} did not answer with SPARQL JSON results")
            return document
        except HTTPError as exc:
            if exc.code != 429 and exc.code < 500:
                raise EndpointError(f"{endpoint} answered HTTP {exc.code}: {exc.reason}") from exc
            retry_after = exc.headers.get("Retry-After", "") if exc.headers else ""
            delay = float(retry_after) if retry_after.isdigit() else delay
            last = f"HTTP {exc.code}"
        except EndPointInternalError as exc:
            last = f"HTTP 500: {str(exc).splitlines()[0]}"
        except (SPARQLWrapperException, URLError, OSError, ValueError) as exc:
            raise endpoint_error(endpoint, exc) from exc
        if attempt < retries:
            sleep(delay)
    raise EndpointError(f"{endpoint} kept failing ({last}) after {retries + 1} attempts")


def find(targets_: Iterable[Target], endpoint: str, **options: Any) -> list[Candidate]:
    """Every candidate of every target, scored."""
    found: list[Candidate] = []
    for target in targets_:
        document = ask(endpoint, candidate_query(target), **options)
        found.extend(score(target, document["results"]["bindings"]))
    return found


# ---------------------------------------------------------------------------------------------
# The review file, and accepting it
# ---------------------------------------------------------------------------------------------


def review_csv(candidates: Iterable[Candidate]) -> str:
    """One row per candidate, highest score first; ``accept`` is pre-marked only for a clear
    winner above the threshold."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for c in sorted(candidates, key=lambda c: (-c.score, c.target.ref, c.qid)):
        writer.writerow(
            [
                "yes" if c.accept else "",
                c.target.ref,
                c.target.label,
                c.qid,
                c.item_label,
                c.description,
                c.score,
                "; ".join(c.reasons),
            ]
        )
    return out.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (``export.write_file``); raises LinkError
    naming ``path`` if it cannot be written."""
    write_file(path, text.encode("utf-8"), LinkError)


def accept(data_dir: Path, review: Path, retrieved: dt.date) -> int:
    """Merge the review rows marked ``yes`` into ``data/links.yaml``; returns how many.

    The links cite the source "Wikidata, retrieved DATE" (added to sources.yaml if new) and
    quote the score's reasons. The merged files are checked by loading a copy of the data
    folder first: on any problem nothing in ``data_dir`` changes.
    """
    rows = _accepted_rows(review)
    if not rows:
        return 0
    source_id = f"wikidata-{retrieved.isoformat()}"
    links_file = data_dir / "links.yaml"
    links_text = links_file.read_text(encoding="utf-8") if links_file.is_file() else ""
    sources_text = _with_wikidata_source(
        (data_dir / "sources.yaml").read_text(encoding="utf-8"), retrieved
    )
    added = "".join(
        f"- {{entity: {row['entity']}, qid: {row['qid']}, source: {source_id}, "
        f"quote: {_yaml_string('score ' + row['score'] + ': ' + row['reasons'])}}}\n"
        for row in rows
    )
    links_text = (
        links_text.rstrip("\n")
        + ("\n" if links_text.strip() else "")
        + (f"# Accepted from {review.name} on {retrieved.isoformat()}\n" + added)
    )
    _replace_checked(
        data_dir,
        {"sources.yaml": sources_text, "links.yaml": links_text},
        review,
    )
    return len(rows)


def _with_wikidata_source(sources_text: str, retrieved: dt.date) -> str:
    """sources.yaml with the "Wikidata, retrieved DATE" source added if it is not there yet."""
    source_id = f"wikidata-{retrieved.isoformat()}"
    if f"id: {source_id}\n" in sources_text:
        return sources_text
    return sources_text.rstrip("\n") + (
        f"\n\n- id: {source_id}\n"
        f"  title: Wikidata, retrieved {retrieved.isoformat()}\n"
        "  kind: reference-dataset\n"
        "  publisher: Wikimedia Foundation\n"
        "  url: https://www.wikidata.org/\n"
        f"  date: {retrieved.isoformat()}\n"
    )


def _replace_checked(data_dir: Path, texts: dict[str, str], origin: Path) -> None:
    """Write ``texts`` into ``data_dir`` only if a copy of the folder with them loads cleanly;
    otherwise raise the reader's error, said of ``origin`` (what asked for the change)."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / "data"
        shutil.copytree(data_dir, trial)
        for name, content in texts.items():
            (trial / name).write_text(content, encoding="utf-8")
        try:
            sources.load(trial)
        except SourceDataError as exc:
            inside = exc.path.relative_to(trial) if exc.path.is_relative_to(trial) else exc.path
            where = f"{data_dir / inside}" + (f":{exc.line}" if exc.line else "")
            raise SourceDataError(
                origin,
                f"accepting it would break {where}: {exc.problem}",
                expected=exc.expected,
                record=exc.record,
            ) from exc
    for name, content in texts.items():
        write_atomically(data_dir / name, content)


LABEL_LANGUAGES = ("zh", "ru", "es", "fr")


def labels_query(qids: Iterable[str], languages: Iterable[str]) -> str:
    items = " ".join(f"wd:{q}" for q in qids)
    langs = ", ".join(f'"{lang}"' for lang in languages)
    return f"""PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?item ?name WHERE {{
  VALUES ?item {{ {items} }}
  ?item rdfs:label|skos:altLabel ?name .
  FILTER (LANG(?name) IN ({langs}))
}}"""


def fetch_labels(
    data_dir: Path,
    endpoint: str,
    retrieved: dt.date,
    languages: Iterable[str] = LABEL_LANGUAGES,
    **options: Any,
) -> int:
    """Labels and aliases of every linked entity in ``languages`` into wikidata-labels.yaml
    (replacing what was there), citing "Wikidata, retrieved DATE"; returns how many names."""
    import yaml

    data = sources.load(data_dir)
    entity_of = {str(r.values["qid"]): str(r.values["entity"]) for r in data.records["links"]}
    qids = sorted(entity_of)
    names: dict[str, list[dict[str, str]]] = {}
    for start in range(0, len(qids), 50):
        document = ask(endpoint, labels_query(qids[start : start + 50], languages), **options)
        for row in document["results"]["bindings"]:
            qid = row["item"]["value"].removeprefix(WD)
            entry = {"name": row["name"]["value"], "lang": row["name"]["xml:lang"]}
            if qid in entity_of and entry not in names.setdefault(qid, []):
                names[qid].append(entry)
    source_id = f"wikidata-{retrieved.isoformat()}"
    records: list[dict[str, Any]] = [
        {
            "entity": entity_of[qid],
            "qid": qid,
            "names": sorted(found, key=lambda n: (n["lang"], n["name"])),
            "source": source_id,
        }
        for qid, found in sorted(names.items())
    ]
    header = (
        "# Names Wikidata gives our linked entities in other languages, fetched by\n"
        f"#   dialoguekg link --labels  (languages: {', '.join(languages)};"
        f" retrieved {retrieved})\n"
        "# The build adds them as language-tagged alternative labels citing Wikidata.\n"
    )
    body = (
        yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=100)
        if records
        else "[]\n"
    )
    texts = {"wikidata-labels.yaml": header + body}
    if records:
        texts["sources.yaml"] = _with_wikidata_source(
            (data_dir / "sources.yaml").read_text(encoding="utf-8"), retrieved
        )
    _replace_checked(data_dir, texts, data_dir / "wikidata-labels.yaml")
    return sum(len(r["names"]) for r in records)


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _accepted_rows(review: Path) -> list[dict[str, str]]:
    try:
        text = review.read_text(encoding="utf-8")
    except OSError as exc:
        raise LinkError(f"{review}: cannot read the review file ({exc.strerror})") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = set(REVIEW_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise SourceDataError(
            review,
            f"columns missing: {', '.join(sorted(missing))}",
            line=1,
            expected="the header written by dialoguekg link: " + ",".join(REVIEW_COLUMNS),
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        if row["accept"].strip().lower() not in ("yes", "y", "x", "1", "true"):
            continue
        if not row["qid"].startswith("Q") or not row["qid"][1:].isdigit():
            raise SourceDataError(
                review,
                f"qid {row['qid']!r} is not a Wikidata item id",
                line=number,
                expected="Q followed by digits",
            )
        rows.append(row)
    return rows
