"""The transit playground as a new user meets it: focus, keys, inputs, export, layout.

Each test pins one rough edge found on main (issue 10, "The polish"), against a real OpenBao.
"""

from __future__ import annotations

import pytest
from conftest import unique
from helpers import app_for, screen_ready, wait_for, wait_ready
from textual.widgets import Checkbox, Input, TextArea
from ui_checks import appearance, cut_off, focusables, steady_cursors

from vault_tui.screens.modals import HelpScreen
from vault_tui.vault.transit_models import Operation
from vault_tui.views.transit.screen import TransitScreen


@pytest.fixture
def mount(root_client):
    path = unique("transit-po-")
    root_client.sys.enable_secrets_engine("transit", path=path)
    yield path
    root_client.sys.disable_secrets_engine(path)


async def open_transit(pilot, mount: str, keys: tuple[str, ...]) -> TransitScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(
        pilot, lambda: isinstance(app.screen, TransitScreen) and app.screen.mounts, timeout=60, what="mounts"
    )
    screen: TransitScreen = app.screen
    screen.query_one("#transit-mount").value = f"{mount}/"
    await wait_for(
        pilot,
        lambda: (
            screen.mount_path == f"{mount}/"
            and set(screen.keys_table.keys_by_name) == set(keys)
            and not screen.keys_table.loading
        ),
        timeout=60,
        what="keys listed",
    )
    screen.keys_table.focus()
    await pilot.pause()
    return screen


def input_text(screen: TransitScreen) -> str:
    return screen.query_one("#transit-input", TextArea).text


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space", ":": "colon", "?": "question_mark"}.get(ch, ch) for ch in text])


async def test_clicking_a_key_keeps_the_shortcut_letters(settings, root_client, mount):
    """A click on a key (even the highlighted one) highlights it; the next letter is a shortcut."""
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    root_client.secrets.transit.create_key("signer", key_type="ed25519", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders", "signer"))
        table = screen.keys_table
        row_y = table.content_region.y - table.region.y + 1  # under the border and the header
        await pilot.click(table, offset=(3, row_y))  # the first key
        await pilot.pause()
        await pilot.click(table, offset=(3, row_y))  # again: on the highlighted row
        await pilot.pause()
        assert table.current_key is not None
        await pilot.press("d")
        await pilot.pause()
        assert screen.operation is Operation.DECRYPT
        assert "d" not in input_text(screen)


async def test_each_kind_of_input_has_its_own_box(settings, root_client, mount):
    """Plaintext and ciphertext are separate inputs: switching never mixes them, typing appends."""
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        await pilot.press("e")
        await type_text(pilot, "hello")
        await pilot.press("escape", "d")
        assert screen.operation is Operation.DECRYPT
        assert input_text(screen) == ""
        await type_text(pilot, "vault")
        assert input_text(screen) == "vault"
        await pilot.press("escape", "w")  # rewrap takes a ciphertext too: it stays
        assert input_text(screen) == "vault"
        await pilot.press("escape", "e")  # back to the plaintext, the cursor at its end
        assert input_text(screen) == "hello"
        await type_text(pilot, "!")
        assert input_text(screen) == "hello!"
        await pilot.press("escape", "s")  # sign takes plaintext: the same text
        assert input_text(screen) == "hello!"
        # chaining (f4) replaces the target's input and leaves the cursor at its end
        await pilot.press("ctrl+n")  # sign -> verify
        await pilot.press("escape", "e", "ctrl+r")
        await wait_for(
            pilot, lambda: screen.output is not None and screen.output.copy_value, timeout=60, what="encrypted"
        )
        await pilot.press("f4")
        assert screen.operation is Operation.DECRYPT and input_text(screen).startswith("vault:v1:")
        await type_text(pilot, "x")
        assert input_text(screen).endswith("x") and input_text(screen).startswith("vault:v1:")


async def test_every_focusable_shows_focus_without_colour(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        screen.query_one("#transit-output").update("some output")
        steady_cursors(screen)
        for op in ("sign", "encrypt"):
            screen.set_operation(Operation(op))
            await pilot.pause()
            widgets = focusables(screen)
            assert len(widgets) >= 6
            for widget in widgets:
                other = screen.keys_table if widget is not screen.keys_table else screen.query_one("#transit-op")
                other.focus()
                await pilot.pause()
                blurred = appearance(app, widget)
                widget.focus()
                await pilot.pause()
                focused = appearance(app, widget)
                assert focused != blurred, f"{widget!r} looks the same focused and not (without colour)"


async def test_escape_leaves_every_text_field(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        for op in (Operation.SIGN, Operation.VERIFY, Operation.ENCRYPT, Operation.RANDOM):
            screen.set_operation(op)
            await pilot.pause()
            fields = [w for w in focusables(screen) if isinstance(w, (Input, TextArea))]
            assert fields
            for field in fields:
                field.focus()
                await pilot.pause()
                await pilot.press("escape")
                await pilot.pause()
                assert not isinstance(app.focused, (Input, TextArea)), f"escape stayed in {field!r}"
        # and in the new-key form, escape leaves the field (and the form)
        screen.keys_table.focus()
        await pilot.press("n")
        from vault_tui.views.transit.dialogs import CreateKeyScreen

        await wait_for(pilot, lambda: screen_ready(app, CreateKeyScreen), what="create form")
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="form closed")
        assert not isinstance(app.focused, (Input, TextArea))


async def test_a_hidden_key_says_why(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit", read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        for key, words in (("n", "New key"), ("r", "Rotate"), ("x", "Delete"), ("c", "Config")):
            await pilot.press(key)
            await wait_for(
                pilot,
                lambda words=words: any(words in n and "read-only" in n for n in notices(app)),
                what=f"why {key} does nothing",
            )
        assert app.screen is screen
        await pilot.press("E")  # export: the key is not exportable
        await wait_for(pilot, lambda: any("not exportable" in n for n in notices(app)), what="why no export")


async def test_no_key_says_why(settings, root_client, mount):
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ())
        await pilot.press("s")
        await wait_for(pilot, lambda: any("no key" in n.lower() for n in notices(app)), what="why s does nothing")
        assert screen.operation is Operation.ENCRYPT


async def test_export_an_exportable_key_masked_until_revealed(settings, root_client, mount):
    from vault_tui.views.transit.dialogs import ExportKeyScreen

    root_client.secrets.transit.create_key("portable", exportable=True, mount_point=mount)
    exported = root_client.adapter.get(f"/v1/{mount}/export/encryption-key/portable")["data"]["keys"]["1"]
    app = app_for(settings, initial_view="transit", read_only=True)  # exporting reads: allowed read-only
    copied: list[tuple[str, str]] = []
    app.copy_secret = lambda text, label="value": copied.append((text, label))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await open_transit(pilot, mount, ("portable",))
        await pilot.press("E")
        await wait_for(pilot, lambda: screen_ready(app, ExportKeyScreen), what="export dialog")
        dialog = app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.exported is not None, timeout=60, what="exported")
        shown = dialog.shown_text()
        assert exported not in shown and "••••" in shown and "v1" in shown
        await pilot.press("v")
        assert exported in dialog.shown_text()
        await pilot.press("v")
        assert exported not in dialog.shown_text()
        await pilot.press("c")
        assert copied and copied[-1][0] == exported and "portable" in copied[-1][1]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_ready(app, TransitScreen), what="closed")


