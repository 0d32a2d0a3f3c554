"""Lease audit: inventory counts, filters, histogram and export, against a real OpenBao and PostgreSQL.

The leases are created by the test on mounts of its own (a database mount with several roles, a PKI
mount with a non-renewable lease, a userpass login and a token role), so counts are exact even when
other tests leave leases elsewhere on the shared server.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hvac
import pytest
from conftest import unique
from lease_fixtures import CREATION

from vault_tui.vault import leases
from vault_tui.vault.leases import Lease
from vault_tui.vault.roles import RoleInfo, check_lease_roles, mount_table, parse_lease_id, role_exists
from vault_tui.views.leases import audit
from vault_tui.views.leases.audit import State

REPO = Path(__file__).resolve().parent.parent


# -- pure logic --------------------------------------------------------------------------------------
def test_parse_lease_id_with_and_without_mount_table():
    mounts = {"team/db/": "database", "auth/up/": "userpass", "auth/token/": "token", "pki/": "pki"}
    origin = parse_lease_id("team/db/creds/readonly/AbC", mounts)
    assert (origin.mount, origin.endpoint, origin.role, origin.is_auth, origin.engine) == (
        "team/db/",
        "creds",
        "readonly",
        False,
        "database",
    )
    assert origin.group == "team/db/creds/readonly"
    auth = parse_lease_id("auth/up/login/alice/XyZ", mounts)
    assert (auth.mount, auth.endpoint, auth.role, auth.is_auth) == ("auth/up/", "login", "alice", True)
    assert parse_lease_id("auth/token/create/h123", mounts).role == ""
    assert parse_lease_id("auth/token/create/myrole/h123", mounts).role == "myrole"
    # heuristics without the table
    assert parse_lease_id("team/db/creds/readonly/AbC").mount == "team/db/"
    assert parse_lease_id("database/creds/creds/AbC").role == "creds"
    assert parse_lease_id("auth/team/up/login/alice/X").mount == "auth/team/up/"
    assert parse_lease_id("pki/issue/web/X").role == "web"


def _lease(
    lease_id: str, now: datetime, *, issued_ago: float, expires_in: float | None, renewable: bool = True
) -> Lease:
    return Lease(
        id=lease_id,
        issue_time=now - timedelta(seconds=issued_ago),
        expire_time=None if expires_in is None else now + timedelta(seconds=expires_in),
        last_renewal=None,
        server_renewable=renewable,
        ttl=int(expires_in or 0),
        looked_up_at=now,
    )


def test_states_and_near_max_rule():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    info = RoleInfo("db/", "r", True, role_max_ttl=7200, mount_max_ttl=2764800)
    roles = {("db/", "r"): info}
    assert info.max_ttl == 7200
    # issued 1 h ago, expires in 1 h: hard limit (issue + 2 h) reached -> near max, expiring within 1 h
    at_cap = _lease("db/creds/r/a", now, issued_ago=3600, expires_in=3600)
    facts = audit.lease_facts(at_cap, now, roles=roles)
    assert facts.states == {State.EXPIRING_1H, State.NEAR_MAX_TTL}
    assert facts.hard_limit == now + timedelta(hours=1)
    # just issued with a 1 h TTL: renewal could add another hour -> not near max
    fresh = _lease("db/creds/r/b", now, issued_ago=0, expires_in=3599)
    assert State.NEAR_MAX_TTL not in audit.lease_facts(fresh, now, roles=roles).states
    # 10 % of max_ttl (720 s) is the slack
    almost = _lease("db/creds/r/c", now, issued_ago=0, expires_in=7200 - 700)
    assert State.NEAR_MAX_TTL in audit.lease_facts(almost, now, roles=roles).states
    # unknown role: never near max, never orphaned
    assert audit.lease_facts(at_cap, now).states == {State.EXPIRING_1H}
    # a mount cap lower than the role's
    capped = {("db/", "r"): RoleInfo("db/", "r", True, role_max_ttl=0, mount_max_ttl=3600)}
    assert State.NEAR_MAX_TTL in audit.lease_facts(fresh, now, roles=capped).states
    # auth leases are not renewable here, and never "near max"
    token = _lease("auth/token/create/x", now, issued_ago=0, expires_in=90000)
    assert audit.lease_facts(token, now).states == {State.EXPIRING_LATER, State.NON_RENEWABLE}
    # orphaned; a bare id (not looked up)
    gone = {("db/", "r"): RoleInfo("db/", "r", False)}
    assert audit.matches("db/creds/r/z", "state:orphaned", now, roles=gone)
    assert audit.matches("db/creds/r/z", "state:not-looked-up", now)
    assert audit.matches("db/creds/r/z", "mount:db/", now) and audit.matches("db/creds/r/z", "role:db/creds/r", now)
    assert not audit.matches("db/creds/r/z", "expires:0-3600", now)


def test_histogram_keys_and_labels():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    items = [
        _lease("m/creds/r/1", now, issued_ago=0, expires_in=10),
        _lease("m/creds/r/2", now, issued_ago=0, expires_in=3599),
        _lease("m/creds/r/3", now, issued_ago=0, expires_in=3600),
        _lease("m/creds/r/4", now, issued_ago=0, expires_in=86399),
        _lease("m/creds/r/5", now, issued_ago=0, expires_in=86400),
        _lease("m/creds/r/6", now, issued_ago=10, expires_in=-5),
        _lease("m/creds/r/7", now, issued_ago=10, expires_in=None),
    ]
    histogram = audit.expiry_histogram(items, now)
    assert len(histogram.bins) == 24 and histogram.counts[0] == 2 and histogram.counts[1] == 1
    assert histogram.counts[23] == 1 and histogram.in_span == 4
    assert (histogram.expired, histogram.beyond, histogram.no_expiry) == (1, 1, 1)
    first = histogram.bins[1]
    assert first.key == "expires:3600-7200" and first.label == "+1h"
    assert [i.id for i in items if audit.matches(i, first.key, now)] == ["m/creds/r/3"]
    assert [i.id for i in items if audit.matches(i, histogram.beyond_key, now)] == ["m/creds/r/5"]
    assert histogram.ticks(5)[0] == (0, "now") and histogram.ticks(5)[-1] == (24, "+1d")
    small = audit.expiry_histogram(items, now, span=3600, bins=4)
    assert [b.label for b in small.bins] == ["now", "+15m", "+30m", "+45m"]
    with pytest.raises(ValueError):
        audit.validate_key("state:bogus")
    with pytest.raises(ValueError):
        audit.validate_key("colour:red")


def test_csv_cells_are_never_formulas():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    out = io.StringIO()
    audit.write_leases(out, "csv", [_lease("=cmd|x/creds/r/1", now, issued_ago=0, expires_in=60)], now=now)
    line = out.getvalue().splitlines()[1]
    assert line.startswith("'=cmd|x/creds/r/1,")
    assert audit.read_export(out.getvalue())[0]["lease_id"] == "=cmd|x/creds/r/1"


# -- real leases -------------------------------------------------------------------------------------
def _db_role(client: hvac.Client, mount: str, default_ttl: str, max_ttl: str) -> str:
    role = unique("r")
    client.write(
        f"{mount}/roles/{role}", db_name="pg", creation_statements=CREATION, default_ttl=default_ttl, max_ttl=max_ttl
    )
    return role


@pytest.fixture(scope="module")
def inventory(bao, postgres):
    """Leases of every kind on mounts of this module's own. Returns a dict describing them."""
    client = hvac.Client(url=bao.addr, token=bao.root_token)
    db = unique("auditdb-")
    pki = unique("auditpki-")
    up = unique("auditup")
    token_role = unique("audittok")
    client.sys.enable_secrets_engine("database", path=db)
    client.write(
        f"{db}/config/pg",
        plugin_name="postgresql-database-plugin",
        connection_url=postgres.connection_url(),
        username="postgres",
        password="unused-socket-auth",
        allowed_roles="*",
        verify_connection=True,
    )
    roles = {
        "ro": _db_role(client, db, "3h", "6h"),
        "rw": _db_role(client, db, "30m", "1h"),
        "near": _db_role(client, db, "2h", "2h"),  # default = max: at the cap from the start
        "long": _db_role(client, db, "30h", "48h"),
        "orphan": _db_role(client, db, "3h", "6h"),
    }
    from vault_tui.vault.client import ConnectionSettings
    from vault_tui.vault.gateway import Gateway

    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    issued = {}
    passwords = []
    for name, count in (("ro", 2), ("rw", 1), ("near", 1), ("long", 1), ("orphan", 1)):
        for n in range(count):
            creds = leases.generate_credentials(gateway, db, roles[name])
            issued[f"{name}{n}"] = creds.lease_id
            passwords.append(creds.password)
    # the second read-only lease is renewed as far as it goes: its max TTL caps it
    capped = leases.renew_lease(gateway, issued["ro1"], 12 * 3600)
    assert capped.capped
    client.delete(f"{db}/roles/{roles['orphan']}")  # its lease is orphaned now
    # PKI: a non-renewable secrets-engine lease
    client.sys.enable_secrets_engine("pki", path=pki)
    client.write(f"{pki}/root/generate/internal", common_name="audit.test", ttl="24h")
    client.write(f"{pki}/roles/web", allow_any_name=True, generate_lease=True, max_ttl="1h")
    cert = client.write(f"{pki}/issue/web", common_name="a.audit.test", ttl="10m")
    issued["pki"] = cert["lease_id"]
    private_key = cert["data"]["private_key"]
    # auth leases: a userpass login and a token from a token role
    client.sys.enable_auth_method("userpass", path=up)
    client.write(f"auth/{up}/users/alice", password="pw", token_ttl="1h", token_max_ttl="2h")
    client.auth.userpass.login("alice", "pw", mount_point=up, use_token=False)
    client.write(f"auth/token/roles/{token_role}", allowed_policies="default")
    client.auth.token.create(role_name=token_role, ttl="5h", policies=["default"])
    # The auth lease ids are only known by listing.
    issued["userpass"] = leases.list_lease_ids(gateway, f"auth/{up}/login/alice")[0]
    issued["token"] = leases.list_lease_ids(gateway, f"auth/token/create/{token_role}")[0]
    yield {
        "db": db,
        "pki": pki,
        "up": up,
        "token_role": token_role,
        "roles": roles,
        "issued": issued,
        "ids": sorted(issued.values()),
        "secrets": [p for p in passwords if p] + [private_key],
    }
    for prefix in (db, pki, f"auth/{up}", f"auth/token/create/{token_role}"):
        try:
            client.write(f"sys/leases/revoke-force/{prefix}")
        except Exception:
            pass
    for path in (db, pki):
        try:
            client.sys.disable_secrets_engine(path)
        except Exception:
            pass
    try:
        client.sys.disable_auth_method(up)
    except Exception:
        pass


