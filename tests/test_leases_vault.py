"""The lease Vault layer against a real OpenBao and a real PostgreSQL."""

from __future__ import annotations

import pytest
from conftest import unique
from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import make_db_role, pg_role_exists

from vault_tui.vault import leases
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import PermissionDenied, ReadOnlyMode
from vault_tui.vault.gateway import Gateway


def test_vault_layer_does_not_import_textual():
    import ast
    import pathlib

    source = pathlib.Path(leases.__file__).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
            assert not any(n.startswith("textual") for n in names)


def test_db_creds_listed_and_looked_up(gateway, lease_db, db_role, postgres):
    creds = leases.generate_credentials(gateway, lease_db, db_role)
    assert creds.lease_id.startswith(f"{lease_db}/creds/{db_role}/")
    assert creds.username and creds.password
    assert "password" not in repr(creds) and creds.password not in repr(creds)
    assert pg_role_exists(postgres, creds.username)

    ids = leases.list_lease_ids(gateway, f"{lease_db}/creds/{db_role}")
    assert ids == (creds.lease_id,)
    assert creds.lease_id in leases.list_lease_ids(gateway)  # the whole-server walk finds it

    lease = leases.lookup_lease(gateway, creds.lease_id)
    assert lease.prefix == f"{lease_db}/creds/{db_role}"
    assert lease.renewable and not lease.is_auth
    assert 3500 < lease.ttl <= 3600
    assert lease.expire_time is not None and lease.issue_time is not None
    assert abs((lease.expire_time - lease.issue_time).total_seconds() - 3600) < 5
    assert db_role in leases.list_roles(gateway, lease_db)


def test_token_leases_listed_not_renewable_but_revocable(gateway, root_client):
    role = unique("tr")
    root_client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    root_client.write(f"auth/token/create/{role}", policies=["default"])
    ids = leases.list_lease_ids(gateway, f"auth/token/create/{role}")
    assert len(ids) == 1
    lease = leases.lookup_lease(gateway, ids[0])
    assert lease.is_auth and not lease.renewable and lease.server_renewable
    assert "token" in lease.not_renewable_reason
    with pytest.raises(leases.NotRenewable):
        leases.renew_lease(gateway, ids[0], 60)
    result = leases.revoke_lease(gateway, ids[0])
    assert result.sync is True
    assert leases.list_lease_ids(gateway, f"auth/token/create/{role}") == ()


def test_userpass_auth_leases(gateway, userpass_mount, bao):
    import hvac

    user = hvac.Client(url=bao.addr)
    user.auth.userpass.login("alice", "pw", mount_point=userpass_mount)
    ids = leases.list_lease_ids(gateway, f"auth/{userpass_mount}/login/alice")
    assert len(ids) == 1
    lease = leases.lookup_lease(gateway, ids[0])
    assert lease.is_auth and not lease.renewable
    assert 3500 < lease.ttl <= 3600
    leases.revoke_prefix(gateway, f"auth/{userpass_mount}/login/alice")
    assert not user.is_authenticated()


def test_renew_changes_expiry_and_reports_cap(gateway, lease_db, root_client):
    role = make_db_role(root_client, lease_db, default_ttl="60s", max_ttl="300s")
    creds = leases.generate_credentials(gateway, lease_db, role)
    before = leases.lookup_lease(gateway, creds.lease_id)
    result = leases.renew_lease(gateway, creds.lease_id, 200)
    assert result.granted == 200 and not result.capped
    assert result.lease.expire_time > before.expire_time
    assert result.lease.last_renewal is not None
    capped = leases.renew_lease(gateway, creds.lease_id, 3600)
    assert capped.capped
    assert capped.granted < 3600


def test_revoke_removes_lease_and_pg_role(gateway, lease_db, db_role, postgres):
    creds = leases.generate_credentials(gateway, lease_db, db_role)
    assert pg_role_exists(postgres, creds.username)
    result = leases.revoke_lease(gateway, creds.lease_id)
    assert result.count == 1 and result.sync
    # sync=true: by the time revoke returns, the database user is gone.
    assert not pg_role_exists(postgres, creds.username)
    assert leases.list_lease_ids(gateway, f"{lease_db}/creds/{db_role}") == ()


