"""The operator's trail: JSON lines, mode 0600, rotation, newest first, never a value."""

from __future__ import annotations

import inspect
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from vault_tui import trail as trail_mod
from vault_tui.trail import Action, Trail, TrailEntry, sanitise
from vault_tui.vault.errors import PermissionDenied


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _ticking_clock(start: datetime | None = None):
    ticks = count()
    base = start or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return lambda: base + timedelta(seconds=next(ticks))


def test_each_action_is_recorded_with_its_fields(tmp_path):
    trail = Trail(tmp_path / "t" / "trail.jsonl", clock=_ticking_clock())
    for index, action in enumerate(Action):
        trail.record(
            action,
            f"secret/app/item-{index}",
            None if index % 2 == 0 else PermissionDenied("permission denied on secret/data/app"),
            profile="prod",
            server="https://vault.example.test:8200/",
            namespace="team-a",
            versions=(3, 1) if action in (Action.DELETE, Action.DESTROY, Action.UNDELETE) else (),
        )
    assert trail.last_error is None
    entries = trail.entries(newest_first=False)
    assert [e.action for e in entries] == list(Action)
    for index, entry in enumerate(entries):
        assert entry.target == f"secret/app/item-{index}"
        assert entry.profile == "prod" and entry.namespace == "team-a"
        assert entry.server == "https://vault.example.test:8200"
        assert entry.time == datetime(2026, 1, 2, 3, 4, 5 + index, tzinfo=UTC)
        if index % 2 == 0:
            assert entry.ok and entry.result == "ok"
        else:
            assert not entry.ok and entry.result == "permission denied on secret/data/app"
    destroy = next(e for e in entries if e.action is Action.DESTROY)
    assert destroy.versions == (1, 3)
    # One JSON object per line, with exactly the documented keys.
    lines = (tmp_path / "t" / "trail.jsonl").read_text().splitlines()
    assert len(lines) == len(Action)
    first = json.loads(lines[0])
    assert set(first) == {"time", "profile", "server", "namespace", "action", "target", "result"}
    assert first["time"] == "2026-01-02T03:04:05.000Z"
    destroy_line = next(line for line in lines if '"destroy"' in line)
    assert json.loads(destroy_line)["versions"] == [1, 3]


def test_the_api_has_no_field_for_a_value():
    params = set(inspect.signature(Trail.record).parameters)
    assert params == {"self", "action", "target", "result", "profile", "server", "namespace", "versions"}
    with pytest.raises(ValueError):
        Trail("/nonexistent/x").record("print-the-password", "x")


def test_default_location_and_modes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    trail = Trail()
    assert trail.path == tmp_path / "state" / "vault-tui" / "trail.jsonl"
    assert not trail.path.parent.exists()  # nothing is created before the first record
    assert trail.entries() == []
    old = os.umask(0)  # the most permissive umask: still 0700 / 0600
    try:
        trail.record(Action.WRITE, "secret/a")
    finally:
        os.umask(old)
    assert _mode(trail.path.parent) == 0o700
    assert _mode(trail.path) == 0o600
    for extra in trail.path.parent.iterdir():
        assert _mode(extra) == 0o600, extra  # the lock file too


