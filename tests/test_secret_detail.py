"""The secret-version pane and every KV write action, driven with Pilot against a real OpenBao.

The pane reads and renders; the secrets screen owns the dialogs and the writes: these tests drive
both together, in the real app."""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import DataTable, Static, TabbedContent, TextArea

from tests.conftest import unique
from vault_tui.app import VaultApp
from vault_tui.config import AppConfig
from vault_tui.screens.modals import ConfirmScreen, TypedConfirmScreen
from vault_tui.vault import kv
from vault_tui.vault.errors import NotFound
from vault_tui.vault.models import Mount
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.editor import (
    ConflictScreen,
    KeyValueRows,
    MetadataEditorScreen,
    SecretEditorScreen,
    parse_json_object,
    to_json_text,
)
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.tree import PathTree

MASK = "••••••••"


class DetailApp(VaultApp):
    """The real app (worker, config, the secrets view), with a clipboard that records."""

    def __init__(self, config: AppConfig) -> None:
        super().__init__(config, tick=False)
        self.copied: list[tuple[str, str]] = []

    def copy_secret(self, text: str, label: str = "value") -> None:  # no real clipboard in tests
        self.copied.append((text, label))


def kv2(mount: str) -> Mount:
    return Mount(path=mount + "/", type="kv", options={"version": "2"})


def kv1(mount: str) -> Mount:
    return Mount(path=mount + "/", type="kv", options={"version": "1"})


async def settle(pilot, app, rounds: int = 4) -> None:
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, condition, what: str = "condition") -> None:
    for _ in range(1500):  # 30 s, for a busy machine
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


def cells(table: DataTable, column: str) -> dict[str, str]:
    return {row.value: table.get_cell(row, column).plain for row in table.rows}


@pytest.fixture
def make(settings):
    def build(read_only: bool = False) -> DetailApp:
        return DetailApp(AppConfig(connection=settings, read_only=read_only))

    return build


async def start(pilot, app) -> SecretDetail:
    await until(
        pilot,
        lambda: app.session.ready and isinstance(app.screen, SecretsScreen) and app.screen.query("#data-table"),
        "session ready",
    )
    await until(pilot, lambda: app.screen.query_one(PathTree).mounts, "mounts listed")
    await settle(pilot, app)
    return app.screen.query_one(SecretDetail)


async def show(pilot, app, detail: SecretDetail, mount: Mount, path: str) -> None:
    """Open the secret as "go to path" does: the tree selects it, the pane shows it."""
    assert app.screen.open_path(mount.path + path)
    await until(pilot, lambda: detail.path == path and (detail.secret is not None or detail.errors), "secret loaded")
    await settle(pilot, app)
    detail.query_one("#data-table").focus()  # into the pane, as enter on the tree does
    await pilot.pause()


def drafts(app):
    return app.screen.writes.drafts


def seed(root_client, mount: str, path: str, *versions: dict) -> None:
    for data in versions:
        root_client.secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point=mount)


# -- reading -----------------------------------------------------------------------------------


