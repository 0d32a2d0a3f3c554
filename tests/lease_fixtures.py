"""Fixtures for the lease dashboard tests: a database secrets engine wired to the real
PostgreSQL, database roles, userpass logins and tokens without sudo.

Import the fixtures into a test module with ``from lease_fixtures import *``.
"""

from __future__ import annotations

import hvac
import pytest
from conftest import unique

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


def make_db_role(client: hvac.Client, mount: str, *, default_ttl: str = "1h", max_ttl: str = "2h") -> str:
    role = unique("r")
    client.write(
        f"{mount}/roles/{role}",
        db_name="pg",
        creation_statements=CREATION,
        default_ttl=default_ttl,
        max_ttl=max_ttl,
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
