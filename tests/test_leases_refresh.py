"""The lease dashboard's refresh engine without Textual: what is listed, what is looked up first,
what changed, what a failure leaves on screen, and when the next poll runs.

The Vault side is a small in-memory stand-in for ``list_all_leases`` / ``lookup_many`` (pure
logic: ordering and failure handling), plus one run against a real OpenBao.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from conftest import unique

from vault_tui.vault import leases as api
from vault_tui.vault.errors import InvalidRequest, PermissionDenied, Sealed, Unreachable
from vault_tui.vault.leases import Lease, LeaseGone, LeaseListing
from vault_tui.views.leases.model import LeaseStore, LookupQueue
from vault_tui.views.leases.refresh import (
    FirstLook,
    GcPause,
    PollState,
    Refresher,
    RefreshLog,
    RefreshReport,
    Scope,
    ViewShape,
    first_screenful,
    list_and_look_up_first,
    lookup_order,
    next_batch,
)

T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def lease(lease_id: str, ttl: float = 3600) -> Lease:
    return Lease(
        id=lease_id,
        issue_time=T0 - timedelta(minutes=1),
        expire_time=T0 + timedelta(seconds=ttl),
        last_renewal=None,
        server_renewable=True,
        ttl=int(ttl),
        looked_up_at=T0,
    )


class Server:
    """Just enough of the two Vault-layer calls a refresh makes, with failures on demand."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = list(ids)
        self.listing_error: Exception | None = None
        self.lookup_error: dict[str, Exception] = {}
        self.away_after: int | None = None  # look-up calls answered before the server goes away
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    async def call(self, fn, *args):
        await asyncio.sleep(0)
        if fn is api.list_all_leases:
            self.calls.append(("list", ()))
            if self.listing_error is not None:
                raise self.listing_error
            return LeaseListing(tuple(self.ids))
        if fn is api.lookup_many:
            batch = tuple(args[0])
            self.calls.append(("lookup", batch))
            answered = sum(1 for kind, _ in self.calls if kind == "lookup") - 1
            if self.away_after is not None and answered >= self.away_after:
                raise Unreachable("cannot reach 127.0.0.1:8200: connection refused")
            out = []
            for lease_id in batch:
                error = self.lookup_error.get(lease_id)
                if error is not None:
                    out.append(error)
                elif lease_id not in self.ids:
                    out.append(LeaseGone("the lease no longer exists"))
                else:
                    out.append(lease(lease_id))
            return tuple(out)
        raise AssertionError(f"unexpected call {fn}")

    def looked_up(self) -> list[str]:
        return [i for kind, batch in self.calls if kind == "lookup" for i in batch]


class Hooks:
    def __init__(self, on_screen: list[str] | None = None) -> None:
        self.on_screen = on_screen or []
        self.display: list[str] = []
        self.events: list[tuple[str, object]] = []

    def visible(self) -> list[str]:
        return list(self.on_screen)

    def order(self) -> list[str]:
        return list(self.display)

    def looked_up(self, lease: Lease) -> None:
        self.events.append(("looked_up", lease.id))

    def failed(self, lease_id: str) -> None:
        self.events.append(("failed", lease_id))

    def gone(self, lease_ids: list[str]) -> None:
        self.events.append(("gone", tuple(lease_ids)))

    def listed(self, added: set[str], removed: set[str]) -> None:
        self.events.append(("listed", (frozenset(added), frozenset(removed))))

    def screenful(self) -> None:
        self.events.append(("screenful", None))

    def progress(self, pending: int) -> None:
        self.events.append(("progress", pending))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


def refresher(server: Server, hooks: Hooks, store: LeaseStore | None = None) -> Refresher:
    return Refresher(store or LeaseStore(), server.call, hooks, clock=lambda: T0)


IDS = [f"db/creds/ro/{i:03d}" for i in range(60)]