async def test_kv2_metadata_versions_data_masking_copy_json(make, root_client, kv2_mount):
    path = unique("team/app/")
    seed(root_client, kv2_mount, path, {"user": "u1"}, {"user": "u2"}, {"user": "u3", "password": "hunter2"})
    root_client.secrets.kv.v2.update_metadata(
        path=path, mount_point=kv2_mount, max_versions=9, custom_metadata={"owner": "ops"}
    )
    root_client.secrets.kv.v2.delete_secret_versions(path=path, versions=[2], mount_point=kv2_mount)
    root_client.secrets.kv.v2.destroy_secret_versions(path=path, versions=[1], mount_point=kv2_mount)
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        header = detail.header_plain
        assert path in header and "version 3 of 3" in header and "live" in header

        data = detail.query_one("#data-table", DataTable)
        assert cells(data, "key") == {"user": "user", "password": "password"}
        assert set(cells(data, "value").values()) == {MASK}  # masked by default
        data.focus()
        data.move_cursor(row=list(cells(data, "key")).index("password"))
        await pilot.press("v")
        assert cells(data, "value") == {"user": MASK, "password": "hunter2"}
        await pilot.press("v")
        assert cells(data, "value")["password"] == MASK
        await pilot.press("V")
        assert cells(data, "value") == {"user": "u3", "password": "hunter2"}
        await pilot.press("c")
        assert app.copied[-1][0] == "hunter2"

        # JSON view follows reveal-all, and is masked otherwise
        await pilot.press("5")
        json_view = detail.query_one("#json-view", Static).render().plain
        assert '"password": "hunter2"' in json_view
        await pilot.press("V")
        json_view = detail.query_one("#json-view", Static).render().plain
        assert "hunter2" not in json_view and MASK in json_view
        await pilot.press("C")
        assert '"password": "hunter2"' in app.copied[-1][0]

        # versions: live / deleted (with its time) / destroyed
        await pilot.press("2")
        versions = detail.query_one("#versions-table", DataTable)
        states = cells(versions, "state")
        assert states == {"3": "live", "2": "deleted", "1": "destroyed"}
        assert cells(versions, "deleted")["2"] != "—" and cells(versions, "deleted")["3"] == "—"

        # metadata
        await pilot.press("3")
        meta = cells(detail.query_one("#metadata-table", DataTable), "value")
        assert meta["field:current_version"] == "3"
        assert meta["field:oldest_version"] in ("0", "1")
        assert meta["field:max_versions"].startswith("9")
        assert meta["field:cas_required"] == "false"
        assert meta["field:delete_version_after"] == "0s"
        assert meta["custom:owner"] == "ops"
        assert "UTC" in meta["field:created_time"] and "UTC" in meta["field:updated_time"]


async def test_old_versions_and_diff(make, root_client, kv2_mount):
    path = unique("diff/")
    seed(
        root_client,
        kv2_mount,
        path,
        {"a": "1", "b": "old", "gone": "x"},
        {"a": "1", "b": "new", "added": "y"},
        {"a": "2"},
    )
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        # open version 1 from the Versions tab with enter
        await pilot.press("2")
        versions = detail.query_one("#versions-table", DataTable)
        versions.move_cursor(row=2)  # v1 (newest first)
        await pilot.press("enter")
        await settle(pilot, app)
        assert detail.secret.version == 1
        assert cells(detail.query_one("#data-table", DataTable), "key") == {"a": "a", "b": "b", "gone": "gone"}
        assert "(older)" in detail.header_plain
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert detail.secret.version == 2

        # mark v1 and v2, diff them
        await pilot.press("2")
        versions.move_cursor(row=2)
        await pilot.press("space")
        versions.move_cursor(row=1)
        await pilot.press("space")
        assert detail.marked == {1, 2}
        await pilot.press("f")
        await settle(pilot, app)
        assert detail.query_one("#detail-tabs", TabbedContent).active == "tab-diff"
        diff = detail.query_one("#diff-table", DataTable)
        assert cells(diff, "change") == {"b": "~", "gone": "-", "added": "+"}
        assert set(cells(diff, "old").values()) <= {MASK, "—"} and set(cells(diff, "new").values()) <= {MASK, "—"}
        title = detail.query_one("#diff-title", Static).render().plain
        assert "v1 → v2" in title and "+1 added" in title and "-1 removed" in title and "~1 changed" in title
        diff.focus()
        diff.move_cursor(row=list(cells(diff, "key")).index("b"))
        await pilot.press("v")
        assert cells(diff, "old")["b"] == "old" and cells(diff, "new")["b"] == "new"
        assert cells(diff, "new")["added"] == MASK  # others stay masked

        # with nothing marked, f compares the shown version with the previous one
        detail.marked.clear()
        detail.open_version(3)
        await settle(pilot, app)
        await pilot.press("f")
        await settle(pilot, app)
        assert "v2 → v3" in detail.query_one("#diff-title", Static).render().plain


