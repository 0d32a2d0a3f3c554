"""Incidents on a real 3-node OpenBao Raft cluster, with the app open: nothing typed is lost.

* kill the leader while the browser and the lease view are open: the app is on the new leader
  within 10 s with no key press, says so, and a draft typed before the kill saves;
* a standby shows as standby; a sealed node is skipped; the cluster view lists every node.
"""

from __future__ import annotations

import asyncio
import time

import hvac
import pytest

from tests.helpers import edit_secret, screen_ready, wait_for, wait_ready
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.session import Link
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.cluster.screen import ClusterScreen
from vault_tui.widgets.session_bar import render_bar

LIMIT = 90.0  # generous: the machine may be busy


def _kv_on_cluster(cluster, mount: str) -> hvac.Client:
    """A KV v2 mount with one secret, ready on every node (standbys learn about mounts late)."""
    leader = cluster.addrs[cluster.leader_index()]
    client = hvac.Client(url=leader, token=cluster.root_token)
    if f"{mount}/" not in client.sys.list_mounted_secrets_engines()["data"]:
        client.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    deadline = time.monotonic() + LIMIT
    while True:
        try:
            client.secrets.kv.v2.create_or_update_secret("app/db", {"password": "v1"}, mount_point=mount)
            break
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.InvalidPath, hvac.exceptions.InternalServerError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    for addr in cluster.addrs:
        node = hvac.Client(url=addr, token=cluster.root_token)
        while True:
            try:
                node.secrets.kv.v2.read_secret_version("app/db", mount_point=mount, raise_on_deleted_version=False)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    return client


def _config(cluster, first: str, token: str | None = None, **extra) -> AppConfig:
    addrs = (first, *(a for a in cluster.addrs if a != first))
    return AppConfig(
        connection=ConnectionSettings(addr=first, token=token or cluster.root_token, timeout=5.0),
        addrs=addrs,
        **extra,
    )


