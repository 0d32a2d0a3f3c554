"""The secrets view's Textual-free logic: the write planner, the pane's rules, the tree's model and
the one-line rendering. No server, no app."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from vault_tui.vault import kv
from vault_tui.vault.errors import BadPath, CasMismatch, PermissionDenied, Unreachable
from vault_tui.vault.models import Mount, SecretData, SecretMetadata, VersionInfo, WriteResult
from vault_tui.vault.policies import Permission, ResultantAcl, SecretPermissions, readable_under
from vault_tui.views.secrets import planner, rules
from vault_tui.views.secrets.planner import (
    ConfirmPlan,
    DraftBook,
    EditPlan,
    MetadataChange,
    Refusal,
    Shown,
    WriteJob,
)
from vault_tui.views.secrets.render import OneLine, Part, secret_header, shorten_middle
from vault_tui.views.secrets.tree_model import PathIndex, granted_names

T = datetime(2020, 1, 1, tzinfo=UTC)  # in the past: a future deletion_time is only scheduled, still live
KV2 = Mount("secret/", "kv", options={"version": "2"})
KV1 = Mount("old/", "kv", options={"version": "1"})


def meta(current: int, *, deleted: tuple[int, ...] = (), destroyed: tuple[int, ...] = (), cas: bool = False):
    versions = tuple(VersionInfo(n, T, T if n in deleted else None, n in destroyed) for n in range(current, 0, -1))
    return SecretMetadata("secret/", "app/db", current, 1, T, T, 0, cas, "0s", {"team": "ops"}, versions)


def data(version: int | None, **values) -> SecretData:
    return SecretData("secret/", "app/db", values or {"k": "v"}, version=version)


def shown(version: int = 3, current: int = 3, **kw) -> Shown:
    return Shown(KV2, "app/db", data(version), meta(current, **kw), viewing=None if version == current else version)


def test_planner_and_rules_import_no_textual():
    code = (
        "import sys, vault_tui.views.secrets.planner, vault_tui.views.secrets.rules, "
        "vault_tui.views.secrets.tree_model; "
        "sys.exit(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- edits and their CAS base ------------------------------------------------------------------


def test_edit_is_checked_against_the_current_version():
    plan = planner.plan_edit(shown(), None)
    assert isinstance(plan, EditPlan) and plan.base == 3 and plan.expected is None
    assert "version 4" in plan.note and "version 3" in plan.note
    job = plan.job({"k": "new"})
    assert (job.action, job.base, job.data, job.created) == ("write", 3, {"k": "new"}, False)
    request = planner.request_for(job)
    assert request.fn is kv.write_v2 and request.args == ("secret/", "app/db", {"k": "new"})
    assert request.kwargs == {"cas": 3}


def test_edit_from_an_older_version_still_checks_the_current_one():
    plan = planner.plan_edit(shown(version=1, current=3), None)
    assert isinstance(plan, EditPlan) and plan.base == 3 and "Starting from version 1" in plan.note


def test_edit_waits_for_data_and_metadata():
    assert isinstance(planner.plan_edit(Shown(KV2, "app/db"), None), Refusal)
    no_meta = Shown(KV2, "app/db", data(3), None, viewing=2)
    assert isinstance(planner.plan_edit(no_meta, None), Refusal)
    # unreadable data: the editor starts empty, still with CAS
    unreadable = Shown(KV2, "app/db", None, meta(3), data_failed=True)
    plan = planner.plan_edit(unreadable, None)
    assert isinstance(plan, EditPlan) and plan.data == {} and plan.base == 3


def test_kv1_edit_compares_with_what_it_started_from():
    start = SecretData("old/", "x", {"a": "1"})
    plan = planner.plan_edit(Shown(KV1, "x", start), None)
    assert isinstance(plan, EditPlan) and plan.base is None and plan.expected == {"a": "1"}
    request = planner.request_for(plan.job({"a": "2"}))
    assert request.fn is kv.write_kv1 and request.kwargs == {"expected": {"a": "1"}}
    missing = planner.plan_edit(Shown(KV1, "x", None, data_failed=True), None)
    assert isinstance(missing, EditPlan) and missing.expected is None and missing.title.startswith("Write")


def test_a_kept_draft_reopens_with_its_own_base():
    book = DraftBook()
    job = planner.plan_edit(shown(), None).job({"k": "mine"})  # type: ignore[union-attr]
    draft = book.keep(job)
    assert draft.owner == "secrets:secret/app/db" and "app/db" in draft.description
    plan = planner.plan_edit(shown(version=5, current=5), book.get("secret/", "app/db"))
    assert isinstance(plan, EditPlan) and plan.from_draft and plan.base == 3 and plan.data == {"k": "mine"}
    assert ("", "secret/", "app/db") in book and len(book) == 1 and list(book) == [draft]
    assert book.drop("secret/", "app/db") == draft and len(book) == 0
    # a draft belongs to the namespace it was typed in
    elsewhere = book.keep(replace(job, namespace="team-a"))
    assert elsewhere.owner == "secrets:team-a/secret/app/db" and "team-a" in elsewhere.description
    assert book.get("secret/", "app/db") is None and book.get("secret/", "app/db", "team-a") == elsewhere


# -- creating ------------------------------------------------------------------------------------


def test_create_writes_only_where_nothing_exists_and_only_the_exact_path():
    plan = planner.plan_create(KV2, "team/app/db")  # a secret's path: its folder
    assert not isinstance(plan, Refusal) and plan.folder == "team/app/"
    job = plan.job("team/app/new", {"u": "x"})
    assert (job.created, job.base, job.label) == (True, 0, "creating team/app/new")
    assert planner.request_for(job).kwargs == {"cas": 0}
    for bad in ("team/../../cubbyhole/x", "a//b", "./x", "x/", "/x", "", "a\x1bb"):
        assert planner.check_new_path(bad), bad
        with pytest.raises(BadPath):
            plan.job(bad, {"u": "x"})
    assert planner.check_new_path("team/a b?c#d") is None
    kv1_job = planner.plan_create(KV1, "")
    assert not isinstance(kv1_job, Refusal)
    assert planner.request_for(kv1_job.job("x", {"a": "1"})).kwargs == {"expected": None}
    assert isinstance(planner.plan_create(Mount("transit/", "transit"), ""), Refusal)


# -- patch, rollback, versions, delete all, metadata -----------------------------------------------


def test_patch_sends_only_the_changes_with_cas_and_keeps_the_whole_edit():
    current = Shown(KV2, "app/db", data(3, a="1", b="2"), meta(3))
    plan = planner.plan_patch(current, "b")
    assert not isinstance(plan, Refusal) and plan.start == {"b": "2"}
    job = plan.job({"b": "x"})
    assert job.data == {"a": "1", "b": "x"} and job.changes == {"b": "x"} and job.base == 3
    request = planner.request_for(job)
    assert request.fn is kv.patch_v2 and request.args[2] == {"b": "x"} and request.kwargs == {"cas": 3}
    assert isinstance(planner.plan_patch(shown(version=2, current=3), None), Refusal)  # not the current one
    kv1 = planner.plan_patch(Shown(KV1, "x", SecretData("old/", "x", {"a": "1"})), None)
    assert not isinstance(kv1, Refusal)
    request = planner.request_for(kv1.job({"b": "2"}))
    assert request.fn is kv.write_kv1 and request.args[2] == {"a": "1", "b": "2"}
    assert request.kwargs == {"expected": {"a": "1"}}


def test_rollback_plan():
    plan = planner.plan_rollback(shown(), 1)
    assert isinstance(plan, ConfirmPlan) and not plan.danger and "version 4" in plan.body
    assert planner.request_for(plan.job).kwargs == {"to_version": 1, "cas": 3}
    assert isinstance(planner.plan_rollback(shown(), 3), Refusal)  # the current one
    assert isinstance(planner.plan_rollback(shown(deleted=(1,)), 1), Refusal)
    assert isinstance(planner.plan_rollback(shown(destroyed=(2,)), 2), Refusal)
    assert isinstance(planner.plan_rollback(Shown(KV2, "app/db"), 1), Refusal)
    assert isinstance(planner.plan_rollback(shown(version=2, current=3), None), ConfirmPlan)  # the one shown


def test_versions_plans():
    delete = planner.plan_versions(shown(), "delete_versions", (3, 2))
    assert isinstance(delete, ConfirmPlan) and delete.title == "Soft-delete versions 2, 3?"
    assert planner.request_for(delete.job).fn is kv.delete_versions
    assert planner.request_for(delete.job).args == ("secret/", "app/db", [2, 3])
    undelete = planner.plan_versions(shown(), "undelete", (2,))
    assert isinstance(undelete, ConfirmPlan) and not undelete.title  # no question asked
    destroy = planner.plan_versions(shown(), "destroy", (1,))
    assert isinstance(destroy, ConfirmPlan) and "permanently" in destroy.title
    assert planner.request_for(destroy.job).fn is kv.destroy_versions
    assert isinstance(planner.plan_versions(shown(), "destroy", ()), Refusal)
    with pytest.raises(ValueError):
        planner.plan_versions(shown(), "explode", (1,))


def test_delete_all_is_confirmed_by_typing_the_path():
    plan = planner.plan_delete_all(shown())
    assert plan.typed == "app/db" and planner.request_for(plan.job).fn is kv.delete_all
    kv1 = planner.plan_delete_all(Shown(KV1, "x"))
    assert planner.request_for(kv1.job).fn is kv.delete_kv1 and "KV v1" in kv1.body


def test_metadata_plan():
    plan = planner.plan_metadata(shown(cas=True))
    assert (
        not isinstance(plan, Refusal) and plan.current.cas_required and plan.current.custom_metadata == {"team": "ops"}
    )
    change = MetadataChange(5, False, "2h", {"a": "b"})
    request = planner.request_for(plan.job(change))
    assert request.fn is kv.write_metadata
    assert request.kwargs == {
        "max_versions": 5,
        "cas_required": False,
        "delete_version_after": "2h",
        "custom_metadata": {"a": "b"},
    }
    assert isinstance(planner.plan_metadata(Shown(KV2, "app/db")), Refusal)


def test_each_action_needs_its_own_permission():
    assert planner.permission_for("metadata", KV2.kind) == "write_metadata"
    assert planner.permission_for("patch", KV2.kind) == "patch"
    assert planner.permission_for("delete_versions", KV2.kind) == "delete_versions"
    assert planner.permission_for("delete_all", KV1.kind) == "delete"
    assert planner.permission_for("rollback", KV1.kind) is None


# -- after the write -----------------------------------------------------------------------------


def test_outcomes():
    edit = planner.plan_edit(shown(), None).job({"k": "x"})  # type: ignore[union-attr]
    done = planner.outcome(edit, WriteResult("secret/", "app/db", 4))
    assert done.message == "Saved app/db (version 4)." and not done.deleted and not done.select
    created = planner.plan_create(KV2, "").job("new", {"a": "1"})  # type: ignore[union-attr]
    assert planner.outcome(created, WriteResult("secret/", "new", 1)).select
    versions = planner.plan_versions(shown(), "destroy", (1,))
    assert planner.outcome(versions.job, None).keep_version  # type: ignore[union-attr]
    assert planner.outcome(planner.plan_delete_all(shown()).job, None).deleted


def test_failures_are_conflicts_reloads_forms_or_errors():
    edit = planner.plan_edit(shown(), None).job({"k": "x"})  # type: ignore[union-attr]
    conflict = planner.failure_plan(edit, CasMismatch("check-and-set parameter did not match"))
    assert conflict.kind == "conflict" and conflict.read_theirs and conflict.keeps_draft
    kv1 = planner.plan_edit(Shown(KV1, "x", SecretData("old/", "x", {"a": "1"})), None).job({"a": "2"})  # type: ignore[union-attr]
    assert not planner.failure_plan(kv1, CasMismatch("changed")).read_theirs
    rollback = planner.plan_rollback(shown(), 1).job  # type: ignore[union-attr]
    assert planner.failure_plan(rollback, CasMismatch("x")).kind == "reload"
    created = planner.plan_create(KV2, "").job("new", {"a": "1"})  # type: ignore[union-attr]
    for error in (Unreachable("cannot reach 127.0.0.1:1: connection refused"), PermissionDenied("permission denied")):
        plan = planner.failure_plan(created, error)
        assert plan.kind == "form" and plan.keeps_draft and "Nothing was written" in plan.message
    failover = planner.failure_plan(edit, Unreachable("connection refused"))
    assert failover.kind == "error" and failover.keeps_draft and "press e" in failover.message
    destroy = planner.plan_versions(shown(), "destroy", (1,)).job  # type: ignore[union-attr]
    assert not planner.failure_plan(destroy, PermissionDenied("no")).keeps_draft


def test_conflict_plan_retries_against_theirs():
    edit = planner.plan_edit(shown(), None).job({"k": "mine"})  # type: ignore[union-attr]
    theirs = SecretData("secret/", "app/db", {"k": "theirs"}, version=4)
    plan = planner.conflict_plan(edit, theirs)
    assert plan.can_overwrite and plan.new_base == 4 and plan.yours == {"k": "mine"}
    assert plan.theirs_label == "theirs (v4, live)" and plan.yours_label == "yours (based on v3)"
    retry = plan.retry()
    assert retry.base == 4 and retry.data == {"k": "mine"} and retry.action == "write"
    assert plan.retry({"k": "merged"}).data == {"k": "merged"}
    assert "version 4" in plan.edit_note
    gone = planner.conflict_plan(edit, None)
    assert not gone.can_overwrite and gone.new_base is None and gone.theirs == {}
    # a patch that conflicts is retried as a whole write
    patch = planner.plan_patch(Shown(KV2, "app/db", data(3, a="1"), meta(3)), None).job({"b": "2"})  # type: ignore[union-attr]
    retried = planner.conflict_plan(patch, theirs).retry()
    assert retried.action == "write" and retried.changes is None and retried.data == {"a": "1", "b": "2"}
    # KV v1: theirs comes with the error, and the retry compares with it
    kv1 = WriteJob("write", "writing x", KV1, "x", {"a": "2"}, expected={"a": "1"})
    error = CasMismatch("changed", body={"data": {"a": "theirs"}})
    theirs1 = planner.theirs_from_error(kv1, error)
    assert theirs1 is not None and dict(theirs1.data) == {"a": "theirs"}
    plan1 = planner.conflict_plan(kv1, theirs1)
    assert plan1.new_expected == {"a": "theirs"} and plan1.retry().expected == {"a": "theirs"}
    assert planner.theirs_from_error(kv1, CasMismatch("x", body={"data": None})) is None


# -- the pane's rules ------------------------------------------------------------------------------


def perms(allowed: dict[str, bool]) -> SecretPermissions:
    return SecretPermissions(
        "secret",
        "app/db",
        tuple(
            Permission(a, ok, "secret/metadata/app/db", ("update",), "" if ok else f"needs update on x for {a}")
            for a, ok in allowed.items()
        ),
        (),
    )


def test_rules_grey_out_what_the_policy_forbids_and_hide_what_read_only_forbids():
    everything = {a: True for a in planner.KV2_PERMISSIONS.values()}
    state = rules.PaneState("secret", KV2.kind, False, perms({**everything, "write_metadata": False}))
    assert rules.action_state(state, "edit") is True
    assert rules.action_state(state, "metadata") is None
    assert "write_metadata" in (rules.refusal_reason(state, "metadata") or "")
    assert rules.denied_words(state) == ["change metadata"]
    read_only = rules.PaneState("secret", KV2.kind, True, None)
    assert rules.action_state(read_only, "edit") is False
    assert "read-only" in (rules.refusal_reason(read_only, "edit") or "")
    kv1 = rules.PaneState("secret", KV1.kind, False, None)
    assert rules.action_state(kv1, "rollback") is False and "KV v1" in (rules.refusal_reason(kv1, "rollback") or "")
    folder = rules.PaneState("folder", KV2.kind, False, None)
    assert (
        rules.action_state(folder, "copy") is False and rules.refusal_reason(folder, "copy") == "select a secret first"
    )
    assert rules.action_state(kv1, "tab", ("versions",)) is False
    assert rules.action_state(kv1, "tab", ("data",)) is True


def test_status_line_and_diff_pairs():
    state = rules.PaneState("secret", KV2.kind, False, None)
    assert rules.status_line(state, {}, None, False) == ("Loading…", "")
    assert "unsaved edit" in rules.status_line(state, {}, data(3), True)[0]
    deleted = SecretData("secret/", "app/db", {}, version=2, deletion_time=T)
    assert "u undeletes" in rules.status_line(state, {}, deleted, False)[0]
    m = meta(4, deleted=(3,))
    assert rules.diff_pair(4, set(), m) == [2, 4]  # the live version before it
    assert rules.diff_pair(4, {1}, m) == [1, 4]
    assert rules.diff_pair(4, {1, 2, 3}, m) == [2, 3]
    assert isinstance(rules.diff_pair(1, set(), m), str)
    assert rules.step_version(2, m, +1) == 3 and rules.step_version(1, m, -1) is None


# -- the tree's model --------------------------------------------------------------------------------


def test_granted_names_under_a_folder_the_token_cannot_list():
    acl = ResultantAcl(
        exact={"secret/data/app/db": ("read",), "secret/data/team/x/y": ("read",), "secret/metadata/ops/": ("list",)},
        globs={"secret/data/pub/": ("read",), "secret/data/db-": ("read",), "secret/data/+/z": ("read",)},
    )
    grants = readable_under(acl, KV2)
    assert granted_names(grants, "") == ("app/", "db-*", "ops/", "pub/", "team/")
    assert granted_names(grants, "app/") == ("db",)
    assert granted_names(grants, "team/") == ("x/",)
    assert granted_names(grants, "pub/") == ("*",)


def test_index_pins_opened_paths_and_shows_grants_where_listing_is_denied():
    index = PathIndex()
    index.set_children("secret/", "", ("a/", "b"))
    index.pin("secret/", "deep/er/leaf")
    assert index.keys_under("secret/", "") == ("a/", "b", "deep/")
    assert index.keys_under("secret/", "deep/") == ("er/",)
    assert index.keys_under("secret/", "deep/er/") == ("leaf",)
    assert index.keys_under("secret/", "a/") is None
    index.mark_denied("secret/", "a/", ("x",))
    assert index.keys_under("secret/", "a/") == ("x",)
    assert "deep/er/leaf" in index.paths("secret/") and "a/x" in index.paths("secret/")
    index.forget("secret/", "a/")
    assert index.keys_under("secret/", "a/") is None


# -- rendering ---------------------------------------------------------------------------------------


def test_long_text_is_shortened_in_the_middle():
    assert shorten_middle("abcdefghij", 5) == "ab…ij" and shorten_middle("abc", 5) == "abc"
    assert shorten_middle("abcdef", 1) == "…" and shorten_middle("abc", 0) == ""
    line = OneLine(Part("secret/" + "n" * 900 + "-tail", elastic=True), Part("  kv v2"), Part("  ·  live"))
    for width in (20, 40, 80, 200):
        text = line.fit(width)
        assert text.cell_len <= width and "\n" not in text.plain, width
        assert "…" in text.plain and text.plain.startswith("secret/")
    assert line.fit(80).plain.endswith("  kv v2  ·  live")  # details kept while there is room
    assert "-tail" in line.fit(80).plain
    header = secret_header(KV2, "app/db", data(3), meta(3, cas=True), True)
    assert header.plain == "secret/app/db  kv v2  ·  version 3 of 3  ·  live  ·  cas required  ·  1 key"
