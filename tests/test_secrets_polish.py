"""The polish of the secrets view (issue 10), each observed as a new user would, with Pilot.

Every test here was written first and failed on main before the fix.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tests.helpers import app_for, screen_ready, wait_for, wait_ready
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.tree import PathTree


def seed(root_client, mount: str, path: str, *versions: dict) -> None:
    for data in versions:
        root_client.secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point=mount)


def cursor_path(tree: PathTree) -> str | None:
    node = tree.cursor_node
    return node.data.full_path if node is not None and node.data is not None else None


async def opened(pilot, app, full: str) -> tuple[PathTree, SecretDetail]:
    await wait_ready(pilot)
    tree = app.screen.query_one(PathTree)
    detail = app.screen.query_one(SecretDetail)
    await wait_for(pilot, lambda: cursor_path(tree) == full, 60, f"{full} selected")
    await wait_for(pilot, lambda: detail.secret is not None and detail.metadata is not None, 60, "secret loaded")
    await wait_for(pilot, lambda: detail.permissions is not None, 60, "capabilities")
    return tree, detail


def notes(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def after_write(pilot, app, tree: PathTree, detail: SecretDetail, full: str, done) -> None:
    """Wait until ``done()`` and the pane shows the secret again; the cursor must never have left it."""
    await wait_for(pilot, done, 60, "write done")
    await wait_for(pilot, lambda: detail.secret is not None and detail.metadata is not None, 60, "reloaded")
    for _ in range(10):  # the folder refresh arrives after the write: let it land
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)
    assert cursor_path(tree) == full
    assert detail.current_mount is not None and detail.current_mount.path + detail.path == full


async def test_every_write_keeps_the_cursor_and_the_pane_on_the_secret(settings, root_client, kv2_mount):
    for name in ("app/a", "app/b", "app/c"):
        seed(root_client, kv2_mount, name, {"k": "1"}, {"k": "2"})
    full = f"{kv2_mount}/app/b"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        tree.focus()
        await pilot.press("enter")  # into the pane
        await pilot.pause()

        def meta():
            return root_client.secrets.kv.v2.read_secret_metadata(path="app/b", mount_point=kv2_mount)["data"]

        def version(n):
            return lambda: meta()["current_version"] == n

        # save (e)
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretEditorScreen", 30, "editor")
        app.screen.query(".kv-value").first().value = "3"
        await pilot.press("ctrl+s")
        await after_write(pilot, app, tree, detail, full, version(3))
        # patch (p)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretEditorScreen", 30, "patch editor")
        app.screen.query(".kv-value").first().value = "4"
        await pilot.press("ctrl+s")
        await after_write(pilot, app, tree, detail, full, version(4))
        # roll back to v1 (b)
        await pilot.press("2")
        versions = detail.query_one("#versions-table", DataTable)
        versions.move_cursor(row=3)
        await pilot.press("b")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", 30, "confirm")
        await pilot.press("y")
        await after_write(pilot, app, tree, detail, full, version(5))

        def state(n, value):
            def check():
                info = meta()["versions"][str(n)]
                now = "destroyed" if info["destroyed"] else ("deleted" if info["deletion_time"] else "live")
                return now == value

            return check

        # delete / undelete / destroy v2
        for key, confirm, value in (("d", True, "deleted"), ("u", False, "live"), ("x", True, "destroyed")):
            await pilot.press("2")
            versions.move_cursor(row=3)  # v2
            await pilot.press(key)
            if confirm:
                await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", 30, "confirm")
                await pilot.press("y")
            await after_write(pilot, app, tree, detail, full, state(2, value))
        # metadata (m)
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MetadataEditorScreen", 30, "metadata editor")
        app.screen.query_one("#meta-max-versions", Input).value = "7"
        await pilot.press("ctrl+s")
        await after_write(pilot, app, tree, detail, full, lambda: meta()["max_versions"] == 7)


async def test_new_secret_form_appends_to_the_folder_and_tab_reaches_the_key(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, "team/x", {"k": "v"})
    app = app_for(settings, initial_path=f"{kv2_mount}/team/")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/team/", 60, "folder selected")
        tree.focus()
        await pilot.press("n")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "SecretEditorScreen" and app.screen.is_mounted,
            30,
            "new secret form",
        )
        await pilot.pause()
        path = app.screen.query_one("#editor-path", Input)
        assert app.screen.focused is path
        await pilot.press(*"db")
        assert path.value == "team/db"  # typed after the folder, not over it
        await pilot.press("tab")
        await pilot.press(*"user")
        assert app.screen.query(".kv-key").first().value == "user"
        await pilot.press("tab")
        await pilot.press(*"alice")
        assert app.screen.query(".kv-value").first().value == "alice"


async def test_escape_leaves_a_text_field_then_goes_back(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("e")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "SecretEditorScreen" and app.screen.is_mounted, 30, "editor"
        )
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is editor and not isinstance(editor.focused, Input)  # left the field, still editing
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not editor, 30, "editor closed by the second escape")
        # the filter box: escape leaves it for the tree
        tree.focus()
        await pilot.press("slash", "d")
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is tree


async def test_escape_after_a_filter_keeps_the_users_place(settings, root_client, kv2_mount):
    for name in ("alpha/one", "beta/two", "gamma/three", "gamma/four"):
        seed(root_client, kv2_mount, name, {"k": "v"})
    app = app_for(settings, initial_path=f"{kv2_mount}/alpha/one")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/alpha/one", 60, "alpha/one")
        # load gamma/ and leave it collapsed; alpha/ stays open
        gamma = tree._folder_nodes[(f"{kv2_mount}/", "gamma/")]
        gamma.expand()
        await wait_for(pilot, lambda: tree.index.is_loaded(f"{kv2_mount}/", "gamma/"), 60, "gamma listed")
        gamma.collapse()
        await pilot.pause()
        tree.focus()
        await pilot.press("slash", *"four")
        await pilot.press("enter")  # back in the tree, on the filtered view
        await pilot.pause()
        hits = [
            n
            for n in tree._folder_nodes[(f"{kv2_mount}/", "gamma/")].children
            if n.data is not None and n.data.path == "gamma/four"
        ]
        tree.move_cursor(hits[0])
        await pilot.pause()
        await pilot.press("escape")  # clear the filter
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/gamma/four", 30, "same node selected")
        await pilot.pause(0.2)
        assert cursor_path(tree) == f"{kv2_mount}/gamma/four"
        # expansion as the user left it, plus what it takes to show the selected node
        assert tree._folder_nodes[(f"{kv2_mount}/", "alpha/")].is_expanded
        assert not tree._folder_nodes[(f"{kv2_mount}/", "beta/")].is_expanded
        # and without a move: filter, then esc, keeps the node
        await pilot.press("slash", *"thr")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert cursor_path(tree) == f"{kv2_mount}/gamma/four"


async def test_a_refused_key_says_why(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: "read-only" in notes(app).lower(), 30, "read-only explained for e")
        tree.focus()
        app.clear_notifications()
        await pilot.press("n")
        await wait_for(pilot, lambda: "read-only" in notes(app).lower(), 30, "read-only explained for n")


async def test_a_key_forbidden_by_policy_says_why(bao, root_client, kv2_mount):
    from vault_tui.vault.client import ConnectionSettings

    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    root_client.sys.create_or_update_policy(
        f"{kv2_mount}-ro",
        f'path "{kv2_mount}/data/*" {{ capabilities = ["read"] }}\n'
        f'path "{kv2_mount}/metadata/*" {{ capabilities = ["read", "list"] }}\n',
    )
    token = root_client.auth.token.create(policies=[f"{kv2_mount}-ro"], ttl="10m")["auth"]["client_token"]
    full = f"{kv2_mount}/app/db"
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: f"{kv2_mount}/data/app/db" in notes(app), 30, "policy reason for e")
        await pilot.press("m")
        await wait_for(pilot, lambda: f"{kv2_mount}/metadata/app/db" in notes(app), 30, "policy reason for m")


async def test_footer_shows_the_keys_of_the_focused_pane(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "1"}, {"k": "2"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(200, 50)) as pilot:
        tree, detail = await opened(pilot, app, full)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("2")
        await pilot.pause()
        assert app.focused is detail.query_one("#versions-table")
        shown = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        for description in ("Roll back", "Delete", "Undelete", "Destroy", "Mark"):
            assert description in shown, description


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_a_long_name_never_wraps_the_header(settings, root_client, kv2_mount, size):
    name = "n" * 400 + "-tail"
    seed(root_client, kv2_mount, f"deep/{name}", {"k": "v"})
    full = f"{kv2_mount}/deep/{name}"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=size) as pilot:
        tree, detail = await opened(pilot, app, full)
        await pilot.pause()
        header = detail.query_one("#detail-header", Static)
        assert header.size.height == 1
        shown = "".join(seg.text for seg, _style in _segments(header))
        assert "…" in shown and "-tail" in shown, shown
        assert "-tail" in app.export_screenshot()  # the end of the name is still shown
        label = tree.cursor_node.label.plain
        assert len(label) < 120 and "…" in label  # shortened in the middle in the tree


async def test_a_deep_path_keeps_the_tree_cursor_visible(settings, root_client, kv2_mount):
    deep = "/".join(f"level{i:02d}" for i in range(40)) + "/leaf"
    seed(root_client, kv2_mount, deep, {"k": "v"})
    full = f"{kv2_mount}/{deep}"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(120, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        await pilot.pause(0.3)
        region = tree._get_label_region(tree.cursor_line)
        assert region is not None
        left, width = tree.scroll_offset.x, tree.scrollable_content_region.width
        assert left <= region.x < left + width, (region, left, width)
        assert "leaf" in app.export_screenshot()


async def test_checkbox_state_is_readable_without_colour(settings, root_client, kv2_mount, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    root_client.secrets.kv.v2.update_metadata(path="app/db", mount_point=kv2_mount, cas_required=True)
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("m")
        await wait_for(
            pilot,
            lambda: screen_ready(app, type(app.screen)) and app.screen.query("#meta-cas-required"),
            30,
            "metadata editor",
        )
        await pilot.pause()
        box = app.screen.query_one("#meta-cas-required")
        assert "[x]" in str(box.render()) or "on" in str(box.render()).split()
        box.value = False
        await pilot.pause()
        assert "[ ]" in str(box.render()) or "off" in str(box.render()).split()


def _segments(widget) -> list:
    from textual.geometry import Region

    width, height = widget.size
    return [(seg, seg.style) for strip in widget.render_lines(Region(0, 0, width, height)) for seg in strip]


def _look(widget) -> list:
    return [(seg.text, style) for seg, style in _segments(widget)]


async def test_every_focusable_widget_shows_focus(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        screen = app.screen
        for tab in ("data", "versions", "metadata", "diff", "json", "access"):
            detail.action_tab(tab)
            await pilot.pause()
            focused = app.focused
            assert focused is not None
            looks_focused = _look(focused)
            tree.focus()
            await pilot.pause()
            assert _look(focused) != looks_focused, f"{tab}: {focused!r} looks the same without focus"
            assert screen is app.screen


async def test_every_tab_stop_in_the_dialogs_is_visible(settings, root_client, kv2_mount):
    from textual.widgets import Button, Checkbox, TextArea

    seed(root_client, kv2_mount, "app/db", {"k": "v", "k2": "v2"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(80, 24)) as pilot:
        tree, detail = await opened(pilot, app, full)
        for key, focus_first in (("e", detail.query_one("#data-table")), ("m", None), ("n", tree)):
            (focus_first or detail.query_one("#data-table")).focus()
            base = app.screen
            assert isinstance(base, SecretsScreen)
            await pilot.press(key)
            await wait_for(
                pilot,
                lambda: not isinstance(app.screen, SecretsScreen) and app.screen.is_mounted,
                30,
                f"dialog for {key}",
            )
            await pilot.pause()
            dialog = app.screen
            box = dialog.query_one(".dialog").region
            seen = []
            for _ in range(12):
                focused = dialog.focused
                assert isinstance(focused, (Input, Button, TextArea, Checkbox, DataTable)), (key, focused)
                assert focused.display and focused.region.area > 0, (key, focused)
                assert box.contains_region(focused.region) or dialog.query_one(".meta-fields").region.overlaps(
                    focused.region
                ), (key, focused, focused.region, box)
                seen.append(focused)
                await pilot.press("tab")
            assert len(set(map(id, seen))) >= 3
            await pilot.press("escape", "escape")
            await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "dialog closed")


async def test_conceal_masks_every_revealed_value(settings, root_client, kv2_mount):
    """The idle lock calls ``conceal()`` on every view and dialog: nothing revealed stays."""
    seed(root_client, kv2_mount, "app/db", {"password": "hunter2"})
    full = f"{kv2_mount}/app/db"
    app = app_for(settings, initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        tree, detail = await opened(pilot, app, full)
        screen = app.screen
        table = detail.query_one("#data-table", DataTable)
        table.focus()
        await pilot.press("V")
        assert "hunter2" in {table.get_cell(row, "value").plain for row in table.rows}
        await pilot.press("enter")  # the value viewer
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ValueScreen", 30, "value viewer")
        app.screen.conceal()
        await wait_for(pilot, lambda: app.screen is screen, 30, "viewer closed")
        screen.conceal()
        await pilot.pause()
        assert "hunter2" not in {table.get_cell(row, "value").plain for row in table.rows}
        assert "hunter2" not in str(detail.query_one("#json-view").render())