def _looked_up(gateway, ids):
    found = {}
    for item in leases.lookup_many(gateway, ids):
        assert isinstance(item, Lease), item
        found[item.id] = item
    return found


def test_role_checks(gateway, inventory):
    db, roles = inventory["db"], inventory["roles"]
    assert role_exists(gateway, db, roles["ro"]) is True
    assert role_exists(gateway, db, roles["orphan"]) is False
    infos = check_lease_roles(gateway, inventory["ids"])
    assert infos[(f"{db}/", roles["near"])].max_ttl == 7200
    assert infos[(f"{db}/", roles["ro"])].role_max_ttl == 6 * 3600
    assert infos[(f"{db}/", roles["orphan"])].orphaned
    assert infos[(f"{inventory['pki']}/", "web")].exists is True
    assert not any(key[0].startswith("auth/") for key in infos)  # auth leases are not checked


def test_inventory_counts(gateway, inventory):
    ids = inventory["ids"]
    issued = inventory["issued"]
    db, pki, up = inventory["db"], inventory["pki"], inventory["up"]
    roles = inventory["roles"]
    # Everything the test created is found by the whole-server walk.
    assert set(ids) <= set(leases.list_all_leases(gateway).lease_ids)
    known = _looked_up(gateway, ids)
    mounts = mount_table(gateway)
    role_index = check_lease_roles(gateway, ids, mounts=mounts)
    now = datetime.now(UTC)
    summary = audit.summarize(ids, known, now, roles=role_index, mounts=mounts)

    assert summary.total == 9 and summary.looked_up == 9 and summary.roles_checked
    assert summary.count(f"mount:{db}/") == 6
    assert summary.count(f"mount:{pki}/") == 1
    assert summary.count(f"mount:auth/{up}/") == 1
    assert summary.count("mount:auth/token/") == 1
    assert summary.count(f"role:{db}/creds/{roles['ro']}") == 2
    assert summary.count(f"role:{db}/creds/{roles['near']}") == 1
    assert summary.count(f"role:auth/{up}/login/alice") == 1
    assert summary.count(f"role:auth/token/create/{inventory['token_role']}") == 1
    orphan_bucket = summary.bucket(f"role:{db}/creds/{roles['orphan']}")
    assert orphan_bucket is not None and orphan_bucket.note == "role deleted" and orphan_bucket.role == roles["orphan"]

    expected = {
        State.EXPIRING_1H: {issued["rw0"], issued["pki"], issued["userpass"]},
        State.EXPIRING_24H: {issued["ro0"], issued["ro1"], issued["near0"], issued["orphan0"], issued["token"]},
        State.EXPIRING_LATER: {issued["long0"]},
        State.NO_EXPIRY: set(),
        State.NON_RENEWABLE: {issued["pki"], issued["userpass"], issued["token"]},
        State.NEAR_MAX_TTL: {issued["near0"], issued["ro1"]},
        State.ORPHANED: {issued["orphan0"]},
        State.NOT_LOOKED_UP: set(),
    }
    for state, wanted in expected.items():
        assert summary.count(state.key) == len(wanted), state
        # each count is a filter: it selects exactly those leases
        assert set(audit.filter_ids(ids, known, state.key, now, roles=role_index, mounts=mounts)) == wanted, state
    assert [b.key for b in summary.by_state] == [s.key for s in State]

    # The histogram of the next 24 h, one bar per hour.
    histogram = audit.expiry_histogram(known.values(), now)
    assert histogram.in_span == 8 and histogram.beyond == 1 and histogram.expired == 0
    assert histogram.counts[0] == 3  # 10 min, 30 min, ~1 h
    assert histogram.counts[1] == 1  # near max: 2 h
    assert histogram.counts[2] == 2  # 3 h: read-only and orphaned
    assert histogram.counts[4] == 1  # token: 5 h
    assert histogram.counts[5] == 1  # renewed to its 6 h cap
    bar = histogram.bins[2]
    assert set(audit.filter_ids(ids, known, bar.key, now)) == {issued["ro0"], issued["orphan0"]}

    # The same through the context object the dashboard keeps (role checks cached across refreshes).
    from vault_tui.vault.roles import RoleCache

    cache = RoleCache()
    ctx = audit.load_audit_context(gateway, ids, cache=cache)
    assert ctx.summarize(ids, known, now) == summary
    assert ctx.matches(known[issued["orphan0"]], State.ORPHANED.key, now)
    assert len(cache.snapshot()) == 6  # five database roles and the PKI role, each read once

    # Leases listed but not looked up yet still count by mount and role.
    partial = audit.summarize(ids, {}, now, mounts=mounts)
    assert partial.count(State.NOT_LOOKED_UP.key) == 9 and partial.count(f"mount:{db}/") == 6


