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
* a backend that **asks for a password on the terminal** (keyrings.alt's ``EncryptedKeyring``,
  keyrings.cryptfile's ``CryptFileKeyring``, anything that would call ``getpass``): vault-tui owns
  the terminal, and a prompt from a worker thread would freeze the app. It is refused with a
  message naming it and what to use instead, unless it is already unlocked or the caller gives
  a ``password_prompt`` (the app's own prompt) for a backend that can be unlocked with one.

As a backstop, every keyring call runs with ``getpass.getpass`` and ``input`` replaced by a
function that fails at once (:func:`no_terminal_prompts`): a backend nobody knew would prompt
fails fast with a plain message instead of blocking.
"""

from __future__ import annotations

import builtins
import getpass
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import keyring
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "vault-tui"
KINDS = ("token", "secret_id")


class BackendState(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    INSECURE = "insecure"
    PROMPTS = "prompts"  # would ask for a password on the terminal: refused


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


class PromptRefused(CredentialError):
    """A keyring backend tried to ask for a password on the terminal during a keyring call."""


ALTERNATIVES = (
    "use the Secret Service (gnome-keyring or KWallet; on a server, start gnome-keyring-daemon), "
    "or choose a backend that does not prompt with PYTHON_KEYRING_BACKEND "
    "(e.g. PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring)"
)


# -- the backstop: no keyring call may prompt on the terminal -----------------------------------
_prompt_lock = threading.Lock()
_prompt_depth = 0
_prompt_saved: list[tuple[Any, str, Any]] = []


def _refuse_prompt(*_args: Any, **_kwargs: Any) -> str:
    raise PromptRefused(
        "the keyring backend asked for a password on the terminal, which vault-tui does not allow; "
        f"credentials are not remembered: {ALTERNATIVES}"
    )


@contextmanager
def no_terminal_prompts() -> Iterator[None]:
    """While inside, ``getpass.getpass`` and ``input`` raise :class:`PromptRefused` at once.

    Also patched: a ``getpass`` that a ``keyrings.*`` module imported by name. Reentrant and
    shared between threads (the originals come back when the last caller leaves).
    """
    global _prompt_depth
    with _prompt_lock:
        if _prompt_depth == 0:
            original = getpass.getpass
            targets: list[tuple[Any, str]] = [(getpass, "getpass"), (builtins, "input")]
            for name, module in list(sys.modules.items()):
                if name.startswith(("keyrings.", "keyring.")) and getattr(module, "getpass", None) is original:
                    targets.append((module, "getpass"))
            for owner, attr in targets:
                _prompt_saved.append((owner, attr, getattr(owner, attr)))
                setattr(owner, attr, _refuse_prompt)
        _prompt_depth += 1
    try:
        yield
    finally:
        with _prompt_lock:
            _prompt_depth -= 1
            if _prompt_depth == 0:
                while _prompt_saved:
                    owner, attr, value = _prompt_saved.pop()
                    setattr(owner, attr, value)


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
        from keyrings.alt.file import PlaintextKeyring

        if isinstance(backend, PlaintextKeyring):
            return True
    except ImportError:
        pass
    try:
        return float(getattr(backend, "priority", 1)) < 1
    except Exception:  # noqa: BLE001 - a backend whose priority cannot be read
        return False


_PROMPTING_CLASSES = ("EncryptedKeyring", "CryptFileKeyring")


def _prompts(backend: KeyringBackend) -> bool:
    """Whether using ``backend`` would ask for a password on the terminal (now)."""
    chained = getattr(backend, "backends", None)
    if isinstance(chained, (list, tuple)):
        return any(_prompts(b) for b in chained)
    mro = type(backend).__mro__
    known = any(cls.__name__ in _PROMPTING_CLASSES for cls in mro) or any(
        cls.__module__.startswith("keyrings.cryptfile") and "Plaintext" not in cls.__name__ for cls in mro
    )
    asks = known or any("_unlock" in vars(cls) or "_get_new_password" in vars(cls) for cls in mro)
    if not asks:
        return False
    return not _unlocked(backend)


def _unlocked(backend: KeyringBackend) -> bool:
    """An encrypted file backend whose password is already set does not prompt."""
    if getattr(backend, "_keyring_key", None):  # keyrings.cryptfile
        return True
    return bool(vars(backend).get("keyring_key"))  # keyrings.alt (a non-data property until set)


def _unlock_with_prompt(backend: KeyringBackend, prompt: Callable[[str], str | None]) -> bool:
    """Unlock ``backend`` with a password from the app's own prompt. True when it worked.

    Only for backends whose public ``keyring_key`` setter checks the password (keyrings.cryptfile;
    it also creates a new file with it). keyrings.alt's EncryptedKeyring has no such setter.
    """
    if not any(cls.__module__.startswith("keyrings.cryptfile") for cls in type(backend).__mro__):
        return False
    password = prompt(f"Password for the keyring ({_backend_name(backend)})")
    if not password:
        return False
    try:
        with no_terminal_prompts():
            backend.keyring_key = password  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a wrong password: ValueError, never shown with the password
        try:
            del backend.keyring_key  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001
            pass
        return False
    return _unlocked(backend)


def user_chose_backend() -> bool:
    """True when the user configured a keyring backend (env var or keyringrc.cfg)."""
    try:
        return bool(keyring.core.load_env() or keyring.core.load_config())
    except Exception:  # noqa: BLE001 - a broken keyring config is not a choice we can honour
        return False


def check_backend(backend: KeyringBackend, *, explicit: bool) -> BackendStatus:
    name = _backend_name(backend)
    if _prompts(backend):
        return BackendStatus(
            BackendState.PROMPTS,
            name,
            f"the keyring backend {name} asks for its password on the terminal, which vault-tui cannot "
            f"allow; credentials will not be remembered: {ALTERNATIVES}",
        )
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

    ``password_prompt`` (optional, called from the worker thread that uses the store): the app's
    own way to ask for a keyring password, for a backend that would otherwise prompt on the
    terminal and can be unlocked with one. Without it such a backend is refused.

    No call ever prompts on the terminal (see :func:`no_terminal_prompts`).
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        *,
        explicit: bool | None = None,
        password_prompt: Callable[[str], str | None] | None = None,
    ) -> None:
        self._backend = backend
        self._explicit = explicit
        self._password_prompt = password_prompt

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def status(self) -> BackendStatus:
        with no_terminal_prompts():
            return self._status()

    def _status(self) -> BackendStatus:
        try:
            backend = self.backend
        except Exception as error:  # noqa: BLE001 - keyring's own init failed
            reason = f"the keyring could not be loaded: {type(error).__name__}"
            return BackendStatus(BackendState.UNAVAILABLE, "?", reason)
        explicit = self._explicit
        if explicit is None:
            explicit = self._backend is not None or user_chose_backend()
        status = check_backend(backend, explicit=explicit)
        if status.state is BackendState.PROMPTS and self._password_prompt is not None:
            if _unlock_with_prompt(backend, self._password_prompt):
                status = check_backend(backend, explicit=explicit)
        return status

    def store(self, profile: str, kind: str, secret: str) -> BackendStatus:
        """Remember ``secret``. Returns the status; raises :class:`CredentialError` on failure.

        When the backend is unusable (none, a plain file not chosen, or one that would prompt on
        the terminal) nothing is stored and the (non-usable) status is returned, so the caller
        can tell the user why.
        """
        user = _user(profile, kind)
        with no_terminal_prompts():
            status = self._status()
            if not status.usable:
                return status
            if not secret:
                raise CredentialError("nothing to remember")
            try:
                self.backend.set_password(SERVICE, user, secret)
            except CredentialError:
                raise
            except keyring.errors.KeyringError as error:
                raise CredentialError(f"the keyring refused to store the {kind}: {type(error).__name__}") from None
            except Exception as error:  # noqa: BLE001 - never let a backend's message carry the secret
                raise CredentialError(f"the keyring failed to store the {kind}: {type(error).__name__}") from None
        return status

    def get(self, profile: str, kind: str) -> str | None:
        """The remembered secret, or None (nothing remembered, or no keyring at all).

        Raises :class:`CredentialError` when the keyring fails, or refuses a backend that would
        prompt on the terminal (the message says which and what to use instead).
        """
        user = _user(profile, kind)
        with no_terminal_prompts():
            status = self._status()
            if status.state is BackendState.PROMPTS:
                raise CredentialError(status.message)
            if not status.usable:
                return None
            try:
                return self.backend.get_password(SERVICE, user) or None
            except CredentialError:
                raise
            except Exception as error:  # noqa: BLE001
                raise CredentialError(f"the keyring could not be read: {type(error).__name__}") from None

    def forget(self, profile: str, kind: str | None = None) -> list[str]:
        """Delete the profile's remembered credentials (one kind, or all). Returns what was removed."""
        removed = []
        with no_terminal_prompts():
            status = self._status()
            if status.state in (BackendState.UNAVAILABLE, BackendState.PROMPTS):
                raise CredentialError(status.message)
            for each in (kind,) if kind else KINDS:
                user = _user(profile, each)
                try:
                    if self.backend.get_password(SERVICE, user) is None:
                        continue
                    self.backend.delete_password(SERVICE, user)
                except keyring.errors.PasswordDeleteError:
                    continue
                except CredentialError:
                    raise
                except Exception as error:  # noqa: BLE001
                    raise CredentialError(f"the keyring could not delete the {each}: {type(error).__name__}") from None
                removed.append(each)
        return removed
