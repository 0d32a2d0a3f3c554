"""The secrets view's workflows, end to end with Pilot against a real OpenBao: edit in $EDITOR
(a scripted editor), export → import across mounts (KV v2 and KV v1), the dry run, CAS conflicts
at import, copy / move / rename, .env export, read-only refusals, cancelling a long job, and
what the operator's trail records."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import hvac
import pytest
from textual.widgets import DataTable, Input

from tests.conftest import unique, wait_kv2_ready
from tests.helpers import app_for, screen_ready, wait_for, wait_ready
from vault_tui.screens.modals import MessageScreen, help_rows
from vault_tui.vault import transfer, transfer_moves
from vault_tui.views.secrets import workflows
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.editor import ConflictScreen, StateCheckbox
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.transfer_dialogs import (
    DotenvDialog,
    ExportDialog,
    ImportDialog,
    PlanScreen,
    ProgressScreen,
    TransferDialog,
)
from vault_tui.views.secrets.tree import PathTree

DB = {"user": "app", "password": "s3cr3t-db-VALUE"}
API = {"token": "tok-VALUE-123", "n": 5, "nested": {"a": [1, 2]}}
VALUES = ("s3cr3t-db-VALUE", "tok-VALUE-123", "hunter2")


# -- helpers -----------------------------------------------------------------------------------------
@pytest.fixture
def new_mount(root_client):
    """Fresh KV mounts: ``new_mount("2")`` → its name. Removed afterwards."""
    made: list[str] = []

    def make(version: str) -> str:
        path = unique(f"wf{version}-")
        root_client.sys.enable_secrets_engine("kv", path=path, options={"version": version})
        if version == "2":
            wait_kv2_ready(root_client, path)
        made.append(path)
        return path

    yield make
    for path in made:
        try:
            root_client.sys.disable_secrets_engine(path)
        except Exception:
            pass


def put(client: hvac.Client, mount: str, version: str, path: str, data: dict) -> None:
    if version == "2":
        client.secrets.kv.v2.create_or_update_secret(path, data, mount_point=mount)
    else:
        client.secrets.kv.v1.create_or_update_secret(path, data, mount_point=mount)


def get(client: hvac.Client, mount: str, version: str, path: str) -> dict | None:
    try:
        if version == "2":
            return client.secrets.kv.v2.read_secret_version(path, mount_point=mount, raise_on_deleted_version=True)[
                "data"
            ]["data"]
        return client.secrets.kv.v1.read_secret(path, mount_point=mount)["data"]
    except hvac.exceptions.InvalidPath:
        return None


def paths_on(client: hvac.Client, mount: str, version: str) -> list[str]:
    prefix = f"{mount}/metadata/" if version == "2" else f"{mount}/"
    try:
        body = client.adapter.request("SCAN", f"/v1/{prefix}")
    except hvac.exceptions.InvalidPath:
        return []
    return sorted(k for k in (body.get("data") or {}).get("keys") or [] if not k.endswith("/"))


def cursor_path(tree: PathTree) -> str | None:
    node = tree.cursor_node
    return node.data.full_path if node is not None and node.data is not None else None


def notes(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def opened(pilot, app, full: str) -> tuple[PathTree, SecretDetail]:
    """The browser with ``full`` selected (a secret: read, with its capabilities)."""
    await wait_ready(pilot)
    tree = app.screen.query_one(PathTree)
    detail = app.screen.query_one(SecretDetail)
    await wait_for(pilot, lambda: cursor_path(tree) == full, 60, f"{full} selected")
    if not full.endswith("/"):
        await wait_for(pilot, lambda: detail.secret is not None, 60, "secret loaded")
        await wait_for(pilot, lambda: detail.permissions is not None, 60, "capabilities")
        if detail.is_kv2:
            await wait_for(pilot, lambda: detail.metadata is not None, 60, "metadata")
    return tree, detail


async def go(pilot, app, full: str) -> None:
    screen = app.screen
    assert isinstance(screen, SecretsScreen)
    assert screen.open_path(full)
    tree = screen.query_one(PathTree)
    await wait_for(pilot, lambda: cursor_path(tree) == full, 60, f"{full} selected")
    await pilot.pause()


async def dialog(pilot, app, kind: type):
    await wait_for(pilot, lambda: screen_ready(app, kind), 60, kind.__name__)
    await pilot.pause()
    return app.screen


async def back_to_browser(pilot, app) -> None:
    await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 60, "back in the browser")
    await wait_for(pilot, lambda: not app.screen.flows.running, 60, "workflow finished")


async def click(pilot, selector: str) -> None:
    """Click a button once it can be pressed again (a button ignores clicks for a moment after one)."""
    button = pilot.app.screen.query_one(selector)
    await wait_for(pilot, lambda: not button.has_class("-active"), 30, f"{selector} ready")
    await pilot.click(selector)


def fill(screen, selector: str, value: str) -> None:
    screen.query_one(selector, Input).value = value


def tick(screen, selector: str, value: bool = True) -> None:
    screen.query_one(selector, StateCheckbox).value = value


def plan_rows(screen: PlanScreen) -> list[list[str]]:
    table = screen.query_one("#plan-table", DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def scripted_editor(tmp_path: Path, steps: list[str]) -> tuple[str, Path]:
    """``$VISUAL`` for an editor that, on its Nth run, replaces the file with ``eval(steps[N])``
    (``text`` is what it was given); it records what it saw and the file's name."""
    state = tmp_path / "editor-state.json"
    state.write_text(json.dumps({"run": 0, "seen": [], "names": []}))
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, sys
        path = sys.argv[1]
        state = json.load(open({str(state)!r}))
        text = open(path, encoding="utf-8").read()
        state["seen"].append(text)
        state["names"].append(os.path.basename(path))
        new = eval({steps!r}[state["run"]], {{"text": text, "json": json}})
        state["run"] += 1
        json.dump(state, open({str(state)!r}, "w"))
        open(path, "w", encoding="utf-8").write(new)
        """)
    )
    return shlex.join([sys.executable, str(script)]), state


def no_suspend(monkeypatch, before=None) -> None:
    """The headless driver cannot suspend: run the editor as it would run, minus the hand-over."""

    def run(app, argv):
        if before is not None:
            before()
        return subprocess.run(argv, check=False).returncode

    monkeypatch.setattr(workflows, "run_in_terminal", run)


def trail_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- E: edit in $EDITOR ---------------------------------------------------------------------------
async def test_edit_in_editor_round_trip_and_invalid_json(settings, root_client, kv2_mount, tmp_path, monkeypatch):
    root_client.secrets.kv.v2.create_or_update_secret(
        "app/db", {"user": "app", "password": "hunter2"}, mount_point=kv2_mount
    )
    visual, state = scripted_editor(
        tmp_path,
        [
            "text.replace('\"hunter2\"', '\"half typed')",  # breaks the JSON
            "text.replace('\"half typed', '\"fixed\"')",  # fixes it, seeing the error
        ],
    )
    monkeypatch.setenv("VISUAL", visual)
    no_suspend(monkeypatch)
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full, trail_path=str(tmp_path / "trail.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        _tree, detail = await opened(pilot, app, full)
        await pilot.press("E")
        await wait_for(pilot, lambda: detail.secret is not None and detail.secret.version == 2, 60, "version 2 shown")
        assert not app.screen.writes.drafts  # written: no draft left
    stored = root_client.secrets.kv.v2.read_secret_version("app/db", mount_point=kv2_mount)["data"]
    assert stored["data"] == {"user": "app", "password": "fixed"} and stored["metadata"]["version"] == 2
    seen = json.loads(state.read_text())
    assert seen["run"] == 2 and seen["names"] == ["secret.json", "secret.json"]
    assert "# ERROR: not valid JSON" in seen["seen"][1]
    assert '"half typed' in seen["seen"][1]  # what the user typed is still there
    entries = trail_entries(tmp_path / "trail.jsonl")
    assert [(e["action"], e["target"]) for e in entries] == [("write", full)]


async def test_edit_in_editor_cas_conflict_keeps_the_draft(settings, root_client, kv2_mount, tmp_path, monkeypatch):
    kv = root_client.secrets.kv.v2
    kv.create_or_update_secret("app/api", {"token": "t1"}, mount_point=kv2_mount)
    visual, _state = scripted_editor(tmp_path, ["text.replace('\"t1\"', '\"mine\"')"])
    monkeypatch.setenv("VISUAL", visual)
    # Another write lands while the editor is open.
    no_suspend(
        monkeypatch, before=lambda: kv.create_or_update_secret("app/api", {"token": "theirs"}, mount_point=kv2_mount)
    )
    full = f"{kv2_mount}/app/api"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(120, 40)) as pilot:
        _tree, detail = await opened(pilot, app, full)
        screen = app.screen
        await pilot.press("E")
        conflict = await dialog(pilot, app, ConflictScreen)
        assert conflict.yours == {"token": "mine"} and conflict.theirs == {"token": "theirs"}
        assert screen.writes.drafts.get(f"{kv2_mount}/", "app/api") is not None
        await pilot.press("escape")  # keep as draft
        await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "conflict closed")
        await wait_for(pilot, lambda: detail.has_draft, 30, "draft noted in the pane")
        draft = screen.writes.drafts.get(f"{kv2_mount}/", "app/api")
        assert draft is not None and dict(draft.data) == {"token": "mine"}
    stored = kv.read_secret_version("app/api", mount_point=kv2_mount)["data"]
    assert stored["data"] == {"token": "theirs"}  # nothing overwritten


async def test_edit_in_editor_yaml_and_cancel(settings, root_client, kv2_mount, tmp_path, monkeypatch):
    root_client.secrets.kv.v2.create_or_update_secret("app/y", {"a": "1", "b": "two"}, mount_point=kv2_mount)
    visual, state = scripted_editor(tmp_path, ['text.replace("two", "three")', '""'])
    monkeypatch.setenv("VISUAL", visual)
    no_suspend(monkeypatch)
    full = f"{kv2_mount}/app/y"
    app = app_for(settings, initial_path=full, editor_format="yaml")
    async with app.run_test(size=(120, 40)) as pilot:
        _tree, detail = await opened(pilot, app, full)
        await pilot.press("E")
        await wait_for(pilot, lambda: detail.secret is not None and detail.secret.version == 2, 60, "version 2")
        await wait_for(pilot, lambda: detail.permissions is not None and detail.metadata is not None, 60, "reloaded")
        await pilot.press("E")  # the editor empties the file: cancelled
        await wait_for(pilot, lambda: "nothing written (the file was emptied)" in notes(app), 30, "cancel said")
    seen = json.loads(state.read_text())
    assert seen["names"][0] == "secret.yaml" and "b: two" in seen["seen"][0]
    stored = root_client.secrets.kv.v2.read_secret_version("app/y", mount_point=kv2_mount)["data"]
    assert stored["data"] == {"a": "1", "b": "three"} and stored["metadata"]["version"] == 2


async def test_edit_in_editor_where_the_terminal_cannot_suspend(
    settings, root_client, kv2_mount, tmp_path, monkeypatch
):
    """The headless driver has no suspend: a clear message, nothing run, nothing written."""
    root_client.secrets.kv.v2.create_or_update_secret("app/s", {"k": "v"}, mount_point=kv2_mount)
    visual, state = scripted_editor(tmp_path, ["text.replace('\"v\"', '\"w\"')"])
    monkeypatch.setenv("VISUAL", visual)
    full = f"{kv2_mount}/app/s"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, full)
        await pilot.press("E")
        await wait_for(pilot, lambda: "App.suspend is not supported" in notes(app), 30, "explained")
    assert json.loads(state.read_text())["run"] == 0
    assert (
        root_client.secrets.kv.v2.read_secret_version("app/s", mount_point=kv2_mount)["data"]["metadata"]["version"]
        == 1
    )


# -- X / I: export and import ------------------------------------------------------------------------
async def export_via_ui(pilot, app, folder: str, file: Path, *, metadata: bool = False) -> PlanScreen:
    await go(pilot, app, folder)
    await pilot.press("X")
    form = await dialog(pilot, app, ExportDialog)
    fill(form, "#export-file", str(file))
    if metadata:
        tick(form, "#export-metadata")
    await click(pilot, "#ok")
    return await dialog(pilot, app, PlanScreen)


async def import_via_ui(pilot, app, file: Path, into: str) -> PlanScreen:
    await go(pilot, app, into)
    await pilot.press("I")
    form = await dialog(pilot, app, ImportDialog)
    assert form.query_one("#import-target", Input).value == into
    fill(form, "#import-file", str(file))
    await click(pilot, "#ok")
    return await dialog(pilot, app, PlanScreen)


@pytest.mark.parametrize("version", ["2", "1"])
async def test_export_then_import_into_another_mount_gives_identical_data(
    settings, root_client, new_mount, tmp_path, version
):
    source, target = new_mount(version), new_mount(version)
    put(root_client, source, version, "team/app/db", DB)
    put(root_client, source, version, "team/app/api/key", API)
    put(root_client, source, version, "team/other", {"x": "outside"})
    if version == "2":
        root_client.secrets.kv.v2.update_metadata(
            "team/app/db", mount_point=source, max_versions=7, custom_metadata={"owner": "ops"}
        )
    file = tmp_path / "app.json"
    trail = tmp_path / "trail.jsonl"
    app = app_for(settings, trail_path=str(trail))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        preview = await export_via_ui(pilot, app, f"{source}/team/app/", file, metadata=version == "2")
        rows = plan_rows(preview)
        assert [r[0] for r in rows] == [f"{source}/team/app/api/key", f"{source}/team/app/db"]
        assert "n, nested, token" in rows[0][2] and "password, user" in rows[1][2]
        shown = " ".join(" ".join(r) for r in rows) + str(preview.query_one(".workflow-summary").render())
        assert not any(value in shown for value in VALUES)  # key names only
        assert not file.exists()  # nothing written before the confirmation
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)
        assert file.exists() and mode(file) == 0o600
        document = transfer.load_export(file.read_text())
        assert set(document.secrets) == {"db", "api/key"}

        dry = await import_via_ui(pilot, app, file, f"{target}/")
        assert sorted((r[0], r[1]) for r in plan_rows(dry)) == [("new", f"{target}/api/key"), ("new", f"{target}/db")]
        assert paths_on(root_client, target, version) == []  # the dry run wrote nothing
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{target}/", 30, "the target selected")
    assert get(root_client, target, version, "db") == DB
    assert get(root_client, target, version, "api/key") == API
    if version == "2":
        meta = root_client.secrets.kv.v2.read_secret_metadata("db", mount_point=target)["data"]
        assert meta["max_versions"] == 7 and meta["custom_metadata"] == {"owner": "ops"}
    entries = trail_entries(trail)
    assert [(e["action"], e["target"], e["result"]) for e in entries] == [
        ("export", f"{source}/team/app", "ok"),
        ("import", f"{target}/", "ok"),
    ]
    assert not any(value in trail.read_text() for value in VALUES)


async def test_import_dry_run_then_a_conflict_is_reported_and_not_overwritten(
    settings, root_client, new_mount, tmp_path
):
    target = new_mount("2")
    kv = root_client.secrets.kv.v2
    kv.create_or_update_secret("same", {"a": "1"}, mount_point=target)
    kv.create_or_update_secret("moved", {"a": "old", "gone": "x"}, mount_point=target)
    document = {
        "format": transfer.FORMAT,
        "version": transfer.FORMAT_VERSION,
        "mount": "src/",
        "kind": "kv2",
        "root": "",
        "secrets": {
            "same": {"data": {"a": "1"}},
            "moved": {"data": {"a": "new", "b": "2"}},
            "fresh": {"data": {"k": "v"}},
        },
    }
    file = tmp_path / "in.json"
    file.write_text(json.dumps(document))
    app = app_for(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        dry = await import_via_ui(pilot, app, file, f"{target}/")
        rows = {r[1]: (r[0], r[2]) for r in plan_rows(dry)}
        assert rows == {
            f"{target}/fresh": ("new", "keys: k"),
            f"{target}/moved": ("changed", "+b, -gone, ~a"),
            f"{target}/same": ("unchanged", ""),
        }
        assert "new" not in json.dumps(kv.read_secret_version("moved", mount_point=target)["data"]["data"])
        # someone writes "moved" between the dry run and the confirmation
        await asyncio.to_thread(kv.create_or_update_secret, "moved", {"a": "theirs"}, mount_point=target)
        await click(pilot, "#confirm")
        report = await dialog(pilot, app, MessageScreen)
        text = " ".join(str(w.render()) for w in report.query("Static"))
        assert "1 conflict(s)" in text and f"conflict: {target}/moved" in text
        await pilot.press("escape")
        await back_to_browser(pilot, app)
    assert kv.read_secret_version("moved", mount_point=target)["data"]["data"] == {"a": "theirs"}
    assert kv.read_secret_version("fresh", mount_point=target)["data"]["data"] == {"k": "v"}


async def test_export_cancelled_with_escape_leaves_no_file(settings, root_client, new_mount, tmp_path, monkeypatch):
    source = new_mount("2")
    for index in range(3):
        put(root_client, source, "2", f"s{index}", {"k": f"v{index}"})
    release = threading.Event()
    original = transfer.export_subtree

    def slow_export(gateway, loc, out, **kwargs):
        release.wait(60)
        return original(gateway, loc, out, **kwargs)

    monkeypatch.setattr(transfer, "export_subtree", slow_export)
    file = tmp_path / "never.json"
    app = app_for(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await export_via_ui(pilot, app, f"{source}/", file)
        await click(pilot, "#confirm")
        progress = await dialog(pilot, app, ProgressScreen)
        await pilot.press("escape")
        assert "Stopping" in str(progress.query_one("#progress-note").render())
        release.set()
        await back_to_browser(pilot, app)
        await wait_for(pilot, lambda: "was not written" in notes(app), 30, "said")
    assert not file.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never.json")]  # no temporary file left


# -- y / M: copy, move, rename -----------------------------------------------------------------------
async def test_move_a_folder_across_mounts(settings, root_client, new_mount, tmp_path):
    source, target = new_mount("2"), new_mount("2")
    put(root_client, source, "2", "team/app/db", DB)
    put(root_client, source, "2", "team/app/db", {**DB, "password": "second"})
    put(root_client, source, "2", "team/app/api", API)
    trail = tmp_path / "trail.jsonl"
    app = app_for(settings, trail_path=str(trail))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await go(pilot, app, f"{source}/team/app/")
        await pilot.press("M")
        form = await dialog(pilot, app, TransferDialog)
        fill(form, "#transfer-target", f"{target}/moved/app")
        await click(pilot, "#ok")
        preview = await dialog(pilot, app, PlanScreen)
        rows = plan_rows(preview)
        assert [(r[0], r[1]) for r in rows] == [("api", f"{target}/moved/app/api"), ("db", f"{target}/moved/app/db")]
        summary = str(preview.query_one(".workflow-summary").render())
        assert "History does not follow" in summary
        assert paths_on(root_client, target, "2") == []  # the preview wrote nothing
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{target}/moved/app/", 30, "the result selected")
    assert get(root_client, target, "2", "moved/app/db") == {**DB, "password": "second"}
    assert get(root_client, target, "2", "moved/app/api") == API
    meta = root_client.secrets.kv.v2.read_secret_metadata("moved/app/db", mount_point=target)["data"]
    assert meta["current_version"] == 1  # the newest version only: history does not follow
    assert paths_on(root_client, source, "2") == []  # the sources are gone
    entries = trail_entries(trail)
    assert [(e["action"], e["target"], e["result"]) for e in entries] == [
        ("move", f"{source}/team/app -> {target}/moved/app", "ok")
    ]


async def test_rename_a_secret_with_every_version(settings, root_client, new_mount):
    mount = new_mount("2")
    for n in (1, 2, 3):
        put(root_client, mount, "2", "app/old-name", {"v": str(n)})
    app = app_for(settings, initial_path=f"{mount}/app/old-name")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, f"{mount}/app/old-name")
        await pilot.press("M")
        form = await dialog(pilot, app, TransferDialog)
        same = form.query_one("#transfer-target", Input)
        assert same.value == f"{mount}/app/old-name"
        await click(pilot, "#ok")  # unchanged: refused in the form
        assert "That is where it is now" in form.error_text
        fill(form, "#transfer-target", f"{mount}/app/new-name")
        tick(form, "#transfer-all")
        await click(pilot, "#ok")
        preview = await dialog(pilot, app, PlanScreen)
        assert plan_rows(preview)[0][2] == "3 version(s)"
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{mount}/app/new-name", 30, "renamed secret selected")
        detail = app.screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.secret is not None and detail.path == "app/new-name", 30, "shown")
    meta = root_client.secrets.kv.v2.read_secret_metadata("app/new-name", mount_point=mount)["data"]
    assert meta["current_version"] == 3
    assert [
        root_client.secrets.kv.v2.read_secret_version("app/new-name", version=n, mount_point=mount)["data"]["data"]
        for n in (1, 2, 3)
    ] == [{"v": "1"}, {"v": "2"}, {"v": "3"}]
    assert get(root_client, mount, "2", "app/old-name") is None


async def test_a_rename_keeps_the_search_index_current(settings, root_client, new_mount):
    """A move writes the new path into the mount's index and takes the old one out (no re-scan)."""
    mount = new_mount("2")
    put(root_client, mount, "2", "app/before", {"v": "1"})
    put(root_client, mount, "2", "app/other", {"v": "1"})
    app = app_for(settings, initial_path=f"{mount}/app/before")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, f"{mount}/app/before")
        screen = app.screen
        indexer = screen.finding.indexer
        indexer.wanted([screen.path_tree.mount_named(f"{mount}/")], requested=True)

        def built() -> bool:
            store = indexer.store(f"{mount}/")
            return store is not None and store.indexed and not indexer.running()

        await wait_for(pilot, built, 60, "index built")
        store = indexer.store(f"{mount}/")
        assert "app/before" in store and "app/after" not in store
        await pilot.press("M")
        form = await dialog(pilot, app, TransferDialog)
        fill(form, "#transfer-target", f"{mount}/app/after")
        await click(pilot, "#ok")
        await dialog(pilot, app, PlanScreen)
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)

        def updated() -> bool:
            now = indexer.store(f"{mount}/")  # a re-index may have replaced the store
            return now is not None and "app/after" in now and "app/before" not in now and "app/other" in now

        await wait_for(pilot, updated, 60, "index updated")


