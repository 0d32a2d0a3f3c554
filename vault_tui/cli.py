"""Command line: ``vault-tui [--demo] [--addr URL] [--read-only] [--path P] [--view V]``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace

from . import __version__
from .config import (
    TOKEN_NONE,
    AppConfig,
    SettingError,
    addrs_from_environment,
    connection_from_environment,
    token_and_source,
    view_names,
)
from .vault.addresses import split_addrs


def _view_name(value: str) -> str:
    from .views.registry import resolve

    spec = resolve(value)
    if spec is None:
        raise argparse.ArgumentTypeError(f"unknown view {value!r} (one of: {', '.join(view_names())})")
    return spec.name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vault-tui",
        description="A terminal UI for HashiCorp Vault and OpenBao: KV browser, lease dashboard, transit playground.",
        epilog="Connection settings follow the Vault CLI: VAULT_ADDR/BAO_ADDR, VAULT_TOKEN/BAO_TOKEN "
        "(then ~/.vault-token), VAULT_NAMESPACE, VAULT_CACERT, VAULT_CAPATH (else SSL_CERT_FILE / "
        "REQUESTS_CA_BUNDLE, else the system's trust store), VAULT_CLIENT_CERT, VAULT_CLIENT_KEY, "
        "VAULT_SKIP_VERIFY, VAULT_TLS_SERVER_NAME, VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES, "
        "VAULT_PROXY_ADDR, HTTPS_PROXY/HTTP_PROXY/NO_PROXY (each VAULT_ one also as BAO_).",
    )
    parser.add_argument(
        "--demo", action="store_true", help="start a local OpenBao (and PostgreSQL) with demo data and open it"
    )
    parser.add_argument(
        "--addr",
        help="server address, or a comma-separated list of a cluster's nodes "
        "(default: VAULT_ADDR, BAO_ADDR or http://127.0.0.1:8200)",
    )
    parser.add_argument("--namespace", "-n", help="namespace (default: VAULT_NAMESPACE)")
    parser.add_argument("--read-only", action="store_true", help="disable every write action")
    parser.add_argument("--path", help="open with this secret or folder selected, e.g. secret/team/app/db")
    parser.add_argument(
        "--view",
        type=_view_name,
        metavar="VIEW",
        help="the view to open first (browser, leases, transit, policies, cluster, pki, lint, history)",
    )
    parser.add_argument(
        "--clipboard-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="clear copied values after this many seconds (default 30; 0 = never)",
    )
    parser.add_argument(
        "--profile",
        "-p",
        metavar="NAME",
        help="connect as this profile from the config file (default: its default_profile)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the profiles file (default: VAULT_TUI_CONFIG or ~/.config/vault-tui/config.toml)",
    )
    parser.add_argument(
        "--forget",
        metavar="PROFILE",
        help="remove PROFILE's remembered token / AppRole secret ID from the OS keyring, then exit",
    )
    parser.add_argument("--version", action="version", version=f"vault-tui {__version__}")
    return parser


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Flags > profile (and its remembered token) > environment > defaults.

    Raises :class:`vault_tui.profiles.ConfigError` for a bad config file or an unknown profile,
    :class:`vault_tui.config.SettingError` (:class:`~vault_tui.config.AddressError`) for a bad
    ``--addr``, ``VAULT_ADDR`` or other ``VAULT_*`` value. Both name the setting and the problem.
    """
    from .profiles import apply_profile, load_profiles, use_remembered_token

    env = os.environ if environ is None else environ
    # Validate the flags before reading anything else: a bad --addr is the user's typo.
    flag_addrs = split_addrs(args.addr, "--addr") if args.addr else None
    profile_name = getattr(args, "profile", None)
    config_file = getattr(args, "config", None)
    profiles = load_profiles(config_file, environ=env) if (profile_name or config_file or environ is None) else None
    if profiles is not None and not profile_name:
        profile_name = profiles.default_profile
    if profiles is not None and profile_name:
        base = apply_profile(AppConfig(), profiles.get(profile_name), env)
        base.profiles_path = str(profiles.path) if profiles.path else None
        base = use_remembered_token(base, remembered_token(profile_name))
    else:
        connection = connection_from_environment(env)
        _token, source = token_and_source(env)
        base = AppConfig(connection=connection, addrs=addrs_from_environment(env), token_source=source)
        if profiles is not None and profiles.path:
            base.profiles_path = str(profiles.path)
    if profiles is not None:
        base = profiles.apply_settings(base)
    connection = base.connection
    if flag_addrs:
        if base.profile and not set(flag_addrs) <= set(base.addrs):
            # The profile's token belongs to the profile's server: never send it elsewhere.
            if connection.token:
                base.token_note = (
                    f"the token of profile {base.profile} ({base.token_source}) is not sent to --addr, another server"
                )
            connection = replace(connection, token=None)
            base.token_source = TOKEN_NONE
        connection = replace(connection, addr=flag_addrs[0])
        base.addrs = flag_addrs
    if args.namespace:
        connection = replace(connection, namespace=args.namespace)
    config = replace(
        base,
        connection=connection,
        read_only=bool(args.read_only) or base.read_only,
        read_only_flag=bool(args.read_only),
        initial_path=args.path,
    )
    if args.view:
        config.initial_view = args.view
    if args.clipboard_timeout is not None:
        config.clipboard_clear_seconds = max(0.0, args.clipboard_timeout)
    return config


