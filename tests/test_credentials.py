"""Keyring store / reuse / forget with a real backend (keyrings.alt's file backend in tmp)."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from vault_tui.credentials import SERVICE, BackendState, CredentialStore, check_backend


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real keyring backend writing into tmp_path, selected explicitly as a user would."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield backend
    keyring.set_keyring(previous)


def test_store_reuse_forget(file_keyring, tmp_path):
    store = CredentialStore()
    assert store.status.usable
    status = store.store("prod", "token", "s.remember-me")
    assert status.state is BackendState.OK
    # a new store (as after a restart) reads it back through keyring
    assert CredentialStore().get("prod", "token") == "s.remember-me"
    assert keyring.get_password(SERVICE, "prod:token") == "s.remember-me"
    # profiles are separate
    assert store.get("staging", "token") is None
    store.store("prod", "secret_id", "sid-1")
    assert store.forget("prod", "token") == ["token"]
    assert store.get("prod", "token") is None
    assert store.get("prod", "secret_id") == "sid-1"
    assert store.forget("prod") == ["secret_id"]
    assert store.forget("prod") == []
    assert (tmp_path / "keyring_pass.cfg").exists()  # the backend's file, not ours


def test_fail_backend_reports_plainly():
    store = CredentialStore(fail.Keyring())
    status = store.status
    assert status.state is BackendState.UNAVAILABLE
    assert "no usable keyring" in status.message
    # storing does nothing and says why; reading finds nothing
    assert store.store("prod", "token", "s.x").state is BackendState.UNAVAILABLE
    assert store.get("prod", "token") is None


def test_plaintext_backend_refused_unless_chosen(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # no keyringrc.cfg
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "kr.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        store = CredentialStore()
        assert store.status.state is BackendState.INSECURE
        assert "plain file" in store.status.message
        store.store("p", "token", "s.never-written")
        assert not (tmp_path / "kr.cfg").exists()
    finally:
        keyring.set_keyring(previous)
    # passing a backend explicitly counts as choosing it
    assert check_backend(backend, explicit=True).usable


def test_unknown_kind_rejected(file_keyring):
    with pytest.raises(ValueError):
        CredentialStore().store("p", "password", "x")
