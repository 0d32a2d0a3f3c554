"""Replies that race a view: every message handler of the transit and policies views copes with
arriving before the screen is composed or after it is gone (issue 9, "Never hang, never crash")."""

from __future__ import annotations

import inspect

import pytest
from helpers import app_for, screen_ready, wait_for, wait_ready

from vault_tui.vault.errors import PermissionDenied
from vault_tui.vault.models import EngineKind, Mount
from vault_tui.vault.policies import Policy, PolicySummary
from vault_tui.vault.transit import TransitRequest
from vault_tui.vault.transit_models import EncryptResult, Operation, TransitKey
from vault_tui.views.guard import is_guarded
from vault_tui.views.policies.screen import PoliciesScreen
from vault_tui.views.transit.screen import TransitScreen


def handlers(screen_class: type) -> dict[str, object]:
    """Methods that Textual calls for a message (``@on`` or ``on_*``/``_on_*`` defined on the view)."""
    found = {}
    for name, member in vars(screen_class).items():
        if not inspect.isfunction(member):
            continue
        if getattr(member, "_textual_on", None) or (name.startswith("on_") and name != "on_mount"):
            found[name] = member
    return found


@pytest.mark.parametrize("screen_class", [TransitScreen, PoliciesScreen])
def test_every_handler_of_the_view_is_guarded(screen_class):
    found = handlers(screen_class)
    assert found, "no handlers found: the test is looking in the wrong place"
    unguarded = [name for name, member in found.items() if not is_guarded(member)]
    assert not unguarded, f"{screen_class.__name__} handlers that query children unguarded: {unguarded}"
    assert is_guarded(screen_class.reload)  # the app calls it on every view after a switch or a recovery


def key() -> TransitKey:
    return TransitKey(
        "transit/", "k", "aes256-gcm96", 1, 1, 0, 0, False, False, 0, False, False, True, True, False, True
    )


def transit_messages():
    request = TransitRequest(Operation.ENCRYPT, "transit/", "k", input="x")
    return [
        TransitScreen.MountsFound((Mount("transit/", "transit", EngineKind.TRANSIT),)),
        TransitScreen.KeysLoaded("transit/", (key(),)),
        TransitScreen.KeysFailed("transit/", PermissionDenied("no")),
        TransitScreen.KeyChanged(key(), "rotated"),
        TransitScreen.KeyDeleted("transit/", "k"),
        TransitScreen.ManageFailed("rotating", PermissionDenied("no")),
        TransitScreen.OperationDone(request, EncryptResult("vault:v1:x", 1)),
        TransitScreen.OperationFailed(request, PermissionDenied("no")),
    ]


def policies_messages():
    return [
        PoliciesScreen.Listed((PolicySummary("default", True), PolicySummary("x", False))),
        PoliciesScreen.Read(Policy("default", 'path "a" {}')),
        PoliciesScreen.Failed(PermissionDenied("no"), "listing policies"),
    ]


@pytest.mark.parametrize(
    ("screen_class", "messages", "view"),
    [(TransitScreen, transit_messages, "transit"), (PoliciesScreen, policies_messages, "policies")],
)
async def test_replies_before_compose_and_after_the_screen_is_gone(settings, screen_class, messages, view):
    app = app_for(settings, initial_view=view)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        early = screen_class()  # never composed, never attached
        for message in messages():
            await early._dispatch_message(message)
        early.reload()
        gone = screen_class()
        await app.push_screen(gone)
        await wait_for(pilot, lambda: screen_ready(app, screen_class) and app.screen is gone, what="pushed")
        await app.pop_screen()
        await pilot.pause()
        for message in messages():
            await gone._dispatch_message(message)
        gone.reload()
        await pilot.pause()
        assert app.is_running and app.return_code is None