# -- batching and order ---------------------------------------------------------------------------
def test_next_batch_serves_the_screenful_split_over_the_calls_in_flight():
    queue = LookupQueue(IDS)
    on_screen = IDS[20:36]  # 16 rows on screen, 4 calls in flight: 4 per call
    first = next_batch(queue, on_screen, concurrency=4)
    assert first == IDS[20:24]
    batches = [next_batch(queue, on_screen, concurrency=4) for _ in range(3)]
    assert [i for b in batches for i in b] == IDS[24:36]
    rest = next_batch(queue, on_screen, concurrency=4, background_batch=25)
    assert rest == IDS[:20] + IDS[36:41]  # then the others, in queue order, in larger batches


def test_lookup_order_follows_the_display_then_the_listing():
    assert lookup_order(["b", "a", "zz"], ["a", "b", "c", "d"]) == ["b", "a", "c", "d"]


# -- a refresh --------------------------------------------------------------------------------------
async def test_refresh_lists_then_looks_up_rows_on_screen_first():
    server, hooks = Server(IDS), Hooks(on_screen=IDS[40:44])
    hooks.display = list(reversed(IDS))
    engine = refresher(server, hooks)
    report = await engine.run()
    assert report.ok and report.listed and report.added == frozenset(IDS)
    assert server.calls[0] == ("list", ())
    assert set(server.calls[1][1]) <= set(IDS[40:44])  # the first look-up is the screenful
    looked = server.looked_up()
    assert sorted(looked) == sorted(IDS) and len(looked) == len(IDS)
    rest = [i for i in looked if i not in IDS[40:44]]
    assert rest[:5] == list(reversed(IDS))[:5]  # then the display order
    assert "screenful" in hooks.kinds() and set(engine.store.known) == set(IDS)


async def test_second_refresh_looks_up_only_what_changed_unless_forced():
    server, hooks = Server(IDS[:10]), Hooks()
    engine = refresher(server, hooks)
    await engine.run()
    server.ids = IDS[2:12]  # two gone, two new
    server.calls.clear()
    report = await engine.run()
    assert report.added == frozenset(IDS[10:12]) and report.removed == frozenset(IDS[:2])
    assert sorted(server.looked_up()) == IDS[10:12]
    assert report.changes() == "2 new, 2 gone"
    server.calls.clear()
    report = await engine.run(force=True)
    assert sorted(server.looked_up()) == IDS[2:12] and report.forced


async def test_kept_ids_stay_and_gone_leases_are_dropped():
    server, hooks = Server(IDS[:3]), Hooks()
    store = LeaseStore()
    store.add("db/creds/ro/mine", lease("db/creds/ro/mine"))
    engine = refresher(server, hooks, store)
    server.lookup_error["db/creds/ro/001"] = LeaseGone("the lease no longer exists")
    report = await engine.run(keep=["db/creds/ro/mine"])
    assert "db/creds/ro/mine" in store  # issued this session: shown even when not listed
    assert "db/creds/ro/001" not in store and "db/creds/ro/001" in report.removed
    assert ("gone", ("db/creds/ro/001",)) in hooks.events


async def test_a_lease_whose_look_up_fails_shows_its_error():
    server, hooks = Server(IDS[:3]), Hooks()
    server.lookup_error[IDS[1]] = InvalidRequest("lease look-up refused")
    engine = refresher(server, hooks)
    report = await engine.run()
    assert report.ok and report.errors == 1
    assert "refused" in engine.store.errors[IDS[1]]
    assert ("failed", IDS[1]) in hooks.events


async def test_without_sudo_the_kept_leases_are_still_looked_up():
    server, hooks = Server(IDS), Hooks()
    server.listing_error = PermissionDenied("permission denied", status=403)
    store = LeaseStore()
    store.add(IDS[5])
    report = await refresher(server, hooks, store).run(keep=[IDS[5]])
    assert report.no_sudo and report.ok and not report.listed
    assert server.looked_up() == [IDS[5]] and IDS[5] in store.known


