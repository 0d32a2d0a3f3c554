"""What switching to another profile means, computed without the UI (blocking: keyring, file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .config import AppConfig
from .credentials import CredentialError, CredentialStore
from .profiles import apply_profile, load_profiles, use_remembered_token


@dataclass(frozen=True)
class ProfileSwitch:
    config: AppConfig
    token: str | None  # remembered in the keyring, else from the environment (same server)
    source: str  # where the token came from, for the session bar ("" when there is none)


def prepare_switch(
    current: AppConfig,
    name: str,
    store: CredentialStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> ProfileSwitch:
    """The new config and the token to try. Raises ``profiles.ConfigError``."""
    profiles = load_profiles(current.profiles_path)
    profile = profiles.get(name)
    base = replace(current, read_only=current.read_only_flag)
    config = apply_profile(base, profile, os.environ if environ is None else environ, read_only=current.read_only_flag)
    config.profiles_path = current.profiles_path
    store = store or CredentialStore()
    try:
        remembered = store.get(profile.name, "token")
    except CredentialError:
        remembered = None
    config = use_remembered_token(config, remembered)
    token = config.connection.token
    return ProfileSwitch(config, token, config.token_source if token else "")
