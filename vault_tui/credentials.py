"""Remembered credentials in the OS keyring (through the ``keyring`` package), keyed by profile.

Only two kinds of secret are ever remembered, and only when the user ticks "remember":
a Vault token, or an AppRole secret_id. vault-tui never writes a credential to a file itself.

The backend is checked before use:

* keyring's *fail* backend (a headless box without Secret Service) or the *null* backend:
  nothing can be stored. :attr:`CredentialStore.status` says so in plain words and every
  ``store`` returns that reason instead of storing anything.
* a backend that keeps secrets in a **plain file** (keyrings.alt's ``PlaintextKeyring``,
  or any backend keyring itself rates "not recommended"): used only when the user chose it
  explicitly (``PYTHON_KEYRING_BACKEND`` or keyring's ``keyringrc.cfg``), or when a caller
  passes it in. Picked up merely because keyrings.alt happens to be installed, it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import keyring
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "vault-tui"
KINDS = ("token", "secret_id")


class BackendState(str, Enum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    INSECURE = "insecure"


@dataclass(frozen=True)
class BackendStatus:
    state: BackendState
    name: str  # the backend's class, e.g. "SecretService Keyring"
    message: str  # one line for the UI

    @property
    def usable(self) -> bool:
        return self.state is BackendState.OK


class CredentialError(Exception):
    """The keyring could not store, read or delete. ``str()`` is a plain reason, no secret."""


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_fail(backend: KeyringBackend) -> bool:
    from keyring.backends import fail, null

    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return True
    chained = getattr(backend, "backends", None)
    if chained is not None and isinstance(chained, (list, tuple)):
        return all(_is_fail(b) for b in chained) if chained else True
    return False


def _is_plain_file(backend: KeyringBackend) -> bool:
    name = _backend_name(backend)
    if "Plaintext" in name or "plaintext" in name:
        return True
    try:
        from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-not-found]

        if isinstance(backend, PlaintextKeyring):
            return True
    except ImportError:
        pass
    try:
        return float(getattr(backend, "priority", 1)) < 1
    except Exception:  # noqa: BLE001 - a backend whose priority cannot be read
        return False


def user_chose_backend() -> bool:
    """True when the user configured a keyring backend (env var or keyringrc.cfg)."""
    try:
        return bool(keyring.core.load_env() or keyring.core.load_config())
    except Exception:  # noqa: BLE001 - a broken keyring config is not a choice we can honour
        return False


def check_backend(backend: KeyringBackend, *, explicit: bool) -> BackendStatus:
    name = _backend_name(backend)
    if _is_fail(backend):
        return BackendStatus(
            BackendState.UNAVAILABLE,
            name,
            "no usable keyring on this system (keyring's fail backend: no Secret Service, KWallet "
            "or macOS/Windows keychain); credentials will not be remembered",
        )
    if _is_plain_file(backend) and not explicit:
        return BackendStatus(
            BackendState.INSECURE,
            name,
            f"the only keyring available ({name}) keeps secrets in a plain file; credentials "
            "will not be remembered (set PYTHON_KEYRING_BACKEND to use it anyway)",
        )
    return BackendStatus(BackendState.OK, name, f"keyring: {name}")


def _user(profile: str, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    profile = (profile or "default").strip() or "default"
    return f"{profile}:{kind}"


class CredentialStore:
    """Store, read and forget a profile's token / AppRole secret_id in the keyring.

    ``backend=None`` uses keyring's current backend (``keyring.get_keyring()``), honouring
    ``keyring.set_keyring`` at the moment of each call.
    """

    def __init__(self, backend: KeyringBackend | None = None, *, explicit: bool | None = None) -> None:
        self._backend = backend
        self._explicit = explicit

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def status(self) -> BackendStatus:
        try:
            backend = self.backend
        except Exception as error:  # noqa: BLE001 - keyring's own init failed
            return BackendStatus(BackendState.UNAVAILABLE, "?", f"the keyring could not be loaded: {type(error).__name__}")
        explicit = self._explicit
        if explicit is None:
            explicit = self._backend is not None or user_chose_backend()
        return check_backend(backend, explicit=explicit)

    def store(self, profile: str, kind: str, secret: str) -> BackendStatus:
        """Remember ``secret``. Returns the status; raises :class:`CredentialError` on failure.

        When the backend is unusable nothing is stored and the (non-usable) status is returned,
        so the caller can tell the user why.
        """
        user = _user(profile, kind)
        status = self.status
        if not status.usable:
            return status
        if not secret:
            raise CredentialError("nothing to remember")
        try:
            self.backend.set_password(SERVICE, user, secret)
        except keyring.errors.KeyringError as error:
            raise CredentialError(f"the keyring refused to store the {kind}: {type(error).__name__}") from None
        except Exception as error:  # noqa: BLE001 - never let a backend's message carry the secret
            raise CredentialError(f"the keyring failed to store the {kind}: {type(error).__name__}") from None
        return status

    def get(self, profile: str, kind: str) -> str | None:
        user = _user(profile, kind)
        if not self.status.usable:
            return None
        try:
            return self.backend.get_password(SERVICE, user) or None
        except Exception as error:  # noqa: BLE001
            raise CredentialError(f"the keyring could not be read: {type(error).__name__}") from None

    def forget(self, profile: str, kind: str | None = None) -> list[str]:
        """Delete the profile's remembered credentials (one kind, or all). Returns what was removed."""
        removed = []
        status = self.status
        if status.state is BackendState.UNAVAILABLE:
            raise CredentialError(status.message)
        for each in (kind,) if kind else KINDS:
            user = _user(profile, each)
            try:
                if self.backend.get_password(SERVICE, user) is None:
                    continue
                self.backend.delete_password(SERVICE, user)
            except keyring.errors.PasswordDeleteError:
                continue
            except Exception as error:  # noqa: BLE001
                raise CredentialError(f"the keyring could not delete the {each}: {type(error).__name__}") from None
            removed.append(each)
        return removed
