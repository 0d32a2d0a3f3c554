"""Finding secrets (issue 11): the index, the search panel, key/value search, paths as first-class
things. Real OpenBao, driven with Pilot; requests are counted at the gateway."""

from __future__ import annotations

import threading
from typing import Any

from textual.widgets import Input, OptionList, Static

from tests.helpers import screen_ready, wait_for, wait_ready
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import EngineKind, Mount
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.finding import cli_command, complete_path
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.search import SearchScreen
from vault_tui.views.secrets.tree import PathTree


class CountingGateway(Gateway):
    """Counts what the Vault layer sends: every call (``call``), and raw requests by method."""

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.calls: list[str] = []
        self.methods: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def call(self, fn, path=""):  # type: ignore[no-untyped-def]
        with self._lock:
            self.calls.append(path)
        return super().call(fn, path)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._lock:
            self.methods.append((method.upper(), path))
        return super().request(method, path, **kwargs)

    def listings(self, mount: str) -> int:
        """LIST and SCAN requests under ``mount`` so far (the index and the tree's listings)."""
        with self._lock:
            return sum(1 for path in self.calls if path.startswith(f"{mount}/metadata") or path == f"{mount}/")


class Board:
    """A clipboard double (what pyperclip would write)."""

    def __init__(self) -> None:
        self.text = ""

    def copy(self, text: str) -> None:
        self.text = text

    def paste(self) -> str:
        return self.text


def seed(root_client, mount: str, paths: dict[str, dict]) -> None:
    for path, data in paths.items():
        root_client.secrets.kv.v2.create_or_update_secret(path, data, mount_point=mount)


def cursor_path(tree: PathTree) -> str | None:
    node = tree.cursor_node
    return node.data.full_path if node is not None and node.data is not None else None


def options(panel: SearchScreen) -> list[str]:
    results = panel.query_one(OptionList)
    return [str(results.get_option_at_index(i).prompt.plain) for i in range(results.option_count)]


def status(panel: SearchScreen) -> str:
    return str(panel.query_one("#search-status", Static).render())


async def open_panel(pilot, app, *keys: str) -> SearchScreen:
    await pilot.press("ctrl+f", *keys)
    await wait_for(pilot, lambda: screen_ready(app, SearchScreen), 30, "search panel")
    panel = app.screen
    assert isinstance(panel, SearchScreen)
    return panel


async def indexed(pilot, panel: SearchScreen, mount: str) -> None:
    def done() -> bool:
        store = panel.indexer.store(mount + "/")
        return store is not None and store.indexed and not panel.indexer.running()

    await wait_for(pilot, done, 60, f"{mount} indexed")
    await pilot.pause()


PATHS = {
    "payments/prod/stripe": {"api_key": "sk-live-not-real"},
    "payments/staging/stripe": {"api_key": "sk-test"},
    "identity/prod/db-password": {"password": "hunter2-not-real"},
    "stripe": {"k": "v"},
    "legacy/stripes/old": {"k": "v"},
    "team/platform/tls": {"cert": "x"},
}


async def test_search_ranks_highlights_scopes_and_opens_with_ancestors_expanded(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, PATHS)
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/team/platform/tls"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/team/platform/tls", 60, "tls")
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        assert "indexed 6 paths" in status(panel)
        await pilot.press(*"stripe")
        await wait_for(pilot, lambda: len(panel.found) == 4, 30, "four results")
        shown = options(panel)
        # exact segments first (in path order), then a segment prefix
        assert shown == [
            f"{kv2_mount}/payments/prod/stripe",
            f"{kv2_mount}/payments/staging/stripe",
            f"{kv2_mount}/stripe",
            f"{kv2_mount}/legacy/stripes/old",
        ]
        # the matched characters are highlighted (and only they)
        first = panel.query_one(OptionList).get_option_at_index(0).prompt
        hits = [first.plain[span.start : span.end] for span in first.spans if "underline" in str(span.style)]
        assert hits == ["stripe"]
        # fuzzy: the characters in order
        panel.query_one(Input).value = "idpw"
        await wait_for(pilot, lambda: options(panel) == [f"{kv2_mount}/identity/prod/db-password"], 30, "fuzzy")
        # scope: the folder under the cursor (team/platform/) finds nothing named stripe
        panel.query_one(Input).value = "stripe"
        await pilot.press("f2")
        await wait_for(pilot, lambda: panel.state.scope == "folder" and not panel.found, 30, "folder scope")
        assert f"{kv2_mount}/team/platform/" in str(panel.query_one("#search-options", Static).render())
        await pilot.press("f2")  # all KV mounts
        await wait_for(pilot, lambda: panel.state.scope == "all" and len(panel.found) == 4, 30, "all mounts")
        await pilot.press("f2")  # back to the mount
        await wait_for(pilot, lambda: panel.state.scope == "mount", 30, "mount scope")
        # enter opens the highlighted result, its folders opened, the cursor on it
        await pilot.press("down", "up", "enter")
        await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "panel closed")
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/payments/prod/stripe", 30, "opened")
        node = tree.cursor_node
        assert node is not None and node.parent is not None and node.parent.is_expanded
        assert node.parent.parent is not None and node.parent.parent.is_expanded
        detail = app.screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.path == "payments/prod/stripe" and detail.secret is not None, 30, "shown")
        # :find TEXT opens the panel with the text typed in, and the palette offers it
        assert any("find" in title.lower() for title, _run, _help in app.screen.palette_commands())
        app.screen.command_find("db-pass")
        await wait_for(pilot, lambda: screen_ready(app, SearchScreen), 30, "panel again")
        panel = app.screen
        await wait_for(pilot, lambda: options(panel) == [f"{kv2_mount}/identity/prod/db-password"], 30, ":find")


