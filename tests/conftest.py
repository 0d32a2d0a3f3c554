"""Shared fixtures: a real OpenBao dev server (and PostgreSQL) per test session, on loopback."""

from __future__ import annotations

import os
import uuid

import pytest

from vault_tui.demo.cluster import RaftCluster
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
def raft_cluster():
    """A real 3-node OpenBao Raft cluster (non-dev, integrated storage) for the whole session.

    Tests use :func:`cluster`, which heals it first; this one only starts and stops it.
    """
    cluster = RaftCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster(raft_cluster):
    """The session's Raft cluster, healed before the test: every node running, unsealed, one
    active, all voters healthy (a test may kill, seal or step down any node)."""
    raft_cluster.heal()
    yield raft_cluster


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


@pytest.fixture
def kv2_mount(root_client):
    """A fresh KV v2 mount for one test."""
    path = unique("kv2-")
    root_client.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    yield path
    root_client.sys.disable_secrets_engine(path)


@pytest.fixture
def kv1_mount(root_client):
    path = unique("kv1-")
    root_client.sys.enable_secrets_engine("kv", path=path, options={"version": "1"})
    yield path
    root_client.sys.disable_secrets_engine(path)
