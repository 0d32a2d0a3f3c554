"""The lease dashboard's polish (issue 10), each observed on main first: dialogs styled like
every dialog, a side panel that is never cut off, credentials that can be revealed, hidden keys
that say why, Escape leaving text fields, focus always visible, help keys as typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import unique
from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import lease_app, open_dashboard, refreshed
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input

from tests.helpers import screen_ready, wait_for
from vault_tui.screens.modals import Dialog, HelpScreen
from vault_tui.views.leases.table import LeaseTable

SIZES = [(80, 24), (120, 40), (200, 50)]


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def notes(app) -> str:
    return " | ".join(str(n.message) for n in list(app._notifications))


def shown_lines(widget: Widget) -> list[str]:
    """The lines of ``widget`` that are on screen (inside every container that clips it)."""
    geometry = widget.screen._compositor.full_map.get(widget)
    if geometry is None or not widget.display:
        return []
    region = geometry.region
    visible = region.intersection(geometry.clip)
    lines = widget.render_lines(Region(0, 0, region.width, region.height))
    return [strip.text for y, strip in enumerate(lines) if visible.y <= region.y + y < visible.bottom]


def cut_off(widget: Widget) -> str | None:
    """Why part of a Static's text is not on screen, or None when all of it is."""
    if not widget.display:
        return None
    needed = widget.get_content_height(widget.parent.size, widget.app.size, widget.content_size.width)
    if needed > widget.content_size.height:
        return f"{widget.id}: needs {needed} lines, has {widget.content_size.height}"
    geometry = widget.screen._compositor.full_map.get(widget)
    if geometry is None:
        return f"{widget.id}: not on screen"
    if geometry.region.intersection(geometry.clip) != geometry.region:
        return f"{widget.id}: clipped ({geometry.region} inside {geometry.clip})"
    return None


def detail_widgets(screen) -> list[Widget]:
    """The side panel's text about the highlighted lease (everything but the activity log)."""
    return [w for w in screen.query("#lease-side Static") if w.id != "lease-activity"]


async def tick(pilot, seconds: float = 1) -> None:
    pilot.app.now = pilot.app.now + timedelta(seconds=seconds)
    await pilot.pause()