async def test_kv1_masked_copy_and_compare_before_write(make, root_client, kv1_mount):
    path = unique("legacy")
    root_client.secrets.kv.v1.create_or_update_secret(path=path, secret={"api": "k-1"}, mount_point=kv1_mount)
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv1(kv1_mount), path)
        data = detail.query_one("#data-table", DataTable)
        assert cells(data, "value") == {"api": MASK}
        data.focus()
        await pilot.press("c")
        assert app.copied[-1][0] == "k-1"
        tabs = detail.query_one("#detail-tabs", TabbedContent)
        assert not tabs.get_tab("tab-versions").display  # no versions on KV v1
        assert detail.check_action("rollback", ()) is False

        # edit: someone else writes meanwhile -> conflict, nothing lost
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        editor.query(".kv-value").first().value = "mine"
        root_client.secrets.kv.v1.create_or_update_secret(path=path, secret={"api": "theirs"}, mount_point=kv1_mount)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "conflict screen")
        conflict = app.screen
        assert conflict.theirs == {"api": "theirs"} and conflict.yours == {"api": "mine"}
        await pilot.press("o")  # write mine over theirs
        await settle(pilot, app)
        await until(
            pilot,
            lambda: root_client.secrets.kv.v1.read_secret(path, mount_point=kv1_mount)["data"] == {"api": "mine"},
            "kv1 write",
        )

        # patch one key on KV v1 (merged client-side, compare-before-write)
        await until(
            pilot, lambda: detail.secret is not None and dict(detail.secret.data) == {"api": "mine"}, "reloaded"
        )
        detail.query_one("#data-table").focus()
        await pilot.press("p")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        editor.query(".kv-key").first().value = "added"
        editor.query(".kv-value").first().value = "new"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await until(
            pilot,
            lambda: (
                root_client.secrets.kv.v1.read_secret(path, mount_point=kv1_mount)["data"]
                == {"api": "mine", "added": "new"}
            ),
            "kv1 patch",
        )


# -- writing -----------------------------------------------------------------------------------


async def test_create_secret_with_rows_and_json(make, root_client, kv2_mount):
    app = make()
    seen: list = []
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        detail = await start(pilot, app)
        screen = app.screen
        screen.new_secret(kv2(kv2_mount), "team/")
        await until(pilot, lambda: isinstance(app.screen, SecretEditorScreen) and app.screen.is_mounted, "form")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        editor.query_one("#editor-path").value = "team/new-one"
        rows = editor.query_one(KeyValueRows)
        row_key = editor.query(".kv-key").first()
        row_key.value = "user"
        editor.query(".kv-value").first().value = "alice"
        await pilot.press("ctrl+n")
        await pilot.pause()
        editor.query(".kv-key").last().value = "pw"
        editor.query(".kv-value").last().value = "s3cret"
        assert rows.pairs() == [("user", "alice"), ("pw", "s3cret")]
        # switch to raw JSON and add a nested value there
        await pilot.press("f2")
        await pilot.pause()
        area = editor.query_one("#editor-json", TextArea)
        assert parse_json_object(area.text) == {"user": "alice", "pw": "s3cret"}
        area.text = '{"user": "alice", "pw": "s3cret", "ports": [1, 2]}'
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        stored = root_client.secrets.kv.v2.read_secret_version(
            path="team/new-one", mount_point=kv2_mount, raise_on_deleted_version=False
        )
        assert stored["data"]["data"] == {"user": "alice", "pw": "s3cret", "ports": [1, 2]}
        tree = screen.query_one(PathTree)
        await until(pilot, lambda: detail.path == "team/new-one" and detail.secret is not None, "shows new secret")
        assert tree.cursor_node.data.full_path == f"{kv2_mount}/team/new-one"  # selected in the tree
        assert not isinstance(app.screen, SecretEditorScreen)  # the form closed once written

        # creating it again is a conflict (cas=0), and the user's text is kept
        screen.new_secret(kv2(kv2_mount), "team/")
        await until(pilot, lambda: isinstance(app.screen, SecretEditorScreen) and app.screen.is_mounted, "form")
        editor = app.screen
        editor.query_one("#editor-path").value = "team/new-one"
        editor.query(".kv-key").first().value = "other"
        editor.query(".kv-value").first().value = "value"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "conflict on create")
        assert app.screen.yours == {"other": "value"}
        await pilot.press("escape")  # keep as draft
        await pilot.pause()
        assert drafts(app).get(kv2_mount + "/", "team/new-one").data == {"other": "value"}
        assert "secrets:" + kv2_mount + "/team/new-one" in app.drafts  # the app asks before quitting