async def test_copy_onto_an_existing_secret_needs_overwrite(settings, root_client, new_mount):
    source, target = new_mount("1"), new_mount("2")
    put(root_client, source, "1", "cfg", {"k": "from-v1"})
    put(root_client, target, "2", "cfg", {"k": "there"})
    app = app_for(settings, initial_path=f"{source}/cfg")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, f"{source}/cfg")
        await pilot.press("f5")
        form = await dialog(pilot, app, TransferDialog)
        assert not form.query("#transfer-all")  # KV v1 has no versions
        fill(form, "#transfer-target", f"{target}/")  # a folder: the same name inside it
        await click(pilot, "#ok")
        preview = await dialog(pilot, app, PlanScreen)
        assert plan_rows(preview)[0] == ["(the secret)", f"{target}/cfg", "EXISTS v1 · the data"]
        await click(pilot, "#confirm")
        assert "tick overwrite" in str(preview.query_one(".dialog-error").render())
        assert isinstance(app.screen, PlanScreen)
        tick(preview, "#plan-option")
        await click(pilot, "#confirm")
        await back_to_browser(pilot, app)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{target}/cfg", 30, "the copy selected")
    assert get(root_client, target, "2", "cfg") == {"k": "from-v1"}
    assert get(root_client, source, "1", "cfg") == {"k": "from-v1"}  # a copy keeps the source


