"""Bad data gets one clear error (file, line, record, expected form), exit code 2, and no output."""

from __future__ import annotations

import re
import shutil
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


def broken_copy(tmp_path: Path, case: dict[str, Any]) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    target = data / case["file"]
    target.parent.mkdir(exist_ok=True)
    if case.get("delete"):
        target.unlink()
        return data
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    if "replace" in case:
        old, new = case["replace"]
        assert old in text, f"case {case['name']}: {old!r} not in {case['file']}"
        text = text.replace(old, new, 1)
    elif "append" in case:
        text += case["append"]
    else:
        text = case["content"]
    target.write_text(text, encoding="utf-8")
    return data


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_bad_input_is_named_and_nothing_is_written(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = broken_copy(tmp_path, case)
    out = tmp_path / "dist"
    out.mkdir()
    (out / "SHA256SUMS").write_text("previous build\n")
    code = main(["build", "--data", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(case["message"], err), err
    assert "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["SHA256SUMS"]
    assert (out / "SHA256SUMS").read_text() == "previous build\n"
    assert not list(tmp_path.glob(".dist.*")), "a staging folder was left behind"


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
    with pytest.raises(SourceDataError, match=r"persons\.yaml: not UTF-8 text"):
        sources.load(data)