async def test_edit_new_version_with_cas_and_conflict_keeps_edit(make, root_client, kv2_mount):
    path = unique("cas/")
    seed(root_client, kv2_mount, path, {"token": "t1"})
    app = make()
    seen: list = []
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        detail.query_one("#data-table").focus()

        # a clean edit writes version 2 with cas=1
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        assert set(v.password for v in editor.query(".kv-value")) == {True}  # masked in the editor too
        editor.query(".kv-value").first().value = "t2"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await until(pilot, lambda: detail.secret is not None and detail.secret.version == 2, "version 2 shown")

        # start editing from v2; someone writes v3 meanwhile
        await pilot.press("e")
        editor = app.screen
        editor.query(".kv-value").first().value = "mine"
        await pilot.press("ctrl+n")
        editor.query(".kv-key").last().value = "extra"
        editor.query(".kv-value").last().value = "e1"
        seed(root_client, kv2_mount, path, {"token": "theirs"})
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "conflict screen")
        conflict = app.screen
        assert conflict.theirs == {"token": "theirs"}
        assert conflict.yours == {"token": "mine", "extra": "e1"}
        table = conflict.query_one("#conflict-table", DataTable)
        assert set(cells(table, "theirs").values()) <= {MASK, "—"}  # masked until revealed
        await pilot.press("V")
        assert cells(table, "theirs")["token"] == "theirs" and cells(table, "yours")["token"] == "mine"
        # nothing was written
        assert root_client.secrets.kv.v2.read_secret_version(path=path, mount_point=kv2_mount)["data"]["data"] == {
            "token": "theirs"
        }

        # keep as draft; e reopens the editor with the user's text
        await pilot.press("escape")
        await settle(pilot, app)
        assert "unsaved edit" in detail.status_text
        detail.query_one("#data-table").focus()
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        assert editor.query_one(KeyValueRows).pairs() == [("token", "mine"), ("extra", "e1")]
        await pilot.press("ctrl+s")  # still based on v2 -> conflict again
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "conflict again")
        await pilot.press("e")  # edit mine again, now checked against theirs (v3)
        await until(pilot, lambda: isinstance(app.screen, SecretEditorScreen), "editor again")
        editor = app.screen
        assert editor.query_one(KeyValueRows).pairs() == [("token", "mine"), ("extra", "e1")]
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        stored = root_client.secrets.kv.v2.read_secret_version(path=path, mount_point=kv2_mount)["data"]
        assert stored["data"] == {"token": "mine", "extra": "e1"} and stored["metadata"]["version"] == 4
        assert (kv2_mount + "/", path) not in drafts(app) and not app.drafts


async def test_patch_rollback_delete_undelete_destroy(make, root_client, kv2_mount):
    path = unique("ops/")
    seed(root_client, kv2_mount, path, {"a": "1", "b": "2"}, {"a": "one", "b": "2"})
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        data = detail.query_one("#data-table", DataTable)
        data.focus()
        data.move_cursor(row=list(cells(data, "key")).index("b"))

        # patch one key
        await pilot.press("p")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        assert editor.query_one(KeyValueRows).pairs() == [("b", "2")]
        editor.query(".kv-value").first().value = "patched"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await until(pilot, lambda: detail.secret is not None and detail.secret.version == 3, "patched version")
        assert dict(detail.secret.data) == {"a": "one", "b": "patched"}

        # roll back to v1 as a new version (with confirmation)
        await pilot.press("2")
        versions = detail.query_one("#versions-table", DataTable)
        versions.move_cursor(row=2)  # v1
        await pilot.press("b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        await until(pilot, lambda: detail.metadata is not None and detail.metadata.current_version == 4, "rollback")
        assert dict(kv.read_version(app.gateway, kv2_mount, path).data) == {"a": "1", "b": "2"}

        # soft-delete v2 and v3 (marked), confirm
        await pilot.press("2")
        versions.move_cursor(row=1)  # v3
        await pilot.press("space")
        versions.move_cursor(row=2)  # v2
        await pilot.press("space")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        await until(
            pilot,
            lambda: detail.metadata is not None and detail.metadata.version(2).deletion_time is not None,
            "deleted",
        )
        states = cells(detail.query_one("#versions-table", DataTable), "state")
        assert states["2"] == "deleted" and states["3"] == "deleted" and states["4"] == "live"

        # undelete v2 (cursor, nothing marked)
        await pilot.press("2")
        versions.move_cursor(row=2)
        await pilot.press("u")
        await settle(pilot, app)
        await until(
            pilot, lambda: detail.metadata is not None and detail.metadata.version(2).deletion_time is None, "undeleted"
        )

        # destroy v1 after confirmation; cancelling first does nothing
        await pilot.press("2")
        versions.move_cursor(row=3)  # v1
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot, app)
        assert not kv.read_metadata(app.gateway, kv2_mount, path).version(1).destroyed
        versions.move_cursor(row=3)
        await pilot.press("x")
        await pilot.press("y")
        await settle(pilot, app)
        await until(pilot, lambda: detail.metadata is not None and detail.metadata.version(1).destroyed, "destroyed")
        assert cells(detail.query_one("#versions-table", DataTable), "state")["1"] == "destroyed"