async def test_key_value_search_shows_key_names_never_values(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, PATHS)
    root_client.secrets.kv.v2.create_or_update_secret(
        "identity/prod/db-password", {"password": "rotated-not-real"}, mount_point=kv2_mount
    )
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/stripe"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/stripe", 60, "stripe")
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        await pilot.press("f3", *"hunter2")
        assert "enter reads 6 secrets" in status(panel)
        await pilot.press("enter")
        await wait_for(pilot, lambda: panel.content_cancel is None and panel.content_progress is not None, 60, "read")
        # the current version no longer holds it: nothing found without old versions
        assert panel.found == []
        await pilot.press("f4")  # old versions too
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(panel.found) == 1 and panel.content_cancel is None, 60, "old version")
        assert options(panel) == [f"{kv2_mount}/identity/prod/db-password  v1  in the value of password"]
        # a key NAME match
        panel.query_one(Input).value = "api_k"
        await pilot.press("f4", "enter")
        await wait_for(pilot, lambda: len(panel.found) == 2 and panel.content_cancel is None, 60, "key names")
        assert options(panel) == [
            f"{kv2_mount}/payments/prod/stripe  key api_key",
            f"{kv2_mount}/payments/staging/stripe  key api_key",
        ]
        screen_text = app.export_screenshot()
        for value in ("sk-live-not-real", "sk-test", "hunter2-not-real", "rotated-not-real"):
            assert value not in screen_text
            assert value not in repr(panel.__dict__)
        # reveal = open the secret: the pane shows it masked until v
        await pilot.press("enter")
        detail = app.screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.path == "payments/prod/stripe" and detail.secret is not None, 30, "open")


async def test_cancelling_a_key_value_search_stops_its_requests(bao, root_client, kv2_mount):
    from benchmarks.seed import seed as seed_fast

    seed_fast(bao.addr, bao.root_token, kv2_mount, [f"many/s{i:04d}" for i in range(3000)])
    gateway = CountingGateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    app = make_app(AppConfig(connection=gateway.settings, initial_path=f"{kv2_mount}/many/s0000"), gateway=gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/many/s0000", 60, "first")
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        await pilot.press("f3", *"needle", "enter")
        await wait_for(pilot, lambda: (panel.content_progress or (0,))[0] >= 5, 60, "some secrets read")
        await pilot.press("escape")  # stops the search, keeps the panel
        assert isinstance(app.screen, SearchScreen) and panel.content_cancel is None
        assert "partial" in status(panel)

        def reads() -> int:
            return sum(1 for method, path in gateway.methods if method == "GET" and "/data/many/" in path)

        await wait_for(
            pilot,
            lambda: not any(t.name.startswith("vault-content") for t in threading.enumerate()),
            60,
            "reading threads done",
        )
        settled = reads()
        assert settled < 3000 - 500, settled  # stopped well before the end
        await pilot.pause(0.5)
        assert reads() == settled  # nothing more was sent
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "closed")


