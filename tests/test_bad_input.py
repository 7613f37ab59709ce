"""Bad data gets one clear error (file, line, record, expected form), exit code 2, and no output.

The cases are in ``cases/bad-input.yaml``; each edits a fresh copy of ``data/`` (see
``broken_copy`` for the keys) and runs ``build`` and ``validate`` on it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialoguekg import sources
from dialoguekg.cli import main
from dialoguekg.errors import SourceDataError

from .conftest import CASES, ROOT

CASE_LIST: list[dict[str, Any]] = yaml.safe_load(
    (CASES / "bad-input.yaml").read_text(encoding="utf-8")
)
IDS = [c["name"] for c in CASE_LIST]
#: Where a case's text holds a long run of one string: "repeat: [text, times]" fills it in.
REPEAT = "<<repeat>>"
#: Seconds any case may take to be refused (an alias bomb or a FIFO would take forever).
QUICK = 20.0


def broken_copy(tmp_path: Path, case: dict[str, Any]) -> Path:
    """A copy of data/ with ``case["file"]`` changed by the case's one action:

    - ``delete: true``; ``replace: [old, new]`` (first occurrence); ``append: text``;
      ``content: text`` (the whole file); each written as UTF-8, or in ``encoding``;
    - ``bytes: text``: the whole file, each character U+0000-U+00FF written as that byte
      (write ``\\xNN`` in a double-quoted YAML string);
    - ``repeat: [text, times]``: ``<<repeat>>`` in the text above stands for text * times;
    - ``symlink: target`` (relative to the link's folder), ``fifo: true``, ``mkdir: true``:
      the file becomes a symlink, a named pipe or a folder (replacing a folder there);
    - ``chmod: mode``: after the change, the file's mode.

    ``outside.yaml``, beside the copy, is a valid file for symlinks to point out of data/ at.
    """
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (tmp_path / "outside.yaml").write_text(
        "- id: outsider\n  name: Outsider\n  source: wikipedia-dialogue\n", encoding="utf-8"
    )
    target = data / case["file"]
    target.parent.mkdir(exist_ok=True)
    if case.get("delete"):
        target.unlink()
        return data
    if "symlink" in case or case.get("fifo") or case.get("mkdir"):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        target.unlink(missing_ok=True)
        if "symlink" in case:
            target.symlink_to(case["symlink"])
        elif case.get("fifo"):
            os.mkfifo(target)
        else:
            target.mkdir()
        return data
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    if "replace" in case:
        old, new = case["replace"]
        assert old in text, f"case {case['name']}: {old!r} not in {case['file']}"
        text = text.replace(old, new, 1)
    elif "append" in case:
        text += case["append"]
    elif "bytes" in case:
        text = case["bytes"]
    elif "content" in case:
        text = case["content"]
    if "repeat" in case:
        repeated, times = case["repeat"]
        text = text.replace(REPEAT, repeated * times)
    encoding = "latin-1" if "bytes" in case else case.get("encoding", "utf-8")
    target.write_bytes(text.encode(encoding))
    if "chmod" in case:
        target.chmod(case["chmod"])
    return data


def skip_if_root_reads_it(case: dict[str, Any]) -> None:
    """Root reads a file whatever its mode, so a case of a file without read permission cannot
    fail as root; ``test_unreadable_file_is_named`` covers that path whoever runs the tests."""
    if "chmod" in case and os.geteuid() == 0:
        pytest.skip("running as root, which may read a file without read permission")


def check_message(case: dict[str, Any], err: str, seconds: float) -> None:
    """One error line, matching the case, no traceback, quickly."""
    errors = [line for line in err.splitlines() if line.startswith("dialoguekg: error:")]
    assert len(errors) == 1, err
    assert re.search(case["message"], errors[0]), err
    assert len(errors[0]) < 1000, f"an unbounded value in the message: {errors[0][:300]}…"
    assert "Traceback" not in err
    assert seconds < QUICK, f"took {seconds:.1f} s"


@pytest.mark.parametrize("case", CASE_LIST, ids=IDS)
def test_bad_input_is_named_and_nothing_is_written(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skip_if_root_reads_it(case)
    data = broken_copy(tmp_path, case)
    out = tmp_path / "dist"
    out.mkdir()
    (out / "SHA256SUMS").write_text("previous build\n")
    started = time.perf_counter()
    code = main(["build", "--data", str(data), "--out", str(out)])
    seconds = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2, err
    check_message(case, err, seconds)
    assert [p.name for p in out.iterdir()] == ["SHA256SUMS"]
    assert (out / "SHA256SUMS").read_text() == "previous build\n"
    assert not list(tmp_path.glob(".dist.*")), "a staging folder was left behind"


@pytest.mark.parametrize("case", CASE_LIST, ids=IDS)
def test_validate_fails_wherever_build_does(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skip_if_root_reads_it(case)
    data = broken_copy(tmp_path, case)
    started = time.perf_counter()
    code = main(["validate", "--data", str(data)])
    seconds = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2, err
    check_message(case, err, seconds)


@pytest.mark.parametrize("case", CASE_LIST, ids=IDS)
def test_pure_python_parser_refuses_alike(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without libyaml the reader falls back on PyYAML's own parser: the same errors."""
    skip_if_root_reads_it(case)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    with pytest.raises(SourceDataError, match=case["message"]):
        sources.load(broken_copy(tmp_path, case))


def summary(data: sources.SourceData) -> list[Any]:
    records = [(r.ref, repr(r.values), str(r.origin), r.lines) for r in data.all()]
    claims = [(c.subject, c.field, repr(c.value), c.source, str(c.origin)) for c in data.claims]
    return [records, claims]


def test_pure_python_parser_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = summary(sources.load(ROOT / "data"))
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    assert summary(sources.load(ROOT / "data")) == fast


def test_parsing_in_two_processes_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large data folder is parsed in two processes: the same records, lines and claims."""
    one = summary(sources.load(ROOT / "data"))
    monkeypatch.setattr(sources, "PARALLEL_FROM", 0)
    assert summary(sources.load(ROOT / "data")) == one


@pytest.mark.parametrize(
    "name", ["malformed-yaml", "duplicate-id", "undefined-person", "alias-bomb-as-a-name"]
)
def test_parsing_in_two_processes_refuses_alike(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first error in file order, whichever process found it."""
    case = next(c for c in CASE_LIST if c["name"] == name)
    monkeypatch.setattr(sources, "PARALLEL_FROM", 0)
    with pytest.raises(SourceDataError, match=case["message"]):
        sources.load(broken_copy(tmp_path, case))


def test_a_duplicate_id_before_a_bad_record_is_the_error_in_either_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An id given twice is reported before a later record's bad field in the same file,
    whether the file was parsed here or in another process."""
    case = next(c for c in CASE_LIST if c["name"] == "duplicate-id")
    bad = {**case, "append": case["append"] + "- id: someone\n  nmae: Some One\n"}
    data = broken_copy(tmp_path, bad)
    messages = []
    for parallel_from in (sources.PARALLEL_FROM, 0):
        monkeypatch.setattr(sources, "PARALLEL_FROM", parallel_from)
        with pytest.raises(SourceDataError, match=case["message"]) as raised:
            sources.load(data)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]


def orphans() -> set[int]:
    """Processes of this process group whose parent has gone (adopted by init)."""
    group = os.getpgid(0)
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                stat = (entry / "stat").read_text()
                state = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
                if int(state[1]) == 1 and int(state[2]) == group:
                    found.add(int(entry.name))
    return found


def test_a_build_refused_leaves_no_process_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build reads in a child process, which parses in two more: an error met while they
    still parse ends them all (they would otherwise wait forever to send their records)."""
    case = next(c for c in CASE_LIST if c["name"] == "duplicate-id")
    monkeypatch.setattr(sources, "PARALLEL_FROM", 0)
    before = orphans()
    code = main(["build", "--data", str(broken_copy(tmp_path, case)), "--out", str(tmp_path / "d")])
    assert code == 2
    assert re.search(case["message"], capsys.readouterr().err)
    assert orphans() - before == set()
    assert not (tmp_path / "d").exists()


def test_library_raises_source_data_error_with_location(tmp_path: Path) -> None:
    data = broken_copy(tmp_path, next(c for c in CASE_LIST if c["name"] == "undefined-person"))
    with pytest.raises(SourceDataError, match=r"memberships\.yaml:6") as info:
        sources.load(data)
    assert info.value.line == 6
    assert info.value.path.name == "memberships.yaml"


def test_missing_data_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", "--data", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nowhere/sources.yaml: file not found" in err


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "persons.yaml").write_bytes(b"- id: x\n  name: \xff\xfe\n")
    with pytest.raises(
        SourceDataError, match=r"persons\.yaml:2: not UTF-8 text: byte 0xFF \(byte offset 16,"
    ) as info:
        sources.load(data)
    assert info.value.line == 2