async def test_delete_all_with_typed_confirmation_and_metadata_edit(make, root_client, kv2_mount):
    path = unique("meta/")
    seed(root_client, kv2_mount, path, {"a": "1"})
    app = make()
    seen: list = []
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        detail.query_one("#data-table").focus()

        await pilot.press("m")
        editor = app.screen
        assert isinstance(editor, MetadataEditorScreen)
        editor.query_one("#meta-max-versions").value = "5"
        editor.query_one("#meta-cas-required").value = True
        editor.query_one("#meta-delete-after").value = "2h"
        rows = editor.query_one(KeyValueRows)
        rows.query(".kv-key").first().value = "team"
        rows.query(".kv-value").first().value = "[red]core"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        meta = kv.read_metadata(app.gateway, kv2_mount, path)
        assert (meta.max_versions, meta.cas_required, meta.delete_version_after) == (5, True, "2h0m0s")
        assert meta.custom_metadata == {"team": "[red]core"}
        await until(pilot, lambda: detail.metadata is not None and detail.metadata.cas_required, "metadata reloaded")
        assert "cas required" in detail.header_plain

        # delete all: the button stays disabled until the path is typed exactly
        await pilot.press("D")
        confirm = app.screen
        assert isinstance(confirm, TypedConfirmScreen)
        await pilot.press(*"wrong")
        assert confirm.query_one("#confirm").disabled
        confirm.query_one("#typed").value = ""
        await pilot.press(*path)
        assert not confirm.query_one("#confirm").disabled
        await pilot.press("enter")
        await settle(pilot, app)
        with pytest.raises(NotFound):
            kv.read_metadata(app.gateway, kv2_mount, path)
        await until(
            pilot,
            lambda: detail.view == "folder" and "was deleted" in str(detail.query_one("#detail-empty").render()),
            "the pane says it was deleted",
        )