def remembered_token(profile: str) -> str | None:
    """The profile's token from the OS keyring, if one was remembered (and a keyring works)."""
    from .credentials import CredentialError, CredentialStore

    try:
        return CredentialStore().get(profile, "token")
    except CredentialError as error:
        print(f"vault-tui: {error}", file=sys.stderr)
        return None


def forget(profile: str) -> int:
    from .credentials import CredentialError, CredentialStore

    store = CredentialStore()
    try:
        removed = store.forget(profile)
    except CredentialError as error:
        print(f"vault-tui: cannot forget {profile!r}: {error}", file=sys.stderr)
        return 1
    if removed:
        print(f"vault-tui: removed the remembered {' and '.join(removed)} for profile {profile!r} from the keyring")
    else:
        print(f"vault-tui: nothing remembered for profile {profile!r}")
    return 0


def run_app(config: AppConfig) -> int:
    from .app import make_app

    app = make_app(config)
    app.run()
    return app.return_code or 0


def run_demo(args: argparse.Namespace) -> int:
    from .demo.environment import DemoEnvironment

    print("vault-tui demo: starting a local OpenBao and PostgreSQL on 127.0.0.1 …", file=sys.stderr)
    with DemoEnvironment() as demo:
        for note in demo.notes:
            print(f"  note: {note}", file=sys.stderr)
        config = config_from_args(args, environ={})
        assert demo.settings is not None
        config.connection = demo.settings
        config.addrs = (demo.settings.addr,)
        config.token_source = "demo"
        config.demo = True
        config.demo_notes = tuple(demo.notes)
        return run_app(config)


def main(argv: Sequence[str] | None = None) -> int:
    from .subcommands import COMMANDS_HELP, run_command, split_command

    command = split_command(list(sys.argv[1:] if argv is None else argv))
    if command is not None:
        return run_command(command)
    parser = build_parser()
    parser.epilog = f"{parser.epilog} {COMMANDS_HELP}"
    args = parser.parse_args(argv)
    from .profiles import ConfigError

    try:
        if args.forget:
            return forget(args.forget)
        if args.demo:
            if args.addr:
                split_addrs(args.addr, "--addr")  # a typo is still reported, though the demo ignores it
            return run_demo(args)
        return run_app(config_from_args(args))
    except (ConfigError, SettingError) as error:
        print(f"vault-tui: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