async def test_writes_and_deletes_update_the_index_without_a_rescan(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, {"app/one": {"k": "v"}, "app/two": {"k": "v"}})
    gateway = CountingGateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    app = make_app(AppConfig(connection=gateway.settings, initial_path=f"{kv2_mount}/app/one"), gateway=gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        tree = screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/app/one", 60, "app/one")
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, SecretsScreen), 30, "closed")
        store = screen.finding.indexer.store(f"{kv2_mount}/")
        assert store is not None and sorted(store.paths) == ["app/one", "app/two"]
        scans = sum(1 for path in gateway.calls if path == f"{kv2_mount}/metadata/")
        # a new secret, through the form
        tree.focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SecretEditorScreen", 30, "new secret form")
        app.screen.query_one("#editor-path", Input).value = "app/three"
        app.screen.query(".kv-key").first().value = "k"
        app.screen.query(".kv-value").first().value = "v"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "app/three" in store, 60, "write indexed")
        # delete every version of app/two (D, type the path)
        screen.show_path(tree.mount_named(kv2_mount), "app/two")
        detail = screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.path == "app/two" and detail.metadata is not None, 60, "app/two shown")
        await wait_for(pilot, lambda: detail.permissions is not None, 60, "capabilities")
        await pilot.press("enter", "D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "TypedConfirmScreen", 30, "confirm")
        app.screen.query_one("#typed", Input).value = "app/two"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "app/two" not in store, 60, "delete indexed")
        assert sorted(store.paths) == ["app/one", "app/three"]
        assert sum(1 for path in gateway.calls if path == f"{kv2_mount}/metadata/") == scans  # no re-scan