async def test_read_only_hides_and_refuses_every_write(make, root_client, kv2_mount):
    path = unique("ro/")
    seed(root_client, kv2_mount, path, {"a": "1"}, {"a": "2"})
    app = make(read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        detail.query_one("#data-table").focus()
        for action in ("edit", "patch", "rollback", "delete_versions", "undelete", "destroy", "delete_all", "metadata"):
            assert detail.check_action(action, ()) is False, action
        assert app.screen.check_action("new_secret", ()) is False
        shown = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "edit" not in shown and "destroy" not in shown and "reveal" in shown
        for key in ("e", "p", "b", "d", "u", "x", "D", "m"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, SecretsScreen), key
        app.screen.action_new_secret()
        await pilot.pause()
        assert isinstance(app.screen, SecretsScreen)
        assert app.gateway.read_only  # the Vault layer refuses too (see test_kv_vault)
        meta = kv.read_metadata(app.gateway, kv2_mount, path)
        assert meta.current_version == 2 and all(v.state.value == "live" for v in meta.versions)


# -- untrusted data, stale replies, errors -----------------------------------------------------

HOSTILE = {
    "[red]x": "[/foo]",
    "[@click=app.quit]": "[link=http://x]y[/link]",
    "esc\x1b[31mred": "bel\x07 osc\x1b]0;pwned\x07 c1\x9b",
    "rtl\u202eevil": "zero\u200bwidth",
    "big": "B" * (1024 * 1024),
}


async def test_hostile_keys_and_values_render_literally(make, root_client, kv2_mount):
    path = "[red]x/[@click=app.quit]"
    seed(root_client, kv2_mount, path, HOSTILE, {**HOSTILE, "[/foo]": "new"})
    root_client.secrets.kv.v2.update_metadata(
        path=path, mount_point=kv2_mount, custom_metadata={"[/foo]": "[link=http://x]y[/link]"}
    )
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        assert "[red]x/[@click=app.quit]" in detail.header_plain
        data = detail.query_one("#data-table", DataTable)
        data.focus()
        await pilot.press("V")
        keys, values = cells(data, "key"), cells(data, "value")
        assert keys["[red]x"] == "[red]x" and values["[red]x"] == "[/foo]"
        assert values["[@click=app.quit]"] == "[link=http://x]y[/link]"
        assert keys["esc\x1b[31mred"] == "esc\\x1b[31mred"
        assert values["esc\x1b[31mred"] == "bel\\a osc\\x1b]0;pwned\\a c1\\x9b"
        assert keys["rtl\u202eevil"] == "rtl\\u202eevil" and values["rtl\u202eevil"] == "zero\\u200bwidth"
        assert len(values["big"]) < 5000 and "more characters" in values["big"]
        for text in list(keys.values()) + list(values.values()):
            assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\u200b")
        await pilot.press("5")
        json_view = detail.query_one("#json-view", Static).render().plain
        assert "[@click=app.quit]" in json_view and "\x1b" not in json_view and "more characters" in json_view
        await pilot.press("3")
        await pilot.press("f")
        await settle(pilot, app)
        diff = detail.query_one("#diff-table", DataTable)
        assert "[/foo]" in cells(diff, "key")
        await pilot.press("c")  # copy the raw value, unchanged
        await pilot.press("1")
        data.move_cursor(row=list(keys).index("esc\x1b[31mred"))
        await pilot.press("c")
        assert app.copied[-1][0] == HOSTILE["esc\x1b[31mred"]
        await pilot.press("enter")  # the value viewer
        await pilot.pause()
        from vault_tui.screens.modals import MessageScreen

        assert isinstance(app.screen, MessageScreen)
        shown = "".join(w.render().plain for w in app.screen.query(Static))
        assert "bel\\a osc\\x1b]0;pwned\\a" in shown and "\x1b" not in shown
        await pilot.press("escape")
        await pilot.pause()
        # the editor opens in JSON mode (control characters), escaped, and round-trips exactly
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen) and editor.mode == "json"
        text = editor.query_one("#editor-json", TextArea).text
        assert "\x1b" not in text and "\u202e" not in text and "\\u001b" in text
        assert parse_json_object(text)["esc\x1b[31mred"] == HOSTILE["esc\x1b[31mred"]
        await pilot.press("escape")  # leaves the text area
        await pilot.press("escape")  # closes the editor (nothing changed)
        await until(pilot, lambda: isinstance(app.screen, SecretsScreen), "editor closed")
        await pilot.press("[")
        await settle(pilot, app)
        app.screen.query_one(SecretDetail)  # still alive: nothing quit the app
        assert app.is_running
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg


async def test_slow_reply_for_a_secret_left_never_overwrites(make, root_client, kv2_mount, monkeypatch):
    seed(root_client, kv2_mount, "slow", {"which": "slow"})
    seed(root_client, kv2_mount, "fast", {"which": "fast"})
    release = threading.Event()
    original_version, original_meta = kv.read_version, kv.read_metadata

    def slow_version(gateway, mount, path, version=None):
        if path == "slow":
            release.wait(10)
        return original_version(gateway, mount, path, version)

    def slow_meta(gateway, mount, path):
        if path == "slow":
            release.wait(10)
        return original_meta(gateway, mount, path)

    monkeypatch.setattr(kv, "read_version", slow_version)
    monkeypatch.setattr(kv, "read_metadata", slow_meta)
    app = make()
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        detail.show_secret(kv2(kv2_mount), "slow")
        await pilot.pause()
        detail.show_secret(kv2(kv2_mount), "fast")
        await until(pilot, lambda: detail.secret is not None, "fast reply")
        release.set()
        await settle(pilot, app)
        time.sleep(0.05)
        await settle(pilot, app)
        assert dict(detail.secret.data) == {"which": "fast"}
        assert detail.metadata is not None and detail.metadata.path == "fast"
        assert [path for _m, path, _v in detail.renders] == ["fast"]


