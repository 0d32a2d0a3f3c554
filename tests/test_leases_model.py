"""Pure lease-dashboard logic (no server), plus the keep-alive runner against a real server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import make_db_role

from vault_tui.vault import leases as api
from vault_tui.vault.leases import Lease
from vault_tui.views.leases.model import (
    KeepAlive,
    LeaseStore,
    Level,
    LookupQueue,
    SortKey,
    format_ttl,
    keepalive_due,
    needs_lookup,
    plan_lookups,
    short_id,
    ttl_level,
)

T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def lease(
    lease_id: str, ttl: float | None = 3600, *, issued: float = -60, renewable: bool = True, renewed=None
) -> Lease:
    return Lease(
        id=lease_id,
        issue_time=T0 + timedelta(seconds=issued),
        expire_time=None if ttl is None else T0 + timedelta(seconds=ttl),
        last_renewal=None if renewed is None else T0 + timedelta(seconds=renewed),
        server_renewable=renewable,
        ttl=int(ttl or 0),
        looked_up_at=T0,
    )


@pytest.mark.parametrize(
    "seconds,text",
    [
        (None, "never"),
        (0, "expired"),
        (-5, "expired"),
        (0.4, "0s"),
        (59, "59s"),
        (60, "1m00s"),
        (3725, "1h02m05s"),
        (90061, "1d01h01m"),
    ],
)
def test_format_ttl(seconds, text):
    assert format_ttl(seconds) == text


def test_levels():
    assert ttl_level(None, 300, 60) is Level.NEVER
    assert ttl_level(-1, 300, 60) is Level.EXPIRED
    assert ttl_level(30, 300, 60) is Level.CRITICAL
    assert ttl_level(200, 300, 60) is Level.WARN
    assert ttl_level(301, 300, 60) is Level.OK


def test_short_id():
    assert short_id("db/creds/ro/i5J6OPlG6mMIpl11dKNwk4Ih") == "i5J6OPlG6m…"
    assert short_id("db/creds/ro/abc") == "abc"


def test_auth_leases_are_not_renewable_here():
    assert not lease("auth/token/create/h1").renewable
    assert lease("auth/token/create/h1").server_renewable
    assert lease("db/creds/ro/a").renewable
    assert not lease("pki/issue/web/a", renewable=False).renewable


def test_rows_grouped_with_counts_and_compressed_chains():
    store = LeaseStore()
    store.set_listing(["db/creds/ro/a", "db/creds/ro/b", "db/creds/rw/c", "auth/token/create/t"])
    rows = store.rows()
    groups = [(r.key, r.label, r.total, r.depth) for r in rows if r.is_group]
    assert groups == [
        ("auth/token/create/", "auth/token/create/", 1, 0),
        ("db/creds/", "db/creds/", 3, 0),
        ("db/creds/ro/", "ro/", 2, 1),
        ("db/creds/rw/", "rw/", 1, 1),
    ]
    store.toggle_collapsed("db/creds/")
    keys = [r.key for r in store.rows()]
    assert keys == ["auth/token/create/", "auth/token/create/t", "db/creds/"]


def test_filter_and_flat_ttl_sort():
    store = LeaseStore()
    store.set_listing(["db/creds/ro/a", "db/creds/ro/b", "db/creds/ro/c"])
    store.update(lease("db/creds/ro/a", 500))
    store.update(lease("db/creds/ro/b", 100))
    store.grouped = False
    store.sort_key = SortKey.TTL
    assert [r.key for r in store.rows()] == ["db/creds/ro/b", "db/creds/ro/a", "db/creds/ro/c"]
    store.sort_key = SortKey.ISSUED
    store.update(lease("db/creds/ro/a", 500, issued=-10))
    assert [r.key for r in store.rows()][0] == "db/creds/ro/a"
    store.filter_text = "/B"
    assert [r.key for r in store.rows()] == ["db/creds/ro/b"]


def test_set_listing_keeps_session_leases_and_reports_diff():
    store = LeaseStore()
    store.set_listing(["a/x", "a/y"])
    store.update(lease("a/x"))
    store.marked.add("a/x")
    added, removed = store.set_listing(["a/y", "a/z"])
    assert added == {"a/z"} and removed == {"a/x"}
    assert "a/x" not in store.known and "a/x" not in store.marked
    store.add("s/mine", lease("s/mine"))
    store.set_listing(["a/y"], keep=["s/mine"])
    assert "s/mine" in store


def test_lookup_plan_skips_known_unless_forced_or_expired():
    known = {"a/1": lease("a/1", 100), "a/2": lease("a/2", -5), "a/3": lease("a/3", None)}
    ids = ["a/1", "a/2", "a/3", "a/4"]
    assert plan_lookups(ids, known, T0) == ["a/2", "a/4"]
    assert plan_lookups(ids, known, T0, force=True) == ids
    assert needs_lookup(None, T0)


def test_lookup_queue_serves_visible_rows_first():
    queue = LookupQueue(f"x/{i}" for i in range(10))
    assert queue.pop(["x/7", "x/8"]) == "x/7"
    assert queue.pop(["x/7", "x/8"]) == "x/8"
    assert queue.pop(["x/7"]) == "x/0"
    queue.discard("x/1")
    assert queue.pop() == "x/2"
    assert len(queue) == 5


def test_keepalive_due_two_thirds():
    due = keepalive_due(lease("d/c/r/a", 60, issued=-30))  # life 90s from issue → due at 60s
    assert due == T0 + timedelta(seconds=30)
    renewed = keepalive_due(lease("d/c/r/a", 60, renewed=0))
    assert renewed == T0 + timedelta(seconds=40)
    assert keepalive_due(lease("auth/token/create/x", 60)) is None
    assert keepalive_due(lease("d/c/r/a", None)) is None


async def test_keepalive_renews_short_lease_past_its_original_expiry(gateway, lease_db, root_client):
    role = make_db_role(root_client, lease_db, default_ttl="5s", max_ttl="1h")
    creds = api.generate_credentials(gateway, lease_db, role)
    first = api.lookup_lease(gateway, creds.lease_id)
    events = []

    async def call(fn, *args):
        return await asyncio.to_thread(fn, gateway, *args)

    keep = KeepAlive(call, events.append)
    keep.watch(first, creds)
    task = asyncio.create_task(keep.run())
    try:
        deadline = first.expire_time + timedelta(seconds=3)
        while datetime.now(UTC) < deadline:
            await asyncio.sleep(0.25)
    finally:
        task.cancel()
    now = api.lookup_lease(gateway, creds.lease_id)  # still alive past the original expiry
    assert now.expire_time > first.expire_time
    assert any(e.kind == "renewed" for e in events)
    api.revoke_lease(gateway, creds.lease_id)


async def test_keepalive_regenerates_when_renewal_is_capped(gateway, lease_db, root_client):
    role = make_db_role(root_client, lease_db, default_ttl="3s", max_ttl="4s")
    creds = api.generate_credentials(gateway, lease_db, role)
    events = []

    async def call(fn, *args):
        return await asyncio.to_thread(fn, gateway, *args)

    keep = KeepAlive(call, events.append)
    keep.watch(api.lookup_lease(gateway, creds.lease_id), creds)
    task = asyncio.create_task(keep.run())
    try:
        for _ in range(60):
            if any(e.kind == "regenerated" for e in events):
                break
            await asyncio.sleep(0.25)
    finally:
        task.cancel()
    regenerated = [e for e in events if e.kind == "regenerated"]
    assert regenerated, events
    new = regenerated[0].credentials
    assert new.lease_id != creds.lease_id and new.username != creds.username
    assert new.lease_id in keep
    api.revoke_prefix(gateway, f"{lease_db}/creds/{role}")


def test_parse_duration():
    from vault_tui.views.leases.model import parse_duration

    assert parse_duration("") is None
    assert parse_duration("3600") == 3600
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    for bad in ("1x", "h", "1h3", "-5"):
        with pytest.raises(ValueError):
            parse_duration(bad)
