"""Shared fixtures: a real OpenBao dev server (and PostgreSQL) per test session, on loopback."""

from __future__ import annotations

import os
import uuid

import pytest

from vault_tui.demo.servers import BaoServer, PostgresServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway

# Tests must never read the developer's real Vault settings.
for _name in list(os.environ):
    if _name.startswith(("VAULT_", "BAO_")):
        del os.environ[_name]


@pytest.fixture(scope="session")
def bao():
    """A real ``bao server -dev`` for the whole test session."""
    server = BaoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(bao) -> ConnectionSettings:
    return ConnectionSettings(addr=bao.addr, token=bao.root_token)


@pytest.fixture
def gateway(settings) -> Gateway:
    gw = Gateway(settings)
    gw.server_info()
    return gw


@pytest.fixture
def root_client(bao):
    import hvac

    return hvac.Client(url=bao.addr, token=bao.root_token)


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def wait_kv2_ready(client, path: str, timeout: float = 60.0) -> None:
    """A new KV v2 mount answers "Upgrading from non-versioned to versioned data" for a moment
    (longer on a busy machine): wait until it serves."""
    import time

    import hvac.exceptions

    deadline = time.monotonic() + timeout
    while True:
        try:
            client.secrets.kv.v2.list_secrets(path="", mount_point=path)
            return
        except hvac.exceptions.InvalidPath:
            return  # empty: it serves
        except hvac.exceptions.InvalidRequest as error:
            if "upgrading" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def kv2_mount(root_client):
    """A fresh KV v2 mount for one test (ready to serve)."""
    path = unique("kv2-")
    root_client.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    wait_kv2_ready(root_client, path)
    yield path
    root_client.sys.disable_secrets_engine(path)


@pytest.fixture
def kv1_mount(root_client):
    path = unique("kv1-")
    root_client.sys.enable_secrets_engine("kv", path=path, options={"version": "1"})
    yield path
    root_client.sys.disable_secrets_engine(path)