# -- $: .env ---------------------------------------------------------------------------------------------
async def test_dotenv_export(settings, root_client, kv2_mount, tmp_path, monkeypatch):
    data = {"DB_USER": "app", "DB_PASS": "s3cr3t-db-VALUE", "bad-key": "x", "PORT": 5432}
    root_client.secrets.kv.v2.create_or_update_secret("app/env", data, mount_point=kv2_mount)
    monkeypatch.chdir(tmp_path)
    full = f"{kv2_mount}/app/env"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, full)
        await pilot.press("dollar_sign")
        form = await dialog(pilot, app, DotenvDialog)
        assert "plain text" in str(form.query_one(".workflow-warning").render())
        assert form.query_one("#dotenv-file", Input).value == ".env"
        await click(pilot, "#ok")
        report = await dialog(pilot, app, MessageScreen)
        text = " ".join(str(w.render()) for w in report.query("Static"))
        assert "not written: bad-key: not a valid environment variable name" in text
        assert "s3cr3t" not in text
        await pilot.press("escape")
        # a second time: the file exists, and the form says so before reading anything
        await pilot.press("dollar_sign")
        form = await dialog(pilot, app, DotenvDialog)
        await click(pilot, "#ok")
        assert "already exists" in form.error_text
    env = tmp_path / ".env"
    assert mode(env) == 0o600
    lines = [line for line in env.read_text().splitlines() if not line.startswith("#")]
    assert lines == ["DB_PASS='s3cr3t-db-VALUE'", "DB_USER='app'", "PORT='5432'"]