def _assert_no_secret(text: str, inventory) -> None:
    for secret in inventory["secrets"]:
        assert secret not in text
    assert "password" not in text.lower()


def test_export_parses_back(gateway, inventory):
    ids = inventory["ids"]
    known = _looked_up(gateway, ids)
    for fmt in ("csv", "json"):
        out = io.StringIO()
        stats = audit.export_leases(gateway, out, fmt, lease_ids=ids)
        assert stats.written == 9 and stats.complete
        text = out.getvalue()
        _assert_no_secret(text, inventory)
        rows = {row["lease_id"]: row for row in audit.read_export(text)}
        assert set(rows) == set(ids)
        for lease_id, row in rows.items():
            lease = known[lease_id]
            origin = parse_lease_id(lease_id, mount_table(gateway))
            assert row["mount"] == origin.mount and row["role"] == origin.role
            assert row["renewable"] is lease.renewable
            assert datetime.fromisoformat(row["issue_time"]) == lease.issue_time
            assert abs(datetime.fromisoformat(row["expire_time"]) - lease.expire_time) < timedelta(seconds=1)
            assert 0 < row["ttl"] <= lease.ttl + 1
        if fmt == "json":
            document = json.loads(text)
            assert document["format"] == "vault-tui-lease-inventory" and document["version"] == 1
            assert document["skipped"] == 0 and document["errors"] == []
    # A filtered export, and a whole-server walk that finds every lease of the test.
    out = io.StringIO()
    stats = audit.export_leases(gateway, out, "json", key="state:orphaned")
    assert inventory["issued"]["orphan0"] in {r["lease_id"] for r in audit.read_export(out.getvalue())}
    assert not {r["lease_id"] for r in audit.read_export(out.getvalue())} & (
        set(ids) - {inventory["issued"]["orphan0"]}
    )
    assert stats.listed >= 9


