"""Issue 9 in the secrets view, against a real OpenBao: edits are never lost, only the exact path
shown is written, a token reaches what its policies grant without listing, and every action is
checked against the exact API path it uses."""

from __future__ import annotations

import hvac
import pytest
from textual.widgets import DataTable, Input

from tests.helpers import app_for, screen_ready, tree_labels, wait_for, wait_ready
from vault_tui.screens.modals import ConfirmScreen, PromptScreen
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.models import Mount
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.editor import SecretEditorScreen
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.tree import PathTree
from vault_tui.widgets.capabilities import CapabilitiesPanel


class Switch:
    """An HTTP proxy on 127.0.0.1 in front of the test server that can play dead (drops connections)."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading

        import requests

        switch = self
        self.up = True

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if not switch.up:
                    self.close_connection = True
                    return  # no answer at all: the client sees the connection dropped
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                response = requests.request(self.command, upstream + self.path, headers=headers, data=body, timeout=30)
                payload = response.content
                self.send_response(response.status_code)
                self.send_header("Content-Type", response.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = do_PATCH = _forward  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addr = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def seed(root_client, mount: str, path: str, data: dict) -> None:
    root_client.secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point=mount)


def exists(root_client, mount: str, path: str) -> bool:
    try:
        root_client.secrets.kv.v2.read_secret_metadata(path=path, mount_point=mount)
        return True
    except hvac.exceptions.InvalidPath:
        return False


def cursor_path(tree: PathTree) -> str | None:
    node = tree.cursor_node
    return node.data.full_path if node is not None and node.data is not None else None


def notes(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


def token_for(root_client, name: str, hcl: str) -> str:
    root_client.sys.create_or_update_policy(name, hcl)
    return root_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]


async def browser(pilot, app) -> tuple[SecretsScreen, PathTree, SecretDetail]:
    await wait_ready(pilot)
    screen = app.screen
    assert isinstance(screen, SecretsScreen)
    tree = screen.query_one(PathTree)
    await wait_for(pilot, lambda: tree.mounts, 60, "mounts")
    await pilot.pause()
    return screen, tree, screen.query_one(SecretDetail)


async def open_form(pilot, app, screen: SecretsScreen, mount: str, folder: str = "") -> SecretEditorScreen:
    screen.new_secret(next(m for m in screen.path_tree.mounts if m.path == mount + "/"), folder)
    await wait_for(pilot, lambda: isinstance(app.screen, SecretEditorScreen) and app.screen.is_mounted, 30, "form")
    await pilot.pause()
    form = app.screen
    assert isinstance(form, SecretEditorScreen)
    return form


def fill(form: SecretEditorScreen, path: str, key: str = "user", value: str = "alice") -> None:
    form.query_one("#editor-path", Input).value = path
    form.query(".kv-key").first().value = key
    form.query(".kv-value").first().value = value


# -- drafts survive ------------------------------------------------------------------------------


async def test_a_create_refused_by_policy_keeps_its_form_and_text(bao, root_client, kv2_mount):
    token = token_for(
        root_client,
        f"{kv2_mount}-read",
        f'path "{kv2_mount}/data/*" {{ capabilities = ["read"] }}\n'
        f'path "{kv2_mount}/metadata/*" {{ capabilities = ["read", "list"] }}\n',
    )
    app = app_for(ConnectionSettings(addr=bao.addr, token=token))
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        form = await open_form(pilot, app, screen, kv2_mount, "team/")
        fill(form, "team/db")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "permission denied" in form.error_text.lower(), 30, "error in the form")
        # ... and which capability on which exact path it lacks
        await wait_for(pilot, lambda: f"needs create on {kv2_mount}/data/team/db" in form.error_text, 30, "why")
        assert app.screen is form and form.is_attached  # still open, still filled in
        assert form.query_one("#editor-path", Input).value == "team/db"
        assert form.query(".kv-value").first().value == "alice"
        assert "Creating" not in detail.status_text and "Saving" not in str(form.query_one("#editor-mode").render())
        assert f"secrets:{kv2_mount}/team/db" in app.drafts  # quitting would ask first
        # cancelling lets the text go (after asking), and forgets the draft
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), 30, "discard?")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "form closed")
        assert not app.drafts
        assert not exists(root_client, kv2_mount, "team/db")


async def test_a_create_while_the_server_is_down_keeps_its_form_then_saves(bao, root_client, kv2_mount):
    switch = Switch(bao.addr)
    app = app_for(ConnectionSettings(addr=switch.addr, token=bao.root_token))
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen, tree, detail = await browser(pilot, app)
            form = await open_form(pilot, app, screen, kv2_mount)
            fill(form, "outage/db")
            switch.up = False
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: form.error_text.strip() != "", 60, "error in the form")
            assert app.screen is form and "Nothing was written" in form.error_text
            assert form.query_one("#editor-path", Input).value == "outage/db"
            assert f"secrets:{kv2_mount}/outage/db" in app.drafts
            switch.up = True  # the server is back: Save again writes it
            await pilot.press("ctrl+s")
            await wait_for(
                pilot, lambda: not isinstance(app.screen, SecretEditorScreen), 60, "form closed once written"
            )
            assert exists(root_client, kv2_mount, "outage/db") and not app.drafts
            await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/outage/db", 30, "selected")
    finally:
        switch.close()


async def test_a_save_cut_off_is_kept_quitting_asks_and_it_saves_later(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "v1"})
    switch = Switch(bao.addr)
    full = f"{kv2_mount}/app/db"
    app = app_for(ConnectionSettings(addr=switch.addr, token=bao.root_token), initial_path=full)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen, tree, detail = await browser(pilot, app)
            await wait_for(pilot, lambda: detail.secret is not None and detail.metadata is not None, 60, "secret")
            detail.query_one("#data-table", DataTable).focus()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SecretEditorScreen) and app.screen.is_mounted, 30, "e")
            app.screen.query(".kv-value").first().value = "mine"
            switch.up = False
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: f"secrets:{full}" in app.drafts, 30, "kept with the app")
            await wait_for(pilot, lambda: "failed" in detail.status_text, 60, "the failure shown")
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), 30, "asked before quitting")
            await pilot.press("n")
            await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "stayed")
            assert app.is_running
            switch.up = True
            await wait_for(pilot, lambda: not app.session.stale, 60, "server back")
            await wait_for(pilot, lambda: detail.secret is not None, 60, "pane reloaded")
            detail.query_one("#data-table", DataTable).focus()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, SecretEditorScreen) and app.screen.is_mounted, 30, "e")
            assert app.screen.query(".kv-value").first().value == "mine"  # the draft, restored
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not app.drafts, 60, "written, draft dropped")
            stored = root_client.secrets.kv.v2.read_secret_version(path="app/db", mount_point=kv2_mount)
            assert stored["data"]["data"] == {"k": "mine"}
            assert cursor_path(tree) == full
    finally:
        switch.close()


# -- exact paths ----------------------------------------------------------------------------------


async def test_a_path_with_dot_segments_is_refused_in_the_form(settings, root_client, kv2_mount):
    app = app_for(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        form = await open_form(pilot, app, screen, kv2_mount, "team/")
        fill(form, "team/../../../../cubbyhole/x")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "'..'" in form.error_text, 30, "the reason")
        assert app.screen is form and app.focused is form.query_one("#editor-path", Input)
        for bad in ("team//x", "team/./x", "team/"):
            form.query_one("#editor-path", Input).value = bad
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is form, bad
        assert "x" not in ((root_client.list("cubbyhole/") or {}).get("data") or {}).get("keys", [])
        with pytest.raises(hvac.exceptions.InvalidPath):  # nothing at all was written in the mount
            root_client.secrets.kv.v2.list_secrets(path="", mount_point=kv2_mount)


# -- reach what you may read -----------------------------------------------------------------------


@pytest.fixture
def no_list(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"password": "p"})
    seed(root_client, kv2_mount, "app/other", {"k": "v"})
    seed(root_client, kv2_mount, "team/x/db", {"k": "v"})
    token = token_for(
        root_client,
        f"{kv2_mount}-nolist",
        f'path "{kv2_mount}/data/app/db" {{ capabilities = ["read"] }}\n'
        f'path "{kv2_mount}/metadata/app/db" {{ capabilities = ["read"] }}\n'
        f'path "{kv2_mount}/data/team/*" {{ capabilities = ["read"] }}\n',
    )
    return ConnectionSettings(addr=bao.addr, token=token)


async def test_under_a_mount_it_cannot_list_the_tree_shows_what_policies_grant(no_list, kv2_mount):
    app = app_for(no_list)
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        await wait_for(pilot, lambda: screen.acl is not None, 30, "resultant ACL")
        tree._folder_nodes[(f"{kv2_mount}/", "")].expand()
        await wait_for(pilot, lambda: (f"{kv2_mount}/", "") in tree.index.denied, 30, "403 on the mount")
        await wait_for(pilot, lambda: tree._folder_nodes.get((f"{kv2_mount}/", "app/")) is not None, 30, "app/ shown")
        assert (f"{kv2_mount}/", "team/") in tree._folder_nodes
        tree._folder_nodes[(f"{kv2_mount}/", "app/")].expand()
        await wait_for(pilot, lambda: "db" in tree_labels(tree), 30, "app/db shown")
        assert "other" not in tree_labels(tree)  # not granted: not shown
        assert any("policies grant" in label for label in tree_labels(tree))


async def test_go_to_path_opens_a_secret_without_listing_its_parents(no_list, kv2_mount):
    app = app_for(no_list)
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        tree.focus()
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.is_mounted, 30, "prompt")
        prompt = app.screen.query_one(Input)
        prompt.value = f"{kv2_mount}/data/team/x/db"  # the API form works too
        await pilot.press("enter")
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/team/x/db", 30, "selected")
        await wait_for(pilot, lambda: detail.secret is not None and dict(detail.secret.data) == {"k": "v"}, 30, "read")
        # :open, and the palette entry
        screen.command_open(f"{kv2_mount}/app/db")
        await wait_for(pilot, lambda: detail.path == "app/db" and detail.secret is not None, 30, ":open")
        assert cursor_path(tree) == f"{kv2_mount}/app/db"
        titles = [title for title, _callback, _help in screen.palette_commands()]
        assert any("go to path" in t.lower() for t in titles)
        screen.command_open("nowhere/x")
        await wait_for(pilot, lambda: "no mount called 'nowhere'" in notes(app), 30, "why not")
        screen.command_open(f"{kv2_mount}/a/../b")
        await wait_for(pilot, lambda: "'..'" in notes(app), 30, "why not (..)")


async def test_a_path_flag_that_cannot_open_says_why(settings, kv2_mount):
    app = app_for(settings, initial_path="nosuchmount/app/db")
    async with app.run_test(size=(140, 40)) as pilot:
        await browser(pilot, app)
        await wait_for(pilot, lambda: "--path" in notes(app) and "nosuchmount" in notes(app), 30, "--path explained")


# -- capabilities for every action -------------------------------------------------------------------


async def test_metadata_and_create_are_checked_on_their_own_paths(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, "app/db", {"k": "v"})
    token = token_for(
        root_client,
        f"{kv2_mount}-nometa",
        f'path "{kv2_mount}/data/app/*" {{ capabilities = ["read", "update"] }}\n'
        f'path "{kv2_mount}/metadata/*" {{ capabilities = ["read", "list"] }}\n',
    )
    full = f"{kv2_mount}/app/db"
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_path=full)
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        await wait_for(pilot, lambda: detail.permissions is not None and detail.metadata is not None, 60, "caps")
        assert detail.check_action("edit", ()) is True
        assert detail.check_action("metadata", ()) is None  # greyed: update on metadata/app/db is missing
        access = str(detail.query_one(CapabilitiesPanel).render())
        assert "✗ write_metadata" in access and f"{kv2_mount}/metadata/app/db" in access
        # creating: no "create" anywhere in app/ -> greyed, and n says why
        await wait_for(pilot, lambda: screen.acl is not None, 30, "ACL")
        assert screen.check_action("new_secret", ()) is None
        tree.focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: "not allow creating" in notes(app), 30, "why n is greyed")
        assert isinstance(app.screen, SecretsScreen)
        detail.query_one("#data-table", DataTable).focus()
        await pilot.press("m")
        await wait_for(pilot, lambda: "metadata/app/db" in notes(app), 30, "why m is greyed")


async def test_internal_mounts_are_not_browsed(settings):
    app = app_for(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen, tree, detail = await browser(pilot, app)
        labels = tree_labels(tree)
        assert not any(label.startswith(("sys/", "identity/")) for label in labels)
        assert any(label.startswith("cubbyhole/") for label in labels)
        tree.set_mounts(
            (
                Mount("ns_sys/", "ns_system"),
                Mount("ns_id/", "ns_identity"),
                Mount("ns_cub/", "ns_cubbyhole"),
                Mount("secret/", "kv", options={"version": "2"}),
                Mount("token/", "token", is_auth=True),
            )
        )
        await pilot.pause()
        assert [m.path for m in tree.mounts] == ["ns_cub/", "secret/"]
