"""HashiCorp Vault has neither SCAN nor paginated LIST: the walk and single-LIST paths must give
the same answers as OpenBao's fast paths (exercised here on the real server by switching them off)."""

from __future__ import annotations

from dataclasses import replace

from vault_tui.vault import kv
from vault_tui.vault.models import EngineKind


def test_scan_and_listing_fall_back_like_vault(gateway, root_client, kv2_mount):
    paths = [f"team{t}/app{a}/secret{s}" for t in range(2) for a in range(3) for s in range(4)]
    for path in paths:
        root_client.secrets.kv.v2.create_or_update_secret(path, {"k": "v"}, mount_point=kv2_mount)
    fast = kv.scan(gateway, EngineKind.KV2, kv2_mount)
    paged = [
        key for page in kv.iter_pages(gateway, EngineKind.KV2, kv2_mount, "team0/app0/", page_size=2) for key in page
    ]

    gateway.server = replace(gateway.server, flavor="Vault", supports_scan=False, supports_paginated_list=False)
    walked = kv.scan(gateway, EngineKind.KV2, kv2_mount)
    single = kv.list_folder(gateway, EngineKind.KV2, kv2_mount, "team0/app0/").keys

    assert sorted(fast) == sorted(walked) == sorted(paths)
    assert paged == list(single) == [f"secret{s}" for s in range(4)]


def test_kv1_listing_is_never_paged_and_never_loops(gateway, root_client, kv1_mount):
    """OpenBao ignores limit/after on KV v1: iter_pages must not ask again and again."""
    from vault_tui.vault import kv
    from vault_tui.vault.models import EngineKind

    for name in ("a", "b", "c"):
        root_client.write(f"{kv1_mount}/{name}", value="x")
    pages = list(kv.iter_pages(gateway, EngineKind.KV1, kv1_mount, "", page_size=2))
    assert [key for page in pages for key in page] == ["a", "b", "c"]
