"""The full-path index and key/value search against a real OpenBao.

SCAN and the concurrent LIST walk (SCAN forced off, as on HashiCorp Vault) must find the same
paths, on KV v2 and KV v1, with awkward names and a folder the token may not list.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from urllib.parse import quote

import hvac
import pytest

from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.index import index_paths
from vault_tui.vault.index_content import index_secret_contents
from vault_tui.vault.models import EngineKind

NAMES = [
    "team/app/db",
    "team/app/api key",  # a space
    "team/Ünïcode/ключ",  # unicode
    "team/100%41/x",  # looks like an escape: must stay literally "%41"
    "team/50%/y",
    "q?#/z",  # query and fragment characters
    "top",
    "top/inner",  # a secret and a folder of the same name
    "private/s1",  # the restricted token may not list private/
    "private/deep/s2",
] + [f"bulk/f{f}/k{k:03d}" for f in range(3) for k in range(40)]


def _write(client: hvac.Client, kind: EngineKind, mount: str, path: str, data: dict) -> None:
    if kind is EngineKind.KV2:
        client.adapter.request("POST", f"/v1/{mount}/data/{quote(path, safe='/')}", json={"data": data})
    else:
        client.adapter.request("POST", f"/v1/{mount}/{quote(path, safe='/')}", json=data)


def _seed(client: hvac.Client, kind: EngineKind, mount: str) -> None:
    for name in NAMES:
        _write(client, kind, mount, name, {"user": "svc", "note": "plain"})


def _restricted_gateway(bao, root_client, kind: EngineKind, mount: str, *, scan: bool = False) -> Gateway:
    meta = f"{mount}/metadata" if kind is EngineKind.KV2 else mount
    data = f"{mount}/data" if kind is EngineKind.KV2 else mount
    caps = '"list", "read", "scan"' if scan else '"list", "read"'
    policy = f"""
path "{meta}/*" {{ capabilities = [{caps}] }}
path "{meta}/" {{ capabilities = [{caps}] }}
path "{meta}/private/*" {{ capabilities = ["deny"] }}
path "{meta}/private/" {{ capabilities = ["deny"] }}
path "{data}/*" {{ capabilities = ["read"] }}
path "{data}/private/*" {{ capabilities = ["deny"] }}
"""
    name = f"index-{mount}"
    root_client.sys.create_or_update_policy(name, policy)
    token = root_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]
    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    gateway.server_info()
    return gateway


def _no_scan(gateway: Gateway) -> None:
    assert gateway.server is not None
    gateway.server = replace(gateway.server, flavor="Vault", supports_scan=False, supports_paginated_list=False)


class CountingGateway(Gateway):
    """Counts every request the Vault layer sends (each goes through ``call``)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.count = 0
        self._count_lock = threading.Lock()

    def call(self, fn, path=""):  # type: ignore[no-untyped-def]
        with self._count_lock:
            self.count += 1
        return super().call(fn, path)


@pytest.fixture(params=[EngineKind.KV2, EngineKind.KV1], ids=["kv2", "kv1"])
def seeded(request, root_client):
    kind = request.param
    mount = f"idx-{kind.value}-{time.monotonic_ns() % 10**9}"
    root_client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2" if kind is EngineKind.KV2 else "1"})
    _seed(root_client, kind, mount)
    yield kind, mount
    root_client.sys.disable_secrets_engine(mount)


def test_scan_and_walk_find_the_same_paths(gateway, seeded):
    kind, mount = seeded
    batches = []
    scanned = index_paths(gateway, kind, mount, on_batch=batches.append, batch_size=50)
    assert scanned.method == "scan" and not scanned.partial and scanned.progress.requests == 1
    assert sorted(scanned.paths) == sorted(NAMES)
    assert [p for b in batches for p in b.paths] == list(scanned.paths)  # streamed, nothing lost
    assert batches[-1].progress.paths_found == len(NAMES)

    _no_scan(gateway)
    walked = index_paths(gateway, kind, mount, concurrency=4, page_size=7)
    assert walked.method == "walk" and not walked.partial and walked.denied_folders == ()
    assert sorted(walked.paths) == sorted(NAMES)
    assert walked.progress.folders_listed >= 10
    assert "SCAN" in walked.scan_refused

    # A subtree.
    sub = index_paths(gateway, kind, mount, "team/", concurrency=2)
    assert sorted(sub.paths) == sorted(n for n in NAMES if n.startswith("team/"))


