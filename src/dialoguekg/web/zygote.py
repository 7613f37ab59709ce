"""The process that starts the query workers: a fork of the server holding the loaded store.

The server loads the build's N-Quads into an in-memory pyoxigraph store (about as fast as
pyoxigraph can parse them, with nothing written to disk). A query worker must see that store
without loading it again, so workers are forked from a process that holds it: the zygote, forked
from the server when the first worker is needed, and single-threaded, so that its forks are
safe (a fork copies only the thread that calls it). The pages of the store are shared
copy-on-write between the server, the zygote and every worker: a worker costs only what its
query uses.

The server speaks to the zygote over a Unix socket: ``spawn`` sends the worker's two pipe ends
(``SCM_RIGHTS``) and gets its pid; ``poll`` and ``wait`` get a worker's exit status, since the
zygote is the workers' parent and reaps them. The zygote ends when the server closes the socket
or dies.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import threading
from collections.abc import Callable

#: The largest message either side sends, bytes.
MESSAGE = 64


class ZygoteGone(Exception):
    """The zygote is not there to start or report a worker (it ended, or was never started)."""


def _zygote(sock: socket.socket, run_worker: Callable[[int, int], None]) -> None:
    """The zygote's loop: answer the server's requests until it closes the socket."""
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE, 2)
        except OSError:
            return
        if not message:
            return
        verb, _, argument = message.decode("ascii").partition(" ")
        if verb == "spawn" and len(fds) == 2:
            pid = os.fork()
            if pid == 0:
                sock.close()
                run_worker(*fds)
                os._exit(0)
            for fd in fds:
                os.close(fd)
            answer = str(pid)
        else:
            for fd in fds:
                os.close(fd)
            flags = os.WNOHANG if verb == "poll" else 0
            try:
                done, status = os.waitpid(int(argument), flags)
                # as subprocess gives it: the exit code, or minus the signal's number
                answer = "running" if done == 0 else str(os.waitstatus_to_exitcode(status))
            except (ChildProcessError, ValueError):
                answer = "unknown"
        sock.sendall(answer.encode("ascii"))


class Zygote:
    """The server's side of a zygote; forked at the first ``spawn``, ended by ``close``."""

    def __init__(self, run_worker: Callable[[int, int], None]) -> None:
        #: What a forked worker runs, given its stdin and stdout; it never returns normally.
        self.run_worker = run_worker
        self.sock: socket.socket | None = None
        self.pid = 0
        self.lock = threading.Lock()
        self.closed = False

    def _start(self) -> socket.socket:
        """Fork the zygote (under the lock): it keeps only the socket and the standard streams."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                gc.freeze()  # never finalise the server's objects here: their fds are closed
                keep = theirs.fileno()
                os.closerange(3, keep)
                os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
                for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(number, signal.SIG_DFL)
                _zygote(theirs, self.run_worker)
            finally:
                os._exit(0)
        theirs.close()
        self.sock, self.pid = ours, pid
        return ours

    def ask(self, message: str, fds: list[int] | None = None) -> tuple[str, int]:
        """The zygote's answer to ``message``, and the zygote's pid."""
        with self.lock:
            if self.closed:
                raise ZygoteGone("the query pool is closed")
            sock = self.sock or self._start()
            try:
                socket.send_fds(sock, [message.encode("ascii")], fds or [])
                answer = sock.recv(MESSAGE)
            except OSError as exc:
                self._lost()
                raise ZygoteGone(f"the worker starter failed ({exc})") from exc
            if not answer:
                self._lost()
                raise ZygoteGone("the worker starter ended")
            return answer.decode("ascii"), self.pid

    def spawn(self, stdin: int, stdout: int) -> Child:
        """A new worker reading ``stdin`` and writing ``stdout`` (both fds stay the caller's
        to close)."""
        answer, zygote = self.ask("spawn", [stdin, stdout])
        return Child(self, zygote, int(answer))

    def _lost(self) -> None:
        """Forget a zygote that failed (under the lock): reap it; the next ``ask`` forks anew."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)

    def alive(self, pid: int) -> bool:
        """Whether the zygote ``pid`` still runs (and so has reaped none of its workers
        unasked); one found dead is reaped, and the next ``spawn`` forks another."""
        with self.lock:
            if self.sock is None or self.pid != pid:
                return False
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    return True
            except ChildProcessError:
                pass
            self.sock.close()  # dead and now reaped
            self.sock = None
            return False

    def close(self) -> None:
        """End the zygote (its workers end when their pipes close)."""
        with self.lock:
            self.closed = True
            sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)


class Child:
    """A worker process forked by the zygote, with the parts of ``subprocess.Popen`` the pool
    uses: ``pid``, ``poll``, ``wait``, ``kill``. ``returncode`` is None while it runs, and stays
    None if it ended with a zygote that could no longer report it (``ended``)."""

    def __init__(self, zygote: Zygote, zygote_pid: int, pid: int) -> None:
        self.zygote = zygote
        self.zygote_pid = zygote_pid
        self.pid = pid
        self.returncode: int | None = None
        self.ended = False

    def _status(self, verb: str) -> None:
        if self.ended:
            return
        answer = "unknown"  # if its zygote died: another would not know it
        if self.zygote.alive(self.zygote_pid):
            with contextlib.suppress(ZygoteGone):
                answer = self.zygote.ask(f"{verb} {self.pid}")[0]
        if answer != "running":
            self.ended = True
            self.returncode = None if answer == "unknown" else int(answer)

    def poll(self) -> bool:
        """Whether the process has ended."""
        self._status("poll")
        return self.ended

    def wait(self) -> int | None:
        """Its exit code (minus the signal's number if a signal ended it), once it has ended;
        None if that could not be known."""
        self._status("wait")
        return self.returncode

    def kill(self) -> None:
        """SIGKILL, unless it has been reaped (its pid may then be another process's): a
        worker whose zygote is gone ends instead when its pipes close."""
        if not self.ended and self.zygote.alive(self.zygote_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
