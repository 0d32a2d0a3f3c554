"""The lease dashboard's audit (issue 12 section 1): the inventory panel's counts, each a filter of
the table; the expiry chart with labelled axes; and the export to a file the user names."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import lease_app, make_db_role, open_dashboard
from textual.widgets import OptionList

from tests.helpers import wait_for
from vault_tui.screens.modals import PromptScreen
from vault_tui.vault.leases import Lease
from vault_tui.views.leases import audit
from vault_tui.views.leases.audit import State, expiry_histogram, summarize
from vault_tui.views.leases.inventory import CountLine, chart_lines, count_lines, count_text, next_span
from vault_tui.views.leases.inventory_panel import ExpiryChart, InventoryPanel

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def lease(lease_id: str, hours: float | None, renewable: bool = True) -> Lease:
    expire = None if hours is None else T0 + timedelta(hours=hours)
    return Lease(lease_id, T0 - timedelta(minutes=5), expire, None, renewable, 0, T0)


# -- the view-model ---------------------------------------------------------------------------------
def test_count_lines_list_every_state_then_mounts_then_roles():
    known = {
        i.id: i
        for i in (
            lease("db/creds/ro/a", 0.5),
            lease("db/creds/ro/b", 5),
            lease("db/creds/rw/c", 48),
            lease("auth/token/create/t", None),
        )
    }
    lines = count_lines(summarize(list(known), known, T0))
    keys = [line.key for line in lines]
    assert keys[: len(State)] == [state.key for state in State]
    assert lines[0].heading == "By state" and lines[len(State)].heading == "By mount"
    counts = {line.key: line.count for line in lines}
    assert counts[State.EXPIRING_1H.key] == 1 and counts[State.EXPIRING_24H.key] == 1
    assert counts[State.EXPIRING_LATER.key] == 1 and counts[State.NO_EXPIRY.key] == 1
    assert counts["mount:db/"] == 3 and counts["role:db/creds/ro"] == 2
    assert "checking roles" in next(line.note for line in lines if line.key == State.ORPHANED.key)
    assert count_text(CountLine("k", "expiring within 1 h", 1234), 30) == "expiring within 1 h ···· 1,234"
    assert len(count_text(CountLine("k", "x" * 80, 3), 30)) == 30  # long names shortened in the middle


def test_chart_has_labelled_axes_and_zero_based_bars():
    leases = [lease(f"a/b/{i}", h) for i, h in enumerate([0.5, 2, 2, 7, 7, 7, 7, 30])]
    hist = expiry_histogram(leases, T0, span=86400, bins=24)
    lines = [text for text, _style in chart_lines(hist, 76, 6)]
    assert lines[0].startswith("4┤") and lines[6].startswith("0┼")
    assert lines[7].split() == ["now", "+6h", "+12h", "+18h", "+1d"]
    assert "y: leases, x: time from now" in lines[-1] and "1 later" in lines[-1]
    bars = [line[2:] for line in lines[:6]]
    assert bars[0][21:24] == "███" and bars[0][0:3] == "   "  # 4 at +7h: full height; 1 at +0h: not
    assert bars[5][0:3] != "   "  # a bin with one lease is never drawn empty
    assert next_span(86400, 1) == 7 * 86400 and next_span(86400, -1) == 6 * 3600 and next_span(3600, -1) == 3600


# -- the panel in the app ---------------------------------------------------------------------------
def counts_shown(screen) -> dict[str, str]:
    options = screen.query_one("#inv-counts", OptionList)
    return {
        options.get_option_at_index(i).id: str(options.get_option_at_index(i).prompt)
        for i in range(options.option_count)
        if options.get_option_at_index(i).id
    }


async def pick(pilot, screen, key: str) -> None:
    options = screen.query_one("#inv-counts", OptionList)
    index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == key)
    options.focus()
    options.highlighted = index
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.audit_key == key and not screen.inventory_shown, what=f"filter {key}")


async def test_inventory_counts_filter_the_table_and_export(settings, root_client, lease_db, tmp_path):
    keep = make_db_role(root_client, lease_db)
    gone = make_db_role(root_client, lease_db)
    kept = [root_client.read(f"{lease_db}/creds/{keep}")["lease_id"] for _ in range(2)]
    orphan = root_client.read(f"{lease_db}/creds/{gone}")["lease_id"]
    root_client.delete(f"{lease_db}/roles/{gone}")  # its lease lives on: orphaned
    app = lease_app(settings)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_dashboard(pilot)
            await pilot.press("a")
            await wait_for(pilot, lambda: screen.inventory_shown, what="inventory")
            await wait_for(
                pilot,
                lambda: screen.audit.roles is not None and not screen.audit_checking,
                timeout=60,
                what="role check",
            )
            await wait_for(pilot, lambda: f"role:{lease_db}/creds/{keep}" in counts_shown(screen), what="counts")
            engine = screen.audit.summarize(screen.store.ids, screen.store.known, app.now)
            shown = counts_shown(screen)
            for bucket in engine.buckets:
                assert shown[bucket.key].split("  ")[0].rstrip().endswith(f"{bucket.count:,}"), bucket
            assert engine.count(State.ORPHANED.key) >= 1
            # A role's count narrows the table to that role's leases.
            await pick(pilot, screen, f"role:{lease_db}/creds/{keep}")
            assert sorted(screen.shown_ids()) == sorted(kept)
            assert {r.key for r in screen.table.rows if not r.is_group} == set(kept)
            assert "showing: role" in str(screen.query_one("#lease-status").render())
            # Export what the table shows: mode 0600, parses back to those leases, no secret value.
            target = tmp_path / "inventory.json"
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.is_mounted, what="prompt")
            prompt = app.screen.query_one("#prompt")
            prompt.value = str(target)
            await pilot.press("enter")
            await wait_for(pilot, lambda: target.exists(), timeout=30, what="export written")
            assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
            rows = audit.read_export(target.read_text())
            assert sorted(row["lease_id"] for row in rows) == sorted(kept)
            assert all(row["role"] == keep and row["renewable"] for row in rows)
            assert "password" not in target.read_text()
            # Escape drops the filter; the orphaned count shows the lease whose role is gone.
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen.audit_key is None, what="filter dropped")
            await pilot.press("a")
            await wait_for(pilot, lambda: screen.inventory_shown, what="inventory again")
            await pick(pilot, screen, State.ORPHANED.key)
            assert orphan in screen.shown_ids() and not set(kept) & set(screen.shown_ids())
            # A bar of the chart is a filter too.
            await pilot.press("escape", "a")
            await wait_for(pilot, lambda: screen.inventory_shown, what="inventory a third time")
            chart = screen.query_one(ExpiryChart)
            chart.focus()
            await wait_for(pilot, lambda: chart.has_focus and chart.hist is not None, what="chart focused")
            chart.selected = 1
            await pilot.press("left", "enter")  # now to +1h: where the 1 h database leases are
            await wait_for(pilot, lambda: (screen.audit_key or "").startswith("expires:"), what="bar filter")
            assert screen.shown_ids() and set(screen.shown_ids()) >= set(kept)
            assert isinstance(screen.query_one(InventoryPanel), InventoryPanel)
    finally:
        root_client.write(f"sys/leases/revoke-prefix/{lease_db}/creds/{keep}", sync=True)
        root_client.write(f"sys/leases/revoke-force/{lease_db}/creds/{gone}")
