"""Hostile names from the server render literally in the tree and never act as markup or escapes."""

from __future__ import annotations

from tests.helpers import app_for, tree_labels, wait_for, wait_ready
from vault_tui.views.secrets.tree import PathTree

HOSTILE = [
    "[red]x",
    "[/foo]",
    "[link=http://x]y[/link]",
    "[@click=app.quit]",
    "a[/]b",
    "esc\x1b]0;pwned\x07title",
    "bell\x07",
    "rtl\u202eevil",
    "zero\u200bwidth",
]


async def test_hostile_names_in_tree(settings, root_client, kv2_mount):
    import hvac.exceptions

    accepted = []
    for name in HOSTILE:
        try:
            root_client.secrets.kv.v2.create_or_update_secret(f"hostile/{name}", {name: name}, mount_point=kv2_mount)
            accepted.append(name)
        except hvac.exceptions.InvalidRequest:
            pass  # OpenBao refuses control characters in paths; they still reach us in keys and values
    # OpenBao also refuses bidi and zero-width characters in paths.
    assert "[@click=app.quit]" in accepted
    app = app_for(settings, initial_path=f"{kv2_mount}/hostile/")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: tree.index.is_loaded(f"{kv2_mount}/", "hostile/"), what="hostile folder")
        await pilot.pause()
        labels = tree_labels(tree)
        # "/" separates path segments on the server, so "[/foo]" is a folder "[/" holding "foo]".
        for literal in ("[red]x", "[@click=app.quit]", "[/", "a[/", "[link=http:/"):
            assert literal in labels, literal
        assert not any("\x1b" in label or "\x07" in label for label in labels)
        # Walk over every hostile node, as a user would, and click them: nothing quits or crashes.
        for _ in range(len(HOSTILE) + 3):
            await pilot.press("down")
        await pilot.click(PathTree, offset=(6, 4))
        await pilot.pause()
        assert app.is_running
        assert "\x1b" not in app.export_screenshot()
