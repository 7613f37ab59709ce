"""dialoguekg: a source-tracked knowledge graph of the CPC's dialogues with world political parties.


The package follows the data's path: ``sources`` (read ``data/``) → ``graph`` (build RDF) →
``validate`` (SHACL) → ``export`` (dumps) → ``query`` (SPARQL), plus ``cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"