def test_paginated_list_walk_on_openbao(gateway, seeded):
    kind, mount = seeded
    # OpenBao pages LIST on KV v2 (and ignores limit/after on KV v1, which must not loop).
    walked = index_paths(gateway, kind, mount, use_scan=False, page_size=5, concurrency=3)
    assert sorted(walked.paths) == sorted(NAMES)
    if kind is EngineKind.KV2:
        assert walked.progress.requests > walked.progress.folders_listed  # more than one page per big folder


def test_restricted_token_folder_denied_is_counted_and_skipped(bao, root_client, seeded):
    kind, mount = seeded
    gateway = _restricted_gateway(bao, root_client, kind, mount)
    visible = sorted(n for n in NAMES if not n.startswith("private/"))

    # This token may not SCAN: the index falls back to the walk by itself.
    fallback = index_paths(gateway, kind, mount)
    assert fallback.method == "walk" and "403" in fallback.scan_refused
    assert sorted(fallback.paths) == visible
    assert fallback.denied_folders == ("private/",) and fallback.progress.folders_denied == 1
    assert not fallback.partial
    assert "1 folder denied" in fallback.summary

    _no_scan(gateway)
    walked = index_paths(gateway, kind, mount, concurrency=3)
    assert sorted(walked.paths) == visible and walked.denied_folders == ("private/",)


def test_max_paths_gives_a_partial_result_that_says_so(gateway, seeded):
    kind, mount = seeded
    for use_scan in (True, False):
        result = index_paths(gateway, kind, mount, max_paths=25, use_scan=use_scan, concurrency=2)
        assert result.partial and not result.cancelled
        assert len(result.paths) == 25 and result.progress.paths_found == 25
        assert "limit of 25" in result.reason and "partial" in result.summary


def test_cancel_stops_requests(bao, root_client, kv2_mount):
    for f in range(30):
        for k in range(3):
            root_client.secrets.kv.v2.create_or_update_secret(f"f{f:02d}/s{k}", {"a": "b"}, mount_point=kv2_mount)
    counting = CountingGateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    counting.server_info()
    _no_scan(counting)

    full = index_paths(counting, EngineKind.KV2, kv2_mount, concurrency=2)
    assert len(full.paths) == 90
    full_requests = full.progress.requests
    assert full_requests >= 31

    # Cancelled before it starts: nothing is sent.
    cancel = threading.Event()
    cancel.set()
    before = counting.count
    result = index_paths(counting, EngineKind.KV2, kv2_mount, cancel=cancel, concurrency=2)
    assert result.cancelled and result.partial and counting.count == before and result.paths == ()

    # Cancelled on the first batch: at most the requests already in flight complete.
    cancel = threading.Event()
    at_cancel: list[int] = []

    def on_batch(batch):
        if not cancel.is_set():
            at_cancel.append(counting.count)
            cancel.set()

    before = counting.count
    result = index_paths(
        counting, EngineKind.KV2, kv2_mount, cancel=cancel, concurrency=2, on_batch=on_batch, batch_size=1
    )
    assert result.cancelled and result.partial and result.reason == "cancelled"
    _wait_for_index_threads()
    sent = counting.count - before
    assert sent <= (at_cancel[0] - before) + 2  # only what was already in flight (concurrency 2)
    assert sent < full_requests
    settled = counting.count
    time.sleep(0.5)
    assert counting.count == settled


def _wait_for_index_threads() -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(t.name.startswith("vault-index") for t in threading.enumerate()):
            return
        time.sleep(0.05)
    raise AssertionError("index threads did not finish")


# -- key / value search -----------------------------------------------------------------------