# -- read-only -----------------------------------------------------------------------------------------
async def test_read_only_refuses_every_workflow_and_says_why(settings, root_client, kv2_mount):
    root_client.secrets.kv.v2.create_or_update_secret("app/ro", {"k": "v"}, mount_point=kv2_mount)
    full = f"{kv2_mount}/app/ro"
    app = app_for(settings, initial_path=full, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, full)
        screen = app.screen
        for key, label in (
            ("E", "Edit in $EDITOR"),
            ("X", "Export JSON"),
            ("I", "Import JSON"),
            ("f5", "Copy to…"),
            ("M", "Move / rename"),
            ("dollar_sign", "Export .env"),
        ):
            app.clear_notifications()
            await pilot.press(key)
            await wait_for(pilot, lambda: "read-only mode" in notes(app), 30, f"{key} refused")
            assert label in notes(app)
            assert app.screen is screen  # no dialog opened
        for action in workflows.ACTIONS:
            assert screen.check_action(action, ()) is False


async def test_workflow_keys_say_why_when_the_node_does_not_fit(settings, root_client, kv2_mount):
    root_client.secrets.kv.v2.create_or_update_secret("app/x", {"k": "v"}, mount_point=kv2_mount)
    app = app_for(settings, initial_path=f"{kv2_mount}/app/")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, f"{kv2_mount}/app/")
        await pilot.press("E")
        await wait_for(pilot, lambda: "Edit in $EDITOR: select a secret first" in notes(app), 30, "E on a folder")
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: "Export .env: select a secret first" in notes(app), 30, "$ on a folder")
        assert isinstance(app.screen, SecretsScreen)
        keys = {(key, words) for key, words, _id in help_rows(app.screen.active_bindings.values())}
        for row in (("E", "Edit in $EDITOR"), ("X", "Export JSON"), ("I", "Import JSON"), ("f5", "Copy to…")):
            assert row in keys
        assert {("M", "Move / rename"), ("f6", "Move / rename"), ("$", "Export .env")} <= keys


