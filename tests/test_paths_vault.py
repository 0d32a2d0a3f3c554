"""Exact paths: what is typed is what the server acts on (real OpenBao), or nothing is sent at all."""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.conftest import unique
from vault_tui.vault import kv
from vault_tui.vault.errors import BadPath, NotFound, PermissionDenied, VaultError
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import EngineKind, Mount
from vault_tui.vault.paths import (
    encode_api_path,
    kv_api_path,
    resolve_full_path,
    split_full_path,
    validate_secret_path,
)

# Names that must reach the server exactly: URL syntax, percent signs, spaces, unicode, markup.
ODD_NAMES = [
    "q?x=1&y=2",
    "h#frag",
    "p%41",
    "a%2Fb",
    "pct%",
    "a b",
    " lead",
    "trail ",
    "semi;colon",
    "plus+star*",
    "uni-é☃漢字",
    "[bold]markup",
    "...",
    "dots..",
    "tilde~_-.",
    "fold er?/na#me %20",
]


# -- the validator (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("team/../../../../cubbyhole/x", "'..' segment"),
        ("..", "'..' segment"),
        ("a/./b", "'.' segment"),
        ("./a", "'.' segment"),
        ("a//b", "empty segment"),
        ("/a", "starts with '/'"),
        ("a/", "ends with '/'"),
        ("", "no path given"),
        ("tab\there", "U+0009"),
        ("new\nline", "U+000A"),
        ("esc\x1b[31m", "U+001B"),
        ("nul\x00", "U+0000"),
        ("rtl\u202eevil", "U+202E"),
        ("zero\u200bwidth", "U+200B"),
        ("nb\u00a0space", "U+00A0"),
    ],
)
def test_validator_refuses_paths_that_would_change(path, words):
    with pytest.raises(BadPath) as caught:
        validate_secret_path(path)
    assert words in str(caught.value)
    assert caught.value.title == "Invalid path"
    assert isinstance(caught.value, VaultError)


def test_validator_accepts_and_folder_form():
    for name in ODD_NAMES:
        assert validate_secret_path(name) == name
    assert validate_secret_path("", folder=True) == ""
    assert validate_secret_path("team/app", folder=True) == "team/app/"
    assert validate_secret_path("team/app/", folder=True) == "team/app/"
    for bad in ("team/../x/", "a//", "/x/", "./"):
        with pytest.raises(BadPath):
            validate_secret_path(bad, folder=True)


def test_encoding_keeps_separators_and_encodes_everything_else():
    assert encode_api_path("secret/data/a b/q?x#y%z") == "secret/data/a%20b/q%3Fx%23y%25z"
    assert encode_api_path("secret/metadata/dir/") == "secret/metadata/dir/"
    assert encode_api_path("m/data/é") == "m/data/%C3%A9"
    assert kv_api_path("secret/", "a/b", "data") == "secret/data/a/b"
    assert kv_api_path("secret", "", "metadata", folder=True) == "secret/metadata/"
    assert kv_api_path("kv1/", "x") == "kv1/x"
    with pytest.raises(BadPath):
        kv_api_path("secret/", "../other/x", "data")
    with pytest.raises(BadPath):
        kv_api_path("../secret", "x", "data")


# -- `..` never leaves the mount ----------------------------------------------------------------


def _raw_list(bao, api_path: str, token: str | None = None) -> list[str]:
    """LIST with a raw client (requests, our own encoding): what the server really holds."""
    response = requests.request(
        "LIST",
        f"{bao.addr}/v1/{'/'.join(quote(s, safe='') for s in api_path.split('/'))}",
        headers={"X-Vault-Token": token or bao.root_token},
        timeout=30,
    )
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return list(response.json()["data"]["keys"])


