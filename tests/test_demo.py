"""The embedded demo: real OpenBao (and PostgreSQL where pgserver exists), seeded, and always cleaned up."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import hvac
import pytest

from vault_tui.demo import seed as demo_seed
from vault_tui.demo.environment import DemoEnvironment
from vault_tui.demo.servers import pgserver_unavailable_reason
from vault_tui.vault.gateway import Gateway

HAVE_PG = pgserver_unavailable_reason() is None
# Generous limits, waited for as conditions: on a busy machine (two CPU hogs beside the suite)
# starting OpenBao + PostgreSQL and seeding can take minutes; a hang still fails.
START_LIMIT = 240.0
STOP_LIMIT = 120.0
pytestmark = pytest.mark.timeout(START_LIMIT + STOP_LIMIT + 60)  # above pytest's default of 120 s


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with pgserver
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains ``text`` (e.g. a postgres data dir)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return []
    found = []
    for proc in psutil.process_iter(attrs=["pid", "cmdline", "status"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        if any(text in part for part in cmdline):
            found.append(proc.info["pid"])
    return found


def _assert_all_gone(bao_pid: int | None, postgres_pid: int | None, temp_dirs: tuple[str, ...]) -> None:
    assert bao_pid is not None
    assert not _alive(bao_pid), "the bao server is still running"
    if postgres_pid is not None:
        assert not _alive(postgres_pid), "PostgreSQL is still running"
    for directory in temp_dirs:
        assert not os.path.exists(directory), f"{directory} was left behind"
        assert _processes_mentioning(directory) == [], f"a process still uses {directory}"


def _client(env: DemoEnvironment) -> hvac.Client:
    assert env.settings is not None
    return hvac.Client(url=env.settings.addr, token=env.settings.token)


def _walk_kv2(client: hvac.Client, mount: str, folder: str = "") -> list[str]:
    keys = client.secrets.kv.v2.list_secrets(folder, mount_point=mount)["data"]["keys"]
    paths: list[str] = []
    for key in keys:
        if key.endswith("/"):
            paths += _walk_kv2(client, mount, folder + key)
        else:
            paths.append(folder + key)
    return paths


def _list(client: hvac.Client, path: str) -> list[str]:
    body = client.adapter.request("LIST", f"/v1/{path}")
    return body["data"]["keys"]


@pytest.fixture(scope="module")
def demo():
    messages: list[str] = []
    env = DemoEnvironment(progress=messages.append)
    env.start()
    env.messages = messages  # type: ignore[attr-defined]
    yield env
    env.stop()


def test_demo_settings_log_in_as_root(demo):
    gateway = Gateway(demo.settings)
    info = gateway.server_info()
    assert info is not None
    assert demo.settings.addr.startswith("http://127.0.0.1:")
    token = _client(demo).auth.token.lookup_self()["data"]
    assert "root" in token["policies"]


def test_root_token_is_never_shown(demo):
    token = demo.settings.token
    assert token and len(token) > 16
    shown = [repr(demo), str(demo.settings), *demo.notes, *demo.messages]
    assert not any(token in text for text in shown)


def test_notes_explain_a_missing_database(demo):
    if HAVE_PG:
        assert demo.postgres is not None
        assert not any("database" in note for note in demo.notes)
    else:
        assert demo.postgres is None
        assert any(note.startswith("database mount skipped:") for note in demo.notes)


def test_kv2_tree_has_about_200_secrets_with_history(demo):
    client = _client(demo)
    paths = _walk_kv2(client, "secret")
    assert 180 <= len(paths) <= 230
    assert "payments/checkout/prod/db" in paths
    assert {p.split("/")[0] for p in paths} >= {"payments", "identity", "search", "platform", "data"}

    destroyed, deleted, many_versions, with_custom = [], [], 0, 0
    for path in paths:
        meta = client.secrets.kv.v2.read_secret_metadata(path, mount_point="secret")["data"]
        versions = meta["versions"]
        destroyed += [(path, int(v)) for v, info in versions.items() if info["destroyed"]]
        deleted += [(path, int(v)) for v, info in versions.items() if info["deletion_time"] and not info["destroyed"]]
        many_versions += meta["current_version"] >= 5
        with_custom += bool(meta.get("custom_metadata"))
    assert destroyed == [demo_seed.DESTROYED_VERSION]
    for entry in demo_seed.SOFT_DELETED_VERSIONS:
        assert entry in deleted
    assert len(deleted) >= 4
    assert many_versions >= 10
    assert with_custom >= 10

    meta = client.secrets.kv.v2.read_secret_metadata(demo_seed.MANY_VERSIONS_PATH, mount_point="secret")["data"]
    assert meta["current_version"] == 8
    assert set(meta["custom_metadata"]) == {"owner", "ticket", "rotation"}
    pruned = client.secrets.kv.v2.read_secret_metadata(demo_seed.PRUNED_PATH, mount_point="secret")["data"]
    assert pruned["current_version"] == 12 and pruned["oldest_version"] > 1
    own_cas = client.secrets.kv.v2.read_secret_metadata(demo_seed.SECRET_CAS_PATH, mount_point="secret")["data"]
    assert own_cas["cas_required"] is True


def test_hostile_entries_are_stored_verbatim(demo):
    client = _client(demo)
    data = client.secrets.kv.v2.read_secret_version(
        demo_seed.HOSTILE_PATH, mount_point="secret", raise_on_deleted_version=True
    )["data"]["data"]
    assert data["[red]not markup[/red]"].startswith("\x1b[31m")
    assert "\x1b]0;" in data["osc-title"]
    qa = client.secrets.kv.v2.list_secrets("qa", mount_point="secret")["data"]["keys"]
    assert "[red]not markup[@click=app.quit]" in qa
    assert "a[/" in qa  # the folder made by the secret ``qa/a[/]b``


def test_cas_required_mount_and_kv1(demo):
    client = _client(demo)
    config = client.secrets.kv.v2.read_configuration(mount_point="ops-kv")["data"]
    assert config["cas_required"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client.secrets.kv.v2.create_or_update_secret("oncall/pagerduty", secret={"x": "y"}, mount_point="ops-kv")
    assert len(_walk_kv2(client, "ops-kv")) >= 5

    mounts = client.sys.list_mounted_secrets_engines()["data"]
    assert mounts["legacy/"]["type"] == "kv"
    assert mounts["legacy/"]["options"]["version"] == "1"
    assert "mainframe/" in client.secrets.kv.v1.list_secrets("", mount_point="legacy")["data"]["keys"]


def test_transit_keys(demo):
    client = _client(demo)
    payments = client.secrets.transit.read_key("payments")["data"]
    assert payments["type"] == "aes256-gcm96"
    assert payments["latest_version"] == 3
    signing = client.secrets.transit.read_key("release-signing")["data"]
    assert signing["type"] == "ed25519"


@pytest.mark.skipif(not HAVE_PG, reason="pgserver is not available on this Python")
def test_database_mount_has_roles_and_live_leases(demo):
    client = _client(demo)
    assert set(_list(client, "database/roles")) == {"readonly", "readwrite"}
    readonly = _list(client, "sys/leases/lookup/database/creds/readonly")
    readwrite = _list(client, "sys/leases/lookup/database/creds/readwrite")
    assert len(readonly) == 2 and len(readwrite) == 1
    ttls = sorted(
        client.sys.read_lease(f"database/creds/{role}/{lease}")["data"]["ttl"]
        for role, leases in (("readonly", readonly), ("readwrite", readwrite))
        for lease in leases
    )
    assert ttls[0] <= 600 and ttls[1] <= 600
    assert 600 < ttls[2] <= 3600
    # The issued users exist in PostgreSQL, with an expiry.
    roles = demo.postgres.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%' AND rolvaliduntil IS NOT NULL;")
    assert " 3" in roles


def test_token_and_auth_leases(demo):
    client = _client(demo)
    assert len(_list(client, "sys/leases/lookup/auth/token/create")) >= 3
    assert len(_list(client, "sys/leases/lookup/auth/userpass/login/alice")) == 1
    assert client.sys.list_auth_methods()["data"]["userpass/"]["type"] == "userpass"
    assert {"demo-reader", "payments-dev", "ops-admin"} <= set(client.sys.list_policies()["data"]["policies"])


def test_stop_removes_everything_and_is_idempotent():
    before = signal.getsignal(signal.SIGTERM)
    env = DemoEnvironment().start()
    assert signal.getsignal(signal.SIGTERM) == env._handle_signal
    assert signal.getsignal(signal.SIGINT) is not env._handle_signal  # Ctrl+C is the app's again
    bao_pid, postgres_pid, dirs = env.bao_pid, env.postgres_pid, env.temp_dirs
    assert _alive(bao_pid)
    assert len(dirs) == (2 if HAVE_PG else 1)
    if HAVE_PG:
        assert _alive(postgres_pid)
    env.stop()
    env.stop()
    assert not env.running
    _assert_all_gone(bao_pid, postgres_pid, dirs)
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_demo_stops_when_the_body_raises(error):
    seen = {}
    with pytest.raises(type(error)):
        with DemoEnvironment() as env:
            seen.update(bao=env.bao_pid, pg=env.postgres_pid, dirs=env.temp_dirs)
            raise error
    _assert_all_gone(seen["bao"], seen["pg"], seen["dirs"])


def test_demo_without_postgres_says_why():
    with DemoEnvironment(postgres=False) as env:
        assert env.postgres is None
        assert [n for n in env.notes if n.startswith("database mount skipped:")] == [
            "database mount skipped: PostgreSQL was turned off"
        ]
        mounts = _client(env).sys.list_mounted_secrets_engines()["data"]
        assert "database/" not in mounts and "transit/" in mounts
        dirs, bao_pid = env.temp_dirs, env.bao_pid
    _assert_all_gone(bao_pid, None, dirs)


def test_demo_on_a_python_without_pgserver_says_why(monkeypatch):
    reason = "pgserver is not installed (it publishes wheels only up to Python 3.12; this is Python 3.13)"
    monkeypatch.setattr("vault_tui.demo.environment.pgserver_unavailable_reason", lambda: reason)
    with DemoEnvironment() as env:
        assert env.postgres is None
        assert env.notes.count(f"database mount skipped: {reason}") == 1
        assert "transit/" in _client(env).sys.list_mounted_secrets_engines()["data"]
        dirs, bao_pid = env.temp_dirs, env.bao_pid
    _assert_all_gone(bao_pid, None, dirs)


CHILD = textwrap.dedent(
    """
    import json, signal, sys, time
    from vault_tui.demo.environment import DemoEnvironment

    # As in a terminal: the suite itself may run under nohup, whose ignored SIGHUP is inherited
    # (and rightly kept ignored by the demo).
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

    env = None

    def report(message):
        state = {"msg": message, "bao_pid": env.bao_pid, "pg_pid": env.postgres_pid, "dirs": env.temp_dirs}
        print(json.dumps(state), flush=True)

    env = DemoEnvironment(progress=report)
    env.start()
    report("ready")
    time.sleep(120)
    print("not reached", flush=True)
    """
)


def _lines(stream) -> queue.Queue[str | None]:
    """The lines of ``stream``, read by a thread (None at the end), so waits can have deadlines."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_exit(child: subprocess.Popen, limit: float) -> None:
    deadline = time.monotonic() + limit
    while child.poll() is None:
        assert time.monotonic() < deadline, f"the demo did not stop within {limit:.0f} s of the signal"
        time.sleep(0.1)


