"""The secrets view: the path tree on the left, the secret-version pane on the right.

Widgets post, the screen decides: the tree and the pane only read and render; every dialog and
every write is the screen's (through its :class:`~.writes.WriteDesk`, planned by :mod:`.planner`).
The screen also opens any path directly ("go to path": ``o``, ``:open PATH``, the palette and
``--path``), greys out "new secret" where the token's policies forbid creating, and says why when
a key that is hidden or greyed out is pressed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events, on
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static, Tree

from ...context import vault_app
from ...messages import MountsLoaded, VaultFailed
from ...safe import visible
from ...vault import policies
from ...vault.errors import BadPath
from ...vault.gateway import Gateway
from ...vault.models import Mount
from ...vault.paths import resolve_full_path
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from . import render
from .detail import SecretDetail
from .finding import Finding, IndexStatus
from .follow import CursorFollower, input_waiting
from .planner import parent_folder
from .tree import NodeRef, PathTree
from .workflows import ACTIONS as WORKFLOW_ACTIONS
from .workflows import Workflows
from .writes import CreateExplained, TheirsRead, WriteDesk, WriteDone, WriteFailed

# Engines whose roles issue leased credentials at <mount>/creds/<role>.
CREDS_ENGINES = frozenset(
    {
        "database",
        "aws",
        "azure",
        "gcp",
        "rabbitmq",
        "nomad",
        "consul",
        "kubernetes",
        "ldap",
        "mongodbatlas",
        "terraform",
    }
)
READ_ONLY_NEW = "read-only mode: vault-tui makes no changes (--read-only or the profile's read_only)"


class Breadcrumb(Static):
    """``secret/ › team › app › db`` for the node under the cursor: long names in full (up to 3 lines)."""

    def __init__(self) -> None:
        super().__init__("", markup=False, id="breadcrumb")
        self.plain = ""

    def show(self, ref: NodeRef | None) -> None:
        line = render.breadcrumb(ref.mount if ref is not None else None, ref.path if ref is not None else "")
        self.plain = line.plain
        self.update(line)


class SecretsScreen(Screen[None]):
    VIEW_TITLE = "Secrets browser"
    CSS_PATH = Path(__file__).parent / "secrets.tcss"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="browser.filter"),
        Binding("escape", "clear_filter", "Back / clear filter", show=False, id="browser.back"),
        Binding("R", "reload", "Reload mounts", show=False, id="browser.reload"),
        Binding("n", "new_secret", "New secret", id="browser.new"),
        Binding("o", "open_path", "Go to path", id="browser.open"),
        Binding("ctrl+f", "find", "Find", id="browser.find"),
        Binding("y", "copy_path", "Copy path", show=False, id="browser.copy_path"),
        Binding("Y", "copy_command", "Copy kv command", show=False, id="browser.copy_command"),
        Binding("tab", "focus_next_pane", "Switch pane", show=False, id="browser.next_pane"),
        Binding("g", "generate_credentials", "Credentials", id="browser.generate"),
        # The workflows (workflows.py): hidden from the footer, listed by ? and the palette.
        Binding("E", "edit_external", "Edit in $EDITOR", show=False, id="browser.edit_external"),
        Binding("X", "export_subtree", "Export JSON", show=False, id="browser.export"),
        Binding("I", "import_subtree", "Import JSON", show=False, id="browser.import"),
        Binding("f5", "copy_secrets", "Copy to…", show=False, id="browser.copy"),
        Binding("M,f6", "move_secrets", "Move / rename", show=False, id="browser.move"),
        Binding("dollar_sign", "export_dotenv", "Export .env", key_display="$", show=False, id="browser.dotenv"),
    ]

    @dataclass
    class AclLoaded(Message):
        """What the token's policies grant (None: the server would not say)."""

        acl: policies.ResultantAcl | None

    def __init__(self) -> None:
        super().__init__()
        self.writes = WriteDesk(self)
        self.finding = Finding(self)  # search, the path index, go-to completion, y / Y
        self.flows = Workflows(self)
        self.acl: policies.ResultantAcl | None = None
        self._shown: NodeRef | None = None
        self.notes: dict[str, str] = {}  # full folder path -> a note for the pane when it shows that folder
        self._listed_for: tuple[str | None, str | None] | None = None  # (namespace, profile) of the tree
        self._fresh = False  # the next listing starts the tree afresh (another namespace or profile)
        # The pane loads once the cursor rests (and no key is waiting to be handled).
        self.follow: CursorFollower[NodeRef] = CursorFollower(self, self._show, busy=self._input_waiting)

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Breadcrumb()
        with Horizontal(id="browser-body"):
            with Vertical(id="tree-pane"):
                yield Input(placeholder="filter loaded paths…", id="tree-filter")
                yield PathTree(id="paths")
                yield IndexStatus()
            yield SecretDetail(id="detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#tree-filter", Input).display = False
        self.query_one(PathTree).loading = True
        self.reload()

    @property
    def path_tree(self) -> PathTree:
        return self.query_one(PathTree)

    @property
    def detail(self) -> SecretDetail:
        return self.query_one(SecretDetail)

    # -- mounts and the token's policies ---------------------------------------------------------
    def _where(self) -> tuple[str | None, str | None]:
        session = vault_app(self).session
        return (session.namespace, session.profile)

    def reload(self) -> None:
        """List the mounts again (and what the token's policies grant). After the server came back
        the user keeps their place; after a namespace or profile switch the tree starts afresh."""
        if self._listed_for is not None and self._listed_for != self._where():
            self._fresh = True
        self.finding.reloaded()
        worker = vault_app(self).worker
        worker.submit(Call(Gateway.mounts), to=self, done=MountsLoaded, action="listing mounts", key="browser:mounts")
        worker.submit(
            Call(policies.resultant_acl),
            to=self,
            done=SecretsScreen.AclLoaded,
            failed=lambda _error: SecretsScreen.AclLoaded(None),
            action="reading what your policies grant",
            key="browser:acl",
        )

    def action_reload(self) -> None:
        self.path_tree.loading = True
        self.reload()

    @on(MountsLoaded)
    def _mounts_loaded(self, message: MountsLoaded) -> None:
        message.stop()
        tree = self.path_tree
        place = None if self._fresh else self._cursor_ref()
        self._listed_for, self._fresh = self._where(), False
        tree.loading = False
        tree.set_mounts(message.mounts, keep_place=place is not None)
        tree.set_acl(self.acl)
        self.finding.mounts_listed(message.mounts)
        if place is None or self.focused is None:
            tree.focus()  # the first listing; a reload leaves the focus where the user has it
        initial = vault_app(self).config.initial_path
        if initial:
            vault_app(self).config.initial_path = None
            self._shown = None
            self.open_path(initial, origin="--path")
        elif place is not None and place.mount is not None:
            self._back_to(place)
        else:
            self._shown = None

    def _back_to(self, place: NodeRef) -> None:
        """After a reload: the same node again, and the pane reread on the same tab."""
        mount = self.path_tree.mount_named(place.mount.path) if place.mount is not None else None
        if mount is None:
            self._shown = None
            return
        path = place.path if place.kind in ("secret", "folder", "mount") else place.folder
        detail = self.detail
        if place.kind == "secret" and detail.is_showing(mount.path, path):
            detail.refresh_after_write(keep_version=True, has_draft=self.writes.has_draft(mount.path, path))
        else:
            self._shown = None
        self.path_tree.reveal(mount, path)

    @on(VaultFailed)
    def _failed(self, message: VaultFailed) -> None:
        if message.key == "browser:mounts":
            message.stop()
            self.path_tree.loading = False
            vault_app(self).report_error(message.error, "listing mounts")

    @on(AclLoaded)
    def _acl_loaded(self, message: AclLoaded) -> None:
        message.stop()
        self.acl = message.acl
        self.path_tree.set_acl(message.acl)
        self.finding.acl_loaded(message.acl)
        self.refresh_bindings()

    # -- selection ---------------------------------------------------------------------------------
    @on(PathTree.PathChosen, "#paths")
    def _chosen(self, message: PathTree.PathChosen) -> None:
        ref = message.ref
        if ref.kind == "root":
            return  # the hidden root node: nothing to show
        self.query_one(Breadcrumb).show(ref)
        self.refresh_bindings()
        if ref == self._shown:
            return  # the same node again (a listing or a rebuild moved it): keep the pane as it is
        self._shown = ref
        if ref.kind == "secret" and ref.mount is not None:
            self.follow.moved(ref)
        else:
            self.follow.cancel()
            self._show(ref)

    def _input_waiting(self) -> bool:
        return input_waiting(self.app, self.path_tree)

    def _show(self, ref: NodeRef) -> None:
        detail = self.detail
        if ref.mount is None:
            detail.clear()
        elif ref.kind == "secret":
            detail.show_secret(ref.mount, ref.path, has_draft=self.writes.has_draft(ref.mount.path, ref.path))
        elif ref.kind == "mount":
            detail.show_mount(ref.mount, note=self.notes.pop(ref.mount.path, ""))
        elif ref.kind == "hint":
            note = f"Your policies grant paths under {ref.mount.path}{ref.folder} that cannot be listed here."
            detail.show_folder(ref.mount, ref.folder, note=note + "\nPress o and type the full path to open one.")
        else:
            detail.show_folder(ref.mount, ref.folder, note=self.notes.pop(ref.mount.path + ref.folder, ""))

    @on(PathTree.FolderRefreshed)
    def _folder_refreshed(self, message: PathTree.FolderRefreshed) -> None:
        self.finding.refreshed(message.mount, message.folder)

    @on(Tree.NodeSelected, "#paths")
    def _selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        """``enter`` on a secret moves into the detail pane, where its keys act on it."""
        ref = event.node.data
        if ref is not None and ref.kind == "secret":
            self.follow.flush()  # the pane shows this secret before the keys go to it
            tables = self.detail.query("#data-table")
            if tables:
                tables.first().focus()

    def _cursor_ref(self) -> NodeRef | None:
        node = self.path_tree.cursor_node
        return node.data if node is not None else None

    def token_lost(self) -> None:
        self.writes.token_lost()

    def resume_after_sign_in(self) -> None:
        self.writes.resume_after_sign_in()

    def conceal(self) -> None:
        """The idle lock: nothing revealed stays on screen."""
        self.detail.conceal()

    # -- go to path ---------------------------------------------------------------------------------
    def open_path(self, full: str, *, origin: str = "") -> bool:
        """Select ``full`` (``secret/app/db``, ``secret/data/app/db``, ``secret/app/``) in the tree,
        adding the missing nodes without listing its parents. Says why when it cannot."""
        text = full.strip()
        where = f"{origin} {visible(text)}" if origin else visible(text)
        try:
            mount, inner = resolve_full_path(text, list(self.path_tree.mounts))
        except BadPath as error:
            self.notify(f"Cannot open {where}: {visible(str(error))}", severity="warning", markup=False, timeout=10)
            return False
        if not self.show_path(mount, inner):
            self.notify(f"Cannot open {where}: the mount is not shown here.", severity="warning", markup=False)
            return False
        return True

    def show_path(self, mount: Mount, inner: str) -> bool:
        """Select ``inner`` of ``mount`` in the tree (its folders opened), clearing the filter."""
        box = self.query_one("#tree-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.path_tree.apply_filter("")
        if self.path_tree.reveal(mount, inner) is None:
            return False
        self.path_tree.focus()
        return True

    def action_open_path(self) -> None:
        ref = self._cursor_ref()
        start = ref.mount.path + ref.folder if ref is not None and ref.mount is not None else ""

        def chosen(path: str | None) -> None:
            if path and path.strip():
                self.open_path(path)

        prompt = "A mount and a path (secret/app/db, or secret/data/app/db); its folders need not be listable."
        self.app.push_screen(self.finding.prompt(start, prompt, "secret/app/db"), callback=chosen)

    def command_open(self, rest: str) -> None:
        """``:open PATH`` (``:open`` alone asks for the path)."""
        if rest.strip():
            self.open_path(rest)
        else:
            self.action_open_path()

    def command_find(self, rest: str) -> None:
        """``:find TEXT``: the search panel with TEXT typed in."""
        self.finding.open_search(rest.strip() or None)

    def action_find(self) -> None:
        self.finding.open_search()

    def action_copy_path(self) -> None:
        self.finding.copy_path()

    def action_copy_command(self) -> None:
        self.finding.copy_path(command=True)

    def palette_commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        return [
            ("Secrets: find (ctrl+f)", self.action_find, "Find a secret by any part of its path, or of its keys"),
            (
                "Secrets: go to path (o)",
                self.action_open_path,
                "Open any secret or folder by its path, without listing",
            ),
            ("Secrets: new secret (n)", self.action_new_secret, "Create a secret in the folder under the cursor"),
            *self.flows.palette_commands(),
        ]

    # -- filter --------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#tree-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#tree-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.path_tree.apply_filter(event.value)

    @on(Input.Submitted, "#tree-filter")
    def _filter_submitted(self) -> None:
        self.path_tree.focus()

    def action_clear_filter(self) -> None:
        """``esc``: clear the filter (keeping the node under the cursor), or go back to the tree."""
        box = self.query_one("#tree-filter", Input)
        tree = self.path_tree
        if box.display:
            box.value = ""
            box.display = False
            tree.apply_filter("")
            tree.focus()
        elif self.finding.cancel():
            self.notify("Indexing stopped: search results are partial.", markup=False, timeout=4)
        elif not tree.has_focus:
            tree.focus()

    # -- new secret and credentials ---------------------------------------------------------------
    def _new_secret_target(self) -> tuple[Mount, str] | str:
        """Where ``n`` creates, or why it cannot."""
        ref = self._cursor_ref()
        if vault_app(self).session.read_only:
            return READ_ONLY_NEW
        if ref is None or ref.mount is None or not ref.mount.is_kv:
            return "select a KV mount or folder first"
        folder = ref.folder
        if self.acl is not None and not policies.can_create_under(self.acl, ref.mount, folder):
            need = "create on " + ref.mount.path + ("data/" if ref.mount.kind.value == "kv2" else "") + folder
            return f"your policies do not allow creating secrets in {ref.mount.path}{folder} (needs {need}…)"
        return ref.mount, folder

    def action_new_secret(self) -> None:
        target = self._new_secret_target()
        if isinstance(target, str):
            self.notify(f"New secret: {visible(target)}.", severity="warning", markup=False)
            return
        self.writes.new_secret(*target)

    def action_generate_credentials(self) -> None:
        """On a database (or other creds-issuing) mount: pick a role and issue credentials."""
        ref = self._cursor_ref()
        mount = ref.mount if ref is not None else None
        if mount is None or mount.is_kv:
            self.notify("Select a database mount to generate credentials.", severity="warning", markup=False)
            return

        def start(screen: Screen[Any]) -> None:
            generate = getattr(screen, "action_generate", None)
            if callable(generate):
                self.app.run_worker(generate(mount=mount.name), exit_on_error=False)

        vault_app(self).show_view("leases", then=start)

    def action_focus_next_pane(self) -> None:
        tree = self.path_tree
        if tree.has_focus:
            self.detail.focus()
            self.focus_next()
        else:
            tree.focus()

    # -- workflows: E X I y M $ (workflows.py) ---------------------------------------------------
    def action_edit_external(self) -> None:
        self.flows.edit_external()

    def action_export_subtree(self) -> None:
        self.flows.export()

    def action_import_subtree(self) -> None:
        self.flows.import_into()

    def action_copy_secrets(self) -> None:
        self.flows.copy()

    def action_move_secrets(self) -> None:
        self.flows.move()

    def action_export_dotenv(self) -> None:
        self.flows.dotenv()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WORKFLOW_ACTIONS:
            return self.flows.check_action(action)
        if action in ("new_secret", "generate_credentials") and vault_app(self).session.read_only:
            return False
        if action == "new_secret":
            return None if isinstance(self._new_secret_target(), str) else True
        if action == "generate_credentials":
            ref = self._cursor_ref()
            return True if ref is not None and ref.mount is not None and ref.mount.type in CREDS_ENGINES else None
        return True

    def refusal_reason(self, action: str) -> str | None:
        if action in WORKFLOW_ACTIONS:
            return self.flows.refusal_reason(action)
        if action == "new_secret":
            target = self._new_secret_target()
            return target if isinstance(target, str) else None
        if action == "generate_credentials":
            return "select a database (or other credentials) mount first"
        return None

    # -- a key that is hidden or greyed out says why -------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """Before the bindings run: if the key's first binding is refused, say why (and stop it)."""
        for namespace, bindings in self._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue
                _target, action, parameters = parse_action(binding.action)
                state = namespace.check_action(action, parameters)
                if state:
                    return  # it will run
                explain = getattr(namespace, "refusal_reason", None)
                reason = explain(action) if callable(explain) else None
                if not reason:
                    continue
                event.stop()
                event.prevent_default()
                title = binding.description or action
                self.notify(f"{visible(title)}: {visible(reason)}.", severity="warning", markup=False, timeout=6)
                return

    # -- intents of the pane: the screen decides --------------------------------------------------
    @on(SecretDetail.EditRequested)
    def _edit(self, message: SecretDetail.EditRequested) -> None:
        self.writes.edit(message.shown)

    @on(SecretDetail.PatchRequested)
    def _patch(self, message: SecretDetail.PatchRequested) -> None:
        self.writes.patch(message.shown, message.key)

    @on(SecretDetail.RollbackRequested)
    def _rollback(self, message: SecretDetail.RollbackRequested) -> None:
        self.writes.rollback(message.shown, message.target)

    @on(SecretDetail.VersionsActionRequested)
    def _versions(self, message: SecretDetail.VersionsActionRequested) -> None:
        self.writes.versions(message.shown, message.action, message.versions)

    @on(SecretDetail.DeleteAllRequested)
    def _delete_all(self, message: SecretDetail.DeleteAllRequested) -> None:
        self.writes.delete_all(message.shown)

    @on(SecretDetail.MetadataRequested)
    def _metadata(self, message: SecretDetail.MetadataRequested) -> None:
        self.writes.metadata(message.shown)

    @on(SecretDetail.ValueViewRequested)
    def _view_value(self, message: SecretDetail.ValueViewRequested) -> None:
        self.writes.view_value(message.title, message.value)

    def new_secret(self, mount: Mount, folder: str) -> None:
        """Open the new-secret form for ``folder`` of ``mount`` (as ``n`` does there)."""
        self.writes.new_secret(mount, parent_folder(folder))

    # -- write replies -------------------------------------------------------------------------
    @on(WriteDone)
    def _write_done(self, message: WriteDone) -> None:
        message.stop()
        self.writes.done(message.job, message.result)
        self.finding.after_write(message.job, message.result)

    @on(WriteFailed)
    def _write_failed(self, message: WriteFailed) -> None:
        message.stop()
        self.writes.failed(message.job, message.error)

    @on(TheirsRead)
    def _theirs_read(self, message: TheirsRead) -> None:
        message.stop()
        self.writes.conflict(message.job, message.theirs)

    @on(CreateExplained)
    def _create_explained(self, message: CreateExplained) -> None:
        message.stop()
        self.writes.explain_create(message.job, message.message, message.reason)