def test_dot_dot_is_refused_and_nothing_is_written_anywhere(bao, gateway, root_client, kv2_mount, kv1_mount):
    other = unique("other-")
    root_client.sys.enable_secrets_engine("kv", path=other, options={"version": "2"})
    try:
        escapes = [
            "team/../../../../cubbyhole/x",
            f"team/../../../{other}/data/x",
            f"../{other}/data/x",
            "team/./x",
            "team//x",
            "/team/x",
        ]
        data = {"k": "v"}
        for path in escapes:
            attempts: list[Any] = [
                lambda p=path: kv.write_v2(gateway, kv2_mount, p, data, cas=0),
                lambda p=path: kv.patch_v2(gateway, kv2_mount, p, data, cas=1),
                lambda p=path: kv.rollback(gateway, kv2_mount, p, to_version=1, cas=1),
                lambda p=path: kv.write_metadata(gateway, kv2_mount, p, max_versions=3),
                lambda p=path: kv.delete_latest(gateway, kv2_mount, p),
                lambda p=path: kv.delete_versions(gateway, kv2_mount, p, [1]),
                lambda p=path: kv.undelete_versions(gateway, kv2_mount, p, [1]),
                lambda p=path: kv.destroy_versions(gateway, kv2_mount, p, [1]),
                lambda p=path: kv.delete_all(gateway, kv2_mount, p),
                lambda p=path: kv.write_kv1(gateway, kv1_mount, p, data, expected=None),
                lambda p=path: kv.delete_kv1(gateway, kv1_mount, p),
                lambda p=path: kv.read_version(gateway, kv2_mount, p),
                lambda p=path: kv.read_metadata(gateway, kv2_mount, p),
                lambda p=path: kv.read_kv1(gateway, kv1_mount, p),
                lambda p=path: kv.list_folder(gateway, EngineKind.KV2, kv2_mount, p + "/"),
                lambda p=path: kv.list_folder(gateway, EngineKind.KV1, kv1_mount, p + "/"),
                lambda p=path: kv.scan(gateway, EngineKind.KV2, kv2_mount, p + "/"),
            ]
            for attempt in attempts:
                with pytest.raises(BadPath):
                    attempt()
        # At the server: nothing in the root token's cubbyhole, the other mount or either KV mount.
        assert "x" not in _raw_list(bao, "cubbyhole/")
        assert _raw_list(bao, f"{other}/metadata/") == []
        assert _raw_list(bao, f"{kv2_mount}/metadata/") == []
        assert _raw_list(bao, f"{kv1_mount}/") == []
    finally:
        root_client.sys.disable_secrets_engine(other)


# -- odd names round-trip -------------------------------------------------------------------------


def _expected_top(names: list[str]) -> list[str]:
    return sorted({n.split("/")[0] + "/" if "/" in n else n for n in names})


@pytest.mark.parametrize("fast", [True, False], ids=["openbao", "vault-fallbacks"])
def test_odd_names_round_trip_kv2(bao, gateway, kv2_mount, fast):
    if not fast:
        gateway.server = replace(gateway.server, flavor="Vault", supports_scan=False, supports_paginated_list=False)
    for index, name in enumerate(ODD_NAMES):
        result = kv.write_v2(gateway, kv2_mount, name, {"i": str(index)}, cas=0)
        assert result.path == name and result.version == 1
    # The server holds exactly these names (a raw LIST), and we list them the same way.
    assert sorted(_raw_list(bao, f"{kv2_mount}/metadata/")) == _expected_top(ODD_NAMES)
    assert sorted(kv.list_folder(gateway, EngineKind.KV2, kv2_mount, "").keys) == _expected_top(ODD_NAMES)
    assert _raw_list(bao, f"{kv2_mount}/metadata/fold er?/") == ["na#me %20"]
    assert kv.list_folder(gateway, EngineKind.KV2, kv2_mount, "fold er?/").keys == ("na#me %20",)
    assert sorted(kv.scan(gateway, EngineKind.KV2, kv2_mount)) == sorted(ODD_NAMES)
    for index, name in enumerate(ODD_NAMES):
        assert dict(kv.read_version(gateway, kv2_mount, name).data) == {"i": str(index)}
    # Every other operation lands on the same secret.
    name = "q?x=1&y=2"
    kv.write_v2(gateway, kv2_mount, name, {"i": "v2"}, cas=1)
    kv.patch_v2(gateway, kv2_mount, name, {"extra": "1"}, cas=2)
    kv.rollback(gateway, kv2_mount, name, to_version=1, cas=3)
    assert dict(kv.read_version(gateway, kv2_mount, name).data) == {"i": "0"}
    kv.write_metadata(gateway, kv2_mount, name, custom_metadata={"owner": "[red]x"})
    kv.delete_versions(gateway, kv2_mount, name, [1])
    kv.destroy_versions(gateway, kv2_mount, name, [2])
    kv.delete_latest(gateway, kv2_mount, name)
    kv.undelete_versions(gateway, kv2_mount, name, [4])
    meta = kv.read_metadata(gateway, kv2_mount, name)
    assert meta.path == name and meta.current_version == 4 and meta.custom_metadata == {"owner": "[red]x"}
    states = {v.version: v.state.value for v in meta.versions}
    assert states == {1: "deleted", 2: "destroyed", 3: "live", 4: "live"}
    # The server agrees, read raw: only "q?x=1&y=2" has 4 versions, "q" does not exist.
    raw = requests.get(
        f"{bao.addr}/v1/{kv2_mount}/metadata/{quote(name, safe='')}",
        headers={"X-Vault-Token": bao.root_token},
        timeout=30,
    ).json()["data"]
    assert raw["current_version"] == 4 and raw["custom_metadata"] == {"owner": "[red]x"}
    with pytest.raises(NotFound):
        kv.read_metadata(gateway, kv2_mount, "q")
    kv.delete_all(gateway, kv2_mount, name)
    assert name not in _raw_list(bao, f"{kv2_mount}/metadata/")
    assert "p%41" in _raw_list(bao, f"{kv2_mount}/metadata/")