async def test_leader_dies_app_moves_and_the_draft_saves(cluster):
    mount = "ha-kv"
    _kv_on_cluster(cluster, mount)
    old = cluster.leader_index()
    old_addr = cluster.addrs[old]
    app = make_app(_config(cluster, old_addr, initial_path=f"{mount}/app/db"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        assert app.session.addr == old_addr and app.session.link is Link.ACTIVE
        # the lease view is open too (a mode of its own), then back to the browser
        app.action_view("leases")
        await wait_for(pilot, lambda: app.current_mode == "leases" and app.screen.is_mounted, LIMIT, "lease view")
        app.action_view("browser")
        await wait_for(pilot, lambda: app.current_mode == "browser", LIMIT, "browser again")
        editor = await edit_secret(pilot, "app/db", "typed-before-the-kill", LIMIT)

        cluster.kill(old)
        new = await asyncio.to_thread(cluster.wait_for_new_leader, old, LIMIT)
        elected = time.monotonic()
        new_addr = cluster.addrs[new]
        await wait_for(
            pilot,
            lambda: app.session.addr == new_addr and app.session.link is Link.ACTIVE,
            LIMIT,
            "the app on the new leader",
        )
        moved_after = time.monotonic() - elected
        assert moved_after <= 10.0, f"moved {moved_after:.1f} s after the election"
        assert any("Moved to another node" in str(n.title) for n in app._notifications)
        bar = render_bar(app.session, app.now).plain
        assert new_addr in bar and "active" in bar

        # nothing typed was lost, and it saves (with CAS) through the new leader
        assert app.screen is editor
        assert editor.query(".kv-value").first().value == "typed-before-the-kill"
        await pilot.press("ctrl+s")
        client = hvac.Client(url=new_addr, token=cluster.root_token)

        def saved() -> bool:
            data = client.secrets.kv.v2.read_secret_version("app/db", mount_point=mount)["data"]
            return data["data"] == {"password": "typed-before-the-kill"} and data["metadata"]["version"] == 2

        await wait_for(pilot, saved, LIMIT, "the draft written on the new leader")


async def test_standby_shows_as_standby_and_sealed_node_is_skipped(cluster):
    leader = cluster.leader_index()
    standbys = [i for i in range(len(cluster.addrs)) if i != leader]
    # one address only, a standby: vault-tui uses it and says it is a standby
    app = make_app(AppConfig(connection=ConnectionSettings(addr=cluster.addrs[standbys[0]], token=cluster.root_token)))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        assert app.session.server is not None and app.session.server.standby
        await wait_for(pilot, lambda: app.session.link is Link.STANDBY, LIMIT, "standby link")
        bar = render_bar(app.session, app.now).plain
        assert "standby" in bar and cluster.addrs[leader] in bar  # and the leader's address
    # several addresses, the first one sealed: it is skipped for the active node
    cluster.seal(standbys[1])
    app = make_app(_config(cluster, cluster.addrs[standbys[1]]))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        assert app.session.addr == cluster.addrs[leader]
        assert app.session.link is Link.ACTIVE


async def test_cluster_view_lists_every_node(cluster):
    app = make_app(_config(cluster, cluster.addrs[cluster.leader_index()], initial_view="cluster"))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_ready(pilot)
        await wait_for(
            pilot, lambda: screen_ready(app, ClusterScreen) and app.screen.overview is not None, LIMIT, "overview"
        )
        screen = app.screen
        roles = sorted(node.role for node in screen.overview.nodes)
        assert roles.count("leader") == 1 and len(roles) == 3
        assert screen.query_one("#cluster-table").row_count == 3
        # live: a killed follower turns up as unreachable without a key press
        follower = next(i for i in range(3) if i != cluster.leader_index())
        cluster.kill(follower)
        addr = cluster.addrs[follower]
        await wait_for(
            pilot,
            lambda: any(n.address == addr and n.reachable is False for n in screen.overview.nodes),
            LIMIT,
            "the dead follower marked",
        )


@pytest.mark.parametrize("word", ["cluster", "ha", "raft"])
async def test_cluster_view_opens_by_command(settings, word):
    app = make_app(AppConfig(connection=settings))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        app.command_line.run(word)
        await wait_for(pilot, lambda: screen_ready(app, ClusterScreen), LIMIT, "cluster view")
        await wait_for(pilot, lambda: app.screen.overview is not None, LIMIT, "single-node overview")
        assert "single node" in app.screen.query_one("#cluster-summary").render().plain


async def test_the_bad_hour_kill_seal_revoke_while_editing(cluster):
    """Issue 9's whole story on the cluster: while a secret is being edited, the leader is killed,
    then the node the app moved to is sealed, then the app's own token is revoked. The app moves
    twice by itself and says so; the save brings the sign-in over the work, and once signed in
    the edit is written (on the version edited) with no other key pressed."""
    from textual.widgets import Input

    from vault_tui.screens.signin import SignInScreen

    mount = "bad-hour"
    root = _kv_on_cluster(cluster, mount)
    token = root.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
    first = cluster.leader_index()
    app = make_app(_config(cluster, cluster.addrs[first], token, initial_path=f"{mount}/app/db"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        editor = await edit_secret(pilot, "app/db", "written-after-a-bad-hour", LIMIT)

        def moved_to(index: int) -> bool:
            return app.session.addr == cluster.addrs[index] and app.session.link is Link.ACTIVE

        # 1. the leader dies
        cluster.kill(first)
        second = await asyncio.to_thread(cluster.wait_for_new_leader, first, LIMIT)
        await wait_for(pilot, lambda: moved_to(second), LIMIT, "the app on the second leader")
        await asyncio.to_thread(cluster.restart, first, LIMIT)  # back as a follower: quorum for what follows
        # 2. the node the app is on is sealed
        await asyncio.to_thread(cluster.seal, second)
        third = await asyncio.to_thread(cluster.wait_for_new_leader, second, LIMIT)
        await wait_for(pilot, lambda: moved_to(third), LIMIT, "the app on the third leader")
        moves = [n for n in app._notifications if "Moved to another node" in str(n.title)]
        assert len(moves) >= 2, [str(n.message) for n in app._notifications]
        # 3. the app's own token is revoked, and the user saves
        current = hvac.Client(url=cluster.addrs[third], token=cluster.root_token)
        current.auth.token.revoke(token)
        assert app.screen is editor and editor.query(".kv-value").first().value == "written-after-a-bad-hour"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), LIMIT, "sign-in over the work")
        fresh = current.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
        app.screen.query_one("#token", Input).value = fresh
        await pilot.press("ctrl+s")  # the sign-in form's submit key; nothing else is pressed

        def saved() -> bool:
            data = current.secrets.kv.v2.read_secret_version("app/db", mount_point=mount)["data"]
            return data["data"] == {"password": "written-after-a-bad-hour"}

        await wait_for(pilot, saved, LIMIT, "the edit written after sign-in")
        metadata = current.secrets.kv.v2.read_secret_metadata("app/db", mount_point=mount)["data"]
        assert metadata["current_version"] == 2  # one write, on top of the version edited
        keys = current.secrets.kv.v2.list_secrets("", mount_point=mount)["data"]["keys"]
        assert keys == ["app/"]  # no path outside the one shown was written
