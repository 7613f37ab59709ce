"""Write a data folder k times the size of the real one, to time the build on more data.

Run: ``.venv/bin/python bench/scale.py --k 10 --out /tmp/data-k10 [--data data]``, then
``.venv/bin/dialoguekg build --data /tmp/data-k10 --out /tmp/dist-k10``.

Copy 0 is the data as is; copy i (1..k-1) renames every record's key, and every reference to
it, with the suffix ``-c{i}``, so the copies are disjoint graphs of the same shape and the build
does k times the work. Which fields are keys and references is read from the reader's schema
(``dialoguekg.sources.KINDS``), not listed here, so the copies stay valid as the schema grows.
Wikidata links and fetched labels stay in copy 0 only: a Wikidata item may link to one entity.
Each source file is written once, at the same path, holding all k copies of its records.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from dialoguekg.sources import CLAIM_QUALIFIERS, KIND_OF_SEGMENT, KINDS, Field, Kind, kind_files

try:  # libyaml: the same documents, several times faster
    from yaml import CSafeDumper as Dumper
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[1]
#: Field types whose values are keys: the record's own, or references to other records' keys.
#: A ``ref`` is ``kind/key``; suffixing the whole string suffixes the key, which comes last.
KEY_TYPES = frozenset({"key", "ref", "refs", "source", "sources"})
#: Kinds kept in copy 0 only: one Wikidata item may be the link of one entity, not k of them.
UNCOPIED = frozenset({"links", "labels"})
QUALIFIER_TYPES = {q.name: q.type for q in CLAIM_QUALIFIERS}


class TextDates(Loader):
    """Safe loading that keeps dates as text, as the reader does, so they are written back as
    the same text (quoted), not re-typed as YAML timestamps."""


TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in Loader.yaml_implicit_resolvers.items()
}


class Written(Dumper):
    """Safe dumping that writes every value out in full: copies share their unrenamed values,
    which would otherwise become anchors and aliases, and data files do not use those."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def suffix(copy: int) -> str:
    """The suffix of copy ``copy``'s keys: none for copy 0, the real data."""
    return f"-c{copy}" if copy else ""


def rename(ftype: str, value: Any, end: str) -> Any:
    """A value of type ``ftype`` with every key in it suffixed; values of other types as is."""
    if ftype.split(":", 1)[0] not in KEY_TYPES or value is None:
        return value
    if isinstance(value, list):
        return [rename(ftype, item, end) for item in value]
    return f"{value}{end}"


def rename_claim(f: Field, value: Any, end: str) -> Any:
    """A claim-backed field's value: plain, a mapping of value and qualifiers, or a list."""
    if isinstance(value, list):
        return [rename_claim(f, item, end) for item in value]
    if isinstance(value, Mapping):
        return {
            name: rename(f.type if name == "value" else QUALIFIER_TYPES.get(name, "str"), v, end)
            for name, v in value.items()
        }
    return rename(f.type, value, end)


def claimed_type(record: Mapping[str, Any]) -> str:
    """The type of a ``claims.yaml`` value: that of the property it claims, on its subject's kind
    (``str``, left as is, where the subject or property is unknown: the reader will say so)."""
    segment = str(record.get("subject", "")).partition("/")[0]
    kind = KINDS.get(KIND_OF_SEGMENT.get(segment, ""))
    fields = {f.name: f for f in kind.fields} if kind else {}
    f = fields.get(str(record.get("property")))
    return f.type if f else "str"


def rename_record(kind: Kind, record: Mapping[str, Any], end: str) -> dict[str, Any]:
    """One raw record with its key and every reference in it suffixed with ``end``."""
    fields = {f.name: f for f in kind.fields}
    renamed: dict[str, Any] = {}
    for name, value in record.items():
        f = fields.get(name)
        if f is None:  # not in the schema: copied, for the reader to report
            renamed[name] = value
        elif f.claim:
            renamed[name] = rename_claim(f, value, end)
        elif f.type == "any":
            renamed[name] = rename(claimed_type(record), value, end)
        else:
            renamed[name] = rename(f.type, value, end)
    return renamed


def copies(kind: Kind, records: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """The records of one file, k times over (once for kinds that must not be copied)."""
    count = 1 if kind.name in UNCOPIED else k
    return records + [
        rename_record(kind, record, suffix(i)) for i in range(1, count) for record in records
    ]


def read(path: Path) -> list[dict[str, Any]]:
    """The raw records of one data file (dates as text)."""
    records = yaml.load(path.read_text(encoding="utf-8"), Loader=TextDates)
    return list(records or [])


def write(path: Path, records: list[dict[str, Any]]) -> None:
    """One data file; strings that YAML would read as another type (dates, numeric keys) are
    quoted by the dumper, so the reader gets the same text back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(records, Dumper=Written, allow_unicode=True, sort_keys=False, width=1_000_000)
    path.write_text(text, encoding="utf-8")


def scale(source: Path, out: Path, k: int) -> int:
    """Write ``k`` copies of the data folder ``source`` into ``out``; return the records written.

    Raises ValueError if ``k < 1`` or ``out`` is a folder that is not empty (stale files of
    another layout would be read with the new ones).
    """
    if k < 1:
        raise ValueError(f"k must be 1 or more, not {k}")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for kind in KINDS.values():
        for path in kind_files(source, kind):
            records = copies(kind, read(path), k)
            write(out / path.relative_to(source), records)
            written += len(records)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, required=True, help="copies of the data (1: as is)")
    parser.add_argument("--out", type=Path, required=True, help="new or empty folder to write")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="data folder to copy")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        written = scale(args.data, args.out, args.k)
    except ValueError as exc:
        print(f"scale.py: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out}: {written} records, {args.k} copies of {args.data} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
