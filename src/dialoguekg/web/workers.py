"""The pool of query worker processes, as the server sees it.

Workers are forked by the zygote (``zygote``), so each shares the store the server loaded. A job
goes to an idle worker over its pipes, and its answer is awaited on the event loop,
which never blocks. The time limit ends the evaluation: the worker is
killed, which stops the engine whatever it was doing and returns its memory, and a fresh
worker takes its place on the next job. A worker that dies (the engine crashed, the heap cap
was hit) costs one request. The server runs on asyncio (uvicorn's loop, or the test client's
anyio on asyncio), whose loop watches the pipes.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import select
import threading
import time
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import pyoxigraph as ox

from ..errors import RequestError
from .worker import LENGTH, serve, split_reply, write_frame
from .zygote import Zygote, ZygoteGone

#: Bytes asked of the worker's pipe at a time.
READ_SIZE = 65536


async def _readable(fd: int) -> None:
    """Until ``fd`` can be read: the running loop watches it for this wait only. (What
    ``anyio.wait_readable`` does, without its look-ups of the backend on every call.)"""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, ready.set_result, None)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


class WorkerError(RequestError):
    """A query that ended without an answer (time limit, a crashed or busy worker): 503."""


@dataclass(frozen=True)
class Job:
    """One query and how its answer is wanted."""

    query: str
    base_iri: str
    default_graph: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    result_format: str | None = "json"
    graph_format: str = "turtle"

    def encode(self, row_limit: int) -> bytes:
        return json.dumps({**self.__dict__, "row_limit": row_limit}).encode()


@dataclass(frozen=True)
class Reply:
    """What a worker answered: ``status`` (ok, syntax, failed, over_limit, not_acceptable),
    the answer's ``kind`` (boolean, solutions, triples) and body, or a message."""

    status: str
    kind: str
    body: bytes
    message: str


class Worker:
    """One worker process and its pipes; started (blocking) in a thread, then attached to the
    event loop (``attach``) and spoken to from it without blocking it."""

    def __init__(self, zygote: Zygote, setup: dict[str, Any]) -> None:
        job_read, job_write = os.pipe()
        answer_read, answer_write = os.pipe()
        try:
            self.process = zygote.spawn(job_read, answer_write)
        except ZygoteGone as exc:
            for fd in (job_write, answer_read):
                os.close(fd)
            raise WorkerError(503, f"the query worker could not start: {exc}") from None
        finally:
            os.close(job_read)
            os.close(answer_write)
        self.stdin = open(job_write, "wb", buffering=0)  # noqa: SIM115 (closed by kill)
        self.stdout = open(answer_read, "rb", buffering=0)  # noqa: SIM115
        write_frame(self.stdin, json.dumps(setup).encode())
        ready = json.loads(self._started(time.monotonic() + 30))
        if ready.get("status") != "ready":
            self.kill()
            raise WorkerError(503, f"the query worker could not start: {ready.get('message')}")
        os.set_blocking(self.stdin.fileno(), False)
        os.set_blocking(self.stdout.fileno(), False)
        self.pending = bytearray()  # read from the worker, not yet taken

    def _started(self, deadline: float) -> bytes:
        """The worker's first frame, read blocking (in the thread that starts it)."""
        data, fd = b"", self.stdout.fileno()
        while len(data) < LENGTH.size or len(data) < LENGTH.size + LENGTH.unpack(data[:4])[0]:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise WorkerError(503, "the query worker did not start in time")
            chunk = os.read(fd, 65536)
            if not chunk:
                self.kill()
                raise WorkerError(503, f"the query worker could not start ({self.death()})")
            data += chunk
        return data[LENGTH.size :]

    async def _frame(self) -> bytes:
        """The next frame's payload, read in large pieces (an answer usually arrives in one);
        the loop watches the pipe only while an answer is awaited, whichever loop that is
        (the test client runs one per request)."""
        fd = self.stdout.fileno()
        while (payload := self._whole()) is None:
            try:
                chunk = os.read(fd, READ_SIZE)
            except BlockingIOError:
                await _readable(fd)
                continue
            if not chunk:
                raise EOFError
            self.pending += chunk
        return payload

    def _whole(self) -> bytes | None:
        """The first frame's payload once all of it has arrived, taken off ``pending``."""
        if len(self.pending) < LENGTH.size:
            return None
        end = LENGTH.size + LENGTH.unpack_from(self.pending)[0]
        if len(self.pending) < end:
            return None
        payload = bytes(self.pending[LENGTH.size : end])
        del self.pending[:end]
        return payload

    async def _write(self, data: bytes) -> None:
        view, fd = memoryview(data), self.stdin.fileno()
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                await anyio.wait_writable(fd)

    async def ask(self, job: bytes) -> Reply:
        """The worker's answer to ``job``; raises EOFError when the worker died, ValueError
        when what it wrote is not an answer."""
        await self._write(LENGTH.pack(len(job)) + job)
        header, body = split_reply(await self._frame())
        return Reply(header["status"], header.get("kind", ""), body, header.get("message", ""))

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.stdin.close()
        self.stdout.close()

    def death(self) -> str:
        """Why the process ended, in words."""
        code = self.process.wait()
        if code is None:
            return "an end its starter could not report"
        if code < 0:
            return f"signal {-code}"
        return f"exit status {code}"


