"""Pilot tests of the browser: the path tree against a real OpenBao."""

from __future__ import annotations

from tests.helpers import app_for, tree_labels, wait_for, wait_ready
from vault_tui.views.secrets.tree import PathTree


def _find(tree: PathTree, full: str):
    for node in list(_walk(tree.root)):
        if node.data is not None and node.data.full_path == full:
            return node
    return None


def _walk(node):
    for child in node.children:
        yield child
        yield from _walk(child)


async def test_tree_lists_mounts_and_lazily_loads(settings, root_client, kv2_mount, kv1_mount):
    for name in ("team/app/dev/db", "team/app/prod/db", "top"):
        root_client.secrets.kv.v2.create_or_update_secret(name, {"k": "v"}, mount_point=kv2_mount)
    root_client.secrets.kv.v1.create_or_update_secret("legacy-a", {"k": "v"}, mount_point=kv1_mount)
    app = app_for(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/"), what="mounts")
        labels = tree_labels(tree)
        assert any(label.startswith(f"{kv2_mount}/") and "kv v2" in label for label in labels)
        assert any(label.startswith(f"{kv1_mount}/") and "kv v1" in label for label in labels)
        mount_node = _find(tree, f"{kv2_mount}/")
        # Nothing below the mount is loaded until it is opened.
        assert not tree.index.is_loaded(f"{kv2_mount}/", "")
        tree.move_cursor(mount_node)
        await pilot.press("right")
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/team/"), what="folder listing")
        assert _find(tree, f"{kv2_mount}/top") is not None
        tree.move_cursor(_find(tree, f"{kv2_mount}/team/"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/team/app/"), what="team/app")
        breadcrumb = app.screen.query_one("#breadcrumb")
        assert "team" in breadcrumb.plain


async def test_open_path_flag_selects_secret(settings, root_client, kv2_mount):
    root_client.secrets.kv.v2.create_or_update_secret("a/b/c/secret1", {"k": "v"}, mount_point=kv2_mount)
    app = app_for(settings, initial_path=f"{kv2_mount}/a/b/c/secret1")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(
            pilot,
            lambda: (
                tree.cursor_node is not None
                and tree.cursor_node.data is not None
                and tree.cursor_node.data.full_path == f"{kv2_mount}/a/b/c/secret1"
            ),
            what="--path selection",
        )


async def test_filter_shows_only_matching_loaded_paths(settings, root_client, kv2_mount):
    for name in ("alpha/one", "beta/two", "gamma"):
        root_client.secrets.kv.v2.create_or_update_secret(name, {"k": "v"}, mount_point=kv2_mount)
    app = app_for(settings, initial_path=f"{kv2_mount}/beta/two")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/beta/two"), what="beta/two")
        await pilot.press("slash")
        await pilot.press(*"two")
        await pilot.pause()
        # What is on screen (the filter hides nodes; it never removes them).
        paths = [line.node.data.full_path for line in tree._tree_lines if line.node.data is not None]
        assert f"{kv2_mount}/beta/two" in paths
        assert f"{kv2_mount}/gamma" not in paths
        assert f"{kv2_mount}/alpha/" not in paths
        await pilot.press("escape")
        await pilot.pause()
        paths = [line.node.data.full_path for line in tree._tree_lines if line.node.data is not None]
        assert f"{kv2_mount}/gamma" in paths


async def test_forbidden_folder_marked_no_access(bao, root_client, kv2_mount):
    from vault_tui.vault.client import ConnectionSettings

    root_client.secrets.kv.v2.create_or_update_secret("open/x", {"k": "v"}, mount_point=kv2_mount)
    root_client.secrets.kv.v2.create_or_update_secret("closed/y", {"k": "v"}, mount_point=kv2_mount)
    policy = f"""
path "{kv2_mount}/metadata/" {{ capabilities = ["list"] }}
path "{kv2_mount}/metadata/open/*" {{ capabilities = ["list", "read"] }}
path "{kv2_mount}/data/open/*" {{ capabilities = ["read"] }}
"""
    root_client.sys.create_or_update_policy(f"{kv2_mount}-limited", policy)
    token = root_client.auth.token.create(policies=[f"{kv2_mount}-limited"], ttl="10m")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/"), what="mounts for limited token")
        _find(tree, f"{kv2_mount}/").expand()
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/closed/"), what="listing")
        _find(tree, f"{kv2_mount}/closed/").expand()
        _find(tree, f"{kv2_mount}/open/").expand()
        await wait_for(pilot, lambda: (f"{kv2_mount}/", "closed/") in tree.index.denied, what="403 marking")
        await wait_for(pilot, lambda: _find(tree, f"{kv2_mount}/open/x"), what="open folder still loads")
        assert any("no access" in label for label in tree_labels(tree))
        assert app.is_running


async def test_enter_on_secret_moves_into_detail_and_esc_returns(settings, root_client, kv2_mount):
    root_client.secrets.kv.v2.create_or_update_secret("app/db", {"password": "demo-not-real"}, mount_point=kv2_mount)
    app = app_for(settings, initial_path=f"{kv2_mount}/app/db")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(
            pilot,
            lambda: (
                tree.cursor_node is not None
                and tree.cursor_node.data is not None
                and tree.cursor_node.data.path == "app/db"
            ),
            what="secret selected",
        )
        tree.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "data-table"
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is tree
