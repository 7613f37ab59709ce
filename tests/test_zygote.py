"""The query workers forked by the zygote: they see the server's in-memory store, end with the
server's pipe, and outlive neither a killed zygote's replacement nor a closed pool."""

from __future__ import annotations

import functools
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pyoxigraph as ox
import pytest

from dialoguekg.web import worker
from dialoguekg.web.workers import Job, Pool
from dialoguekg.web.zygote import Child, Zygote

EX = "http://example.org/"
SETUP = {"context": {}, "memory": 256 * 2**20, "allow_service": False, "max_answer": 10**6}
#: A query that runs for minutes on a store of ten triples (10⁹ rows to count).
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(9)) + " }"
)


def small_store() -> ox.Store:
    store = ox.Store()
    for i in range(10):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i))))
    return store


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (reaped, or a zombie nobody reaps)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return gone(pid)


@pytest.fixture
def pool() -> Iterator[Pool]:
    made = Pool(
        small_store(), {}, size=2, memory_mib=256, allow_service=False, time_limit=10,
        row_limit=1000, max_answer=10**6,
    )  # fmt: skip
    yield made
    made.close()


def count(pool: Pool) -> int:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    reply = anyio.run(pool.run, Job(query, base_iri=EX))
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def test_a_worker_answers_from_the_store_the_server_loaded(pool: Pool) -> None:
    assert count(pool) == 10
    assert pool.zygote.pid != os.getpid() and not gone(pool.zygote.pid)


def test_a_killed_zygote_is_replaced_and_its_workers_end(pool: Pool) -> None:
    assert count(pool) == 10
    first, idle = pool.zygote.pid, pool.idle[0].process.pid
    os.kill(first, signal.SIGKILL)
    assert count(pool) == 10  # the idle worker is given up, a new zygote forks a new one
    assert pool.zygote.pid != first and gone(first)
    assert wait_gone(idle)  # its pipe closed: it ended by itself


def test_closing_the_pool_ends_the_zygote_and_its_workers(pool: Pool) -> None:
    assert count(pool) == 10
    zygote, idle = pool.zygote.pid, pool.idle[0].process.pid
    pool.close()
    assert gone(zygote) and wait_gone(idle)


def spawn(zygote: Zygote) -> tuple[Child, int, int]:
    job_read, job_write = os.pipe()
    answer_read, answer_write = os.pipe()
    child = zygote.spawn(job_read, answer_write)
    os.close(job_read)
    os.close(answer_write)
    return child, job_write, answer_read


def test_a_worker_ends_mid_query_when_the_servers_end_of_its_pipe_closes() -> None:
    zygote = Zygote(functools.partial(worker.serve, small_store()))
    child, job_write, answer_read = spawn(zygote)
    try:
        with os.fdopen(job_write, "wb") as jobs, os.fdopen(answer_read, "rb") as answers:
            worker.write_frame(jobs, json.dumps(SETUP).encode())
            jobs.flush()
            assert json.loads(worker.read_frame(answers) or b"{}")["status"] == "ready"
            job = {"query": SLOW, "base_iri": EX, "default_graph": [], "named_graphs": []}
            job |= {"row_limit": 10, "result_format": "json", "graph_format": "turtle"}
            worker.write_frame(jobs, json.dumps(job).encode())
            jobs.flush()
            time.sleep(0.5)
            assert child.poll() is False  # still evaluating
        assert wait_gone(child.pid)
        assert child.wait() == 1  # ended by its watch on the pipe, not killed
    finally:
        child.kill()
        zygote.close()


def test_a_killed_worker_reports_its_signal() -> None:
    zygote = Zygote(functools.partial(worker.serve, small_store()))
    child, job_write, answer_read = spawn(zygote)
    try:
        child.kill()
        assert child.wait() == -signal.SIGKILL and child.poll() is True
    finally:
        os.close(job_write)
        os.close(answer_read)
        zygote.close()
