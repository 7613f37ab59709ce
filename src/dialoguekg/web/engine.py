"""The SPARQL engine of the static site: Oxigraph's WebAssembly build, copied into the site.

The static site's query page runs SPARQL in the browser over the dump, with no server and no
CDN: the project's set-up installs the npm package ``oxigraph`` (pinned in
``assets/package.json``) into ``assets/node_modules``, and ``static`` copies its browser build
into ``OUT/assets/oxigraph/`` with the licence texts, which the npm package does not carry
(they are kept in ``assets/licenses/oxigraph/``, from Oxigraph's repository).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import DialogueKGError

#: Where the engine goes in the site; the query page imports ``assets/oxigraph/web.js``.
ENGINE_DIR = Path("assets") / "oxigraph"
INSTALL = "npm ci --prefix assets (which ./run start and ./run test do)"
LICENCE_NAMES = ("LICENSE*", "LICENCE*", "COPYING*", "NOTICE*")


class EngineMissingError(DialogueKGError):
    """The browser SPARQL engine (npm package ``oxigraph``) is not installed, or incomplete:
    names the folder looked in and the command that installs it."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}; install it with {INSTALL}")


def engine_files(assets_dir: Path) -> list[Path]:
    """The files of the browser build of Oxigraph in ``assets_dir``: its ES module, the
    module's ``.wasm``, the package's ``package.json`` for the version, every licence file.
    A site without the engine or its licence would be broken or unlawful to publish, so either
    missing raises ``EngineMissingError``."""
    package = assets_dir / "node_modules" / "oxigraph"
    manifest = package / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineMissingError(package, f"no readable npm package oxigraph ({exc})") from exc
    module = str(meta.get("browser") or "web.js")  # wasm-bindgen's "web" target: an ES module
    wasm = Path(module).stem + "_bg.wasm"
    licences = {  # the package's own, where it has them, over our copies of them
        file.name: file
        for folder in (assets_dir / "licenses" / "oxigraph", package)
        for pattern in LICENCE_NAMES
        for file in sorted(folder.glob(pattern))
        if file.is_file()
    }
    if not licences:
        raise EngineMissingError(package, "no licence file of Oxigraph to ship with it")
    files = [package / module, package / wasm, manifest, *licences.values()]
    for file in files:
        if not file.is_file():
            raise EngineMissingError(package, f"{file.name} is missing from the package")
    return files


def copy_engine(assets_dir: Path, out: Path) -> list[Path]:
    """Copy the engine's files (``engine_files``) into ``out/assets/oxigraph/``; return the
    files written."""
    files = engine_files(assets_dir)
    target = out / ENGINE_DIR
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(file, target / file.name)) for file in files]