def _run_child_and_signal(when: str, signum: int) -> None:
    tmpdir = tempfile.mkdtemp(prefix="vt-demo-")  # short: the pg socket lives in the data dir
    os.chmod(tmpdir, 0o755)
    try:
        env = dict(os.environ, TMPDIR=tmpdir, PYTHONUNBUFFERED="1")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        stderr_lines = _lines(child.stderr)
        stdout_lines = _lines(child.stdout)
        bao_pid = None
        rest: list[str] = []
        try:
            deadline = time.monotonic() + START_LIMIT
            while True:
                try:
                    line = stdout_lines.get(timeout=max(0.05, min(1.0, deadline - time.monotonic())))
                except queue.Empty:
                    assert time.monotonic() < deadline, f"the demo did not report {when!r} within {START_LIMIT:.0f} s"
                    continue
                if line is None:
                    raise AssertionError(f"the demo never reported {when!r}: {_drain(stderr_lines)}")
                state = json.loads(line)
                bao_pid = state["bao_pid"] or bao_pid
                if state["msg"] == when:
                    break
            assert _alive(bao_pid)
            child.send_signal(signum)
            _wait_exit(child, STOP_LIMIT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        stderr = _drain(stderr_lines)
        rest = [line for line in iter(lambda: _get(stdout_lines), None)]
        assert child.returncode == 128 + signum, stderr
        if when != "ready":
            assert not any('"ready"' in line for line in rest)  # start-up was cut short, not finished first
        assert "Traceback" not in stderr
        assert not _alive(bao_pid)
        leftovers = [p for p in Path(tmpdir).iterdir() if p.name.startswith("vault-tui-")]
        assert leftovers == []
        assert _processes_mentioning(tmpdir) == []
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _get(lines: queue.Queue[str | None]) -> str | None:
    """The next line, waiting for the reader thread to reach the end of the (closed) stream."""
    try:
        return lines.get(timeout=STOP_LIMIT)
    except queue.Empty:
        return None


def _drain(lines: queue.Queue[str | None]) -> str:
    return "".join(line for line in iter(lambda: _get(lines), None))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_while_running_stops_everything(signum):
    _run_child_and_signal("ready", signum)


def test_sigterm_during_start_up_stops_everything():
    # Sent while PostgreSQL starts (or while seeding without it): held until the step ends, then honoured.
    when = "starting PostgreSQL" if HAVE_PG else "seeding KV v2 secrets"
    _run_child_and_signal(when, signal.SIGTERM)


# -- PKI, and database leases that can be revoked (issue 9) ----------------------------------------


def _gateway(env: DemoEnvironment) -> Gateway:
    gateway = Gateway(env.settings)
    gateway.server_info()
    return gateway


def test_pki_root_intermediate_and_certificates(demo):
    from datetime import UTC, datetime

    from vault_tui.vault import pki

    gateway = _gateway(demo)
    now = datetime.now(UTC)
    mounts = {m.name for m in pki.pki_mounts(gateway)}
    assert {demo_seed.PKI_ROOT_MOUNT, demo_seed.PKI_INT_MOUNT} <= mounts

    root = pki.inventory(gateway, demo_seed.PKI_ROOT_MOUNT, now=now)
    assert root.problems == ()
    (root_ca,) = [c for c in root.issuers if c.common_name == demo_seed.PKI_ROOT_CN]
    assert root_ca.is_ca and root_ca.self_signed and root_ca.issuer_name == "demo-root"
    # The intermediate was signed by the root mount, so it is one of the root's certificates.
    (intermediate,) = [c for c in root.certificates if c.common_name == demo_seed.PKI_INT_CN]
    assert intermediate.is_ca and intermediate.issuer_cn == demo_seed.PKI_ROOT_CN

    inter = pki.inventory(gateway, demo_seed.PKI_INT_MOUNT, now=now)
    assert inter.problems == ()
    assert demo_seed.PKI_INT_CN in {c.common_name for c in inter.issuers}
    leaves = [c for c in inter.certificates if not c.is_issuer]
    assert sorted(c.common_name for c in leaves) == sorted(cn for cn, *_ in demo_seed.PKI_CERTS)
    assert all(c.issuer_cn == demo_seed.PKI_INT_CN and not c.is_ca for c in leaves)
    expiries = [c.not_after for c in inter.certificates]
    assert expiries == sorted(expiries)
    by_cn = {c.common_name: c for c in leaves}
    assert by_cn[demo_seed.PKI_EXPIRING_CN].days_left == 1  # 48 h, less the seconds since seeding
    assert by_cn["checkout.demo.internal"].days_left == 9
    assert by_cn[demo_seed.PKI_REVOKED_CN].revoked
    assert by_cn[demo_seed.PKI_REVOKED_CN].revocation_time is not None
    assert [c.common_name for c in inter.expiring_within(30, now)] == [
        demo_seed.PKI_EXPIRING_CN,
        "checkout.demo.internal",
    ]
    assert by_cn["api.demo.internal"].dns_names == ("api.demo.internal", "api-v2.demo.internal")
    assert by_cn["api.demo.internal"].ip_addresses == ("192.0.2.10",)
    role = pki.read_role(gateway, demo_seed.PKI_INT_MOUNT, demo_seed.PKI_ROLE)
    assert role.allowed_domains == ("demo.internal",) and role.allow_subdomains and role.max_ttl == 2160 * 3600


@pytest.mark.skipif(not HAVE_PG, reason="pgserver is not available on this Python")
@pytest.mark.parametrize("role", demo_seed.DATABASE_ROLES)
def test_database_leases_can_be_revoked(demo, role):
    from lease_fixtures import pg_role_exists

    from vault_tui.vault import leases

    gateway = _gateway(demo)
    creds = leases.generate_credentials(gateway, demo_seed.DATABASE_MOUNT, role)
    assert pg_role_exists(demo.postgres, creds.username)
    result = leases.revoke_lease(gateway, creds.lease_id)
    assert result.count == 1
    assert not pg_role_exists(demo.postgres, creds.username)
    with pytest.raises(leases.LeaseGone):
        leases.lookup_lease(gateway, creds.lease_id)