def test_existing_loose_modes_are_tightened(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    directory = tmp_path / "vault-tui"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    (directory / "trail.jsonl").write_text("")
    os.chmod(directory / "trail.jsonl", 0o644)
    trail = Trail()
    trail.record(Action.RENEW, "database/creds/ro/abc")
    assert _mode(directory) == 0o700
    assert _mode(directory / "trail.jsonl") == 0o600


def test_rotation_keeps_size_and_backups_and_reads_across_files(tmp_path):
    trail = Trail(tmp_path / "trail.jsonl", max_bytes=2048, backups=2, clock=_ticking_clock())
    total = 120
    for index in range(total):
        trail.record(Action.WRITE, f"secret/rot/{index:04d}", profile="p")
    files = trail.files()
    assert [f.name for f in files] == ["trail.jsonl.2", "trail.jsonl.1", "trail.jsonl"]
    assert not (tmp_path / "trail.jsonl.3").exists()
    for path in files:
        assert path.stat().st_size <= 2048
        assert _mode(path) == 0o600
    entries = trail.entries()  # newest first, across the rotated files
    targets = [e.target for e in entries]
    assert targets[0] == f"secret/rot/{total - 1:04d}"
    numbers = [int(t.rsplit("/", 1)[1]) for t in targets]
    assert numbers == sorted(numbers, reverse=True)
    assert numbers == list(range(total - 1, total - 1 - len(numbers), -1))  # contiguous: none lost
    assert len(numbers) < total  # the oldest file was dropped
    assert [e.target for e in trail.entries(newest_first=False)] == targets[::-1]


def test_entries_filter_and_limit(tmp_path):
    trail = Trail(tmp_path / "trail.jsonl", clock=_ticking_clock())
    trail.record(Action.WRITE, "secret/team/app/db", profile="prod")
    trail.record(Action.REVOKE, "database/creds/readonly/AbC", profile="dev")
    trail.record(Action.KEY_ROTATE, "transit/keys/payments", RuntimeError("boom"), profile="prod")
    trail.record(Action.CERT_REVOKE, "pki_int/0a:bb:cc", profile="prod")
    assert [e.action for e in trail.entries()] == [Action.CERT_REVOKE, Action.KEY_ROTATE, Action.REVOKE, Action.WRITE]
    assert [e.target for e in trail.entries(filter="PAYMENTS")] == ["transit/keys/payments"]
    assert [e.action for e in trail.entries(filter=lambda e: not e.ok)] == [Action.KEY_ROTATE]
    assert [e.action for e in trail.entries(filter="prod", limit=2)] == [Action.CERT_REVOKE, Action.KEY_ROTATE]
    assert len(trail.entries(filter="  ")) == 4
    # Lines that are not entries (hand edits, a torn write) are skipped.
    with open(trail.path, "a") as handle:
        handle.write('not json\n{"time": "x"}\n[1, 2]\n')
    assert len(trail.entries()) == 4


def test_no_planted_value_reaches_the_file(tmp_path):
    planted = {
        "token": "hvs.CAESIJ7gq6kXDemoNotARealTokenZZ1234567890abcdefgh",
        "legacy": "s.DemoLegacyToken1234567890AB",
        "batch": "b.AAAAAQDemoBatchTokenValue0987654321",
        "jwt": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLW5vdC1yZWFs",
        "secret_id": "7b3c1d2e-9f8a-4b6c-8d7e-1a2b3c4d5e6f0a1b2c3d",
        "password": "demo-not-a-real-password-Zx9Qw8Er7Ty6",
        "ciphertext": "vault:v1:8SDd3WHDOjf7mq69CyCqYjBXAiQQAVZRkFM13ok481zoCmHnSeDX9vyf7w==",
        "private_key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDemoNotARealKey\n-----END EC PRIVATE KEY-----",
        "basic_auth": "operator:hunter2-not-real",
    }
    trail = Trail(tmp_path / "trail.jsonl")
    trail.record(Action.WRITE, "secret/app", RuntimeError(f"server said: bad token {planted['token']}"))
    trail.record(Action.CREDENTIALS_ISSUED, f"auth/approle/login {planted['legacy']}")
    trail.record(Action.REVOKE, "auth/token/create/x", ValueError(f"{planted['batch']} rejected"))
    trail.record(Action.IMPORT, "secret/imp", f"invalid jwt {planted['jwt']}")
    trail.record(Action.WRITE, "auth/approle/role/x/secret-id", f"secret id {planted['secret_id']} expired")
    trail.record(Action.PATCH, "secret/db", f"conflict on value {planted['password']}")
    trail.record(Action.EXPORT, "transit/keys/k", f"ciphertext {planted['ciphertext']} invalid")
    trail.record(Action.CERT_ISSUE, "pki/issue/web", f"got key {planted['private_key']} unexpectedly")
    trail.record(
        Action.RENEW,
        "x",
        server=f"https://{planted['basic_auth']}@vault.example.test:8200/?token={planted['token']}",
    )
    raw = trail.path.read_bytes().decode()
    for name, value in planted.items():
        assert value not in raw, name
        for piece in value.split():
            if len(piece) > 12:
                assert piece not in raw, (name, piece)
    assert "hunter2" not in raw
    assert "[redacted]" in raw
    entries = trail.entries()
    assert entries[0].server == "https://vault.example.test:8200"
    assert all("\n" not in e.result for e in entries)


def test_sanitise_keeps_ordinary_paths():
    for text in (
        "secret/payments/checkout/prod/db",
        "database/creds/readonly/AbCdEfGh12345678",
        "payments-checkout-production-database-credentials",
        "pki_int/0a:ab:77:00:b1:2a:f2:1d",
    ):
        assert sanitise(text, free_text=False) == text
    assert sanitise("permission denied on secret/data/team/app") == "permission denied on secret/data/team/app"
    assert len(sanitise("x" * 5000)) == 300


def test_concurrent_appends_are_whole_lines(tmp_path):
    trail = Trail(tmp_path / "trail.jsonl", max_bytes=64 * 1024, backups=5)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for index in range(60):
                trail.record(Action.RENEW, f"db/creds/r/{worker}-{index}", versions=(index,))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    entries = trail.entries()
    assert len(entries) == 360
    assert len({e.target for e in entries}) == 360
    for path in trail.files():
        for line in path.read_text().splitlines():
            assert TrailEntry.from_json(json.loads(line)) is not None


def test_write_problems_are_reported_not_raised(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    trail = Trail(blocker / "trail.jsonl")
    entry = trail.record(Action.WRITE, "secret/x")
    assert entry.action is Action.WRITE
    assert trail.last_error and "could not write the trail" in trail.last_error

    # A symlink planted where the trail goes is not followed.
    target = tmp_path / "elsewhere.txt"
    target.write_text("")
    (tmp_path / "d").mkdir()
    os.symlink(target, tmp_path / "d" / "trail.jsonl")
    linked = Trail(tmp_path / "d" / "trail.jsonl")
    linked.record(Action.WRITE, "secret/y")
    assert linked.last_error is not None
    assert target.read_text() == ""


def test_module_docstring_says_what_it_is_not():
    doc = trail_mod.__doc__ or ""
    assert "not an audit log" in doc and "audit devices" in doc
    assert "0600" in doc and "never records" in doc


def test_reading_when_no_lock_can_be_taken(tmp_path):
    trail = Trail(tmp_path / "trail.jsonl")
    trail.record(Action.WRITE, "secret/a")
    lock = tmp_path / "trail.jsonl.lock"
    lock.unlink()
    lock.mkdir()  # as a read-only directory would: the lock file cannot be opened
    assert [e.target for e in Trail(tmp_path / "trail.jsonl").entries()] == ["secret/a"]
    trail.record(Action.WRITE, "secret/b")  # writing without the lock is refused, not raised
    assert trail.last_error is not None
