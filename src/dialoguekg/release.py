"""The release this code builds: its version and date, in one place, and the releases before it.

Everything that names a release reads this module: the package's ``__version__`` and
``pyproject.toml`` (setuptools reads ``VERSION`` with ``attr:``), ``dialoguekg --version``, the
VoID/DCAT description of every build (``dcat:version``, ``dcterms:issued``, the release's own
dataset IRI and its ``prov:wasRevisionOf``), the versioned download paths
``dumps/{version}/…``, and the home page's schema.org ``Dataset``. ``CITATION.cff`` and
``CHANGELOG.md`` are files for people and tools that do not run Python; a test holds both to
this module.

Versions follow Semantic Versioning (https://semver.org/): the major number changes when a
published IRI, a class or a property changes meaning or goes away, the minor number when the
graph or the tools grow, the patch number for corrections of data or code alone.

To release: add the new release at the top of ``RELEASES`` (``VERSION`` and ``DATE`` are its
fields, kept as plain literals so that setuptools reads them without importing the package),
then ``CITATION.cff``, and a ``CHANGELOG.md`` section from ``dialoguekg diff OLD NEW
--changelog``. A build between two releases carries the last release's version.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import DATASET_IRI

VERSION = "0.2.0"
DATE = "2026-12-03"


@dataclass(frozen=True)
class Release:
    """A published release: its version and its date (ISO 8601)."""

    version: str
    date: str

    @property
    def dataset_iri(self) -> str:
        """The IRI of this release of the dataset (``…/id/dataset/0.2.0``), a version of
        ``DATASET_IRI`` in the sense of DCAT 3 (https://www.w3.org/TR/vocab-dcat-3/#dataset-versions)."""
        return f"{DATASET_IRI}/{self.version}"


#: Every published release, newest first; the first is this one. 0.2.0 is the first release:
#: "0.1.0" was the version string of the development snapshots from 2026-11-22 on, never
#: tagged or published, so no release is a revision of it.
RELEASES: tuple[Release, ...] = (Release(VERSION, DATE),)

