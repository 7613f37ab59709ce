"""Work done in a forked child process, its messages sent back pickled through a pipe.

The build reads and builds the graph in a child (``project.prepare_apart``): the memory that
reading and building leave behind (millions of small objects freed among those that live on,
which a process does not give back) goes with the child instead of staying in the parent
through loading, validation and the dumps. A child sees the parent's memory as it was at the
fork, so nothing needs to be sent to it.

The child ends with ``os._exit``, running none of the parent's cleanup nor writing its buffered
output; it dies with the parent (``PR_SET_PDEATHSIG`` on Linux) and with Ctrl-C, quietly. The
parent reads the messages to the end, then reaps the child; interrupted, it kills the child
first. Where ``os.fork`` is not offered or fails, ``start`` returns None and the caller does the
work itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import DialogueKGError

#: What a child's work is given to send a message to the parent (any picklable value).
Send = Callable[[object], None]


@dataclass(frozen=True)
class Note:
    """A figure the child reports as it works (the build's child: how far its document file is
    written), neither a line of progress nor its outcome."""

    value: int


def dispatch(
    message: object, progress: Callable[[str], None], noted: Callable[[int], None]
) -> None:
    """Hand a message other than the outcome to ``progress`` (a line) or ``noted`` (a Note):
    what the parent does with a child's messages, and a caller working itself with its own."""
    if isinstance(message, Note):
        noted(message.value)
    elif isinstance(message, str):
        progress(message)


_PR_SET_PDEATHSIG = 1


class Child:
    """A forked child process doing ``work(send)``: it may send lines of progress (strings),
    and the value ``work`` returns (not a string) is its last message. A child whose work
    raises a DialogueKGError sends it as its last message, for the parent to raise; any other
    exception is printed and ends the child with code 1."""

    def __init__(self, pid: int, pipe: BinaryIO) -> None:
        self.pid = pid
        self.pipe = pipe
        self.status: int | None = None

    def messages(self) -> Iterator[object]:
        """Every message the child sends, as it comes, until it ends (then it is reaped)."""
        try:
            with self.pipe, contextlib.suppress(EOFError, pickle.UnpicklingError):
                while True:
                    yield pickle.load(self.pipe)
        except BaseException:
            self.stop()
            raise
        self._reap()

    def outcome(
        self,
        what: str,
        progress: Callable[[str], None] = lambda line: None,
        noted: Callable[[int], None] = lambda value: None,
    ) -> object:
        """The child's last message that is neither a line of progress (a string) nor a Note,
        once it has ended; the others go to ``progress`` and ``noted`` as they come. Raises the
        DialogueKGError the child sent, or one saying that ``what`` stopped without an answer."""
        last: object = None
        for message in self.messages():
            if isinstance(message, (str, Note)):
                dispatch(message, progress, noted)
            else:
                last = message
        if isinstance(last, DialogueKGError):
            raise last
        if last is None:
            code = os.waitstatus_to_exitcode(self.status or 0)
            raise DialogueKGError(f"{what} stopped without an answer (exit code {code})")
        return last

    def stop(self) -> None:
        """End the child if it still runs, and reap it."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        self.pipe.close()

    def _reap(self) -> None:
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)


def start(work: Callable[[Send], object]) -> Child | None:
    """Fork a child doing ``work``; None where this system cannot fork."""
    if not hasattr(os, "fork"):
        return None
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:  # no memory or process left for a child: the caller works itself
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:
        os.close(reader)
        _child(work, writer, parent)
    os.close(writer)
    return Child(pid, os.fdopen(reader, "rb"))


def _child(work: Callable[[Send], object], pipe: int, parent: int) -> None:
    """In the child of ``parent``: do the work, sending its messages and its outcome; never
    returns."""
    code = 0
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child without a traceback
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        if os.getppid() != parent:  # the parent ended before the death signal was asked for
            os._exit(1)
        with os.fdopen(pipe, "wb") as stream:

            def send(message: object) -> None:
                pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()

            try:
                send(work(send))
            except DialogueKGError as exc:
                send(exc)
    except BrokenPipeError:
        code = 1  # the parent stopped listening: it has ended or given up on us
    except BaseException:
        traceback.print_exc()  # a bug: say where, as the parent cannot
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)
