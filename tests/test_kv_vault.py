"""KV Vault layer against a real OpenBao: reads, versions, CAS writes, patch, rollback, deletes, metadata."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from vault_tui.vault import kv
from vault_tui.vault.diff import Change, diff_data
from vault_tui.vault.errors import CasMismatch, InvalidRequest, NotFound, ReadOnlyMode
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import VersionState


def _seed(root_client, mount: str, path: str, *versions: dict) -> None:
    for data in versions:
        root_client.secrets.kv.v2.create_or_update_secret(path=path, secret=data, mount_point=mount)


def test_metadata_and_versions(gateway, root_client, kv2_mount):
    path = unique("app/db-")
    _seed(root_client, kv2_mount, path, {"a": "1"}, {"a": "2"}, {"a": "3", "b": "x"})
    root_client.secrets.kv.v2.update_metadata(
        path=path, mount_point=kv2_mount, max_versions=7, custom_metadata={"owner": "[red]team"}
    )
    root_client.secrets.kv.v2.delete_secret_versions(path=path, versions=[2], mount_point=kv2_mount)
    root_client.secrets.kv.v2.destroy_secret_versions(path=path, versions=[1], mount_point=kv2_mount)

    meta = kv.read_metadata(gateway, kv2_mount, path)
    assert meta.current_version == 3
    assert meta.oldest_version in (0, 1)
    assert meta.max_versions == 7
    assert meta.custom_metadata == {"owner": "[red]team"}
    assert meta.created_time is not None and meta.updated_time is not None
    states = {v.version: v.state for v in meta.versions}
    assert states == {1: VersionState.DESTROYED, 2: VersionState.DELETED, 3: VersionState.LIVE}
    assert meta.version(2).deletion_time is not None
    assert [v.version for v in meta.versions] == [3, 2, 1]

    current = kv.read_version(gateway, kv2_mount, path)
    assert current.version == 3 and dict(current.data) == {"a": "3", "b": "x"}
    deleted = kv.read_version(gateway, kv2_mount, path, 2)
    assert deleted.state is VersionState.DELETED and not deleted.data
    destroyed = kv.read_version(gateway, kv2_mount, path, 1)
    assert destroyed.state is VersionState.DESTROYED and not destroyed.data
    pair = kv.read_versions(gateway, kv2_mount, path, [2, 3])
    assert [(s.version, s.state) for s in pair] == [(2, VersionState.DELETED), (3, VersionState.LIVE)]


def test_missing_secret_is_not_found(gateway, kv2_mount, kv1_mount):
    with pytest.raises(NotFound):
        kv.read_metadata(gateway, kv2_mount, "nope/nothing")
    with pytest.raises(NotFound):
        kv.read_version(gateway, kv2_mount, "nope/nothing")
    with pytest.raises(NotFound):
        kv.read_kv1(gateway, kv1_mount, "nope")


def test_write_with_cas(gateway, kv2_mount):
    path = unique("svc/")
    first = kv.write_v2(gateway, kv2_mount, path, {"k": "v1"}, cas=0)
    assert first.version == 1
    with pytest.raises(CasMismatch):
        kv.write_v2(gateway, kv2_mount, path, {"k": "again"}, cas=0)  # create-only
    second = kv.write_v2(gateway, kv2_mount, path, {"k": "v2"}, cas=1)
    assert second.version == 2
    with pytest.raises(CasMismatch):
        kv.write_v2(gateway, kv2_mount, path, {"k": "stale"}, cas=1)
    assert dict(kv.read_version(gateway, kv2_mount, path).data) == {"k": "v2"}


def test_write_rejects_empty_and_bad_keys(gateway, kv2_mount):
    with pytest.raises(InvalidRequest):
        kv.write_v2(gateway, kv2_mount, unique("e"), {}, cas=0)
    with pytest.raises(InvalidRequest):
        kv.write_v2(gateway, kv2_mount, unique("e"), {"": "x"}, cas=0)


def test_patch_one_key(gateway, kv2_mount):
    path = unique("p")
    kv.write_v2(gateway, kv2_mount, path, {"a": "1", "b": "2"}, cas=0)
    result = kv.patch_v2(gateway, kv2_mount, path, {"b": "two", "c": "3"}, cas=1)
    assert result.version == 2
    assert dict(kv.read_version(gateway, kv2_mount, path).data) == {"a": "1", "b": "two", "c": "3"}
    with pytest.raises(CasMismatch):
        kv.patch_v2(gateway, kv2_mount, path, {"a": "x"}, cas=1)


def test_rollback_writes_new_version(gateway, kv2_mount):
    path = unique("r")
    kv.write_v2(gateway, kv2_mount, path, {"v": "one"}, cas=0)
    kv.write_v2(gateway, kv2_mount, path, {"v": "two"}, cas=1)
    result = kv.rollback(gateway, kv2_mount, path, to_version=1, cas=2)
    assert result.version == 3
    assert dict(kv.read_version(gateway, kv2_mount, path).data) == {"v": "one"}
    with pytest.raises(CasMismatch):
        kv.rollback(gateway, kv2_mount, path, to_version=1, cas=2)
    kv.delete_versions(gateway, kv2_mount, path, [2])
    with pytest.raises(InvalidRequest):
        kv.rollback(gateway, kv2_mount, path, to_version=2, cas=3)


def test_delete_undelete_destroy_delete_all(gateway, kv2_mount):
    path = unique("d")
    for n in range(3):
        kv.write_v2(gateway, kv2_mount, path, {"n": str(n)}, cas=n)
    kv.delete_versions(gateway, kv2_mount, path, [1, 2])
    states = {v.version: v.state for v in kv.read_metadata(gateway, kv2_mount, path).versions}
    assert states[1] is states[2] is VersionState.DELETED
    kv.undelete_versions(gateway, kv2_mount, path, [2])
    assert dict(kv.read_version(gateway, kv2_mount, path, 2).data) == {"n": "1"}
    kv.destroy_versions(gateway, kv2_mount, path, [3])
    meta = kv.read_metadata(gateway, kv2_mount, path)
    assert meta.version(3).state is VersionState.DESTROYED
    assert meta.version(1).state is VersionState.DELETED
    kv.delete_all(gateway, kv2_mount, path)
    with pytest.raises(NotFound):
        kv.read_metadata(gateway, kv2_mount, path)


def test_write_metadata(gateway, kv2_mount):
    path = unique("m")
    kv.write_v2(gateway, kv2_mount, path, {"a": "1"}, cas=0)
    kv.write_metadata(
        gateway,
        kv2_mount,
        path,
        max_versions=4,
        cas_required=True,
        delete_version_after="1h0m0s",
        custom_metadata={"team": "core", "[/foo]": "[link=http://x]y[/link]"},
    )
    meta = kv.read_metadata(gateway, kv2_mount, path)
    assert meta.max_versions == 4
    assert meta.cas_required is True
    assert meta.delete_version_after == "1h0m0s"
    assert meta.custom_metadata == {"team": "core", "[/foo]": "[link=http://x]y[/link]"}
    with pytest.raises(InvalidRequest):  # the server refuses control characters here
        kv.write_metadata(gateway, kv2_mount, path, custom_metadata={"x": "\x1b]0;x\x07"})
    # Clearing custom metadata with an empty mapping.
    kv.write_metadata(gateway, kv2_mount, path, custom_metadata={})
    assert kv.read_metadata(gateway, kv2_mount, path).custom_metadata == {}


def test_kv1_compare_before_write(gateway, kv1_mount):
    path = unique("one")
    kv.write_kv1(gateway, kv1_mount, path, {"a": "1"}, expected=None)
    with pytest.raises(CasMismatch) as caught:
        kv.write_kv1(gateway, kv1_mount, path, {"a": "x"}, expected=None)
    assert caught.value.body == {"data": {"a": "1"}}
    kv.write_kv1(gateway, kv1_mount, path, {"a": "2"}, expected={"a": "1"})
    secret = kv.read_secret(gateway, kv.EngineKind.KV1, kv1_mount, path)
    assert dict(secret.data) == {"a": "2"} and secret.version is None
    kv.delete_kv1(gateway, kv1_mount, path)
    with pytest.raises(NotFound):
        kv.read_kv1(gateway, kv1_mount, path)


def test_hostile_keys_and_big_value_round_trip(gateway, kv2_mount):
    path = unique("[red]x/")[:-1]
    data = {
        "[red]x": "[/foo]",
        "[@click=app.quit]": "[link=http://x]y[/link]",
        "esc\x1b[31m": "bel\x07osc\x1b]0;pwned\x07",
        "rtl\u202eevil": "zw\u200bsp",
        "big": "x" * (1024 * 1024),
    }
    kv.write_v2(gateway, kv2_mount, path, data, cas=0)
    assert dict(kv.read_version(gateway, kv2_mount, path).data) == data


def test_read_only_refuses_every_write(settings, kv2_mount, kv1_mount, root_client):
    path = unique("ro")
    _seed(root_client, kv2_mount, path, {"a": "1"}, {"a": "2"})
    ro = Gateway(settings, read_only=True)
    calls = [
        lambda: kv.write_v2(ro, kv2_mount, path, {"a": "x"}, cas=2),
        lambda: kv.patch_v2(ro, kv2_mount, path, {"a": "x"}, cas=2),
        lambda: kv.rollback(ro, kv2_mount, path, to_version=1, cas=2),
        lambda: kv.delete_versions(ro, kv2_mount, path, [1]),
        lambda: kv.undelete_versions(ro, kv2_mount, path, [1]),
        lambda: kv.destroy_versions(ro, kv2_mount, path, [1]),
        lambda: kv.delete_all(ro, kv2_mount, path),
        lambda: kv.write_metadata(ro, kv2_mount, path, max_versions=1),
        lambda: kv.write_kv1(ro, kv1_mount, "x", {"a": "1"}, expected=None),
        lambda: kv.delete_kv1(ro, kv1_mount, "x"),
    ]
    for call in calls:
        with pytest.raises(ReadOnlyMode):
            call()
    meta = kv.read_metadata(ro, kv2_mount, path)  # reads still work
    assert meta.current_version == 2 and all(v.state is VersionState.LIVE for v in meta.versions)


def test_diff_data():
    old = {"a": "1", "b": "2", "c": "3"}
    new = {"a": "1", "b": "two", "d": "4"}
    entries = {e.key: e.change for e in diff_data(old, new)}
    assert entries == {"b": Change.CHANGED, "c": Change.REMOVED, "d": Change.ADDED}
    same = {e.key: e.change for e in diff_data(old, new, include_same=True)}
    assert same["a"] is Change.SAME