def test_errors_on_revoked_lease(gateway, lease_db, db_role):
    creds = leases.generate_credentials(gateway, lease_db, db_role)
    leases.revoke_lease(gateway, creds.lease_id)
    with pytest.raises(leases.LeaseGone) as info:
        leases.lookup_lease(gateway, creds.lease_id)
    assert info.value.status == 400  # OpenBao: 400 "invalid lease", not 404
    with pytest.raises(leases.LeaseGone):
        leases.renew_lease(gateway, creds.lease_id, 60)
    with pytest.raises(leases.LeaseGone):
        leases.revoke_lease(gateway, creds.lease_id)


def test_revoke_prefix_counts_and_removes(gateway, lease_db, db_role, postgres):
    issued = [leases.generate_credentials(gateway, lease_db, db_role) for _ in range(3)]
    prefix = f"{lease_db}/creds/{db_role}"
    assert leases.count_prefix(gateway, prefix) == 3
    result = leases.revoke_prefix(gateway, prefix)
    assert result.count == 3 and result.sync and not result.force
    assert leases.count_prefix(gateway, prefix) == 0
    for creds in issued:
        assert not pg_role_exists(postgres, creds.username)


def test_revoke_force(gateway, lease_db, db_role):
    leases.generate_credentials(gateway, lease_db, db_role)
    prefix = f"{lease_db}/creds/{db_role}/"
    result = leases.revoke_prefix(gateway, prefix, force=True)
    assert result.force and result.count == 1
    assert leases.count_prefix(gateway, prefix) == 0


def test_revoke_prefix_refuses_empty(gateway):
    with pytest.raises(leases.InvalidRequest):
        leases.revoke_prefix(gateway, "  /")


def test_read_only_blocks_every_write(settings, lease_db, db_role):
    gw = Gateway(settings, read_only=True)
    with pytest.raises(ReadOnlyMode):
        leases.generate_credentials(gw, lease_db, db_role)
    with pytest.raises(ReadOnlyMode):
        leases.renew_lease(gw, f"{lease_db}/creds/{db_role}/x", 10)
    with pytest.raises(ReadOnlyMode):
        leases.revoke_lease(gw, f"{lease_db}/creds/{db_role}/x")
    with pytest.raises(ReadOnlyMode):
        leases.revoke_prefix(gw, f"{lease_db}/creds/{db_role}")
    # reads still work
    assert isinstance(leases.list_lease_ids(gw, f"{lease_db}/creds/{db_role}"), tuple)


def test_no_sudo_token(bao, gateway, lease_db, db_role, no_sudo_token):
    gw = Gateway(ConnectionSettings(addr=bao.addr, token=no_sudo_token))
    assert not leases.can_list(gw)
    with pytest.raises(PermissionDenied):
        leases.list_lease_ids(gw)
    # ...but it can issue, look up by id, renew and revoke its own leases.
    creds = leases.generate_credentials(gw, lease_db, db_role)
    assert leases.lookup_lease(gw, creds.lease_id).id == creds.lease_id
    assert leases.renew_lease(gw, creds.lease_id, 120).granted == 120
    leases.revoke_lease(gw, creds.lease_id)
    with pytest.raises(leases.LeaseGone):
        leases.lookup_lease(gateway, creds.lease_id)


def test_hostile_prefix_rejected(gateway):
    with pytest.raises(leases.InvalidRequest):
        leases.list_keys(gateway, "db/../sys")


def test_missing_prefix_lists_nothing(gateway):
    assert leases.list_lease_ids(gateway, unique("nothing-here-")) == ()


def test_lookup_many_returns_errors_in_place(gateway, lease_db, db_role):
    live = leases.generate_credentials(gateway, lease_db, db_role)
    dead = leases.generate_credentials(gateway, lease_db, db_role)
    leases.revoke_lease(gateway, dead.lease_id)
    first, second = leases.lookup_many(gateway, [live.lease_id, dead.lease_id])
    assert isinstance(first, leases.Lease) and first.id == live.lease_id
    assert isinstance(second, leases.LeaseGone)
    leases.revoke_lease(gateway, live.lease_id)
