"""Shared fixtures: the project, its graph built once per session, and a store over the dumps."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from starlette.types import ASGIApp

from dialoguekg import export
from dialoguekg.project import Compiled, Project, compile_graph
from dialoguekg.query import LocalStore

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"


def records_of(kind: str) -> list[dict[str, Any]]:
    """The records data/ holds of a kind (``kind.yaml`` and ``kind/*.yaml``), read with plain
    PyYAML, not our reader, so that what the graph shows is checked independently."""
    files = [ROOT / "data" / f"{kind}.yaml", *sorted((ROOT / "data" / kind).glob("*.yaml"))]
    texts = [f.read_text(encoding="utf-8") for f in files if f.exists()]
    return [record for text in texts for record in yaml.safe_load(text) or []]


def records_in(kind: str) -> int:
    """How many records data/ holds of a kind (``records_of``)."""
    return len(records_of(kind))


def mini_with_two_sources(tmp_path: Path) -> Path:
    """The mini data, with Ada Test's keynote and her state office each cited to a second
    source after the one they cite there."""
    data = tmp_path / "data"
    shutil.copytree(CASES / "mini" / "data", data)
    for name, old, new in (
        ("participations.yaml", "keynote., source: src-a}", "keynote., source: [src-a, src-b]}"),
        ("memberships.yaml", "2021-05-01, source: src-a}", "2021-05-01, source: [src-a, src-b]}"),
    ):
        text = (data / name).read_text(encoding="utf-8")
        assert old in text
        (data / name).write_text(text.replace(old, new), encoding="utf-8")
    return data


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def compiled(project: Project) -> Compiled:
    return compile_graph(project, project.data_dir, lambda message: None)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory, project: Project, compiled: Compiled) -> Path:
    out = tmp_path_factory.mktemp("build") / "dist"
    files = export.all_files(
        compiled.built,
        project.ontology_file,
        export.load_context(project.context_file),
        compiled.store,
    )
    write(out, files)
    return out


@pytest.fixture(scope="session")
def store(dist: Path) -> LocalStore:
    return LocalStore(dist / "dialoguekg.nq")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oxigraph_binary() -> str:
    """The Oxigraph server installed by the test extra (`pip install oxigraph`)."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).is_file():
        pytest.fail("the oxigraph server is not installed: pip install -e '.[test]' installs it")
    return found


@contextlib.contextmanager
def oxigraph(files: list[Path], location: Path, writable: bool = False) -> Iterator[str]:
    """A real Oxigraph SPARQL server on 127.0.0.1 loaded with ``files``; yields its query URL.
    ``writable`` serves it read-write (its Graph Store at ``/store``, updates at ``/update``)."""
    exe = oxigraph_binary()
    for file in files:
        subprocess.run(
            [exe, "load", "--location", str(location), "--file", str(file)],
            check=True,
            capture_output=True,
        )
    port = free_port()
    server = subprocess.Popen(
        [
            exe,
            "serve" if writable else "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}?query=ASK%7B%7D", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the Oxigraph server did not start")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def oxigraph_endpoint(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Oxigraph loaded with the N-Quads dump of the built graph."""
    with oxigraph([dist / "dialoguekg.nq"], tmp_path_factory.mktemp("oxigraph")) as endpoint:
        yield endpoint


@contextlib.contextmanager
def serving(app: ASGIApp, port: int | None = None) -> Iterator[tuple[str, int]]:
    """``app`` served by uvicorn on 127.0.0.1 at ``port`` (default: a free one), in a thread,
    for one block."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def chrome_options(binary: str, profile: str) -> Any:
    """Headless Chromium as the browser tests drive it: no network of its own, the fresh
    profile folder ``profile``, one window size."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return options


def write(out: Path, files: dict[str, export.Content]) -> None:
    """Replace the folder ``out`` with exactly ``files``, as ``build`` writes its output."""
    with export.Output(out) as output:
        for name, content in files.items():
            output.add(name, lambda content=content: content)
        output.commit({})