def test_export_file_is_private(gateway, inventory, tmp_path):
    from vault_tui.exporting import ExportFileError, file_mode, private_file

    target = tmp_path / "leases.csv"
    old = os.umask(0)  # even with a permissive umask
    try:
        with private_file(target) as handle:
            assert not target.exists()  # only appears once complete
            audit.export_leases(gateway, handle, "csv", lease_ids=inventory["ids"])
    finally:
        os.umask(old)
    assert file_mode(target) == 0o600
    assert len(audit.read_export(target.read_text())) == 9
    with pytest.raises(ExportFileError, match="already exists"):
        with private_file(target):
            pass
    # a failure leaves nothing behind
    with pytest.raises(RuntimeError):
        with private_file(tmp_path / "broken.csv") as handle:
            handle.write("x")
            raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leases.csv"]


# -- the command line --------------------------------------------------------------------------------
def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vault_tui", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def _profile_file(tmp_path: Path, bao) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(f'default_profile = "audit"\n\n[profiles.audit]\naddr = "{bao.addr}"\n')
    return path


def test_cli_export_with_a_profile_and_the_keyring(bao, inventory, tmp_path):
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "data" / "python_keyring" / backend.filename)
    Path(backend.file_path).parent.mkdir(parents=True)
    from vault_tui.credentials import CredentialStore

    CredentialStore(backend, explicit=True).store("audit", "token", bao.root_token)  # as "remember" does
    config = _profile_file(tmp_path, bao)
    env = _cli_env(tmp_path, VAULT_TUI_CONFIG=str(config), PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    result = _run(["leases", "export", "--format", "csv"], env)
    assert result.returncode == 0, result.stderr
    rows = {r["lease_id"]: r for r in audit.read_export(result.stdout)}
    assert set(inventory["ids"]) <= set(rows)
    _assert_no_secret(result.stdout, inventory)
    assert bao.root_token not in result.stdout + result.stderr

    # --output FILE (mode 0600), JSON, a filter, progress on request, flags before the command
    target = tmp_path / "orphans.json"
    result = _run(
        [
            "--profile",
            "audit",
            "leases",
            "export",
            "-f",
            "json",
            "--output",
            str(target),
            "--filter",
            "state:orphaned",
            "--progress",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    exported = {r["lease_id"] for r in audit.read_export(target.read_text())}
    assert inventory["issued"]["orphan0"] in exported and inventory["issued"]["ro0"] not in exported
    assert "leases" in result.stderr and "/" in result.stderr  # the progress line
    # The file exists now: refused without --force (exit 2), replaced with it.
    result = _run(["leases", "export", "-o", str(target)], env)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = _run(["leases", "export", "-o", str(target), "--force"], env)
    assert result.returncode == 0 and target.read_text().startswith("lease_id,")


def test_cli_export_token_from_env_and_errors(bao, inventory, tmp_path, root_client):
    config = _profile_file(tmp_path, bao)
    env = _cli_env(tmp_path, VAULT_TUI_CONFIG=str(config), VAULT_TOKEN=bao.root_token)
    result = _run(["leases", "export", "--format", "json", "--profile", "audit"], env)
    assert result.returncode == 0, result.stderr
    assert set(inventory["ids"]) <= {r["lease_id"] for r in audit.read_export(result.stdout)}

    # no token at all: exit 2, one line
    result = _run(["leases", "export"], _cli_env(tmp_path, VAULT_TUI_CONFIG=str(config)))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no token" in result.stderr
    # an unknown profile, a bad filter, a bad flag: exit 2
    assert _run(["leases", "export", "--profile", "nope"], env).returncode == 2
    bad = _run(["leases", "export", "--filter", "state:bogus"], env)
    assert bad.returncode == 2 and "unknown lease state" in bad.stderr
    assert _run(["leases", "export", "--format", "xml"], env).returncode == 2
    # a token without sudo on sys/leases/lookup: exit 1, and it says why
    name = unique("nolist")
    root_client.sys.create_or_update_policy(name, 'path "sys/leases/lookup" { capabilities = ["update"] }')
    weak = root_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]
    result = _run(["leases", "export"], _cli_env(tmp_path, VAULT_ADDR=bao.addr, VAULT_TOKEN=weak))
    assert result.returncode == 1 and "needs sudo on sys/leases/lookup/" in result.stderr
    assert weak not in result.stderr


def test_plain_app_arguments_are_untouched():
    from vault_tui.subcommands import split_command

    assert split_command([]) is None
    assert split_command(["--view", "leases"]) is None
    assert split_command(["--path", "kv", "--read-only"]) is None  # "kv" is the value of --path
    command = split_command(["-p", "prod", "leases", "--format", "json", "export", "-o", "x"])
    assert command is not None and (command.group, command.action) == ("leases", "export")
    assert command.argv == ("-p", "prod", "--format", "json", "-o", "x")
    command = split_command(["kv", "import", "f.json", "--to", "kv/x", "--dry-run"])
    assert command is not None and command.argv == ("f.json", "--to", "kv/x", "--dry-run")
    assert split_command(["lint", "--format", "csv"]).argv == ("--format", "csv")


def test_lint_slot(bao, tmp_path):
    """``vault-tui lint`` runs the lint engine when this build has it, else says it is not available."""
    from vault_tui.subcommands import lint_entry

    env = _cli_env(tmp_path, VAULT_ADDR=bao.addr, VAULT_TOKEN=bao.root_token)
    result = _run(["lint", "--format", "json", "--mount", "no-such-mount/"], env)
    if lint_entry() is None:
        assert result.returncode == 2 and "lint is not available" in result.stderr
    else:
        assert result.returncode in (0, 1), result.stderr
        json.loads(result.stdout)
    assert _run(["lint", "--format", "xml"], env).returncode == 2


def test_cli_export_signs_in_with_a_remembered_approle_secret_id(bao, inventory, tmp_path, root_client):
    """A profile with AppRole and a remembered secret ID needs no token: the CLI signs in as the app does."""
    from keyrings.alt.file import PlaintextKeyring

    from vault_tui.credentials import CredentialStore

    mount, policy = unique("auditar"), unique("auditpol")
    root_client.sys.create_or_update_policy(
        policy,
        'path "sys/leases/lookup/*" { capabilities = ["list", "sudo"] }\n'
        'path "sys/leases/lookup" { capabilities = ["update", "list", "sudo"] }\n',
    )
    root_client.sys.enable_auth_method("approle", path=mount)
    try:
        root_client.write(f"auth/{mount}/role/ci", token_policies=[policy, "default"], token_ttl="10m")
        role_id = root_client.read(f"auth/{mount}/role/ci/role-id")["data"]["role_id"]
        secret_id = root_client.write(f"auth/{mount}/role/ci/secret-id")["data"]["secret_id"]
        backend = PlaintextKeyring()
        backend.file_path = str(tmp_path / "data" / "python_keyring" / backend.filename)
        Path(backend.file_path).parent.mkdir(parents=True)
        CredentialStore(backend, explicit=True).store("ci", "secret_id", secret_id)
        config = tmp_path / "profiles.toml"
        config.write_text(
            f'[profiles.ci]\naddr = "{bao.addr}"\n\n[profiles.ci.auth]\nmethod = "approle"\n'
            f'mount = "{mount}"\nrole = "{role_id}"\n'
        )
        env = _cli_env(
            tmp_path, VAULT_TUI_CONFIG=str(config), PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring"
        )
        result = _run(["leases", "export", "--profile", "ci", "--format", "json"], env)
        assert result.returncode == 0, result.stderr
        assert set(inventory["ids"]) <= {r["lease_id"] for r in audit.read_export(result.stdout)}
        assert secret_id not in result.stdout + result.stderr
    finally:
        root_client.sys.disable_auth_method(mount)  # revokes the token it issued