async def test_server_away_on_listing_keeps_what_is_shown():
    server, hooks = Server(IDS[:5]), Hooks()
    engine = refresher(server, hooks)
    await engine.run()
    known = dict(engine.store.known)
    server.listing_error = Unreachable("cannot reach 127.0.0.1:8200: connection refused")
    server.calls.clear()
    report = await engine.run(force=True)
    assert not report.ok and report.server_away
    assert server.calls == [("list", ())]  # nothing else is sent to a server that is away
    assert engine.store.known == known and list(engine.store.ids) == IDS[:5]
    assert not engine.store.errors


async def test_server_away_during_look_ups_stops_them_and_marks_no_row_as_failed():
    server, hooks = Server(IDS), Hooks()
    engine = refresher(server, hooks)
    server.away_after = 2
    report = await engine.run()
    assert report.server_away and isinstance(report.failure, Unreachable)
    assert not engine.store.errors  # the rows it did not reach keep "looking up", not an error
    assert len(server.calls) <= 1 + 2 + engine.concurrency  # stopped, not one failure per lease


# -- the header's truth -------------------------------------------------------------------------
def report(ok: bool = True, *, at: datetime = T0, failure=None, added=(), removed=()) -> RefreshReport:
    return RefreshReport(
        started=at,
        finished=at,
        seconds=0.2,
        listed=ok,
        added=frozenset(added),
        removed=frozenset(removed),
        failure=None if ok else failure,
    )


def text(parts: list[tuple[str, str]]) -> str:
    return " · ".join(piece for piece, _style in parts)


def test_log_never_says_refreshed_after_a_failed_refresh():
    log = RefreshLog()
    log.record(report(at=T0))
    assert text(log.describe(T0)).startswith("refreshed 12:00:00")
    later = T0 + timedelta(seconds=42)
    log.record(report(False, at=later, failure=Unreachable("cannot reach 127.0.0.1:8200: connection refused")))
    described = text(log.describe(later))
    assert "refreshed" not in described
    assert "STALE: last good 42s ago" in described and "connection refused" in described
    assert log.stale() and log.age(later) == 42
    log.record(report(False, at=later, failure=InvalidRequest("bad listing", status=500)))
    described = text(log.describe(later))
    assert "refresh failed" in described and "refreshed" not in described and not log.stale()
    assert "last good 12:00:00" in described
    log.record(report(at=later, added=["a/1"]))
    assert "refreshed 12:00:42 (0.2s): 1 new" in text(log.describe(later))


def test_log_is_stale_when_the_session_says_so_and_counts_from_its_last_good():
    log = RefreshLog()
    assert text(log.describe(T0, session_stale=True)) == "STALE: no good refresh yet"
    assert "last good 10s ago" in text(
        log.describe(T0, session_stale=True, session_last_good=T0 - timedelta(seconds=10))
    )
    log.running, log.pending = True, 12
    assert text(log.describe(T0)) == "refreshing… 12 to look up"


def test_poll_backs_off_while_refreshes_fail():
    log = RefreshLog()
    assert log.poll_delay(0) is None
    assert log.poll_delay(10) == 10
    for _ in range(3):
        log.record(report(False, failure=Sealed("sealed", status=503)))
    assert log.poll_delay(10) == 80
    for _ in range(10):
        log.record(report(False, failure=Sealed("sealed", status=503)))
    assert log.poll_delay(10) == 120
    log.record(report())
    assert log.poll_delay(10) == 10


def test_poll_waits_while_hidden_and_runs_when_shown():
    poll = PollState()
    assert poll.due(showing=True)
    assert not poll.due(showing=False) and poll.waiting
    assert poll.resumed() and not poll.waiting
    assert not poll.resumed()


def test_scope_tells_a_recovery_from_a_switch():
    assert Scope("team-a", "prod", ("a",)) == Scope("team-a", "prod", ("a",))
    assert Scope("team-a", "prod") != Scope("team-b", "prod")


