"""The secrets screen's writing desk: every dialog that changes a secret, and every write.

The screen hands each intent of the detail pane to :class:`WriteDesk`, which asks the
:mod:`.planner` what to do, shows the dialog, runs the job's Vault-layer call through the worker
and handles the reply: the tree and the pane stay on the secret written, drafts are kept with the
app (``keep_draft``) until they are written or discarded, a CAS conflict shows both sides, and a
failed create keeps its form open, filled in, with the error in it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.message import Message

from ...context import vault_app
from ...safe import visible
from ...screens.modals import ConfirmScreen, TypedConfirmScreen
from ...vault import kv, policies
from ...vault.errors import PermissionDenied, VaultError
from ...vault.models import Mount, SecretData
from ...worker import Call
from . import planner
from .detail import SecretDetail
from .editor import ConflictScreen, EditorResult, MetadataEditorScreen, SecretEditorScreen, ValueScreen
from .planner import ConfirmPlan, DraftBook, Refusal, Shown, WriteJob
from .tree import PathTree

if TYPE_CHECKING:
    from .screen import SecretsScreen


@dataclass
class WriteDone(Message):
    job: WriteJob
    result: Any


@dataclass
class WriteFailed(Message):
    job: WriteJob
    error: VaultError


@dataclass
class TheirsRead(Message):
    """After a KV v2 CAS conflict: what is on the server now (None: unreadable or gone)."""

    job: WriteJob
    theirs: SecretData | None


@dataclass
class CreateExplained(Message):
    """After a create got 403: which capability on which exact path it lacks."""

    job: WriteJob
    message: str
    reason: str


class WriteDesk:
    """Dialogs and writes for one secrets screen (the screen posts replies back to it)."""

    def __init__(self, screen: SecretsScreen) -> None:
        self.screen = screen
        self.drafts = DraftBook()
        self.forms: dict[tuple[str, str], SecretEditorScreen] = {}  # open new-secret forms with a write in flight
        # Saves refused with a 403, and when: if the token turns out to be dead (the app's
        # lookup-self check), they are sent again once the user has signed in over their work.
        self.denied: dict[tuple[str, str], tuple[WriteJob, float]] = {}
        self.resume: dict[tuple[str, str], WriteJob] = {}

    # -- helpers ------------------------------------------------------------------------------
    @property
    def app(self) -> Any:
        return self.screen.app

    @property
    def detail(self) -> SecretDetail:
        return self.screen.query_one(SecretDetail)

    @property
    def tree(self) -> PathTree:
        return self.screen.query_one(PathTree)

    def _refused(self, refusal: Refusal) -> None:
        self.screen.notify(visible(refusal.message), severity="warning", markup=False)

    @property
    def namespace(self) -> str:
        return vault_app(self.screen).session.namespace or ""

    def has_draft(self, mount_path: str, path: str) -> bool:
        return self.drafts.get(mount_path, path, self.namespace) is not None

    def _keep(self, job: WriteJob) -> None:
        draft = self.drafts.keep(job)
        vault_app(self.screen).keep_draft(
            draft.owner, draft.description, lambda: self.discard(draft.mount.path, draft.path, draft.namespace)
        )
        if self.detail.is_showing(*job.key) and job.namespace == self.namespace:
            self.detail.has_draft = True

    def discard(self, mount_path: str, path: str, namespace: str | None = None) -> None:
        """Forget a kept draft (written, or thrown away by the user)."""
        namespace = self.namespace if namespace is None else namespace
        self.drafts.drop(mount_path, path, namespace)
        vault_app(self.screen).drop_draft(planner.draft_owner(mount_path, path, namespace))
        if self.detail.is_showing(mount_path, path) and namespace == self.namespace:
            self.detail.note_draft(False)

    def submit(self, job: WriteJob) -> None:
        """Run a job's Vault-layer call; an edit is kept as a draft until it lands."""
        job = replace(job, namespace=self.namespace)
        if job.is_edit:
            self._keep(job)
        request = planner.request_for(job)
        vault_app(self.screen).worker.submit(
            Call(request.fn, *request.args, **request.kwargs),
            to=self.screen,
            action=job.label,
            done=lambda result: WriteDone(job, result),
            failed=lambda error: WriteFailed(job, error),
        )
        if self.detail.is_showing(*job.key):
            self.detail.set_status(job.label[0].upper() + job.label[1:] + "…")

    def _confirm_then(self, plan: ConfirmPlan) -> None:
        if not plan.title:
            self.submit(plan.job)
            return

        def decided(ok: bool | None) -> None:
            if ok:
                self.submit(plan.job)

        if plan.typed is not None:
            dialog: Any = TypedConfirmScreen(plan.title, plan.body, plan.typed, confirm_label=plan.confirm_label)
        else:
            dialog = ConfirmScreen(plan.title, plan.body, confirm_label=plan.confirm_label, danger=plan.danger)
        self.app.push_screen(dialog, callback=decided)

    # -- intents --------------------------------------------------------------------------------
    def new_secret(self, mount: Mount, folder: str) -> None:
        """The new-secret form: it stays open until the secret is written (or the user cancels)."""
        plan = planner.plan_create(mount, folder)
        if isinstance(plan, Refusal):
            self._refused(plan)
            return
        sent: list[tuple[str, str]] = []

        def submit(result: EditorResult) -> None:
            job = plan.job(result.path, result.data)  # the form has checked the path
            for earlier in sent:  # a failed try at another path: this one replaces it
                if earlier != job.key and self.forms.pop(earlier, None) is not None:
                    self.discard(*earlier)
            self.forms[job.key] = form
            sent.append(job.key)
            self.submit(job)

        def closed(result: EditorResult | None) -> None:
            for key in sent:  # cancelled after a failed create: the user let the text go
                if self.forms.pop(key, None) is not None:
                    self.discard(*key)

        form = SecretEditorScreen(
            plan.title,
            {},
            path=plan.folder,
            path_editable=True,
            note=plan.note,
            submit=submit,
            check_path=planner.check_new_path,
        )
        self.app.push_screen(form, callback=closed)

    def edit(self, shown: Shown) -> None:
        plan = planner.plan_edit(shown, self.drafts.get(*shown.key, self.namespace))
        if isinstance(plan, Refusal):
            self._refused(plan)
            return

        def saved(result: EditorResult | None) -> None:
            if result is None:
                return
            if result.discard:
                self.discard(*shown.key)
                self.screen.notify(f"Discarded your draft of {visible(shown.path)}.", markup=False)
            else:
                self.submit(plan.job(result.data))

        editor = SecretEditorScreen(plan.title, plan.data, path=shown.path, note=plan.note, from_draft=plan.from_draft)
        self.app.push_screen(editor, callback=saved)

    def patch(self, shown: Shown, key: str | None) -> None:
        plan = planner.plan_patch(shown, key)
        if isinstance(plan, Refusal):
            self._refused(plan)
            return

        def saved(result: EditorResult | None) -> None:
            if result is not None:
                self.submit(plan.job(result.data))

        self.app.push_screen(
            SecretEditorScreen(plan.title, plan.start, path=shown.path, note=plan.note), callback=saved
        )

    def rollback(self, shown: Shown, target: int | None) -> None:
        plan = planner.plan_rollback(shown, target)
        if isinstance(plan, Refusal):
            self._refused(plan)
        else:
            self._confirm_then(plan)

    def versions(self, shown: Shown, action: str, versions: tuple[int, ...]) -> None:
        plan = planner.plan_versions(shown, action, versions)
        if isinstance(plan, Refusal):
            self._refused(plan)
        else:
            self._confirm_then(plan)

    def delete_all(self, shown: Shown) -> None:
        self._confirm_then(planner.plan_delete_all(shown))

    def metadata(self, shown: Shown) -> None:
        plan = planner.plan_metadata(shown)
        if isinstance(plan, Refusal):
            self._refused(plan)
            return

        def saved(change: planner.MetadataChange | None) -> None:
            if change is not None:
                self.submit(plan.job(change))

        self.app.push_screen(MetadataEditorScreen(plan.title, plan.current), callback=saved)

    def view_value(self, title: str, value: str) -> None:
        self.app.push_screen(ValueScreen(title, Text(value)))

    # -- replies --------------------------------------------------------------------------------
    def done(self, job: WriteJob, result: Any) -> None:
        self.denied.pop(job.key, None)
        self.resume.pop(job.key, None)
        outcome = planner.outcome(job, result)
        if job.is_edit:
            self.discard(*job.key, job.namespace)
        form = self.forms.pop(job.key, None)
        if form is not None and form.is_attached:
            form.done(None)
        self.screen.notify(visible(outcome.message), markup=False)
        tree, detail = self.tree, self.detail
        folder = planner.parent_folder(job.path)
        if outcome.deleted:
            tree.index.pinned.discard(job.key)
            tree.refresh_folder(job.mount, folder)
            if detail.is_showing(*job.key):
                self.screen.notes[job.mount.path + folder] = f"{job.path} was deleted."
                tree.reveal(job.mount, folder)
            return
        if outcome.select:
            tree.reveal(job.mount, job.path)
        if detail.is_showing(*job.key):
            detail.refresh_after_write(keep_version=outcome.keep_version, has_draft=self.has_draft(*job.key))
        tree.refresh_folder(job.mount, folder)

    # -- a session that ended under a save ------------------------------------------------------
    DENIED_WINDOW = 60.0  # a 403 this recent, then "the token is dead": the 403 was the dead token

    def _note_denied(self, job: WriteJob, error: VaultError) -> None:
        if not isinstance(error, PermissionDenied) or not (job.is_edit or job.created):
            return
        if vault_app(self.screen).session.token is None:  # the session has already ended
            self.resume[job.key] = job
        else:
            self.denied[job.key] = (job, time.monotonic())

    def token_lost(self) -> None:
        """The session token is dead: the saves it was just refused are sent again after sign-in."""
        now = time.monotonic()
        for key, (job, when) in list(self.denied.items()):
            if now - when <= self.DENIED_WINDOW:
                self.resume[key] = job
        self.denied.clear()

    def resume_after_sign_in(self) -> None:
        """Signed in again: send the saves the dead token was refused (check-and-set as before)."""
        jobs, self.resume = list(self.resume.values()), {}
        for job in jobs:
            form = self.forms.get(job.key)
            if job.created and form is not None and form.is_attached:
                self.screen.notify(f"Signed in again: creating {visible(job.path)} once more.", markup=False)
                form.action_save()  # what the form holds now, through its own checks
            elif job.is_edit and self.drafts.get(job.mount.path, job.path, job.namespace) is not None:
                if job.namespace != self.namespace:
                    continue  # the draft stays kept; it is for another namespace
                self.screen.notify(f"Signed in again: saving your edit of {visible(job.path)}.", markup=False)
                self.submit(job)

    def failed(self, job: WriteJob, error: VaultError) -> None:
        self._note_denied(job, error)
        plan = planner.failure_plan(job, error)
        detail = self.detail
        if plan.kind == "conflict":
            if detail.is_showing(*job.key):
                detail.set_status(plan.message, "warning")
            form = self.forms.pop(job.key, None)
            if form is not None and form.is_attached:
                form.done(None)
            if plan.read_theirs:
                vault_app(self.screen).worker.submit(
                    Call(kv.read_version, job.mount.path, job.path, None),
                    to=self.screen,
                    done=lambda theirs: TheirsRead(job, theirs),
                    failed=lambda _error: TheirsRead(job, None),
                )
            else:
                self.conflict(job, planner.theirs_from_error(job, error))
            return
        vault_app(self.screen).report_error(error, job.label)
        if plan.kind == "reload":
            self.screen.notify(plan.message, severity="warning", markup=False)
            if detail.is_showing(*job.key):
                detail.refresh_after_write(has_draft=self.has_draft(*job.key))
            return
        form = self.forms.get(job.key)
        if plan.kind == "form" and form is not None and form.is_attached:
            form.failed(plan.message)
            if isinstance(error, PermissionDenied):
                self._explain_create(job, plan.message)
        if detail.is_showing(*job.key):
            detail.set_status(plan.message, "error")
        elif plan.kind == "form" and form is None:
            self.screen.notify(visible(plan.message), severity="error", markup=False)

    def _explain_create(self, job: WriteJob, message: str) -> None:
        """Ask which capability the exact path lacks (one ``sys/capabilities-self`` call)."""

        def explained(allowed: dict[str, policies.Allowed]) -> CreateExplained:
            check = allowed.get("create")
            return CreateExplained(job, message, check.reason if check is not None and not check else "")

        vault_app(self.screen).worker.submit(
            Call(policies.capabilities_for_actions, job.mount, job.path, ("create",)),
            to=self.screen,
            done=explained,
            failed=lambda _error: None,
            action="checking what creating needs",
        )

    def explain_create(self, job: WriteJob, message: str, reason: str) -> None:
        form = self.forms.get(job.key)
        if reason and form is not None and form.is_attached and not form.busy:
            form.failed(f"{message}\nCreating {job.full_path} {reason}.")

    def conflict(self, job: WriteJob, theirs: SecretData | None) -> None:
        plan = planner.conflict_plan(job, theirs)
        self._keep(job)
        detail = self.detail
        if detail.is_showing(*job.key):
            detail.refresh_after_write(has_draft=True)
            detail.set_status(
                "Check-and-set conflict: nothing was written; your edit is kept (press e to reopen it).", "warning"
            )

        def decided(choice: str | None) -> None:
            if choice == "overwrite" and plan.can_overwrite:
                self.submit(plan.retry())
            elif choice == "edit":
                self._edit_after_conflict(plan)
            # "keep": the draft stays; e reopens it.

        self.app.push_screen(
            ConflictScreen(
                job.full_path,
                plan.theirs,
                plan.yours,
                theirs_label=plan.theirs_label,
                yours_label=plan.yours_label,
                can_overwrite=plan.can_overwrite,
            ),
            callback=decided,
        )

    def _edit_after_conflict(self, plan: planner.ConflictPlan) -> None:
        job = plan.job

        def saved(result: EditorResult | None) -> None:
            if result is not None:
                self.submit(plan.retry(result.data))

        self.app.push_screen(
            SecretEditorScreen(f"Edit {job.full_path}", plan.yours, path=job.path, note=plan.edit_note), callback=saved
        )