async def test_checkbox_state_reads_without_colour(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        await pilot.press("e")
        box = screen.query_one("#transit-batch", Checkbox)
        screen.keys_table.focus()
        await pilot.pause()
        off = appearance(app, box)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert box.value
        on = appearance(app, box)
        text_off = "".join(ch for line in off for ch, _ in line)
        text_on = "".join(ch for line in on for ch, _ in line)
        assert text_off != text_on, "a checkbox's state is shown only by colour"


async def test_checkbox_state_under_no_color(settings, root_client, mount, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        assert app.no_color
        box = screen.query_one("#transit-b64", Checkbox)
        off = box.render().plain
        box.value = True
        await pilot.pause()
        assert box.render().plain != off


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_nothing_is_cut_off(settings, root_client, mount, size):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    root_client.secrets.transit.create_key("signer", key_type="rsa-2048", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=size) as pilot:
        screen = await open_transit(pilot, mount, ("orders", "signer"))
        for name in ("orders", "signer"):
            screen.keys_table.select_key(name)
            for op in Operation:
                screen.set_operation(op)
                await pilot.pause()
                problems = cut_off(screen)
                assert not problems, f"{size} {name} {op.value}: {problems}"


async def test_help_shows_keys_as_typed(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", exportable=True, mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_transit(pilot, mount, ("orders",))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen), what="help")
        keys = [row[0] for row in app.screen.rows]
        assert "?" in keys, keys
        assert "E" in keys, keys
        named = {"esc", "enter", "tab", "space", "delete", "backspace", "insert", "up", "down", "left", "right"}
        named |= {"home", "end", "pageup", "pagedown"}
        for key in keys:
            for part in key.split(" / "):
                name = part.split("+")[-1]
                assert len(name) == 1 or name in named or (name[0] == "f" and name[1:].isdigit()), (
                    f"help shows {key!r}, not a key as typed"
                )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_dialogs_fit(settings, root_client, mount, size):
    from vault_tui.screens.modals import ConfirmScreen
    from vault_tui.views.transit.dialogs import CreateKeyScreen, ExportKeyScreen, KeyConfigScreen

    root_client.secrets.transit.create_key("orders", exportable=True, mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=size) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        for key, kind in (("n", CreateKeyScreen), ("c", KeyConfigScreen), ("x", ConfirmScreen), ("E", ExportKeyScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda kind=kind: screen_ready(app, kind), what=kind.__name__)
            await pilot.pause()
            problems = cut_off(app.screen)
            assert not problems, f"{size} {kind.__name__}: {problems}"
            app.screen.dismiss(None)
            await wait_for(pilot, lambda: app.screen is screen, what="closed")
            screen.keys_table.focus()


async def test_dialog_fields_show_focus_without_colour(settings, root_client, mount):
    from vault_tui.views.transit.dialogs import CreateKeyScreen, ExportKeyScreen, KeyConfigScreen

    root_client.secrets.transit.create_key("orders", exportable=True, mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        for key, kind in (("n", CreateKeyScreen), ("c", KeyConfigScreen), ("E", ExportKeyScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda kind=kind: screen_ready(app, kind), what=kind.__name__)
            dialog = app.screen
            steady_cursors(dialog)
            widgets = focusables(dialog)
            assert len(widgets) >= 3
            for widget in widgets:
                other = widgets[0] if widget is not widgets[0] else widgets[1]
                other.focus()
                await pilot.pause()
                blurred = appearance(app, widget)
                widget.focus()
                await pilot.pause()
                assert appearance(app, widget) != blurred, f"{kind.__name__}: {widget!r} shows focus only by colour"
            dialog.dismiss(None)
            await wait_for(pilot, lambda: app.screen is screen, what="closed")
            screen.keys_table.focus()
