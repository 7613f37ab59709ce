"""Work in a forked child process (``apart``): its messages, its errors, its end."""

from __future__ import annotations

import os
import signal
import time

import pytest

from dialoguekg import apart
from dialoguekg.errors import DialogueKGError, SourceDataError


def test_a_child_sends_its_progress_then_its_outcome() -> None:
    def work(send: apart.Send) -> object:
        send("one")
        send("two")
        return {"pid": os.getpid(), "big": b"x" * 3_000_000}  # more than a pipe holds

    child = apart.start(work)
    assert child is not None
    lines: list[str] = []
    outcome = child.outcome("the work", lines.append)
    assert lines == ["one", "two"]
    assert isinstance(outcome, dict)
    assert outcome["pid"] == child.pid != os.getpid()
    assert outcome["big"] == b"x" * 3_000_000
    assert child.status == 0  # reaped


def test_a_childs_notes_go_to_their_handler_between_its_lines() -> None:
    """A Note (how far the build's child has written its document) is neither a line nor the
    outcome: the parent hands each to ``noted`` as it comes, in order with the lines."""

    def work(send: apart.Send) -> object:
        send("one")
        send(apart.Note(3))
        send(apart.Note(7))
        send("two")
        return ("done",)

    child = apart.start(work)
    assert child is not None
    seen: list[object] = []
    assert child.outcome("the work", seen.append, seen.append) == ("done",)
    assert seen == ["one", 3, 7, "two"]


def test_a_childs_error_is_raised_here_with_its_location() -> None:
    def work(send: apart.Send) -> object:
        raise SourceDataError("data/persons.yaml", "duplicate id x", line=7, expected="one")

    child = apart.start(work)
    assert child is not None
    with pytest.raises(SourceDataError, match=r"^data/persons.yaml:7: duplicate id x") as info:
        child.outcome("reading")
    assert info.value.line == 7


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    def work(send: apart.Send) -> object:
        send("started")
        os.kill(os.getpid(), signal.SIGKILL)
        return None

    child = apart.start(work)
    assert child is not None
    stopped = r"^reading stopped without an answer \(exit code -9\)"
    with pytest.raises(DialogueKGError, match=stopped):
        child.outcome("reading")


def test_a_child_stopped_is_ended_and_reaped() -> None:
    def work(send: apart.Send) -> object:
        time.sleep(60)
        return None

    started = time.monotonic()
    child = apart.start(work)
    assert child is not None
    child.stop()
    assert time.monotonic() - started < 30  # ended, not waited for
    assert child.status is not None and os.waitstatus_to_exitcode(child.status) == -9
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # no process left behind
