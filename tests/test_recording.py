"""Every change vault-tui makes lands in the operator's trail, whichever view made it; no value ever does."""

from __future__ import annotations

import functools

from tests.helpers import app_for, wait_for, wait_ready
from vault_tui.recording import describe
from vault_tui.trail import Action, Trail
from vault_tui.vault import kv, leases
from vault_tui.worker import Call


def test_describe_takes_only_the_target_never_the_data():
    change = describe(functools.partial(kv.write_v2, cas=3), ("secret/", "app/db", {"password": "hunter2"}), {})
    assert change == (Action.WRITE, "secret/app/db", [])
    assert "hunter2" not in repr(change)
    assert describe(kv.destroy_versions, ("secret", "app/db", [2, 1]), {}) == (Action.DESTROY, "secret/app/db", [2, 1])
    assert describe(leases.revoke_prefix, ("database/creds/ro",), {"force": True})[0] is Action.REVOKE_FORCE
    assert describe(kv.read_version, ("secret/", "x"), {}) is None


async def test_writes_through_the_worker_are_recorded(settings, kv2_mount, tmp_path):
    path = tmp_path / "trail.jsonl"
    app = app_for(settings, trail_path=str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)
        app.worker.submit(Call(kv.write_v2, kv2_mount, "team/db", {"password": "planted-value-1"}, cas=0))
        app.worker.submit(Call(kv.read_version, kv2_mount, "nope/missing"))
        await wait_for(pilot, lambda: path.exists() and path.read_text().count("\n") >= 1, timeout=60, what="trail")
        app.worker.submit(
            Call(kv.write_v2, kv2_mount, "team/db", {"password": "planted-value-2"}, cas=0)
        )  # CAS conflict
        await wait_for(pilot, lambda: path.read_text().count("\n") >= 2, timeout=60, what="failed write recorded")
    entries = list(Trail(path).entries(newest_first=False))
    assert [(e.action, e.target) for e in entries] == [(Action.WRITE, f"{kv2_mount}/team/db")] * 2
    assert entries[0].result == "ok" and entries[1].result != "ok"
    assert entries[0].server == settings.addr
    text = path.read_text()
    assert "planted-value" not in text and settings.token not in text
