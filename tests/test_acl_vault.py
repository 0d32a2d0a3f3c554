"""What a token may reach and do: the resultant ACL, and a capability check for every KV action
that predicts exactly what the real server does when the action is tried with a restricted token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import unique
from vault_tui.vault import kv
from vault_tui.vault.errors import BadPath, MalformedResponse, PermissionDenied
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import EngineKind, Mount
from vault_tui.vault.policies import (
    KV1_ACTIONS,
    KV2_ACTIONS,
    GrantedPath,
    ResultantAcl,
    action_check,
    action_checks,
    allows,
    can_create_under,
    capabilities_for_actions,
    capabilities_on,
    parse_resultant_acl,
    readable_under,
    resultant_acl,
    secret_permissions,
)

ALL = ("create", "read", "update", "patch", "delete", "list")


@pytest.fixture
def make_token(bao, root_client) -> Iterator[Callable[[str], str]]:
    """Policy HCL -> a token with only that policy (and default)."""
    names: list[str] = []

    def make(hcl: str) -> str:
        name = unique("p-")
        names.append(name)
        root_client.sys.create_or_update_policy(name, hcl)
        return root_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]

    yield make
    for name in names:
        root_client.sys.delete_policy(name)


def _gateway(bao, token: str, namespace: str | None = None) -> Gateway:
    from vault_tui.vault.client import ConnectionSettings

    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=token, namespace=namespace))
    gateway.server_info()
    return gateway


def _hcl(rules: dict[str, tuple[str, ...]]) -> str:
    lines = []
    for path, caps in rules.items():
        quoted = ", ".join(f'"{c}"' for c in caps)
        lines.append(f'path "{path}" {{ capabilities = [{quoted}] }}')
    return "\n".join(lines) + "\n"


def _kv2(mount: str) -> Mount:
    return Mount(mount + "/", "kv", options={"version": "2"})


def _kv1(mount: str) -> Mount:
    return Mount(mount + "/", "kv", options={"version": "1"})


# -- parsing and matching (pure) ------------------------------------------------------------------


def test_parse_resultant_acl_in_a_namespace():
    data = {
        "exact_paths": {
            "ns1/secret/data/x": {"capabilities": ["read", "update"]},
            "other/y": {"capabilities": ["read"]},
        },
        "glob_paths": {
            "ns1/secret/data/app/": {"capabilities": ["read"]},
            "ns1/cubbyhole/": {"capabilities": ["list"]},
        },
        "root": False,
    }
    acl = parse_resultant_acl(data, "ns1")
    assert acl.exact == {"secret/data/x": ("read", "update")}
    assert acl.globs == {"secret/data/app/": ("read",), "cubbyhole/": ("list",)}
    assert parse_resultant_acl(data).exact["ns1/secret/data/x"] == ("read", "update")
    assert parse_resultant_acl({"root": True}).root
    with pytest.raises(MalformedResponse):
        parse_resultant_acl({"exact_paths": ["nope"]})


def test_matching_rules_exact_glob_and_segment_wildcards():
    acl = ResultantAcl(
        exact={
            "s/data/app/x": ("read",),
            "s/metadata/dir": ("list",),
            "s/data/team/+/db": ("update",),
        },
        globs={
            "s/data/app/": ("create", "read"),
            "s/data/app/deny": ("deny",),
            "s/data/": ("list",),
            "s/data/team/+/": ("patch",),
            "s/data/team/a/": ("delete",),
        },
    )
    assert capabilities_on(acl, "s/data/app/x") == ("read",)  # exact beats the glob
    assert capabilities_on(acl, "s/data/app/y") == ("create", "read")
    assert capabilities_on(acl, "s/data/app/deny-me") == ("deny",)  # the longest glob wins
    assert capabilities_on(acl, "s/data/other") == ("list",)
    assert capabilities_on(acl, "elsewhere/x") == ("deny",)
    assert allows(acl, "s/data/app/y", "create") and not allows(acl, "s/data/app/x", "create")
    # LIST: the path ends in "/" and an exact rule without that slash counts too.
    assert allows(acl, "s/metadata/dir/", "list") and allows(acl, "s/metadata/dir", "list")
    assert capabilities_on(acl, "s/metadata/dir/") == ("list",)
    assert not allows(acl, "s/metadata/dir/sub/", "list")
    # "+" matches one segment; among matches the first wildcard furthest right wins, then non-prefix.
    assert capabilities_on(acl, "s/data/team/b/db") == ("update",)
    assert capabilities_on(acl, "s/data/team/b/other") == ("patch",)
    assert capabilities_on(acl, "s/data/team/a/db") == ("delete",)  # s/data/team/a/* is more specific
    assert capabilities_on(acl, "s/data/team/b/c/db") == ("patch",)
    assert capabilities_on(ResultantAcl(root=True), "anything") == ("root",)
    assert allows(ResultantAcl(root=True), "anything", "sudo")


def test_readable_under_maps_kv2_sections_back_to_secret_paths():
    acl = ResultantAcl(
        exact={"s/metadata/exact/one": ("list", "read"), "s/data/exact/one": ("read",), "s/metadata": ("list",)},
        globs={
            "s/data/app/": ("read",),
            "s/metadata/app/": ("list",),
            "s/data/app/db-": ("update",),
            "s/destroy/old/": ("update",),
            "s/data/denied/": ("deny",),
            "v1/team/": ("read", "list"),
            "cubbyhole/": ("read", "list"),
            "other/data/x/": ("read",),
        },
    )
    granted = readable_under(acl, _kv2("s"))
    assert [(g.path, g.is_prefix) for g in granted] == [
        ("", False),
        ("app/", True),
        ("app/db-", True),
        ("exact/one", False),
        ("old/", True),
    ]
    by_path = {g.path: g for g in granted}
    assert by_path[""].listable and not by_path[""].readable
    assert by_path["app/"].capabilities == {"data": ("read",), "metadata": ("list",)}
    assert by_path["app/"].readable and by_path["app/"].listable and by_path["app/"].is_folder
    assert by_path["exact/one"].readable and not by_path["exact/one"].is_prefix
    assert by_path["old/"].on("destroy") == ("update",) and not by_path["old/"].readable
    assert readable_under(acl, "v1/", EngineKind.KV1) == (
        GrantedPath("team/", True, {"": ("list", "read")}, kv2=False),
    )
    assert readable_under(acl, Mount("cubbyhole/", "cubbyhole"))[0].path == ""
    everything = readable_under(ResultantAcl(globs={"": ("read",)}), _kv2("s"))
    assert [(g.path, g.is_prefix, g.readable) for g in everything] == [("", True, True)]
    assert readable_under(ResultantAcl(root=True), _kv2("s"))[0].readable


def test_action_checks_use_the_exact_path_of_each_action():
    mount = _kv2("s")
    assert action_check(mount, "a b/c?", "read") == ("s/data/a b/c?", "read")
    assert action_check(mount, "app/x", "create") == ("s/data/app/x", "create")
    assert action_check(mount, "app/x", "update") == ("s/data/app/x", "update")
    assert action_check(mount, "app/x", "patch") == ("s/data/app/x", "patch")
    assert action_checks(mount, "app/x", "rollback") == (("s/data/app/x", "read"), ("s/data/app/x", "update"))
    assert action_check(mount, "app/x", "delete") == ("s/data/app/x", "delete")
    assert action_check(mount, "app/x", "delete_versions") == ("s/delete/app/x", "update")
    assert action_check(mount, "app/x", "undelete") == ("s/undelete/app/x", "update")
    assert action_check(mount, "app/x", "destroy") == ("s/destroy/app/x", "update")
    assert action_check(mount, "app/x", "delete_all") == ("s/metadata/app/x", "delete")
    assert action_check(mount, "app/x", "read_metadata") == ("s/metadata/app/x", "read")
    assert action_check(mount, "app/x", "write_metadata") == ("s/metadata/app/x", "update")
    assert action_check(mount, "app/", "list") == ("s/metadata/app/", "list")
    assert action_check(mount, "", "list") == ("s/metadata/", "list")
    v1 = _kv1("v1")
    assert action_checks(v1, "x", "create") == (("v1/x", "read"), ("v1/x", "create"))
    assert action_check(v1, "x", "delete") == ("v1/x", "delete")
    assert action_check(v1, "dir", "list") == ("v1/dir/", "list")
    with pytest.raises(BadPath):
        action_check(mount, "app/../../x", "create")
    with pytest.raises(Exception, match="not an action"):
        action_check(v1, "x", "destroy")


# -- a token that may read under app/ but not list the mount --------------------------------------


def test_reach_what_you_may_read(bao, root_client, kv2_mount, make_token):
    root_client.secrets.kv.v2.create_or_update_secret("app/db", {"pw": "x"}, mount_point=kv2_mount)
    token = make_token(_hcl({f"{kv2_mount}/data/app/*": ("read",)}))
    gateway = _gateway(bao, token)
    with pytest.raises(PermissionDenied):
        kv.list_folder(gateway, EngineKind.KV2, kv2_mount, "")
    acl = resultant_acl(gateway)
    assert not acl.root
    granted = readable_under(acl, _kv2(kv2_mount))
    assert granted == (GrantedPath("app/", True, {"data": ("read",)}),)
    assert granted[0].readable and not granted[0].listable
    assert allows(acl, f"{kv2_mount}/data/app/db", "read")
    assert allows(acl, f"{kv2_mount}/data/app/deeper/x", "read")
    assert not allows(acl, f"{kv2_mount}/data/app/db", "update")
    assert not allows(acl, f"{kv2_mount}/metadata/", "list")
    assert not allows(acl, f"{kv2_mount}/data/other", "read")
    # ... and what it says is what the server does.
    assert dict(kv.read_version(gateway, kv2_mount, "app/db").data) == {"pw": "x"}
    with pytest.raises(PermissionDenied):
        kv.read_version(gateway, kv2_mount, "other")
    # the default policy's cubbyhole grant shows up for the cubbyhole mount
    cubby = readable_under(acl, Mount("cubbyhole/", "cubbyhole"))
    assert [(g.path, g.is_prefix, g.readable, g.listable) for g in cubby] == [("", True, True, True)]


def test_acl_matching_agrees_with_the_server(bao, kv2_mount, make_token):
    m = kv2_mount
    token = make_token(
        _hcl(
            {
                f"{m}/data/app/*": ("read", "create"),
                f"{m}/data/app/secret": ("update",),
                f"{m}/data/app/locked/*": ("deny",),
                f"{m}/data/app/db-*": ("patch", "read"),
                f"{m}/metadata/app": ("list",),
                f"{m}/metadata/exact/": ("list",),
                f"{m}/metadata/*": ("read",),
                f"{m}/delete/*": ("update",),
                f"{m}/d*": ("delete",),
            }
        )
    )
    gateway = _gateway(bao, token)
    acl = resultant_acl(gateway)
    paths = [
        f"{m}/data/app/x",
        f"{m}/data/app/secret",
        f"{m}/data/app/secret/2",
        f"{m}/data/app/locked/x",
        f"{m}/data/app/db-1",
        f"{m}/data/app/db",
        f"{m}/metadata/app",
        f"{m}/metadata/app/",
        f"{m}/metadata/exact/",
        f"{m}/metadata/exact",
        f"{m}/metadata/x",
        f"{m}/delete/app/x",
        f"{m}/destroy/x",
        f"{m}/data/other",
        f"{m}/undelete/x",
        "cubbyhole/x",
        "sys/mounts",
        "auth/token/lookup-self",
        f"{m}/data/a b?c#d",
    ]
    server = gateway.capabilities_self(paths)
    for path in paths:
        assert capabilities_on(acl, path) == tuple(sorted(server[path])), path


def test_resultant_acl_in_a_namespace(bao, root_client, make_token):
    import hvac

    namespace = unique("ns-")
    root_client.adapter.post(f"/v1/sys/namespaces/{namespace}")
    inside = hvac.Client(url=bao.addr, token=bao.root_token, namespace=namespace)
    inside.sys.enable_secrets_engine("kv", path="kvn", options={"version": "2"})
    inside.sys.create_or_update_policy("reader", 'path "kvn/data/app/*" { capabilities = ["read"] }')
    token = inside.auth.token.create(policies=["reader"], ttl="10m")["auth"]["client_token"]
    gateway = _gateway(bao, token, namespace)
    acl = resultant_acl(gateway)
    assert acl.globs.get("kvn/data/app/") == ("read",)
    assert all(not p.startswith(namespace) for p in [*acl.exact, *acl.globs])
    mounts = {m.path: m for m in gateway.mounts()}
    assert [g.path for g in readable_under(acl, mounts["kvn/"])] == ["app/"]


def test_can_create_under(bao, kv2_mount, kv1_mount, make_token):
    token = make_token(
        _hcl(
            {
                f"{kv2_mount}/data/drop/*": ("create",),
                f"{kv2_mount}/data/ro/*": ("read",),
                f"{kv1_mount}/inbox/*": ("create",),
                f"{kv1_mount}/both/*": ("create", "read"),
            }
        )
    )
    acl = resultant_acl(_gateway(bao, token))
    kv2m, kv1m = _kv2(kv2_mount), _kv1(kv1_mount)
    assert can_create_under(acl, kv2m, "drop/")
    assert can_create_under(acl, kv2m, "drop/deeper/")
    assert can_create_under(acl, kv2m, "")  # drop/x can be created from the root
    assert not can_create_under(acl, kv2m, "ro/")
    assert not can_create_under(acl, kv2m, "elsewhere/")
    assert not can_create_under(acl, kv1m, "inbox/")  # KV v1 writes read first
    assert can_create_under(acl, kv1m, "both/")
    assert can_create_under(ResultantAcl(root=True), kv2m, "any/")


# -- every action: the prediction is what the server does ----------------------------------------

FOLDER = "team q?/"  # odd characters on purpose: the checks must use the exact path sent


def _seed(root: Gateway, mount: str, kind: EngineKind, path: str) -> None:
    if kind is EngineKind.KV2:
        kv.write_v2(root, mount, path, {"a": "1"}, cas=0)
        kv.write_v2(root, mount, path, {"a": "2"}, cas=1)
    else:
        kv.write_kv1(root, mount, path, {"a": "1"}, expected=None)


def _run(gateway: Gateway, kind: EngineKind, mount: str, path: str, action: str) -> None:
    """Do ``action`` for real with the Vault layer (the secret has versions 1 and 2)."""
    if kind is EngineKind.KV2:
        calls: dict[str, Callable[[], Any]] = {
            "read": lambda: kv.read_version(gateway, mount, path),
            "list": lambda: kv.list_folder(gateway, kind, mount, FOLDER),
            "create": lambda: kv.write_v2(gateway, mount, path, {"a": "new"}, cas=0),
            "update": lambda: kv.write_v2(gateway, mount, path, {"a": "3"}, cas=2),
            "patch": lambda: kv.patch_v2(gateway, mount, path, {"b": "3"}, cas=2),
            "rollback": lambda: kv.rollback(gateway, mount, path, to_version=1, cas=2),
            "delete": lambda: kv.delete_latest(gateway, mount, path),
            "delete_versions": lambda: kv.delete_versions(gateway, mount, path, [1]),
            "undelete": lambda: kv.undelete_versions(gateway, mount, path, [1]),
            "destroy": lambda: kv.destroy_versions(gateway, mount, path, [1]),
            "delete_all": lambda: kv.delete_all(gateway, mount, path),
            "read_metadata": lambda: kv.read_metadata(gateway, mount, path),
            "write_metadata": lambda: kv.write_metadata(gateway, mount, path, max_versions=5),
        }
    else:
        calls = {
            "read": lambda: kv.read_kv1(gateway, mount, path),
            "list": lambda: kv.list_folder(gateway, kind, mount, FOLDER),
            "create": lambda: kv.write_kv1(gateway, mount, path, {"a": "new"}, expected=None),
            "update": lambda: kv.write_kv1(gateway, mount, path, {"a": "2"}, expected={"a": "1"}),
            "delete": lambda: kv.delete_kv1(gateway, mount, path),
        }
    calls[action]()


def _policies_for(mount: Mount, checks: tuple[tuple[str, str], ...]) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
    """(label, policy) pairs: the bare minimum (must work), and for each needed capability the
    same path with everything but it while everything else in the mount is allowed (must fail)."""
    needed: dict[str, set[str]] = {}
    for api_path, capability in checks:
        needed.setdefault(api_path, set()).add(capability)
    cases = [("minimum", {p: tuple(sorted(c)) for p, c in needed.items()})]
    for api_path, capability in checks:
        without = tuple(c for c in ALL if c != capability)
        cases.append((f"all but {capability} on {api_path}", {f"{mount.name}/*": ALL, api_path: without}))
    return cases


@pytest.mark.parametrize("version", ["2", "1"])
def test_every_action_prediction_matches_the_server(bao, root_client, gateway, make_token, version, monkeypatch):
    name = unique("acts-")
    root_client.sys.enable_secrets_engine("kv", path=name, options={"version": version})
    try:
        mount = Mount(name + "/", "kv", options={"version": version})
        table = KV2_ACTIONS if version == "2" else KV1_ACTIONS
        tried = 0
        for action in table:
            for case in range(1 + len(table[action])):
                tried += 1
                path = FOLDER + f"s{tried} #x"
                checks = action_checks(mount, FOLDER if action == "list" else path, action)
                label, rules = _policies_for(mount, checks)[case]
                if action != "create":
                    _seed(gateway, name, mount.kind, path)
                else:
                    _seed(gateway, name, mount.kind, FOLDER + f"other{tried}")  # the folder exists
                restricted = _gateway(bao, make_token(_hcl(rules)))
                asked: list[list[str]] = []
                real = restricted.capabilities_self

                def counting(paths: list[str], real: Any = real, asked: list[list[str]] = asked) -> Any:
                    asked.append(list(paths))
                    return real(paths)

                monkeypatch.setattr(restricted, "capabilities_self", counting)
                target = FOLDER if action == "list" else path
                predicted = capabilities_for_actions(restricted, mount, target, [action])[action]
                assert len(asked) == 1
                try:
                    _run(restricted, mount.kind, name, path, action)
                    happened = True
                except PermissionDenied:
                    happened = False
                assert predicted.allowed is happened, (action, label, predicted)
                assert happened is (label == "minimum"), (action, label)
                if not happened:
                    assert predicted.missing and predicted.reason.startswith("needs ")
        assert tried == sum(1 + len(checks) for checks in table.values())
    finally:
        root_client.sys.disable_secrets_engine(name)


def test_list_granted_on_the_folder_without_its_slash(bao, gateway, kv2_mount, make_token):
    _seed(gateway, kv2_mount, EngineKind.KV2, "team q?/x")
    _seed(gateway, kv2_mount, EngineKind.KV2, "other/x")
    token = make_token(_hcl({f"{kv2_mount}/metadata/team q?": ("list",), f"{kv2_mount}/metadata/other/*": ("read",)}))
    restricted = _gateway(bao, token)
    mount = _kv2(kv2_mount)
    assert capabilities_for_actions(restricted, mount, "team q?/", ["list"])["list"]
    assert kv.list_folder(restricted, EngineKind.KV2, kv2_mount, "team q?/").keys == ("x",)
    assert not capabilities_for_actions(restricted, mount, "other/", ["list"])["list"]
    with pytest.raises(PermissionDenied):
        kv.list_folder(restricted, EngineKind.KV2, kv2_mount, "other/")
    acl = resultant_acl(restricted)
    assert allows(acl, f"{kv2_mount}/metadata/team q?/", "list")
    assert not allows(acl, f"{kv2_mount}/metadata/other/", "list")


def test_all_actions_in_one_call_and_the_old_access_tab_bugs(bao, root_client, gateway, kv2_mount, make_token):
    path = "app/db"
    _seed(gateway, kv2_mount, EngineKind.KV2, path)
    # May read and update, read metadata, but not write it; may update but not create.
    token = make_token(
        _hcl({f"{kv2_mount}/data/app/*": ("read", "update"), f"{kv2_mount}/metadata/app/*": ("read", "list")})
    )
    restricted = _gateway(bao, token)
    calls: list[list[str]] = []
    real = restricted.capabilities_self
    restricted.capabilities_self = lambda paths: calls.append(paths) or real(paths)  # type: ignore[method-assign]
    mount = _kv2(kv2_mount)
    answers = capabilities_for_actions(restricted, mount, path)
    assert len(calls) == 1 and set(answers) == set(KV2_ACTIONS)
    assert answers["read_metadata"] and not answers["write_metadata"]
    assert answers["write_metadata"].reason == f"needs update on {kv2_mount}/metadata/app/db (you have: list, read)"
    with pytest.raises(PermissionDenied):
        kv.write_metadata(restricted, kv2_mount, path, max_versions=3)
    assert answers["update"] and not answers["create"]
    new = capabilities_for_actions(restricted, mount, "app/new-one", ["create"])["create"]
    assert not new and "needs create" in new.reason
    with pytest.raises(PermissionDenied):
        kv.write_v2(restricted, kv2_mount, "app/new-one", {"a": "b"}, cas=0)
    kv.write_v2(restricted, kv2_mount, path, {"a": "b"}, cas=2)  # the update it was promised
    # The Access tab's table says the same, in one call too.
    perms = secret_permissions(restricted, EngineKind.KV2, kv2_mount, path)
    assert perms.allows("read_metadata") and not perms.allows("write_metadata")
    assert perms.allows("update") and not perms.allows("create") and perms.allows("write")
    assert perms.allows("list") and not perms.allows("destroy")
    # Read-only mode refuses every write whatever the token may do.
    read_only = _gateway(bao, bao.root_token)
    read_only.read_only = True
    ro = capabilities_for_actions(read_only, mount, path)
    assert ro["read"] and ro["list"] and ro["read_metadata"]
    writes = [a for a in KV2_ACTIONS if a not in ("read", "list", "read_metadata")]
    assert all(not ro[a] and ro[a].reason == "read-only mode" for a in writes)