def test_key_and_value_search_never_returns_a_value(gateway, root_client, kv2_mount):
    secret = "hunter2-" + "x" * 8
    kv2 = root_client.secrets.kv.v2
    kv2.create_or_update_secret("app/db", {"db_password": secret, "user": "app"}, mount_point=kv2_mount)
    kv2.create_or_update_secret("app/api", {"token": "tok-" + secret}, mount_point=kv2_mount)
    kv2.create_or_update_secret("app/other", {"colour": "blue"}, mount_point=kv2_mount)
    paths = ["app/db", "app/api", "app/other", "app/missing"]

    progress = []
    by_key = list(index_secret_contents(gateway, kv2_mount, paths, match="PASSWORD", on_progress=progress.append))
    assert [(m.path, m.version, m.key_hits, m.value_hits) for m in by_key] == [("app/db", 1, ("db_password",), ())]
    assert by_key[0].in_key and not by_key[0].in_value
    assert progress[-1].done and progress[-1].read == 4 and progress[-1].matched == 1

    by_value = sorted(index_secret_contents(gateway, kv2_mount, paths, match="hunter2"), key=lambda m: m.path)
    assert [(m.path, m.keys, m.in_value) for m in by_value] == [
        ("app/api", ("token",), True),
        ("app/db", ("db_password",), True),
    ]
    for item in by_key + by_value:
        assert secret not in repr(item) and "hunter2" not in repr(item)


def test_value_search_in_older_versions(gateway, root_client, kv2_mount):
    client = root_client.secrets.kv.v2
    client.create_or_update_secret("svc", {"password": "old-secret-1"}, mount_point=kv2_mount)
    client.create_or_update_secret("svc", {"password": "middle"}, mount_point=kv2_mount)
    client.create_or_update_secret("svc", {"password": "old-secret-3"}, mount_point=kv2_mount)
    client.create_or_update_secret("svc", {"password": "current"}, mount_point=kv2_mount)
    client.destroy_secret_versions("svc", versions=[3], mount_point=kv2_mount)
    latest = list(index_secret_contents(gateway, kv2_mount, ["svc"], match="old-secret"))
    assert latest == []
    every = list(index_secret_contents(gateway, kv2_mount, ["svc"], match="old-secret", versions="all"))
    assert [(m.path, m.version, m.value_hits) for m in every] == [("svc", 1, ("password",))]


def test_value_search_on_kv1_and_denied_secrets(bao, root_client, kv1_mount):
    _write(root_client, EngineKind.KV1, kv1_mount, "open/a", {"api_key": "abc"})
    _write(root_client, EngineKind.KV1, kv1_mount, "private/b", {"api_key": "abc"})
    gateway = _restricted_gateway(bao, root_client, EngineKind.KV1, kv1_mount)
    progress = []
    found = list(
        index_secret_contents(
            gateway, kv1_mount, ["open/a", "private/b"], match="api", kind=EngineKind.KV1, on_progress=progress.append
        )
    )
    assert [(m.path, m.version, m.key_hits) for m in found] == [("open/a", None, ("api_key",))]
    assert progress[-1].denied == 1


def test_content_search_cancel_stops_requests(bao, root_client, kv2_mount):
    for i in range(40):
        root_client.secrets.kv.v2.create_or_update_secret(f"s{i:02d}", {"k": "needle"}, mount_point=kv2_mount)
    counting = CountingGateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    counting.server_info()
    cancel = threading.Event()
    found = []
    for match in index_secret_contents(
        counting, kv2_mount, [f"s{i:02d}" for i in range(40)], match="needle", cancel=cancel, concurrency=2
    ):
        found.append(match)
        if len(found) == 3:
            cancel.set()
            at_cancel = counting.count
    deadline = time.monotonic() + 30
    while any(t.name.startswith("vault-content") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(found) <= 3 + 2
    assert counting.count <= at_cancel + 2 < 40


def test_token_info_reports_num_uses(bao, root_client):
    token = root_client.auth.token.create(policies=["default"], num_uses=5, ttl="10m")["auth"]["client_token"]
    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    info = gateway.lookup_self()
    assert 0 < info.num_uses <= 5 and info.use_limited
    root = Gateway(ConnectionSettings(addr=bao.addr, token=bao.root_token)).lookup_self()
    assert root.num_uses == 0 and not root.use_limited