async def test_permission_denied_and_missing_secret_show_in_the_pane(make, bao, root_client, kv2_mount, settings):
    path = unique("locked/")
    seed(root_client, kv2_mount, path, {"a": "1"})
    root_client.sys.create_or_update_policy(
        name="detail-meta-only",
        policy=f'path "{kv2_mount}/metadata/*" {{ capabilities = ["read", "list"] }}\n'
        f'path "{kv2_mount}/data/open/*" {{ capabilities = ["read"] }}',
    )
    token = root_client.auth.token.create(policies=["detail-meta-only"], ttl="10m")["auth"]["client_token"]
    app = DetailApp(AppConfig(connection=settings.with_token(token)))
    async with app.run_test(size=(140, 40)) as pilot:
        detail = await start(pilot, app)
        await show(pilot, app, detail, kv2(kv2_mount), path)
        await until(pilot, lambda: "data" in detail.errors and detail.metadata is not None, "403 on data")
        status = detail.status_text
        assert "permission denied" in status.lower()
        assert cells(detail.query_one("#versions-table", DataTable), "state") == {"1": "live"}
        detail.show_secret(kv2(kv2_mount), "open/not/there")
        await settle(pilot, app)
        await until(pilot, lambda: "does not exist" in detail.status_text, "missing")


def test_json_text_escapes_invisible_characters_and_round_trips():
    data = {"k\x1b": "v\u202e\u200b\x9b\x7f", "n": {"x": 1}}
    text = to_json_text(data)
    assert not any(ch in text for ch in "\x1b\u202e\u200b\x9b\x7f")
    assert parse_json_object(text) == data
    with pytest.raises(ValueError):
        parse_json_object("[1]")
    with pytest.raises(ValueError):
        parse_json_object("{}")
    with pytest.raises(ValueError):
        parse_json_object("{nope")


async def test_in_the_browser_tree_opens_secret_and_keys_reach_the_pane(settings, root_client, kv2_mount):
    from vault_tui.app import make_app
    from vault_tui.views.secrets.tree import PathTree

    seed(root_client, kv2_mount, "app/db", {"password": "pw1"}, {"password": "pw2"})
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/app/db"), tick=False)
    app.copied = []
    app.copy_secret = lambda text, label="value": app.copied.append(text)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.session.ready and app.screen.query("#detail"), "browser")
        detail = app.screen.query_one(SecretDetail)
        await until(pilot, lambda: detail.secret is not None and detail.path == "app/db", "secret opened from the tree")
        await settle(pilot, app)
        assert app.screen.query_one(PathTree).has_focus
        await pilot.press("tab")  # into the pane
        await pilot.pause()
        assert detail.has_focus_within
        await pilot.press("1")
        await pilot.press("c")
        assert app.copied == ["pw2"]
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, SecretEditorScreen)
        editor.query(".kv-value").first().value = "pw3"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await until(pilot, lambda: detail.secret is not None and detail.secret.version == 3, "written from the browser")


async def test_capabilities_grey_out_forbidden_actions(bao, root_client, kv2_mount):
    """A read-only policy: the Access tab explains, and write actions are disabled before trying."""
    from tests.helpers import app_for, wait_for, wait_ready
    from vault_tui.vault.client import ConnectionSettings
    from vault_tui.views.secrets.detail import SecretDetail
    from vault_tui.widgets.capabilities import CapabilitiesPanel

    root_client.secrets.kv.v2.create_or_update_secret("app/db", {"password": "demo-not-real"}, mount_point=kv2_mount)
    root_client.sys.create_or_update_policy(
        f"{kv2_mount}-reader",
        f'path "{kv2_mount}/data/*" {{ capabilities = ["read"] }}\npath "{kv2_mount}/metadata/*" {{ capabilities = ["read", "list"] }}\n',
    )
    token = root_client.auth.token.create(policies=[f"{kv2_mount}-reader"], ttl="10m")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_path=f"{kv2_mount}/app/db")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        detail = app.screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.permissions is not None, what="capabilities")
        assert detail.permissions.allows("read") and not detail.permissions.allows("write")
        assert detail.check_action("edit", ()) is None  # greyed out, not hidden
        assert detail.check_action("destroy", ()) is None
        assert detail.check_action("copy", ()) is True
        status = str(detail.query_one("#detail-status").render())
        assert "cannot write" in status and "Access tab" in status
        panel_text = str(detail.query_one(CapabilitiesPanel).render())
        assert "needs create or update" in panel_text
        # Pressing e does nothing harmful: the editor does not open.
        detail.query_one("#data-table").focus()
        await pilot.press("e")
        await pilot.pause()
        assert type(app.screen).__name__ == "SecretsScreen"
