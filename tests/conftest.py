"""Shared fixtures: a real OpenBao dev server (and PostgreSQL) per test session, on loopback."""

from __future__ import annotations

import os
import uuid

import pytest

from vault_tui.demo.cluster import RaftCluster
from vault_tui.demo.servers import BaoServer, PostgresServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway


def _isolate() -> None:
    """The suite never sees the developer's HOME, Vault settings or keyring.

    Runs when pytest imports this file, before any test module (and before anything reads HOME
    or picks a keyring backend): HOME, XDG_* and the keyring point into one temporary directory,
    removed at exit; VAULT_*/BAO_*, proxy and CA variables are dropped. Once per process (test
    modules import this file again as ``tests.conftest``); a child process isolates itself anew.
    """
    import atexit
    import shutil
    import tempfile

    import keyring
    from keyring.backends import fail

    mark = f"{os.getpid()}:"
    if os.environ.get("VAULT_TUI_TESTS_ISOLATED", "").startswith(mark):
        return
    root = tempfile.mkdtemp(prefix="vault-tui-tests-")
    atexit.register(shutil.rmtree, root, True)
    for name in list(os.environ):
        if name.startswith(("VAULT_", "BAO_", "KEYRING_")) or name.lower() in (
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "all_proxy",
            "ssl_cert_file",
            "ssl_cert_dir",
            "requests_ca_bundle",
            "curl_ca_bundle",
        ):
            del os.environ[name]
    for name, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "home/.config"),
        ("XDG_DATA_HOME", "home/.local/share"),
        ("XDG_STATE_HOME", "home/.local/state"),
    ):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        os.environ[name] = os.path.join(root, sub)
    os.environ["VAULT_TUI_TESTS_ISOLATED"] = mark + root
    # No ~/.vault-token, no profiles file, no keyring: a test that wants one makes its own.
    os.environ["VAULT_TUI_CONFIG"] = os.path.join(root, "no-config.toml")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    keyring.set_keyring(fail.Keyring())


_isolate()


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


def pytest_collection_modifyitems(config, items):
    """Tests that drive the app (Pilot or snapshots) carry the ``ui`` mark: .ci/run runs them
    a second time beside two CPU-burning processes."""
    seen: dict[str, bool] = {}
    for item in items:
        path = str(getattr(item, "path", "") or getattr(item, "fspath", ""))
        if path not in seen:
            try:
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
            except OSError:
                source = ""
            seen[path] = "run_test(" in source or "snap_compare" in source
        if seen[path]:
            item.add_marker(pytest.mark.ui)
