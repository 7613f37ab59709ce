"""The exception tree of dialoguekg; library code raises these, only ``cli`` turns them into exits.

DialogueKGError                 root; exit code 2 unless said otherwise
├── SourceDataError             a data file is malformed or inconsistent (file, line, record)
├── ProjectError                ontology, shapes or context missing or unreadable
├── NotConformingError          the graph violates the shapes (exit code 1)
├── QueryError                  a query cannot be found, parsed or answered
│   └── EndpointError           a remote SPARQL endpoint failed or could not be reached
├── PushError                   push: no usable dump, or the store refused or is unreachable
│   └── PushCheckError          push: the store does not hold exactly what was pushed
└── DiffError                   diff: a folder is not a build, or its dump is damaged
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any


class DialogueKGError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code = 2


class SourceDataError(DialogueKGError):
    """Bad input in ``data/``: says where (file, line, record), what is wrong, what was expected."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        line: int | None = None,
        record: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.record = record
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{line}" if line else str(self.path)
        message = f"{where}: {f'{record}: ' if record else ''}{problem}"
        if expected:
            message += f"; expected {expected}"
        super().__init__(_ONE_LINE.sub(_escaped, message))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by its parts, as a child process sends it back (its constructor takes
        most of them by keyword)."""
        again = partial(type(self), line=self.line, record=self.record, expected=self.expected)
        return (again, (self.path, self.problem))


#: Control characters (a line break in a file name, say) would split a message over lines.
_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


class ProjectError(DialogueKGError):
    """The ontology, shapes, context or queries of the project cannot be used."""


class NotConformingError(DialogueKGError):
    """The built graph does not conform to the SHACL shapes; carries the plain-words report."""

    exit_code = 1

    def __init__(self, report_text: str) -> None:
        self.report_text = report_text
        super().__init__(report_text)


class QueryError(DialogueKGError):
    """A query could not be found, parsed or run."""


class EndpointError(QueryError):
    """A remote SPARQL endpoint answered with an error or could not be reached."""


class PushError(DialogueKGError):
    """``push`` could not load the store: ``where`` is the URL (or the dump's file) at fault,
    and the message gives the HTTP status and the store's own words, on one line."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        super().__init__(_ONE_LINE.sub(_escaped, f"{where}: {problem}"))


class PushCheckError(PushError):
    """After ``push``, the store's counts (or recorded version) differ from the dump's."""


class DiffError(DialogueKGError):
    """``diff`` cannot read a build: the folder at fault, and what is wrong with it."""

    def __init__(self, message: str) -> None:
        super().__init__(_ONE_LINE.sub(_escaped, message))


class RequestError(DialogueKGError):
    """An HTTP request the server refuses or cannot answer: the status (4xx, or 503 for a
    query stopped by a limit) and a message naming the parameter or limit at fault. Only the
    web layer turns it into a response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
