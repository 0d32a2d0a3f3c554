"""The workflows' pure parts and the masking of typed values: no server.

* workflow_model: refusals, file names, places typed by the user, progress and cancel, what the
  previews and reports say (key names, never values);
* masking: a masked field looks the same whatever the value's length; the editor's raw JSON shows
  its values masked until ctrl+r;
* the ``editor_format`` setting."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import TextArea

from vault_tui.config import AppConfig
from vault_tui.profiles import ConfigError, parse_profiles
from vault_tui.vault import envfile, transfer, transfer_import, transfer_moves
from vault_tui.vault.errors import BadPath
from vault_tui.vault.models import EngineKind, Mount, VersionState
from vault_tui.views.secrets import workflow_model as model
from vault_tui.views.secrets.editor import SecretEditorScreen
from vault_tui.views.secrets.masking import MASK, MaskedInput, masked_json

KV2 = Mount(path="secret/", type="kv", options={"version": "2"})
KV1 = Mount(path="legacy/", type="kv", options={"version": "1"})
PKI = Mount(path="pki/", type="pki")
MOUNTS = (KV2, KV1, PKI)


# -- refusals and places ------------------------------------------------------------------------------
def test_refusals():
    assert model.refusal("export_subtree", "folder", KV2, read_only=True) == model.READ_ONLY_REASON
    assert model.refusal("export_subtree", "folder", KV2, read_only=False) is None
    assert model.refusal("export_subtree", "mount", KV1, read_only=False) is None
    assert model.refusal("edit_external", "folder", KV2, read_only=False) == "select a secret first"
    assert model.refusal("export_dotenv", "mount", KV2, read_only=False) == "select a secret first"
    assert model.refusal("move_secrets", "mount", KV2, read_only=False) == "select a secret or a folder to move first"
    assert model.refusal("copy_secrets", "secret", PKI, read_only=False) == "pki/ is not a KV mount"
    assert model.refusal("import_subtree", None, None, read_only=False) == "select the KV folder to import into first"
    for action in model.ACTIONS:
        assert model.refusal(action, "secret", KV2, read_only=True) == model.READ_ONLY_REASON


def test_targets_file_names_and_places():
    target = model.Target(KV2, "team/app/db", "secret")
    assert target.display == "secret/team/app/db" and target.folder == "team/app/"
    assert target.location == transfer.KvLocation("secret/", EngineKind.KV2, "team/app/db")
    assert model.Target(KV1, "qa/", "folder").location == transfer.KvLocation("legacy/", EngineKind.KV1, "qa")
    assert model.default_file_name(model.Target(KV2, "team/[x] app/", "folder")) == "secret-team-x-app.json"
    assert model.default_file_name(model.Target(KV2, "", "mount"), ".env") == "secret.env"
    with pytest.raises(ValueError, match="type a file name"):
        model.file_path("  ")
    assert model.file_path("~/x.json") == Path("~/x.json").expanduser()
    assert model.parse_place("secret/team/app", MOUNTS, folder=True) == (KV2, "team/app/")
    assert model.parse_place("secret/data/team/app/", MOUNTS, folder=True) == (KV2, "team/app/")
    assert model.parse_place("legacy/", MOUNTS, folder=True) == (KV1, "")
    assert model.parse_place("secret/team/", MOUNTS, folder=False, name="db") == (KV2, "team/db")
    assert model.parse_place("secret/team/db2", MOUNTS, folder=False, name="db") == (KV2, "team/db2")
    with pytest.raises(BadPath, match="not a KV mount"):
        model.parse_place("pki/x", MOUNTS, folder=True)
    with pytest.raises(BadPath):
        model.parse_place("nowhere/x", MOUNTS, folder=True)
    with pytest.raises(BadPath):
        model.parse_place("secret/a/../b", MOUNTS, folder=False)
    loc = transfer.KvLocation("secret/", EngineKind.KV2, "team/app")
    assert model.tree_path(loc, is_secret=False) == "team/app/"
    assert model.tree_path(loc, is_secret=True) == "team/app"
    assert model.tree_path(transfer.KvLocation("secret/", EngineKind.KV2, ""), is_secret=False) == ""


# -- progress and cancel --------------------------------------------------------------------------------
def test_progress_and_cancel():
    progress = model.JobProgress()
    progress.tick(2, 5)
    assert (progress.done, progress.total, progress.fraction) == (2, 5, 0.4)
    progress.cancel.set()
    with pytest.raises(model.Cancelled, match="cancelled after 3 of 5"):
        progress.tick(3, 5)
    assert progress.done == 3


def test_progress_file_counts_secrets_and_stops_when_cancelled():
    progress = model.JobProgress(2)
    out = io.StringIO()
    handle = model.ProgressFile(out, progress)
    loc = transfer.KvLocation("secret/", EngineKind.KV2, "app")
    secrets = [transfer.ExportedSecret("a", {"k": "v"}), transfer.ExportedSecret("b", {"k": "w"})]
    assert transfer.write_export(handle, loc, secrets) == 2  # type: ignore[arg-type]
    assert progress.done == 2
    assert set(transfer.load_export(out.getvalue()).secrets) == {"a", "b"}
    stopped = model.JobProgress(2)
    stopped.cancel.set()
    with pytest.raises(model.Cancelled):
        transfer.write_export(model.ProgressFile(io.StringIO(), stopped), loc, secrets)  # type: ignore[arg-type]


# -- previews and reports: key names, never values ------------------------------------------------------
def test_previews_and_reports_name_keys_never_values():
    loc = transfer.KvLocation("secret/", EngineKind.KV2, "team")
    preview = transfer.ExportPreview(
        loc,
        (
            transfer.PreviewItem("db", ("password", "user"), 3, VersionState.LIVE),
            transfer.PreviewItem("old", (), 2, VersionState.DELETED),
        ),
        metadata=True,
        keys_read=True,
    )
    assert model.export_rows(preview) == [
        ("secret/team/db", "v3", "password, user"),
        ("secret/team/old", "v2", "skipped: its newest version is deleted"),
    ]
    summary = model.export_summary(preview, Path("out.json"))
    assert "1 secret(s) from secret/team go to out.json" in summary and "mode 0600" in summary
    assert "1 secret(s) are skipped" in summary and "metadata" in summary

    plan = transfer_import.ImportPlan(
        transfer.KvLocation("copy/", EngineKind.KV2, "team"),
        (
            transfer_import.PlanItem("a", "team/a", transfer_import.Change.NEW, 0, ("k1", "k2"), data={"k1": "SECRET"}),
            transfer_import.PlanItem(
                "b", "team/b", transfer_import.Change.CHANGED, 4, ("n",), ("o",), ("c",), True, data={"n": "X"}
            ),
            transfer_import.PlanItem("c", "team/c", transfer_import.Change.UNCHANGED, 1),
        ),
    )
    rows = model.import_rows(plan)
    assert rows == [
        ("new", "copy/team/a", "keys: k1, k2"),
        ("changed", "copy/team/b", "+n, -o, ~c; metadata"),
        ("unchanged", "copy/team/c", ""),
    ]
    summary = model.import_summary(plan, Path("in.json"))
    assert "1 new, 1 changed, 1 unchanged" in summary and "writes 2 path(s) with check-and-set" in summary
    assert "SECRET" not in repr(rows) + summary

    result = transfer_import.ApplyResult(
        (
            transfer_import.PathOutcome("a", "team/a", transfer_import.Outcome.WRITTEN, 1),
            transfer_import.PathOutcome(
                "b", "team/b", transfer_import.Outcome.CONFLICT, message=transfer_import.CONFLICT_MESSAGE
            ),
        )
    )
    report = model.apply_report(result, plan.target)
    assert "1 written" in report and "1 conflict(s)" in report and "conflict: copy/team/b: it changed" in report

    names = [f"k{i}" for i in range(9)]
    assert model.name_list(names) == "k0, k1, k2, k3, k4, k5 +3 more"


def test_transfer_rows_and_dotenv_report():
    plan = transfer_moves.TransferPlan(
        transfer.KvLocation("secret/", EngineKind.KV2, "app"),
        transfer.KvLocation("copy/", EngineKind.KV2, "app2"),
        (
            transfer_moves.TransferItem("", "app", "app2", True, 4, 7),
            transfer_moves.TransferItem("x", "app/x", "app2/x", False, versions=(1, 2, 3)),
            transfer_moves.TransferItem("y", "app/y", "app2/y", False, source_state=VersionState.DESTROYED),
        ),
        move=True,
        notes=("history does not follow: only the newest version of each secret is copied",),
    )
    assert model.transfer_rows(plan) == [
        ("(the secret)", "copy/app2", "EXISTS v4 · newest version"),
        ("x", "copy/app2/x", "3 version(s)"),
        ("y", "copy/app2/y", "skipped: newest version destroyed"),
    ]
    assert model.is_secret_transfer(plan)
    summary = model.transfer_summary(plan)
    assert summary.startswith("Move 3 secret(s) from secret/app to copy/app2.")
    assert "History does not follow" in summary
    dotenv = envfile.DotenvResult("A='1'\n", ("A",), (("b-c", "not a valid name"),), (("A", "multi-line"),))
    report = model.dotenv_report(dotenv, Path(".env"))
    assert report.splitlines() == [
        "Wrote 1 key(s) to .env (mode 0600): A.",
        "not written: b-c: not a valid name",
        "note: A: multi-line",
    ]


# -- masking ----------------------------------------------------------------------------------------
class MaskedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MaskedInput("abc", password=True, id="short")
        yield MaskedInput("a much longer secret value", password=True, id="long")
        yield MaskedInput("", password=True, id="empty", placeholder="value")
        yield MaskedInput("visible", password=False, id="plain")


async def test_a_masked_field_does_not_show_the_length():
    app = MaskedApp()
    async with app.run_test(size=(60, 12)) as pilot:
        short, long = app.query_one("#short", MaskedInput), app.query_one("#long", MaskedInput)
        for widget in (short, long):
            widget.cursor_blink = False
        await pilot.pause()
        assert short.render_line(0).text.strip() == long.render_line(0).text.strip() == MASK
        assert short.content_width == long.content_width == len(MASK) + 1
        long.focus()
        await pilot.press("end", "x")
        assert long.value.endswith("x") and long.render_line(0).text.strip() == MASK
        assert app.query_one("#empty", MaskedInput).render_line(0).text.strip() == "value"
        assert app.query_one("#plain", MaskedInput).render_line(0).text.strip() == "visible"
        long.password = False
        await pilot.pause()
        assert long.render_line(0).text.strip().startswith("a much longer")


def test_masked_json():
    text = masked_json('{"user": "alice", "nested": {"deep": [1, 2]}, "[red]k": "v"}').plain
    assert '"user"' in text and '"[red]k"' in text and "alice" not in text and "deep" not in text
    assert text.count(MASK) == 3
    assert "does not parse" in masked_json('{"broken": ').plain


class EditorApp(App[None]):
    def __init__(self, data: dict) -> None:
        super().__init__()
        self.data = data

    def on_mount(self) -> None:
        self.push_screen(SecretEditorScreen("Edit secret/app", self.data, path="app"))


async def test_the_editor_masks_raw_json_until_revealed():
    app = EditorApp({"password": "hunter2", "ports": [5432]})  # nested: the editor opens in raw JSON
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen) and editor.mode == "json" and editor.masked
        area = editor.query_one("#editor-json", TextArea)
        masked = editor.query_one("#editor-masked-json")
        assert not area.display or not area.is_on_screen
        shown = str(masked.render())
        assert "hunter2" not in shown and "5432" not in shown and '"password"' in shown
        assert editor.focused is not None and editor.focused.id == "editor-cancel"  # enter must not save
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not editor.masked and editor.focused is area and "hunter2" in area.text
        await pilot.press("ctrl+r")  # masked again: the text area is hidden, the focus leaves it
        await pilot.pause()
        assert editor.masked and editor.focused is not area
        assert "hunter2" not in str(editor.query_one("#editor-masked-json").render())


# -- the editor_format setting ---------------------------------------------------------------------------
def test_editor_format_setting(tmp_path):
    config = parse_profiles('[settings]\neditor_format = "YAML"\n', tmp_path / "c.toml")
    assert config.apply_settings(AppConfig()).editor_format == "yaml"
    assert AppConfig().editor_format == "json"
    with pytest.raises(ConfigError, match='editor_format must be "json" or "yaml"'):
        parse_profiles('[settings]\neditor_format = "toml"\n', tmp_path / "c.toml")