def test_odd_names_round_trip_kv1(bao, gateway, kv1_mount):
    for index, name in enumerate(ODD_NAMES):
        kv.write_kv1(gateway, kv1_mount, name, {"i": str(index)}, expected=None)
    assert sorted(_raw_list(bao, f"{kv1_mount}/")) == _expected_top(ODD_NAMES)
    assert sorted(kv.list_folder(gateway, EngineKind.KV1, kv1_mount, "").keys) == _expected_top(ODD_NAMES)
    assert kv.list_folder(gateway, EngineKind.KV1, kv1_mount, "fold er?/").keys == ("na#me %20",)
    for index, name in enumerate(ODD_NAMES):
        assert dict(kv.read_kv1(gateway, kv1_mount, name).data) == {"i": str(index)}
    kv.write_kv1(gateway, kv1_mount, "h#frag", {"i": "new"}, expected={"i": str(ODD_NAMES.index("h#frag"))})
    assert dict(kv.read_kv1(gateway, kv1_mount, "h#frag").data) == {"i": "new"}
    kv.delete_kv1(gateway, kv1_mount, "h#frag")
    assert "h#frag" not in _raw_list(bao, f"{kv1_mount}/")
    assert "h" not in _raw_list(bao, f"{kv1_mount}/")


def test_errors_name_the_path_as_typed(bao, gateway, root_client, kv2_mount):
    with pytest.raises(NotFound) as missing:
        kv.read_metadata(gateway, kv2_mount, "no such?x#y")
    assert missing.value.path == f"{kv2_mount}/metadata/no such?x#y"
    assert "%3F" not in str(missing.value) and "%20" not in str(missing.value)
    name = unique("deny-")
    root_client.sys.create_or_update_policy(name, f'path "{kv2_mount}/data/ok" {{ capabilities = ["read"] }}')
    token = root_client.auth.token.create(policies=[name], ttl="5m")["auth"]["client_token"]
    try:
        restricted = Gateway(replace(gateway.settings, token=token))
        with pytest.raises(PermissionDenied) as denied:
            kv.read_version(restricted, kv2_mount, "a b?c")
        assert f"{kv2_mount}/data/a b?c" in str(denied.value)
    finally:
        root_client.sys.delete_policy(name)


def _old_split_full_path() -> Any:
    """The tree's own import of split_full_path (the module moved with the UI layout)."""
    for name in ("vault_tui.views.secrets.tree_model", "vault_tui.views.secrets.tree_model"):
        try:
            return import_module(name).split_full_path
        except ModuleNotFoundError:
            continue
    raise AssertionError("no tree model module")


# -- go to path (pure) -------------------------------------------------------------------------

MOUNTS = (
    Mount("secret/", "kv", options={"version": "2"}),
    Mount("team/kv/", "kv", options={"version": "2"}),
    Mount("team/", "kv", options={"version": "1"}),
    Mount("old/", "kv", options={"version": "1"}),
    Mount("cubbyhole/", "cubbyhole"),
)