def test_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the reader may not open (simulated: root may open any file whatever its mode)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("persons.yaml"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(
        SourceDataError, match=r"data/persons\.yaml: cannot be read \(Permission denied\)"
    ):
        sources.load(data)


def minimal(tmp_path: Path, source: str) -> Path:
    """A data folder holding one source record, with ``source`` as its extra lines."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "sources.yaml").write_text(f"- id: s\n  kind: official\n{source}", encoding="utf-8")
    return data


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://EXAMPLE.ORG/",
        "Http://example.org",
        "https://example.org:8080/a/b;c?d=e&f=g#h",
        "https://user@example.org/%F0%9F%8C%8E/",
        "https://zh.wikipedia.org/wiki/中国共产党与世界政党高层对话会",
        "https://[2001:db8::1]/path",
    ],
)
def test_valid_iris_are_accepted(tmp_path: Path, url: str) -> None:
    data = sources.load(minimal(tmp_path, f"  url: {url}\n"))
    assert data.records["sources"][0].values["url"] == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/", "is not a web address"),
        ("https:///path", "has no host name"),
        ('"https://example.org/a b"', r"' ' \(U\+0020\) at character 22 .* its path"),
        ('"https://example.org/?q=<x>"', r"'<' \(U\+003C\) at character 24 .* its query"),
        ('"https://example.org/a#b#c"', r"'#' \(U\+0023\) at character 24 .* its fragment"),
        ('"https://example.org/100%"', r"'%' \(U\+0025\) at character 24"),
        ('"https://exa{mple}.org/"', r"'\{' \(U\+007B\) at character 12 .* its authority"),
    ],
)
def test_invalid_iris_are_refused(tmp_path: Path, url: str, problem: str) -> None:
    at = r"sources\.yaml:3: record 1 \(id s\): url .*"
    with pytest.raises(SourceDataError, match=at + problem):
        sources.load(minimal(tmp_path, f"  url: {url}\n"))


@pytest.mark.parametrize("tag", ["en", "zh-Hans-CN", "fil", "sr-Latn", "de-CH-1996", "x-private"])
def test_language_tags_are_accepted(tmp_path: Path, tag: str) -> None:
    data = sources.load(minimal(tmp_path, f"  url: https://example.org/\n  language: {tag}\n"))
    assert data.records["sources"][0].values["language"] == tag


@pytest.mark.parametrize("tag", ["not a language!!", "e", "en_GB", "zh-", "en--gb", "123"])
def test_language_tags_are_refused(tmp_path: Path, tag: str) -> None:
    with pytest.raises(
        SourceDataError,
        match=r"sources\.yaml:4: record 1 \(id s\): language .* is not a language tag",
    ):
        sources.load(minimal(tmp_path, f"  url: https://example.org/\n  language: {tag}\n"))