async def test_restricted_token_finds_readable_paths_under_a_mount_it_cannot_list(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, {"team/app/db": {"password": "x"}, "team/other": {"k": "v"}})
    policy = f"""
path "{kv2_mount}/data/team/app/db" {{ capabilities = ["read"] }}
path "{kv2_mount}/metadata/team/app/db" {{ capabilities = ["read"] }}
"""
    root_client.sys.create_or_update_policy(f"{kv2_mount}-reader", policy)
    token = root_client.auth.token.create(policies=[f"{kv2_mount}-reader"], ttl="10m")["auth"]["client_token"]
    app = make_app(AppConfig(connection=ConnectionSettings(addr=bao.addr, token=token)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        tree = screen.query_one(PathTree)
        await wait_for(pilot, lambda: tree.mount_named(kv2_mount) is not None, 60, "mount shown")
        await wait_for(pilot, lambda: screen.acl is not None, 60, "policies read")
        tree.move_cursor(tree._folder_nodes[(f"{kv2_mount}/", "")])
        await pilot.pause()
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        assert "1 folder denied" in status(panel)
        await pilot.press(*"db")
        await wait_for(pilot, lambda: options(panel) == [f"{kv2_mount}/team/app/db"], 30, "readable path found")
        await pilot.press("enter")
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/team/app/db", 30, "opened")


async def test_use_limited_token_indexes_nothing_in_the_background(bao, root_client, kv2_mount):
    seed(root_client, kv2_mount, {"app/db": {"k": "v"}})
    token = root_client.auth.token.create(policies=["root"], num_uses=200, ttl="10m")["auth"]["client_token"]
    gateway = CountingGateway(ConnectionSettings(addr=bao.addr, token=token))
    app = make_app(AppConfig(connection=gateway.settings, index_at_connect=True), gateway=gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: tree.mount_named(kv2_mount) is not None, 60, "mounts")
        assert app.session.token is not None and app.session.token.use_limited
        tree.move_cursor(tree._folder_nodes[(f"{kv2_mount}/", "")])
        await pilot.pause()
        panel = await open_panel(pilot, app)
        await pilot.pause(0.5)
        assert gateway.listings(kv2_mount) == 0  # not at connect, not when the search opened
        assert not panel.indexer.running()
        assert "uses left" in status(panel) and "nothing is indexed by itself" in status(panel)
        await pilot.press("f5")  # on request
        await indexed(pilot, panel, kv2_mount)
        assert gateway.listings(kv2_mount) >= 1
        await pilot.press(*"db")
        await wait_for(pilot, lambda: options(panel) == [f"{kv2_mount}/app/db"], 30, "found after indexing")


async def test_index_at_connect_indexes_every_kv_mount(bao, root_client, kv2_mount, kv1_mount):
    seed(root_client, kv2_mount, {"a/b": {"k": "v"}})
    root_client.secrets.kv.v1.create_or_update_secret("c/d", {"k": "v"}, mount_point=kv1_mount)
    app = make_app(AppConfig(connection=ConnectionSettings(addr=bao.addr, token=bao.root_token), index_at_connect=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        indexer = screen.finding.indexer

        def both() -> bool:
            stores = [indexer.store(f"{m}/") for m in (kv2_mount, kv1_mount)]
            return all(s is not None and s.indexed for s in stores) and not indexer.running()

        await wait_for(pilot, both, 60, "both mounts indexed")
        assert indexer.store(f"{kv1_mount}/").paths == ["c/d"]


async def test_y_copies_the_path_and_Y_a_kv_command(settings, root_client, kv2_mount, kv1_mount):
    seed(root_client, kv2_mount, {"team/app db": {"k": "v"}})
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/team/app db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        tree = screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/team/app db", 60, "secret")
        board = Board()
        tree.focus()
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.finding.clipboard is not None, 30, "clipboard made")
        screen.finding.clipboard._backend = board
        await pilot.press("y")
        await wait_for(pilot, lambda: board.text == f"{kv2_mount}/team/app db", 30, "path copied")
        await pilot.press("Y")
        await wait_for(pilot, lambda: board.text == f"bao kv get -mount={kv2_mount} 'team/app db'", 30, "command")
        assert screen.finding.clipboard.clear_after == 0  # a path is not a secret: never cleared


def test_cli_commands():
    kv2 = Mount("secret/", "kv", options={"version": "2"})
    kv1 = Mount("legacy/", "kv", options={"version": "1"})
    assert kv2.kind is EngineKind.KV2 and kv1.kind is EngineKind.KV1
    assert cli_command("OpenBao", kv2, "app/db") == "bao kv get -mount=secret app/db"
    assert (
        cli_command("Vault", kv2, "app/db", namespace="team-a/")
        == "vault kv get -namespace=team-a -mount=secret app/db"
    )
    assert cli_command("OpenBao", kv2, "app/") == "bao kv list -mount=secret app/"
    assert cli_command("OpenBao", kv2, "") == "bao kv list secret/"
    assert cli_command("Vault", kv1, "a b/c") == "vault kv get 'legacy/a b/c'"
    assert cli_command("OpenBao", kv1, "x; rm -rf ~") == "bao kv get 'legacy/x; rm -rf ~'"


def test_go_to_path_completion():
    mounts = [Mount("secret/", "kv", options={"version": "2"}), Mount("secrets-old/", "kv")]
    paths = {"secret/": ["payments/checkout/db", "payments/ledger/db", "team/x"], "secrets-old/": []}

    def paths_of(mount: Mount) -> list[str]:
        return paths[mount.path]

    assert complete_path("sec", mounts, paths_of) == "secret/"
    assert complete_path("secrets-", mounts, paths_of) == "secrets-old/"
    assert complete_path("secret/pay", mounts, paths_of) == "secret/payments/"
    assert complete_path("secret/payments/", mounts, paths_of) == "secret/payments/checkout/"
    assert complete_path("secret/payments/l", mounts, paths_of) == "secret/payments/ledger/"
    assert complete_path("secret/payments/ledger/", mounts, paths_of) == "secret/payments/ledger/db"
    assert complete_path("secret/payments/ledger/db", mounts, paths_of) is None
    assert complete_path("secret/zzz", mounts, paths_of) is None


async def test_go_to_path_prompt_completes_from_the_index(settings, root_client, kv2_mount):
    seed(root_client, kv2_mount, {"payments/checkout/db": {"k": "v"}})
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/payments/checkout/db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        tree = screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/payments/checkout/db", 60, "secret")
        tree.focus()
        await pilot.press("o")  # opening the prompt indexes the mount under the cursor
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PathPromptScreen", 30, "prompt")
        store_ready = lambda: (s := screen.finding.indexer.store(f"{kv2_mount}/")) is not None and s.indexed  # noqa: E731
        await wait_for(pilot, store_ready, 60, "indexed")
        box = app.screen.query_one("#prompt", Input)
        box.value = f"{kv2_mount}/pay"
        await wait_for(pilot, lambda: box._suggestion == f"{kv2_mount}/payments/", 30, "suggestion")
        await pilot.press("right")
        assert box.value == f"{kv2_mount}/payments/"


async def test_a_reindex_in_flight_does_not_undo_a_change_made_meanwhile(settings, root_client, kv2_mount):
    """A folder re-index whose listing predates a write or a delete must not undo it when it ends."""
    from vault_tui.vault.index import IndexProgress, IndexResult
    from vault_tui.views.secrets.indexer import IndexJob

    seed(root_client, kv2_mount, {"app/one": {"k": "v"}, "app/two": {"k": "v"}})
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/app/one"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        tree = screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/app/one", 60, "app/one")
        panel = await open_panel(pilot, app)
        await indexed(pilot, panel, kv2_mount)
        await pilot.press("escape")
        indexer = screen.finding.indexer
        mount = tree.mount_named(kv2_mount)
        key = indexer.key(mount.path)
        # A re-index of app/ whose listing was taken before the changes below.
        job = IndexJob(key, mount, "app/", True, collected=["app/one", "app/two"])
        indexer.jobs[(key, "app/")] = job
        indexer.added(mount, "app/three")
        indexer.removed(mount, "app/two")
        progress = IndexProgress(method="walk", paths_found=2)
        indexer._finish(job, IndexResult(kv2_mount, "app/", mount.kind, "walk", progress))
        store = indexer.store(mount.path)
        assert store is not None and sorted(store.paths) == ["app/one", "app/three"]