def test_split_full_path():
    assert split_full_path("secret/app/x", MOUNTS) == ("secret/", "app/x")
    assert split_full_path("secret/data/app/x", MOUNTS) == ("secret/", "app/x")
    assert split_full_path("secret/metadata/app/x", MOUNTS) == ("secret/", "app/x")
    assert split_full_path("secret/metadata/app/", MOUNTS) == ("secret/", "app/")
    assert split_full_path("secret/data/data/x", MOUNTS) == ("secret/", "data/x")
    assert split_full_path("secret/", MOUNTS) == ("secret/", "")
    assert split_full_path("secret", MOUNTS) == ("secret/", "")
    assert split_full_path("/secret/app/", MOUNTS) == ("secret/", "app/")
    assert split_full_path("team/kv/data/x", MOUNTS) == ("team/kv/", "x")  # the longest mount wins
    assert split_full_path("team/x", MOUNTS) == ("team/", "x")
    assert split_full_path("old/data/x", MOUNTS) == ("old/", "data/x")  # KV v1: "data" is a name
    assert split_full_path("secret/q?x#y z", MOUNTS) == ("secret/", "q?x#y z")
    assert split_full_path("nothing/here", MOUNTS) is None
    assert split_full_path("secretly/x", MOUNTS) is None
    # plain mount paths still work, without the KV v2 mapping
    assert split_full_path("secret/data/x", ["secret/"]) == ("secret/", "data/x")
    for bad in ("secret/../cubbyhole/x", "secret/data/../x", "secret/a//b", "secret//a", "secret/\x1b"):
        with pytest.raises(BadPath):
            split_full_path(bad, MOUNTS)


def test_resolve_full_path_and_old_import():
    mount, inner = resolve_full_path("secret/data/app/x", MOUNTS)
    assert mount is MOUNTS[0] and inner == "app/x"
    with pytest.raises(BadPath) as caught:
        resolve_full_path("nowhere/x", MOUNTS)
    assert "'nowhere'" in str(caught.value)
    # The tree's old import keeps its old, lenient contract: None instead of an error.
    old_split_full_path = _old_split_full_path()
    assert old_split_full_path(" /secret/app/db ", ["secret/", "secret/x/"]) == ("secret/", "app/db")
    assert old_split_full_path("secret/x/y", ["secret/", "secret/x/"]) == ("secret/x/", "y")
    assert old_split_full_path("secret/../x", ["secret/"]) is None
    assert old_split_full_path("nope/x", ["secret/"]) is None


# -- which mounts are browsed -------------------------------------------------------------------


def test_mount_kinds_and_browsable():
    cases = {
        ("secret/", "kv", "2", False): (EngineKind.KV2, True, True),
        ("old/", "kv", "1", False): (EngineKind.KV1, True, True),
        ("cubbyhole/", "cubbyhole", None, False): (EngineKind.CUBBYHOLE, True, True),
        ("cubbyhole/", "ns_cubbyhole", None, False): (EngineKind.CUBBYHOLE, True, True),
        ("transit/", "transit", None, False): (EngineKind.TRANSIT, False, True),
        ("sys/", "system", None, False): (EngineKind.OTHER, False, False),
        ("identity/", "identity", None, False): (EngineKind.OTHER, False, False),
        ("sys/", "ns_system", None, False): (EngineKind.OTHER, False, False),
        ("identity/", "ns_identity", None, False): (EngineKind.OTHER, False, False),
        ("x/", "ns_something_new", None, False): (EngineKind.OTHER, False, False),
        ("token/", "ns_token", None, True): (EngineKind.OTHER, False, False),
        ("userpass/", "userpass", None, True): (EngineKind.OTHER, False, False),
    }
    for (path, type_, version, is_auth), (kind, is_kv, browsable) in cases.items():
        mount = Mount(path, type_, options={"version": version} if version else {}, is_auth=is_auth)
        assert (mount.kind, mount.is_kv, mount.browsable) == (kind, is_kv, browsable), (path, type_)


def test_namespace_mounts_are_not_browsed_but_its_cubbyhole_works(bao, gateway, root_client):
    namespace = unique("ns-")
    root_client.adapter.post(f"/v1/sys/namespaces/{namespace}")
    inside = Gateway(gateway.settings.with_namespace(namespace))
    inside.server_info()
    mounts = {m.path: m for m in inside.mounts()}
    assert {m.type for m in mounts.values() if not m.is_auth} == {"ns_cubbyhole", "ns_identity", "ns_system"}
    assert [m.path for m in mounts.values() if m.browsable] == ["cubbyhole/"]
    cubbyhole = mounts["cubbyhole/"]
    assert cubbyhole.kind is EngineKind.CUBBYHOLE and cubbyhole.is_kv
    # The namespace's cubbyhole really is a browsable, writable cubbyhole.
    kv.write_kv1(inside, cubbyhole.path, "note?1", {"a": "b"}, expected=None)
    assert kv.list_folder(inside, cubbyhole.kind, cubbyhole.path, "").keys == ("note?1",)
    assert dict(kv.read_kv1(inside, cubbyhole.path, "note?1").data) == {"a": "b"}
    kv.delete_kv1(inside, cubbyhole.path, "note?1")
