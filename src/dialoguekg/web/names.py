"""Names as search and reconciliation compare them: one implementation for both.

A name is folded (accents removed, case folded: Vučić → vucic), its punctuation made spaces,
and, when it is written in Cyrillic, also transliterated to the Latin letters English-language
sources use (Единая Россия → edinaya rossiya), so a spreadsheet's or a searcher's spelling
finds the entity in any of its languages and scripts.
"""

from __future__ import annotations

import re
import unicodedata


def fold(name: str) -> str:
    """Accents removed, case folded (Vučić → vucic, Tsègan → tsegan)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def normal(name: str) -> str:
    """The folded name with every run of punctuation and spaces made one space."""
    return re.sub(r"[^\w]+", " ", fold(name)).strip()


#: Russian and Serbian Cyrillic in Latin letters (the common English-language forms), so that
#: "Edinaya Rossiya" finds Единая Россия.
CYRILLIC = dict(
    zip(
        "абвгдеёзийклмнопрстуфыэђјћ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "y",
            "e",
            "dj",
            "j",
            "c",
        ],
        strict=True,
    )
) | {
    "ж": "zh",
    "\u0445": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ь": "",
    "ю": "yu",
    "я": "ya",
    "љ": "lj",
    "њ": "nj",
    "џ": "dz",
}


def variants(name: str) -> list[str]:
    """The name, and its Latin transliteration when it is written in Cyrillic."""
    latin = "".join(CYRILLIC.get(c, c) for c in name.lower())
    return [name, latin] if latin != name.lower() else [name]


def keys(name: str) -> tuple[str, ...]:
    """Every normal form a name is found by: as written and transliterated."""
    return tuple(dict.fromkeys(k for k in (normal(v) for v in variants(name)) if k))


#: Scripts written without spaces between words: any run of their letters may start a word.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def rank(query: str, name: str) -> int | None:
    """How a normal query matches a normal name: 0 the whole name, 1 its start, 2 each query
    word starts a word of the name (in any order), None not at all. Never inside a word,
    except in scripts that put no spaces between words."""
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if _UNSPACED.search(query):
        return 2 if query in name else None
    starts = name.split()
    if all(any(word.startswith(part) for word in starts) for part in query.split()):
        return 2
    return None
