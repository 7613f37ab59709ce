"""dialoguekg: a source-tracked knowledge graph of the CPC's dialogues with world political parties.


The package follows the data's path: ``sources`` (read ``data/``) → ``graph`` (build RDF) →
``validate`` (SHACL) → ``export`` (dumps) → ``query`` (SPARQL), plus ``cli``. The version and
its date live in ``release``.
"""

from __future__ import annotations

from . import release

__version__ = release.VERSION