# -- against a real OpenBao ---------------------------------------------------------------------
async def test_refresh_against_a_real_server(gateway, root_client):
    role = unique("tr")
    root_client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    for _ in range(3):
        root_client.write(f"auth/token/create/{role}", policies=["default"])

    async def call(fn, *args):
        return await asyncio.to_thread(fn, gateway, *args)

    hooks = Hooks()
    engine = Refresher(LeaseStore(), call, hooks)
    report = await engine.run()
    mine = engine.store.ids_under(f"auth/token/create/{role}/")
    assert report.ok and len(mine) == 3
    assert all(engine.store.known[i].expire_time is not None for i in mine)
    api.revoke_prefix(gateway, f"auth/token/create/{role}")
    report = await engine.run(force=True)
    assert not engine.store.ids_under(f"auth/token/create/{role}/")
    assert set(mine) <= report.removed


# -- the first screenful, in one worker call ----------------------------------------------------
def test_first_screenful_is_what_the_table_shows_first():
    ids = ["b/x/2", "a/y/1", "b/x/1", "a/y/2"]
    # grouped: a/y/ heading, a/y/1, a/y/2, b/x/ heading, b/x/1 ...
    assert first_screenful(ids, ViewShape(lines=4)) == ["a/y/1", "a/y/2"]
    assert first_screenful(ids, ViewShape(lines=2, grouped=False)) == ["a/y/1", "a/y/2"]
    assert first_screenful(ids, ViewShape(lines=9, filter_text="b/")) == ["b/x/1", "b/x/2"]
    store = LeaseStore()
    store.collapsed.add("a/y/")
    assert first_screenful(ids, ViewShape.of(store, 3)) == ["b/x/1"]


async def test_a_refresh_uses_a_first_look_and_looks_up_only_the_rest():
    server, hooks = Server(IDS[:20]), Hooks(on_screen=IDS[:5])
    first = FirstLook(LeaseListing(tuple(IDS[:20])), tuple((i, lease(i)) for i in IDS[:5]))

    async def prefetched():
        return first

    report = await refresher(server, hooks).run(listing=prefetched())
    assert report.ok and report.looked_up == frozenset(IDS[:20])
    assert sorted(server.looked_up()) == IDS[5:20]  # the screenful was not looked up twice
    # the screenful is in hand (and painted) before any other look-up is sent
    assert hooks.kinds()[:8] == ["listed"] + ["looked_up"] * 5 + ["progress", "screenful"]


async def test_list_and_look_up_first_against_a_real_server(gateway, root_client):
    role = unique("tr")
    root_client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    for _ in range(6):
        root_client.write(f"auth/token/create/{role}", policies=["default"])
    prefix = f"auth/token/create/{role}/"
    shape = ViewShape(lines=50, filter_text=role)
    first = await asyncio.to_thread(list_and_look_up_first, gateway, shape)
    mine = sorted(i for i in first.listing.lease_ids if i.startswith(prefix))
    assert len(mine) == 6
    assert [lease_id for lease_id, _ in first.looked_up] == mine
    assert all(isinstance(result, Lease) and result.expire_time for _, result in first.looked_up)
    api.revoke_prefix(gateway, prefix.rstrip("/"))


def test_gc_pause_holds_the_collector_until_the_end():
    import gc

    pause = GcPause()
    assert gc.isenabled()
    pause.start()
    try:
        assert not gc.isenabled()
        pause.start()  # once
    finally:
        pause.end()
    assert gc.isenabled()
    pause.end()  # idempotent
    assert gc.isenabled()


def test_gc_pause_never_outlives_its_limit():
    """A screen built and never shown (or torn down while opening) must not leave the process
    without cyclic garbage collection."""
    import gc

    pause = GcPause(limit=0.2)
    pause.start()
    try:
        assert not gc.isenabled()
        deadline = time.monotonic() + 30
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gc.isenabled()
    finally:
        pause.end()
    assert gc.isenabled()
