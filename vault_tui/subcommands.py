"""Sub-commands that run without the UI: ``vault-tui leases export``, ``vault-tui kv export``,
``vault-tui kv import`` and ``vault-tui lint``.

They connect exactly as the app does (:func:`vault_tui.cli.config_from_args`: flags > profile and
its remembered token > environment), and they can stand anywhere among the global flags:
``vault-tui --profile prod leases export --format csv`` and
``vault-tui leases export --profile prod --format csv`` are the same.

Exit codes: 0 done; 1 findings or errors (a failed look-up, a CAS conflict, an incomplete
listing); 2 bad usage or configuration (unknown flag, bad config file, no token, unusable output
file). Every error is one plain line on stderr, server text made visible (never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from .exporting import ExportFileError, Progress, check_target, private_file
from .safe import visible

if TYPE_CHECKING:
    from .config import AppConfig
    from .vault.gateway import Gateway

T = TypeVar("T")

COMMANDS: dict[str, tuple[str, ...]] = {"leases": ("export",), "kv": ("export", "import"), "lint": ()}

COMMANDS_HELP = (
    "Commands without the UI: 'vault-tui leases export', 'vault-tui kv export MOUNT/PATH', "
    "'vault-tui kv import FILE --to MOUNT/PATH' and 'vault-tui lint' (see 'vault-tui COMMAND --help')."
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A failure to report as one line on stderr, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_FINDINGS) -> None:
        super().__init__(message)
        self.code = code


def say(message: str) -> None:
    """One line on stderr, prefixed ``vault-tui:``."""
    print(f"vault-tui: {message}", file=sys.stderr)


class CommandParser(argparse.ArgumentParser):
    """A usage error is one line (with a pointer to ``--help``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        say(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_USAGE)


# -- finding the sub-command among the flags ---------------------------------------------------------
@dataclass(frozen=True)
class Command:
    group: str  # "leases" | "kv" | "lint"
    action: str  # "export" | "import" | "" (lint)
    argv: tuple[str, ...]  # every other argument, in order


def _value_options() -> set[str]:
    """Every option (global or of a sub-command) that takes a value in the next argument."""
    from .cli import build_parser

    parsers: list[argparse.ArgumentParser] = [build_parser()]
    parsers.extend(build_command_parser(g, a) for g, actions in COMMANDS.items() for a in (actions or ("",)))
    names: set[str] = set()
    for parser in parsers:
        for action in parser._actions:
            if action.option_strings and action.nargs != 0:
                names.update(action.option_strings)
    return names


def split_command(argv: Sequence[str]) -> Command | None:
    """The sub-command in ``argv`` (the first positional argument, if it names one), else None:
    then ``argv`` is the plain app's and is parsed as before."""
    takes_value = _value_options()
    positions: list[int] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            break
        if arg.startswith("-") and arg != "-":
            if "=" not in arg and arg in takes_value:
                index += 1  # skip the option's value
            index += 1
            continue
        positions.append(index)
        if len(positions) == 1 and arg not in COMMANDS:
            return None
        if len(positions) == 1 and not COMMANDS[arg]:
            break  # lint: everything else is its own
        if len(positions) == 2:
            break
        index += 1
    if not positions:
        return None
    group = argv[positions[0]]
    action = argv[positions[1]] if len(positions) > 1 and COMMANDS[group] else ""
    drop = set(positions[:2] if action else positions[:1])
    rest = tuple(a for i, a in enumerate(argv) if i not in drop)
    return Command(group, action, rest)


# -- parsers -------------------------------------------------------------------------------------------
def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """The app's connection flags (for :func:`open_gateway`); a lint command can use them too."""
    group = parser.add_argument_group("connection (as for the app)")
    group.add_argument("--addr", help="server address (default: the profile's, VAULT_ADDR, BAO_ADDR)")
    group.add_argument("--namespace", "-n", help="namespace (default: the profile's, VAULT_NAMESPACE)")
    group.add_argument("--profile", "-p", metavar="NAME", help="a profile from the config file")
    group.add_argument(
        "--config", metavar="FILE", help="the profiles file (default: VAULT_TUI_CONFIG or the usual place)"
    )
    group.add_argument("--read-only", action="store_true", help="refuse every write")
    parser.set_defaults(path=None, view=None, clipboard_timeout=None)


def build_command_parser(group: str, action: str) -> argparse.ArgumentParser:
    prog = f"vault-tui {group} {action}".strip()
    if (group, action) == ("leases", "export"):
        parser = CommandParser(
            prog=prog,
            description="Export the lease inventory (lease id, mount, role, issue and expire time, TTL, renewable; "
            "never a secret) as CSV or JSON. Needs sudo on sys/leases/lookup/.",
        )
        parser.add_argument(
            "--format", "-f", choices=("csv", "json"), default="csv", help="output format (default csv)"
        )
        parser.add_argument("--output", "-o", metavar="FILE", help="write FILE (mode 0600) instead of stdout")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
        parser.add_argument(
            "--filter",
            metavar="KEY",
            default="all",
            help="only the leases in this summary bucket: mount:M, role:PREFIX, expires:FROM-TO (seconds) or "
            "state:S with S one of expiring-1h, expiring-24h, expiring-later, no-expiry, non-renewable, "
            "near-max-ttl, orphaned",
        )
        _progress_flags(parser)
    elif (group, action) == ("kv", "export"):
        parser = CommandParser(
            prog=prog,
            description="Export the newest version of every secret at or under MOUNT/PATH as JSON "
            "(format vault-tui-kv-export, version 1).",
        )
        parser.add_argument("source", metavar="MOUNT/PATH", help="e.g. secret/team/app")
        parser.add_argument("--metadata", action="store_true", help="include KV v2 metadata (custom_metadata, ...)")
        parser.add_argument("--output", "-o", metavar="FILE", help="write FILE (mode 0600) instead of stdout")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
        parser.add_argument("--preview", action="store_true", help="only list the paths and key names, no values")
        _progress_flags(parser)
    elif (group, action) == ("kv", "import"):
        parser = CommandParser(
            prog=prog,
            description="Import a vault-tui KV export under MOUNT/PATH. Each secret is written with check-and-set "
            "against what the dry run saw; a path that changed meanwhile is reported, never overwritten.",
        )
        parser.add_argument("file", metavar="FILE", help="the export ('-' for stdin)")
        parser.add_argument("--to", required=True, metavar="MOUNT/PATH", help="where to import, e.g. kv/team/app")
        parser.add_argument("--dry-run", action="store_true", help="show new / changed / unchanged, write nothing")
        parser.add_argument("--no-metadata", action="store_true", help="do not write the export's KV v2 metadata")
    elif (group, action) == ("lint", ""):
        parser = CommandParser(
            prog=prog,
            description="Secret hygiene report over the KV mounts, transit keys, leases and certificates the token "
            "can read (never a value). Exit code 0 when clean, 1 when anything is found, 2 when it could not run.",
        )
        parser.add_argument(
            "--format", "-f", choices=("csv", "json"), default="csv", help="output format (default csv)"
        )
        parser.add_argument("--output", "-o", metavar="FILE", help="write FILE (mode 0600) instead of stdout")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
        parser.add_argument("--mount", action="append", metavar="MOUNT", help="only this mount (repeatable)")
    else:
        raise ValueError(f"unknown command {prog!r}")
    add_connection_flags(parser)
    return parser


def _progress_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progress", action="store_true", help="show progress on stderr even when it is no terminal")
    parser.add_argument("--no-progress", action="store_true", help="never show progress")


def _progress(args: argparse.Namespace, label: str) -> Progress:
    enabled = False if args.no_progress else (True if args.progress else None)
    return Progress(label, stream=sys.stderr, enabled=enabled)


# -- running -------------------------------------------------------------------------------------------
def run_command(command: Command) -> int:
    from . import config as config_module
    from .profiles import ConfigError
    from .vault.errors import VaultError
    from .vault.transfer import ExportFormatError

    # A bad setting in the environment or the config file (SettingError where the config has it).
    setting_errors: tuple[type[Exception], ...] = (ConfigError, getattr(config_module, "SettingError", ConfigError))

    try:
        if COMMANDS[command.group] and not command.action and ("-h" in command.argv or "--help" in command.argv):
            print(f"usage: vault-tui {command.group} {{{','.join(COMMANDS[command.group])}}} [--help] ...")
            print(COMMANDS_HELP)
            return EXIT_OK
        if COMMANDS[command.group] and not command.action:
            actions = " or ".join(COMMANDS[command.group])
            raise CommandError(f"'vault-tui {command.group}' needs an action: {actions}", EXIT_USAGE)
        if COMMANDS[command.group] and command.action not in COMMANDS[command.group]:
            actions = " or ".join(COMMANDS[command.group])
            raise CommandError(
                f"unknown action {command.action!r} for 'vault-tui {command.group}' (use {actions})", EXIT_USAGE
            )
        parser = build_command_parser(command.group, command.action)
        args = parser.parse_args(list(command.argv))
        handler = HANDLERS[(command.group, command.action)]
        return handler(args)
    except SystemExit as exit_:  # --help, or a usage error already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except CommandError as error:
        say(visible(str(error)))
        return error.code
    except setting_errors as error:
        say(visible(str(error)))
        return EXIT_USAGE
    except (ExportFileError, ExportFormatError) as error:
        say(visible(str(error)))
        return EXIT_USAGE
    except VaultError as error:
        say(visible(str(error)))
        return EXIT_FINDINGS
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        return 130


def open_gateway(args: argparse.Namespace, *, writes: bool = False) -> tuple[Gateway, AppConfig]:
    """Connect as the app would (profile, remembered token or AppRole secret ID, environment)
    and check the server. Returns ``(gateway, config)``; raises :class:`CommandError`."""
    from .cli import config_from_args
    from .vault.gateway import Gateway

    config = config_from_args(args)
    settings = config.connection
    if not settings.token:
        token = _remembered_approle_login(config)
        if not token:
            where = f"profile {config.profile!r}" if config.profile else "this shell"
            raise CommandError(
                f"no token for {where}: set VAULT_TOKEN, or sign in once in the app with 'remember' ticked",
                EXIT_USAGE,
            )
        settings = settings.with_token(token)
    if writes and config.read_only:
        raise CommandError("read-only mode (the profile or --read-only): nothing can be written", EXIT_USAGE)
    gateway = Gateway(settings, read_only=config.read_only or not writes)
    info = gateway.server_info()
    if info.sealed:
        raise CommandError(f"the server at {settings.addr} is sealed")
    return gateway, config


def _remembered_approle_login(config: AppConfig) -> str | None:
    """A profile with AppRole and a remembered secret ID signs in by itself, as in the app."""
    if config.auth_method != "approle" or not config.auth_role or not config.profile:
        return None
    from .credentials import CredentialError, CredentialStore
    from .vault.auth import login_approle
    from .vault.gateway import Gateway

    try:
        secret_id = CredentialStore().get(config.profile, "secret_id")
    except CredentialError:
        return None
    if not secret_id:
        return None
    gateway = Gateway(config.connection.with_token(None))
    result = login_approle(gateway, config.auth_role, secret_id, mount=config.auth_mount or "approle")
    return result.client_token


@contextlib.contextmanager
def _output(path: str | None, *, force: bool, secrets: bool) -> Iterator[TextIO]:
    """stdout, or a private file. Secret values are never written to a terminal."""
    if path and path != "-":
        with private_file(path, overwrite=force) as handle:
            yield handle
        return
    if secrets and sys.stdout.isatty():
        raise CommandError(
            "refusing to print secret values to a terminal: redirect the output, or use --output FILE", EXIT_USAGE
        )
    yield sys.stdout
    sys.stdout.flush()


# -- leases export ---------------------------------------------------------------------------------------
def cmd_leases_export(args: argparse.Namespace) -> int:
    from .vault.errors import PermissionDenied
    from .views.leases.audit import export_leases, validate_key

    try:
        validate_key(args.filter)
    except ValueError as error:
        raise CommandError(str(error), EXIT_USAGE) from None
    if args.output and args.output != "-":
        check_target(args.output, overwrite=args.force)
    gateway, _config = open_gateway(args)
    progress = _progress(args, "leases")
    try:
        with _output(args.output, force=args.force, secrets=False) as out:
            stats = export_leases(
                gateway,
                out,
                args.format,
                key=args.filter,
                on_listed=progress.set_total,
                on_progress=lambda done, _total: progress.update(done),
            )
    except PermissionDenied as error:
        raise CommandError(
            f"this token may not list leases (it needs sudo on sys/leases/lookup/): {error}", EXIT_FINDINGS
        ) from None
    finally:
        progress.finish()
    if progress.enabled:
        gone = f", {stats.gone} expired or revoked meanwhile" if stats.gone else ""
        say(f"exported {stats.written} of {stats.listed} leases{gone}")
    for folder in stats.hidden:
        say(visible(f"not exported: this token may not list the leases under {folder}"))
    for folder, problem in stats.problems:
        say(visible(f"not exported: listing {folder} failed: {problem}"))
    for lease_id, problem in stats.errors:
        say(visible(f"not exported: looking up {lease_id} failed: {problem}"))
    return EXIT_OK if stats.complete else EXIT_FINDINGS


# -- kv export / import -----------------------------------------------------------------------------------
def cmd_kv_export(args: argparse.Namespace) -> int:
    from .vault.transfer import iter_export, list_secrets, preview_export, resolve_location, write_export

    gateway, _config = open_gateway(args)
    source = resolve_location(gateway, args.source)
    if args.preview:
        preview = preview_export(gateway, source, metadata=args.metadata)
        if not preview.items:
            raise CommandError(f"there is no secret at or under {source.display}")
        for item in preview.items:
            name = source.child(item.relpath)
            if item.exportable:
                print(visible(f"{source.mount}{name}\t{', '.join(item.keys)}"))
            else:
                print(visible(f"{source.mount}{name}\t(skipped: its newest version is {item.state.value})"))
        return EXIT_OK
    if args.output and args.output != "-":
        check_target(args.output, overwrite=args.force)
    elif sys.stdout.isatty():
        raise CommandError(
            "refusing to print secret values to a terminal: redirect the output, or use --output FILE", EXIT_USAGE
        )
    relpaths = list_secrets(gateway, source)
    if not relpaths:
        raise CommandError(f"there is no secret at or under {source.display}")
    progress = _progress(args, "secrets")
    progress.set_total(len(relpaths))
    skipped: list[tuple[str, str]] = []
    try:
        with _output(args.output, force=args.force, secrets=True) as out:
            secrets = _counting(
                iter_export(gateway, source, metadata=args.metadata, relpaths=relpaths, skipped=skipped),
                lambda: progress.update(progress.done + 1),
            )
            count = write_export(out, source, secrets, metadata=args.metadata, skipped=skipped)
    finally:
        progress.finish()
    for relpath, reason in skipped:
        say(visible(f"skipped {source.mount}{source.child(relpath)}: {reason}"))
    if progress.enabled:
        say(visible(f"exported {count} secret(s) from {source.display}"))
    return EXIT_OK


def _counting(items: Iterator[T], tick: Callable[[], None]) -> Iterator[T]:
    for item in items:
        tick()
        yield item


def cmd_kv_import(args: argparse.Namespace) -> int:
    from .vault.transfer import load_export, resolve_location
    from .vault.transfer_import import Change, Outcome, apply_import, plan_import

    text = _read_input(args.file)
    document = load_export(text)
    gateway, _config = open_gateway(args, writes=not args.dry_run)
    target = resolve_location(gateway, args.to)
    plan = plan_import(gateway, document, target, metadata=not args.no_metadata)
    for note in plan.notes:
        say(visible(f"note: {note}"))
    for item in plan.items:
        detail = []
        if item.change is Change.CHANGED or item.change is Change.NEW:
            detail += [f"+{k}" for k in item.added] + [f"-{k}" for k in item.removed]
            detail += [f"~{k}" for k in item.changed]
        if item.metadata_change:
            detail.append("metadata")
        if item.note:
            detail.append(f"({item.note})")
        print(visible(f"{item.change.value:<10} {target.mount}{item.target}  {' '.join(detail)}".rstrip()))
    counts = ", ".join(f"{plan.count(c)} {c.value}" for c in Change)
    if args.dry_run:
        say(f"dry run: {counts}; nothing was written")
        return EXIT_OK
    result = apply_import(gateway, plan)
    for outcome in result.outcomes:
        if outcome.outcome in (Outcome.CONFLICT, Outcome.ERROR):
            say(visible(f"{outcome.outcome.value}: {target.mount}{outcome.target}: {outcome.message}"))
    written = len(result.written)
    failed = len(result.conflicts) + len(result.errors)
    say(f"imported: {written} written, {failed} not written ({len(result.conflicts)} conflict(s))")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        with open(os.path.expanduser(name), encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror or error}", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CommandError(f"{name} is not a UTF-8 text file", EXIT_USAGE) from None


# -- lint (its engine lives elsewhere) --------------------------------------------------------------------
LINT_MODULE = "vault_tui.views.lint.model"


def lint_entry() -> Callable[..., int] | None:
    """``vault_tui.views.lint.model.run_lint_cli`` when this build has the lint engine, else None."""
    try:
        spec = importlib.util.find_spec(LINT_MODULE)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return None
    entry = getattr(importlib.import_module(LINT_MODULE), "run_lint_cli", None)
    return entry if callable(entry) else None


class _Abandon(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def cmd_lint(args: argparse.Namespace) -> int:
    """``vault-tui lint``: the report as CSV or JSON (exit 0 clean, 1 findings, 2 could not run).

    Calls ``run_lint_cli(config, out, fmt, mounts=...)`` of the lint engine, with the config built
    as for the app (a remembered AppRole secret ID signs in here, as in the app)."""
    from .cli import config_from_args

    run_lint_cli = lint_entry()
    if run_lint_cli is None:
        raise CommandError("lint is not available in this version of vault-tui", EXIT_USAGE)
    if args.output and args.output != "-":
        check_target(args.output, overwrite=args.force)
    config = config_from_args(args)
    if not config.connection.token:
        token = _remembered_approle_login(config)
        if token:
            config.connection = config.connection.with_token(token)
    try:
        with _output(args.output, force=args.force, secrets=False) as out:
            code = int(run_lint_cli(config, out, args.format, mounts=args.mount or None))
            if code == EXIT_USAGE:
                raise _Abandon(code)  # it could not run: leave no empty report file behind
    except _Abandon as abandon:
        return abandon.code
    return code


HANDLERS: dict[tuple[str, str], Callable[[argparse.Namespace], int]] = {
    ("leases", "export"): cmd_leases_export,
    ("kv", "export"): cmd_kv_export,
    ("kv", "import"): cmd_kv_import,
    ("lint", ""): cmd_lint,
}