class Pool:
    """At most ``size`` workers, started when first needed, replaced when they fail."""

    def __init__(
        self,
        store: ox.Store,
        context: dict[str, Any],
        *,
        size: int,
        memory_mib: int,
        allow_service: bool,
        time_limit: float,
        row_limit: int,
        max_answer: int,
    ) -> None:
        self.zygote = Zygote(functools.partial(serve, store))
        self.setup = {
            "context": context,
            "memory": memory_mib * 1024 * 1024,
            "allow_service": allow_service,
            "max_answer": max_answer,
        }
        self.time_limit = time_limit
        self.row_limit = row_limit
        self.size = size
        self.slots = anyio.Semaphore(size)
        self.idle: list[Worker] = []
        self.lock = threading.Lock()
        self.closed = False
        atexit.register(self.close)

    async def run(self, job: Job) -> Reply:
        """The answer to ``job``; raises WorkerError for timeouts, crashes and a busy pool."""
        started = time.monotonic()
        await self._slot()
        try:
            worker = self._idle()
            if worker is None:
                worker = await anyio.to_thread.run_sync(Worker, self.zygote, self.setup)
            try:
                left = max(0.0, started + self.time_limit - time.monotonic())
                async with asyncio.timeout(left):
                    reply = await worker.ask(job.encode(self.row_limit))
            except TimeoutError:
                worker.kill()
                raise WorkerError(
                    503,
                    f"the query ran longer than {self.time_limit:g} s, the limit of this "
                    "endpoint, and was stopped; narrow it, or run it on a downloaded dump",
                ) from None
            except (EOFError, OSError, ValueError):
                worker.kill()
                raise WorkerError(
                    503,
                    f"the query stopped its worker ({worker.death()}): it needed more memory "
                    "than the endpoint allows, or the engine's parser or evaluator failed on it "
                    "(very long or deeply built expressions); narrow it",
                ) from None
            except BaseException:  # the request was cancelled mid-answer: the pipe is unusable
                worker.kill()
                raise
            self._give_back(worker)
            return reply
        finally:
            self.slots.release()

    async def _slot(self) -> None:
        """A free slot, at once when one is (the usual case, without a cancel scope), else
        within the time limit; WorkerError if none frees in time."""
        try:
            self.slots.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(self.time_limit) as waiting:
            await self.slots.acquire()
        if waiting.cancelled_caught:
            raise WorkerError(503, "every query worker stayed busy for the whole time limit")

    def _idle(self) -> Worker | None:
        with self.lock:
            while self.idle:
                worker = self.idle.pop()
                if not worker.process.poll():
                    return worker
                worker.kill()
        return None

    def _give_back(self, worker: Worker) -> None:
        if worker.pending:  # bytes beyond its answer: its pipe can no longer be trusted
            worker.kill()
            return
        with self.lock:
            if not self.closed:
                self.idle.append(worker)
                return
        worker.kill()

    def prestart(self) -> None:
        """Start the workers now rather than on the first queries."""
        started = []
        for _ in range(self.size):
            try:
                started.append(Worker(self.zygote, self.setup))
            except WorkerError:
                break
        with self.lock:
            self.idle.extend(started)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.kill()
        self.zygote.close()