# -- dialogs --------------------------------------------------------------------------------------
def check_dialog(app) -> str:
    screen = app.screen
    assert isinstance(screen, ModalScreen), screen
    kind = type(screen).__name__
    assert isinstance(screen, Dialog), f"{kind} is not a Dialog"
    assert "DEFAULT_CSS" not in type(screen).__dict__, f"{kind} has styles of its own"
    box = screen.query_one(".dialog")
    width = app.size.width
    centre = box.region.x + box.region.width / 2
    assert abs(centre - width / 2) <= 1.5, f"{kind} is not centred: {box.region} on {app.size}"
    for child in box.query("*"):
        if child.display and child.region.width:
            assert box.region.contains_region(child.region), f"{kind}: {child} sticks out of its box"
    return kind


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_lease_dialog_is_a_styled_dialog(settings, root_client, lease_db, db_role, size):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    prefix = f"{lease_db}/creds/{db_role}/"
    app = lease_app(settings)
    async with app.run_test(size=size) as pilot:
        screen = await open_dashboard(pilot)
        seen = []

        async def opened(*keys: str) -> None:
            await pilot.press(*keys)
            await wait_for(pilot, lambda: isinstance(app.screen, ModalScreen) and app.screen.is_mounted, what=str(keys))
            await pilot.pause()
            seen.append(check_dialog(app))

        screen.table.move_to(lease_id)
        await opened("n")  # renew increment
        await pilot.press("escape")
        await opened("x")  # revoke confirmation
        await pilot.press("escape")
        screen.table.move_to(prefix)
        await opened("P")  # revoke prefix: type the prefix
        await pilot.press("escape")
        await opened("ctrl+x")  # force-revoke: type the prefix, then a second warning
        await pilot.press(*prefix, "enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="force warning")
        await pilot.pause()
        seen.append(check_dialog(app))
        await pilot.press("escape")
        await opened("g")  # generate credentials
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the dashboard")
        assert len(seen) == 6
    root_client.write("sys/leases/revoke", lease_id=lease_id, sync=True)


# -- the side panel -------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_side_panel_text_is_never_cut_off(settings, root_client, pki_lease, size):
    marker = pki_lease.split("/", 1)[0]  # pki-xxxxxxxx: also in the token role's name below
    role = f"tr-{marker}"
    root_client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    root_client.write(f"auth/token/create/{role}", policies=["default"])
    app = lease_app(settings)
    async with app.run_test(size=size) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("slash", *marker, "enter")  # only this test's two leases
        await pilot.press("G")  # flat: the first row is a lease
        count = screen.refresh_count
        screen.reload()  # the rows are looked up again while the cursor sits on one
        await wait_for(pilot, lambda: screen.refresh_count > count, timeout=60, what="reload")
        await wait_for(pilot, lambda: screen.table.current_lease_id is not None, what="a lease highlighted")
        for _ in range(2):
            lease_id = screen.table.current_lease_id
            await wait_for(pilot, lambda lease_id=lease_id: lease_id in screen.store.known, what="looked up")
            await pilot.pause()
            await tick(pilot)
            await tick(pilot)
            problems = [why for w in detail_widgets(screen) if (why := cut_off(w))]
            assert not problems, (size, lease_id, problems)
            reason = screen.store.known[lease_id].not_renewable_reason
            text = words(" ".join(line for w in detail_widgets(screen) for line in shown_lines(w)))
            assert words(reason) in text, (size, text)
            await pilot.press("down")


# -- credentials ----------------------------------------------------------------------------------
async def test_database_credentials_can_be_revealed(settings, root_client, lease_db, db_role):
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        screen.generate(lease_db, db_role)
        await wait_for(pilot, lambda: screen.issued, what="credentials")
        ((lease_id, creds),) = screen.issued.items()
        await wait_for(pilot, lambda: screen.table.current_lease_id == lease_id, what="cursor on the new lease")

        def panel() -> str:  # what is on screen, without the line breaks of wrapping
            return "".join("".join(line.split()) for w in detail_widgets(screen) for line in shown_lines(w))

        await pilot.pause()
        assert creds.password not in panel() and creds.username not in panel() and "••••" in panel()
        await pilot.press("v")
        await pilot.pause()
        assert creds.password in panel() and creds.username in panel()
        await pilot.press("v")
        await pilot.pause()
        assert creds.password not in panel()
        await pilot.press("v", "up")  # revealed, then the cursor leaves: hidden again
        await pilot.pause()
        screen.table.move_to(lease_id)
        await pilot.pause()
        assert creds.password not in panel() and "••••" in panel()
        assert await screen.revoke_session_leases() == []


# -- hidden keys ----------------------------------------------------------------------------------
async def test_a_hidden_key_says_why(settings, root_client, lease_db, db_role):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(settings, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        screen.table.move_to(lease_id)
        await pilot.press("x")
        await wait_for(pilot, lambda: "read-only" in notes(app), what="why revoke is hidden")
        assert "Revoke" in notes(app)
        await pilot.press("g")
        await wait_for(pilot, lambda: "Generate credentials: read-only" in notes(app), what="why generate is hidden")
        await pilot.press("p")  # no credentials issued here for this lease
        await wait_for(pilot, lambda: "Copy the password" in notes(app), what="why copy is hidden")
        assert app.screen is screen and lease_id in screen.store
    root_client.write("sys/leases/revoke", lease_id=lease_id, sync=True)


# -- text fields, focus, help -------------------------------------------------------------------
async def test_escape_always_leaves_a_text_field(settings):
    app = lease_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(pilot)
        for key, box in (("slash", "#lease-filter"), ("i", "#lease-lookup")):
            await pilot.press(key)
            await wait_for(pilot, lambda box=box: app.focused is screen.query_one(box, Input), what=f"{box} focused")
            await pilot.press("a", "b", "escape")
            await wait_for(pilot, lambda: isinstance(app.focused, LeaseTable), what=f"escape leaves {box}")
        assert screen.store.filter_text == ""


def look(widget: Widget) -> list[tuple[str, str]]:
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [(segment.text, str(segment.style)) for strip in lines for segment in strip]


async def check_focus_shows(pilot, widgets: list[Widget], elsewhere: Widget) -> list[str]:
    missing = []
    for widget in widgets:
        elsewhere.focus()
        await wait_for(pilot, lambda: pilot.app.focused is elsewhere, what="focus moved away")
        await pilot.pause(0.1)
        before = look(widget)
        widget.focus()
        await wait_for(pilot, lambda widget=widget: pilot.app.focused is widget, what=f"{widget} focused")
        try:  # restyled and repainted: on a busy machine that may take a while
            await wait_for(
                pilot, lambda widget=widget, before=before: look(widget) != before, timeout=20, what="focus shown"
            )
        except AssertionError:
            missing.append(repr(widget))
    return missing


async def test_every_focusable_thing_shows_focus(settings, root_client, lease_db, db_role):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(pilot)
        screen.table.move_to(lease_id)
        await pilot.press("slash", "escape", "i", "escape", "slash")  # both text fields shown
        await pilot.pause()
        screen.table.move_to(lease_id)  # the cursor row on screen
        focusable = [w for w in screen.query("*") if w.focusable and w.display]
        assert {type(w).__name__ for w in focusable} >= {"LeaseTable", "Input"}
        header = screen.query_one("#lease-status")
        header.can_focus = True  # somewhere neutral to move the focus to
        missing = await check_focus_shows(pilot, focusable, header)
        header.can_focus = False
        assert not missing, missing
        await pilot.press("escape")
        for key in ("n", "g"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, Dialog) and app.screen.is_mounted, what=key)
            await pilot.pause(0.3)
            dialog = app.screen
            inside = [w for w in dialog.query("*") if w.focusable and w.display]
            title = dialog.query_one(".dialog-title")
            title.can_focus = True
            missing = await check_focus_shows(pilot, inside, title)
            title.can_focus = False
            assert not missing, (key, missing)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, what="dialog closed")
    root_client.write("sys/leases/revoke", lease_id=lease_id, sync=True)


async def test_help_shows_keys_as_typed(settings):
    app = lease_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen), what="help")
        keys = {key: description for key, description, _id in app.screen.rows}
        assert keys.get("/") == "Filter" and keys.get("space") == "Mark" and keys.get("ctrl+x")
        assert "R" in keys and "P" in keys
        for raw in ("slash", "question_mark", "left_square_bracket", "full_stop"):
            assert not any(raw in key for key in keys), (raw, keys)


async def test_refresh_keeps_the_table_focused(settings):
    """A refresh (r) with a text field closed leaves the focus where it was."""
    app = lease_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(pilot)
        await refreshed(pilot, screen)
        assert isinstance(app.focused, LeaseTable)
        assert unique()  # the helper module is importable here too
