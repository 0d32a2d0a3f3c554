"""$EDITOR round trips with a scripted editor: edits, invalid input shown again, cancel, privacy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vault_tui.views.secrets.external_editor import EditorParseError, edit, editor_command, parse


def scripted_editor(tmp_path: Path, steps: list[str]) -> tuple[list[str], Path]:
    """An editor that, on its Nth run, replaces the document with ``steps[N]`` (Python code that
    gets ``text`` and returns the new text). It records the file's mode and directory mode."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"run": 0, "modes": []}))
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, stat, sys
        path = sys.argv[1]
        state = json.load(open({str(state)!r}))
        steps = {steps!r}
        text = open(path, encoding="utf-8").read()
        state["modes"].append([stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)])
        state.setdefault("seen", []).append(text)
        new = eval(steps[state["run"]], {{"text": text, "json": json}})
        state["run"] += 1
        json.dump(state, open({str(state)!r}, "w"))
        open(path, "w", encoding="utf-8").write(new)
    """)
    )
    return [sys.executable, str(script)], state


def runner(command: list[str]):
    return lambda path: subprocess.run([*command, str(path)], check=False).returncode


def test_json_round_trip_and_private_file(tmp_path):
    command, state = scripted_editor(tmp_path, ['text.replace("hunter2", "changed")'])
    outcome = edit({"user": "app", "password": "hunter2"}, "json", runner(command), where="kv/app/db")
    assert outcome.data == {"user": "app", "password": "changed"}
    info = json.loads(state.read_text())
    assert info["modes"] == [[0o600, 0o700]]
    # the directory is gone afterwards
    leftovers = [p for p in Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp").glob("vault-tui-edit-*")]
    assert not leftovers


def test_invalid_json_reopens_with_the_error_and_keeps_the_text(tmp_path):
    command, state = scripted_editor(
        tmp_path,
        [
            "text.replace('\"hunter2\"', '\"half typed')",  # breaks the JSON
            "text.replace('\"half typed', '\"fixed\"')",
        ],
    )
    outcome = edit({"password": "hunter2"}, "json", runner(command))
    assert outcome.data == {"password": "fixed"} and outcome.attempts == 2
    second = json.loads(state.read_text())["seen"][1]
    assert "# ERROR: not valid JSON" in second and '"half typed' in second  # nothing lost


def test_yaml_and_cancel_paths(tmp_path):
    command, _ = scripted_editor(tmp_path, ['text.replace("a: b", "a: c\\nnew: 1")'])
    assert edit({"a": "b"}, "yaml", runner(command)).data == {"a": "c", "new": 1}
    (tmp_path / "u").mkdir()
    unchanged, _ = scripted_editor(tmp_path / "u", ["text"])
    assert edit({"a": "b"}, "json", runner(unchanged)).data is None
    (tmp_path / "e").mkdir()
    emptied, _ = scripted_editor(tmp_path / "e", ['""'])
    outcome = edit({"a": "b"}, "json", runner(emptied))
    assert outcome.data is None and "emptied" in outcome.reason
    assert edit({"a": "b"}, "json", lambda path: 3).reason.startswith("the editor exited with status 3")


@pytest.mark.parametrize(
    "text, problem",
    [("[1, 2]", "object of keys"), ("{}", "no keys"), ("{1: 2}", "not valid JSON")],
)
def test_parse_refuses_what_is_not_a_secret(text, problem):
    with pytest.raises(EditorParseError, match=problem):
        parse(text, "json")


def test_editor_command_follows_visual_then_editor():
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"EDITOR": "nano -w"}) == ["nano", "-w"]
    assert editor_command({}) == ["vi"]