async def test_a_move_stopped_with_escape_deletes_nothing_at_the_source(settings, root_client, new_mount, monkeypatch):
    source, target = new_mount("2"), new_mount("2")
    for name in ("a", "b", "c"):
        put(root_client, source, "2", f"dir/{name}", {"k": name})
    release = threading.Event()
    original = transfer_moves.run_transfer

    def slow_transfer(gateway, plan, **kwargs):
        progress = kwargs["on_progress"]

        def on_progress(done, total):
            release.wait(60)  # the user presses escape while the first path is copied
            progress(done, total)

        return original(gateway, plan, **{**kwargs, "on_progress": on_progress})

    monkeypatch.setattr(transfer_moves, "run_transfer", slow_transfer)
    app = app_for(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await go(pilot, app, f"{source}/dir/")
        await pilot.press("M")
        form = await dialog(pilot, app, TransferDialog)
        fill(form, "#transfer-target", f"{target}/dir")
        await click(pilot, "#ok")
        await dialog(pilot, app, PlanScreen)
        await click(pilot, "#confirm")
        await dialog(pilot, app, ProgressScreen)
        await pilot.press("escape")
        release.set()
        report = await dialog(pilot, app, MessageScreen)
        text = " ".join(str(w.render()) for w in report.query("Static"))
        assert "Stopped after 1 of 3" in text and "Nothing was deleted at the source" in text
    assert paths_on(root_client, source, "2") == ["dir/a", "dir/b", "dir/c"]
    assert paths_on(root_client, target, "2") == ["dir/a"]
