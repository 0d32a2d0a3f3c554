"""Fixtures for the lease dashboard tests: a database secrets engine wired to the real
PostgreSQL, database roles, userpass logins and tokens without sudo.

Import the fixtures into a test module with ``from lease_fixtures import *``.
"""

from __future__ import annotations

from typing import Any

import hvac
import pytest
from conftest import unique

from tests.helpers import screen_ready, wait_for, wait_ready
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.leases.screen import LeasesScreen
from vault_tui.views.leases.table import LeaseTable

CREATION = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
]

NO_SUDO_POLICY = """
path "sys/leases/lookup" { capabilities = ["update"] }
path "sys/leases/lookup/*" { capabilities = ["list"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
path "%(mount)s/creds/*" { capabilities = ["read"] }
path "%(mount)s/roles" { capabilities = ["list"] }
path "sys/internal/ui/mounts" { capabilities = ["read"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
"""


@pytest.fixture(scope="session")
def lease_db(bao, postgres):
    """A database mount (name returned) connected to the session's PostgreSQL."""
    client = hvac.Client(url=bao.addr, token=bao.root_token)
    mount = unique("leasedb-")
    client.sys.enable_secrets_engine("database", path=mount)
    client.write(
        f"{mount}/config/pg",
        plugin_name="postgresql-database-plugin",
        connection_url=postgres.connection_url(),
        username="postgres",
        password="unused-socket-auth",
        allowed_roles="*",
        verify_connection=True,
    )
    yield mount
    try:
        client.sys.disable_secrets_engine(mount)
    except Exception:
        pass


def make_db_role(
    client: hvac.Client,
    mount: str,
    *,
    default_ttl: str = "1h",
    max_ttl: str = "2h",
    revocation: list[str] | None = None,
) -> str:
    role = unique("r")
    extra: dict[str, Any] = {"revocation_statements": revocation} if revocation is not None else {}
    client.write(
        f"{mount}/roles/{role}",
        db_name="pg",
        creation_statements=CREATION,
        default_ttl=default_ttl,
        max_ttl=max_ttl,
        **extra,
    )
    return role


@pytest.fixture
def db_role(root_client, lease_db) -> str:
    """A fresh database role (default TTL 1h, max 2h) on the session's database mount."""
    return make_db_role(root_client, lease_db)


def pg_role_exists(postgres, name: str) -> bool:
    out = postgres.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{name}';")
    digits = [line.strip() for line in out.splitlines() if line.strip().isdigit()]
    return bool(digits) and int(digits[0]) > 0


@pytest.fixture
def userpass_mount(root_client):
    """A fresh userpass auth mount with user ``alice`` (password ``pw``), name returned."""
    path = unique("up")
    root_client.sys.enable_auth_method("userpass", path=path)
    root_client.write(f"auth/{path}/users/alice", password="pw", token_ttl="1h", token_max_ttl="2h")
    yield path
    try:
        root_client.sys.disable_auth_method(path)
    except Exception:
        pass


@pytest.fixture
def no_sudo_token(root_client, lease_db) -> str:
    """A token that may look up/renew/revoke leases and read creds, but not list leases."""
    name = unique("nosudo")
    root_client.sys.create_or_update_policy(name, NO_SUDO_POLICY % {"mount": lease_db})
    return root_client.auth.token.create(policies=[name], ttl="1h")["auth"]["client_token"]


@pytest.fixture
def pki_lease(root_client) -> str:
    """A PKI mount issuing certificates with leases (never renewable); the lease id returned."""
    mount = unique("pki-")
    root_client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "24h"})
    root_client.write(f"{mount}/root/generate/internal", common_name="leases.test", ttl="24h")
    root_client.write(f"{mount}/roles/web", allow_any_name=True, generate_lease=True, ttl="1h", max_ttl="2h")
    lease_id = root_client.write(f"{mount}/issue/web", common_name="a.leases.test")["lease_id"]
    assert lease_id, "PKI issued no lease"
    yield lease_id
    try:
        root_client.sys.disable_secrets_engine(mount)
    except Exception:
        pass


# -- driving the dashboard ------------------------------------------------------------------------
def lease_app(settings: ConnectionSettings, **config: Any):
    config.setdefault("lease_refresh_seconds", 0)  # polls only when a test asks
    return make_app(AppConfig(connection=settings, initial_view="leases", **config), tick=False)


async def open_dashboard(pilot: Any) -> LeasesScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_ready(app, LeasesScreen), what="lease screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.refresh_count > 0, timeout=60, what="first refresh")
    return screen


async def refreshed(pilot: Any, screen: LeasesScreen, force: bool = False) -> None:
    count = screen.refresh_count
    screen.action_refresh(force)
    await wait_for(pilot, lambda: screen.refresh_count > count, timeout=60, what="refresh")


def line_text(table: LeaseTable, lease_id: str) -> str:
    index = table.row_index(lease_id)
    assert index is not None, f"{lease_id} not in the table"
    table.scroll_to(y=max(0, index - 2), animate=False, immediate=True)
    y = index - int(table.scroll_offset.y) + 1
    return table.render_line(y).text
